"""Test media made on the spot: a ``testsrc`` video whose sound is offline speech over a
music-like tone bed, and helpers that measure the tone in a result."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from pipeline.audio import ffmpeg as ff
from vendors.espeak_engine import synthesize

RATE_HZ = 22050
TONE_HZ = 4000.0
TONE_AMPLITUDE = 0.05
LINES = (("The cat sat on the warm mat.", 1.0), ("We walked to the old market.", 5.0),
         ("Please close the kitchen window.", 9.0))
DURATION_S = 13.0


def tone_bed(duration_s: float, rate_hz: int = RATE_HZ) -> np.ndarray:
    """A steady tone at :data:`TONE_HZ` under a slowly swelling two-note chord."""
    t = np.arange(int(duration_s * rate_hz)) / rate_hz
    swell = 0.5 + 0.5 * np.sin(2 * np.pi * 0.25 * t)
    chord = 0.03 * swell * (np.sin(2 * np.pi * 220 * t) + np.sin(2 * np.pi * 330 * t))
    return TONE_AMPLITUDE * np.sin(2 * np.pi * TONE_HZ * t) + chord


def speech_track(lines=LINES, duration_s: float = DURATION_S) -> tuple[np.ndarray, list]:
    """The lines spoken by espeak at their start times; returns samples and (start, end)s."""
    mix = np.zeros(int(duration_s * RATE_HZ))
    spans = []
    for text, start_s in lines:
        pcm, rate_hz = synthesize(text, "en-us")
        assert rate_hz == RATE_HZ
        samples = np.frombuffer(pcm, "<i2").astype(np.float64) / 32768
        at = round(start_s * RATE_HZ)
        mix[at:at + len(samples)] += samples[:len(mix) - at]
        spans.append((start_s, start_s + len(samples) / RATE_HZ))
    return mix, spans


def write_wav(path: Path, samples: np.ndarray, rate_hz: int = RATE_HZ) -> Path:
    """A mono 16-bit WAV."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate_hz)
        out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def make_video(folder: Path, *, name: str = "talk.mp4", with_bed: bool = True,
               audio: bool = True, codec: tuple[str, ...] = ("-c:v", "libx264"),
               audio_codec: str = "aac", size: str = "160x120") -> Path:
    """A 13 s ``testsrc`` video (25 fps, 160x120 unless ``size``) with speech over the
    tone bed."""
    folder.mkdir(parents=True, exist_ok=True)
    speech, _ = speech_track()
    sound = write_wav(folder / "sound.wav", speech + (tone_bed(DURATION_S) if with_bed else 0))
    out = folder / name
    inputs = ["-f", "lavfi", "-i", f"testsrc=size={size}:rate=25:duration={DURATION_S}"]
    if audio:
        inputs += ["-i", str(sound)]
    tail = ["-c:a", audio_codec] if audio else []
    ff.run(["-loglevel", "error", *inputs, *codec, "-pix_fmt", "yuv420p", *tail, "-y",
            str(out)], timeout_s=120, what="making the test video")
    return out


def decode_mono(path: Path, rate_hz: int = 16000) -> np.ndarray:
    """The first audio stream of ``path`` as float mono samples."""
    wav = path.with_name(path.name + ".decoded.wav")
    ff.to_wav(path, wav, rate_hz, 1, what="decoding a result")
    with wave.open(str(wav), "rb") as reader:
        data = np.frombuffer(reader.readframes(reader.getnframes()), "<i2") / 32768
    wav.unlink()
    return data


def tone_level(samples: np.ndarray, start_s: float, end_s: float, rate_hz: int = 16000,
               frequency_hz: float = TONE_HZ) -> float:
    """The amplitude of the ``frequency_hz`` component between two times (Hann-windowed)."""
    piece = samples[int(start_s * rate_hz):int(end_s * rate_hz)]
    window = np.hanning(len(piece))
    t = np.arange(len(piece)) / rate_hz
    phasor = np.exp(-2j * np.pi * frequency_hz * t)
    return float(2 * abs(np.sum(piece * window * phasor)) / np.sum(window))
