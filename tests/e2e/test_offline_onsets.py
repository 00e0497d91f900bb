"""Offline dub with ``timing=keep``: each dubbed sentence starts where the speaker started it.

The input is 30 short English sentences spoken by the offline espeak-ng voice at a lively,
varying pace and pitch, placed at known times with pauses of 0.6-2 s, heard as over a
telephone line (300-3400 Hz, with line noise): PocketSphinx then times several lines
late, as it does real speech. It is dubbed English to English through
:meth:`Pipeline.run` with PocketSphinx and the espeak voice (translation is skipped). The
sentence starts in the output are then measured from the output audio itself (energy
onsets), never read from the timing report.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from pipeline import audio
from pipeline.audio.vad import sound_bounds
from pipeline.options import TaskRequest
from pipeline.runner import Pipeline
from pipeline.settings import Settings
from pipeline.types import TaskStatus
from vendors.espeak_engine import synthesize
from vendors.registry import default_registry

SENTENCES = (
    "The cat sat on the warm mat.", "We walked to the old market.",
    "Please close the kitchen window.", "My brother likes cold water.",
    "The train leaves at seven.", "She reads a book every night.",
    "Open the door for the doctor.", "The sun is bright today.", "He plays the guitar well.",
    "Our garden has yellow flowers.", "They bought fresh bread.", "The river runs to the sea.",
    "I will call you tomorrow.", "The dog sleeps by the fire.", "Bring me a glass of milk.",
    "The children play outside.", "Winter nights are long and cold.",
    "This road goes to the city.", "Turn left at the next corner.", "The music was very loud.",
    "We need more paper.", "Her coat is dark blue.", "The bus was late again.",
    "Put the box on the table.", "The birds sing in the morning.", "He lost his silver key.",
    "Dinner is ready now.", "The shop opens at nine.", "Wash your hands before lunch.",
    "The moon rose over the hills.",
)
WITHIN_S = 0.15


def telephone(samples: np.ndarray, rate_hz: int) -> np.ndarray:
    """Keep only the telephone band, 300-3400 Hz."""
    spectrum = np.fft.rfft(samples)
    frequencies = np.fft.rfftfreq(len(samples), 1 / rate_hz)
    spectrum[(frequencies < 300) | (frequencies > 3400)] = 0
    return np.fft.irfft(spectrum, len(samples))


def write_sentences(path: Path, seed: int = 7) -> list[float]:
    """Speak every sentence, trimmed to its sound, at known times; return their starts."""
    rng = np.random.default_rng(seed)
    pieces, starts, cursor_s, rate_hz = [], [], 0.5, 0
    for text in SENTENCES:
        pcm, rate_hz = synthesize(text, "en-us", rate_wpm=int(rng.uniform(140, 230)),
                                  pitch=int(rng.uniform(35, 65)))
        samples = np.frombuffer(pcm, "<i2").astype(np.float64) / 32768
        first, last = sound_bounds(samples, rate_hz)
        pieces.append((cursor_s, samples[first:last]))
        starts.append(cursor_s)
        cursor_s += (last - first) / rate_hz + rng.uniform(0.6, 2.0)
    mix = 0.003 * rng.standard_normal(int((cursor_s + 0.5) * rate_hz))
    for start_s, samples in pieces:
        at = round(start_s * rate_hz)
        mix[at:at + len(samples)] += samples
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate_hz)
        out.writeframes((np.clip(telephone(mix, rate_hz), -1, 1) * 32767).astype("<i2").tobytes())
    return starts


def test_at_least_90_percent_of_dubbed_sentences_start_within_150_ms_of_the_speaker(tmp_path):
    starts = write_sentences(tmp_path / "sentences.wav")
    pipeline = Pipeline(default_registry(),
                        Settings.from_env({"APP_DATA_DIR": str(tmp_path / "data")}))
    result = pipeline.run(TaskRequest.of(
        tmp_path / "sentences.wav", target_language="en", source_language="en",
        stt_model="sphinx", voice_vendor="espeak", timing="keep", output_format="wav"))
    assert result.status is TaskStatus.SUCCEEDED, result.error
    assert result.output_path is not None

    dub = audio.decode(result.output_path, tmp_path / "dub.wav")
    onsets = [start_s for start_s, _ in audio.speech_spans(dub.path)]
    misses = [round(start_s, 2) for start_s in starts
              if min(abs(onset_s - start_s) for onset_s in onsets) > WITHIN_S]
    on_time = 1 - len(misses) / len(starts)
    assert on_time >= 0.9, f"{on_time:.0%} on time; sentences starting at {misses} s are not"
    assert result.timing is not None and result.timing.share_on_onset >= 0.9
