"""A generated two-speaker dialogue where the second speaker starts before the first ends."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from tests.pipeline.speakers.dialogue import VOICES

__all__ = ["CROSSTALK_LINES", "write_crosstalk"]

CROSSTALK_LINES = (
    ("A", "Good morning, how was your trip to the mountains last week?"),
    ("B", "It was lovely, thank you, although the roads were quite busy."),
    ("A", "Did you manage to see the lake before the weather turned?"),
    ("B", "Yes, we walked around it twice and the water was perfectly clear."),
)
PAUSE_S = 0.8


def write_crosstalk(path: Path, overlap_s: float = 1.0,
                    lines=CROSSTALK_LINES) -> tuple[Path, list[tuple[float, float, str, str]]]:
    """Speak ``lines`` in the two voices: the second line starts ``overlap_s`` before the
    first ends (both heard at once, summed), the others follow after a pause.

    Returns:
        The WAV (22.05 kHz) and the true ``(start_s, end_s, who, text)`` of every line.
    """
    from vendors.espeak_engine import synthesize

    clips, rate_hz = [], 22050
    for who, text in lines:
        name, pitch = VOICES[who]
        pcm, rate_hz = synthesize(text, name, pitch=pitch)
        clips.append(np.frombuffer(pcm, np.int16).astype(np.float64))
    starts, time_s = [], 0.0
    for index, clip in enumerate(clips):
        starts.append(time_s)
        following = overlap_s if index == 0 else -PAUSE_S
        time_s += len(clip) / rate_hz - following
    track = np.zeros(round((time_s + PAUSE_S) * rate_hz))
    truth = []
    for (who, text), clip, start_s in zip(lines, clips, starts, strict=True):
        at = round(start_s * rate_hz)
        track[at:at + len(clip)] += 0.7 * clip
        truth.append((start_s, start_s + len(clip) / rate_hz, who, text))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate_hz)
        out.writeframes(np.clip(track, -32768, 32767).astype(np.int16).tobytes())
    return path, truth
