"""A generated two-speaker dialogue (two espeak-ng voices far apart) and its true turns."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from pipeline import audio

__all__ = ["LINES", "VOICES", "jfk_then_chinese", "median_pitch_hz", "write_dialogue",
           "write_one_voice"]

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "audio"
VOICES = {"A": ("en-us+m3", 25), "B": ("en+f4", 75)}
LINES = (
    ("A", "Good morning, how was your trip to the mountains last week?"),
    ("B", "It was lovely, thank you, although the roads were quite busy on Saturday."),
    ("A", "Did you manage to see the lake before the weather turned?"),
    ("B", "Yes, we walked around it twice and the water was perfectly clear."),
    ("A", "That sounds wonderful, I would love to go there next summer."),
    ("B", "You should, the villages are quiet and the food is excellent."),
)
PAUSE_S = 0.6


def _write(path: Path, samples: np.ndarray, rate_hz: int) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate_hz)
        out.writeframes(samples.astype(np.int16).tobytes())
    return path


def write_dialogue(path: Path, lines=LINES) -> tuple[Path, list[tuple[float, float, str, str]]]:
    """Speak ``lines`` alternately in the two voices with pauses between.

    Returns:
        The WAV and the true ``(start_s, end_s, who, text)`` of every line.
    """
    from vendors.espeak_engine import synthesize

    parts, truth, time_s, rate_hz = [], [], 0.0, 22050
    for who, text in lines:
        name, pitch = VOICES[who]
        pcm, rate_hz = synthesize(text, name, pitch=pitch)
        samples = np.frombuffer(pcm, np.int16)
        truth.append((time_s, time_s + len(samples) / rate_hz, who, text))
        parts += [samples, np.zeros(round(PAUSE_S * rate_hz), np.int16)]
        time_s += len(samples) / rate_hz + round(PAUSE_S * rate_hz) / rate_hz
    return _write(path, np.concatenate(parts), rate_hz), truth


def write_one_voice(path: Path) -> Path:
    """The dialogue's lines all in voice A."""
    wav, _ = write_dialogue(path, tuple(("A", text) for _, text in LINES))
    return wav


def jfk_then_chinese(folder: Path) -> Path:
    """The JFK excerpt followed by the CosyVoice Chinese sample, decoded to one 16 kHz WAV."""
    first = audio.decode(SHARED / "jfk_en.flac", folder / "jfk.wav")
    second = audio.decode(SHARED / "cosyvoice_zh.wav", folder / "zh.wav")
    return audio.concatenate([first.path, second.path], folder / "both.wav",
                             sample_rate_hz=16000).path


def median_pitch_hz(path: Path, start_s: float, end_s: float) -> float:
    """The median F0 of ``path`` between ``start_s`` and ``end_s`` (Praat, 60-500 Hz)."""
    import parselmouth

    from pipeline.audio.wav import read_samples, wav_rate_hz

    samples = read_samples(path, start_s=start_s, duration_s=end_s - start_s)
    sound = parselmouth.Sound(samples.astype(np.float64), sampling_frequency=wav_rate_hz(path))
    f0 = sound.to_pitch(pitch_floor=60, pitch_ceiling=500).selected_array["frequency"]
    return float(np.median(f0[f0 > 0]))
