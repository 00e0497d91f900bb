"""Reading and writing decoded WAV files, and finding speech in them by energy.

Everything here streams over the file in blocks, so an hour-long recording never sits
in memory: only one block of samples plus one small number per 30 ms frame.
"""

from __future__ import annotations

import functools
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.errors import ProcessingError
from pipeline.types import DecodedAudio

__all__ = [
    "FrameStats",
    "GrowingWav",
    "copy_frames",
    "frame_stats",
    "iter_blocks",
    "loudness_lufs",
    "open_wav",
    "peak_dbfs",
    "read_samples",
    "rms_dbfs",
    "sound_bounds",
    "speech_mask",
    "speech_spans",
    "speech_threshold_db",
    "spans_from_mask",
    "wav_duration_s",
    "wav_info",
    "wav_rate_hz",
    "write_silence",
]

FLOOR_DB = -120.0
CLIP_LEVEL = 0.99  # |sample| at or above this share of full scale counts as clipped
MIN_SPEECH_DBFS = -60.0  # frames quieter than this are never speech
_BLOCK_FRAMES = 2048  # analysis frames per block read from disk
_SCALES = {1: 128.0, 2: 32768.0, 4: 2147483648.0}
_DTYPES = {1: np.uint8, 2: np.dtype("<i2"), 4: np.dtype("<i4")}


@dataclass(frozen=True, eq=False)
class FrameStats:
    """Per-frame measurements of a WAV file.

    Attributes:
        frame_s: length of one frame in seconds.
        levels_db: RMS level of each frame in dBFS (silence is ``FLOOR_DB``).
        peaks: largest absolute sample of each frame, 0..1.
        clipped: how many samples of each frame sit at full scale.
    """

    frame_s: float
    levels_db: np.ndarray
    peaks: np.ndarray
    clipped: np.ndarray

    @property
    def duration_s(self) -> float:
        """Length covered by the frames in seconds."""
        return len(self.levels_db) * self.frame_s


def open_wav(path: Path) -> wave.Wave_read:
    """Open a PCM WAV file for reading; anything else is a ProcessingError."""
    try:
        reader = wave.open(str(path), "rb")
    except (wave.Error, EOFError) as exc:
        raise ProcessingError(f"{Path(path).name} is not a PCM WAV file we can read: {exc}.") from None
    except FileNotFoundError:
        raise ProcessingError(f"{Path(path).name} does not exist.") from None
    if reader.getsampwidth() not in _DTYPES:
        reader.close()
        raise ProcessingError(f"{Path(path).name} uses an unsupported WAV sample width.")
    return reader


def _to_float_mono(raw: bytes, sample_width: int, channels: int) -> np.ndarray:
    data = np.frombuffer(raw, dtype=_DTYPES[sample_width]).astype(np.float32)
    if sample_width == 1:
        data -= 128.0
    data /= _SCALES[sample_width]
    if channels > 1:
        data = data[: len(data) - len(data) % channels].reshape(-1, channels).mean(axis=1)
    return data


def read_samples(path: Path, *, start_s: float = 0.0, duration_s: float | None = None) -> np.ndarray:
    """Read a range of a PCM WAV file as float32 mono samples in [-1, 1].

    Only the requested range is read from disk.

    Args:
        path: a PCM WAV file (8, 16 or 32 bit, any channel count; channels are averaged).
        start_s: where to start, in seconds from the beginning.
        duration_s: how much to read in seconds; ``None`` reads to the end.
    """
    with open_wav(path) as reader:
        rate_hz = reader.getframerate()
        total = reader.getnframes()
        first = min(total, max(0, round(start_s * rate_hz)))
        count = total - first if duration_s is None else max(0, round(duration_s * rate_hz))
        reader.setpos(first)
        raw = reader.readframes(min(count, total - first))
        return _to_float_mono(raw, reader.getsampwidth(), reader.getnchannels())


def iter_blocks(path: Path, *, block_samples: int) -> Iterator[tuple[np.ndarray, int]]:
    """Yield ``(float32 mono block, sample rate in Hz)`` over the whole file."""
    with open_wav(path) as reader:
        rate_hz = reader.getframerate()
        width, channels = reader.getsampwidth(), reader.getnchannels()
        while raw := reader.readframes(block_samples):
            yield _to_float_mono(raw, width, channels), rate_hz


def wav_rate_hz(path: Path) -> int:
    """Return the sample rate of a PCM WAV file in Hz."""
    with open_wav(path) as reader:
        return reader.getframerate()


def frame_stats(path: Path, *, frame_s: float = 0.03) -> FrameStats:
    """Measure level, peak and clipping of every ``frame_s`` frame, streaming.

    The last frame may be shorter than ``frame_s``.
    """
    rate_hz = wav_rate_hz(path)
    frame_len = max(1, round(frame_s * rate_hz))
    levels, peaks, clipped = [], [], []
    for block, _ in iter_blocks(path, block_samples=frame_len * _BLOCK_FRAMES):
        whole = len(block) // frame_len * frame_len
        parts = [block[:whole].reshape(-1, frame_len)] if whole else []
        if whole < len(block):
            parts.append(block[whole:].reshape(1, -1))
        for frames in parts:
            power = np.mean(np.square(frames, dtype=np.float64), axis=1)
            levels.append(10.0 * np.log10(np.maximum(power, 10 ** (FLOOR_DB / 10))))
            magnitude = np.abs(frames)
            peaks.append(magnitude.max(axis=1))
            clipped.append((magnitude >= CLIP_LEVEL).sum(axis=1))
    join = (lambda arrays, dtype: np.concatenate(arrays) if arrays else np.zeros(0, dtype))
    return FrameStats(frame_len / rate_hz, join(levels, np.float64), join(peaks, np.float32),
                      join(clipped, np.int64))


def peak_dbfs(path: Path) -> float:
    """Return the largest absolute sample of a WAV file in dBFS (silence is ``FLOOR_DB``)."""
    peak = 0.0
    for block, _ in iter_blocks(path, block_samples=1 << 16):
        if len(block):
            peak = max(peak, float(np.abs(block).max()))
    return _db(peak)


def rms_dbfs(path: Path, *, start_s: float = 0.0, duration_s: float | None = None) -> float:
    """Return the RMS level of a WAV file (or of a range of it) in dBFS."""
    if start_s > 0 or duration_s is not None:
        samples = read_samples(path, start_s=start_s, duration_s=duration_s)
        energy, count = float(np.sum(np.square(samples, dtype=np.float64))), len(samples)
    else:
        energy, count = 0.0, 0
        for block, _ in iter_blocks(path, block_samples=1 << 16):
            energy += float(np.sum(np.square(block, dtype=np.float64)))
            count += len(block)
    return _db((energy / count) ** 0.5) if count else FLOOR_DB


def _db(amplitude: float) -> float:
    return max(FLOOR_DB, 20.0 * float(np.log10(max(amplitude, 1e-12))))


def speech_threshold_db(levels_db: np.ndarray) -> float:
    """Pick the speech/non-speech level from the file's own noise floor.

    The floor is the 10th percentile of frame levels and the speech level the 95th;
    speech frames sit at least 6 dB (and 30 % of that spread) above the floor, but the
    threshold stays 6 dB under the speech level (a file that is almost all speech has
    its "floor" inside the speech) and never goes below ``MIN_SPEECH_DBFS``.
    """
    if len(levels_db) == 0:
        return MIN_SPEECH_DBFS
    floor_db, loud_db = np.percentile(levels_db, [10, 95])
    above_floor = floor_db + max(6.0, 0.3 * (loud_db - floor_db))
    return max(MIN_SPEECH_DBFS, float(min(above_floor, loud_db - 6.0)))


def _runs(mask: np.ndarray) -> list[tuple[int, int, bool]]:
    """Split a boolean mask into ``(start, end, value)`` runs."""
    if len(mask) == 0:
        return []
    edges = np.flatnonzero(np.diff(mask.astype(np.int8))) + 1
    starts = np.concatenate(([0], edges))
    ends = np.concatenate((edges, [len(mask)]))
    return [(int(s), int(e), bool(mask[s])) for s, e in zip(starts, ends)]


def speech_mask(
    stats: FrameStats, *, min_silence_s: float = 0.3, min_speech_s: float = 0.2
) -> np.ndarray:
    """Mark speech frames: loud enough, pauses shorter than ``min_silence_s`` bridged,
    islands shorter than ``min_speech_s`` dropped."""
    mask = stats.levels_db > speech_threshold_db(stats.levels_db)
    gap_frames = round(min_silence_s / stats.frame_s)
    island_frames = round(min_speech_s / stats.frame_s)
    runs = _runs(mask)
    for index, (start, end, value) in enumerate(runs):
        inner = 0 < index < len(runs) - 1
        if not value and inner and end - start < gap_frames:
            mask[start:end] = True
    for start, end, value in _runs(mask):
        if value and end - start < island_frames:
            mask[start:end] = False
    return mask


def spans_from_mask(mask: np.ndarray, frame_s: float) -> list[tuple[float, float]]:
    """Turn a speech mask into ``(start_s, end_s)`` spans."""
    return [(start * frame_s, end * frame_s) for start, end, value in _runs(mask) if value]


def speech_spans(
    path: Path, *, frame_s: float = 0.03, min_silence_s: float = 0.3, min_speech_s: float = 0.2
) -> list[tuple[float, float]]:
    """Find the stretches of speech in a decoded WAV file by frame energy.

    Args:
        path: a PCM WAV file.
        frame_s: analysis frame length in seconds.
        min_silence_s: pauses shorter than this do not split speech.
        min_speech_s: sounds shorter than this are not speech.

    Returns:
        ``(start_s, end_s)`` pairs in time order.
    """
    stats = frame_stats(path, frame_s=frame_s)
    mask = speech_mask(stats, min_silence_s=min_silence_s, min_speech_s=min_speech_s)
    duration_s = wav_duration_s(path)
    return [(s, min(e, duration_s)) for s, e in spans_from_mask(mask, frame_s)]


def wav_duration_s(path: Path) -> float:
    """Return the length of a PCM WAV file in seconds (from its header)."""
    with open_wav(path) as reader:
        return reader.getnframes() / reader.getframerate()


def wav_info(path: Path) -> DecodedAudio:
    """Describe a PCM WAV file from its header."""
    with open_wav(path) as reader:
        rate_hz, frames = reader.getframerate(), reader.getnframes()
        return DecodedAudio(Path(path), frames / rate_hz, rate_hz, reader.getnchannels())


def copy_frames(reader: wave.Wave_read, writer: wave.Wave_write, count: int) -> None:
    """Copy up to ``count`` frames from ``reader`` to ``writer`` in bounded chunks."""
    while count > 0:
        chunk = reader.readframes(min(count, 1 << 16))
        if not chunk:
            break
        writer.writeframesraw(chunk)
        count -= len(chunk) // (reader.getsampwidth() * reader.getnchannels())


def write_silence(writer: wave.Wave_write, cursor: int, until: int) -> int:
    """Write 16-bit mono zeros from frame ``cursor`` up to frame ``until``; return ``until``."""
    while cursor < until:
        count = min(until - cursor, 1 << 16)
        writer.writeframesraw(b"\x00\x00" * count)
        cursor += count
    return cursor


@functools.lru_cache(maxsize=8)
def _k_weighting_table(rate_hz: int) -> tuple[np.ndarray, np.ndarray]:
    """|H| of the ITU-R BS.1770 K-weighting (high shelf then high pass) at ``rate_hz``,
    on a grid of 8193 frequencies from 0 to Nyquist."""
    def biquad(kind: str, fc_hz: float, q: float, gain_db: float = 0.0) -> tuple:
        k = np.tan(np.pi * fc_hz / rate_hz)
        a0 = 1 + k / q + k * k
        if kind == "shelf":
            vh, vb = 10 ** (gain_db / 20), 10 ** (gain_db / 40)
            return ((vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0,
                    (vh - vb * k / q + k * k) / a0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0)
        return (1 / a0, -2 / a0, 1 / a0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0)

    frequencies_hz = np.linspace(0.0, rate_hz / 2, 8193)
    z = np.exp(-1j * 2 * np.pi * frequencies_hz / rate_hz)
    gain = np.ones_like(frequencies_hz)
    for b0, b1, b2, a1, a2 in (biquad("shelf", 1681.974, 0.7072, 3.99984),
                               biquad("pass", 38.1355, 0.5003)):
        gain = gain * np.abs((b0 + b1 * z + b2 * z * z) / (1 + a1 * z + a2 * z * z))
    return frequencies_hz, gain


def loudness_lufs(samples: np.ndarray, rate_hz: int) -> float:
    """Integrated loudness of a short mono clip in LUFS (ITU-R BS.1770: K-weighting,
    400 ms blocks with 75 % overlap, absolute gate at -70 LUFS, relative gate at -10 LU).

    The K-weighting is applied by its magnitude in the frequency domain, which gives the
    same block energies as the filters; meant for clips of seconds to minutes.
    Returns ``FLOOR_DB`` for silence.
    """
    if len(samples) == 0:
        return FLOOR_DB
    spectrum = np.fft.rfft(samples.astype(np.float64))
    grid_hz, gain = _k_weighting_table(rate_hz)
    spectrum *= np.interp(np.fft.rfftfreq(len(samples), 1.0 / rate_hz), grid_hz, gain)
    weighted = np.fft.irfft(spectrum, n=len(samples))
    block, hop = round(0.4 * rate_hz), round(0.1 * rate_hz)
    if len(weighted) < block:
        energies = np.array([np.mean(np.square(weighted))])
    else:
        power = np.concatenate(([0.0], np.cumsum(np.square(weighted))))
        starts = np.arange(0, len(weighted) - block + 1, hop)
        energies = (power[starts + block] - power[starts]) / block
    levels = -0.691 + 10 * np.log10(np.maximum(energies, 1e-20))
    kept = energies[levels > -70.0]
    if len(kept) == 0:
        return FLOOR_DB
    relative = -0.691 + 10 * np.log10(np.mean(kept)) - 10.0
    kept = kept[-0.691 + 10 * np.log10(kept) > relative]
    return float(-0.691 + 10 * np.log10(np.mean(kept)))


def sound_bounds(samples: np.ndarray, rate_hz: int, *, below_peak_db: float = 45.0,
                 frame_s: float = 0.01) -> tuple[int, int]:
    """First and one-past-last sample of the audible part of a clip.

    A frame is audible when its RMS is within ``below_peak_db`` of the loudest frame
    (and above ``MIN_SPEECH_DBFS``). Returns ``(0, 0)`` when nothing is audible.
    """
    frame = max(1, round(frame_s * rate_hz))
    count = len(samples) // frame
    if count == 0:
        return (0, len(samples)) if len(samples) and np.abs(samples).max() > 0 else (0, 0)
    frames = samples[: count * frame].reshape(count, frame).astype(np.float64)
    levels = 10 * np.log10(np.maximum(np.mean(np.square(frames), axis=1), 1e-12))
    threshold = max(MIN_SPEECH_DBFS, float(levels.max()) - below_peak_db)
    audible = np.flatnonzero(levels > threshold)
    if len(audible) == 0:
        return 0, 0
    return int(audible[0]) * frame, min(len(samples), (int(audible[-1]) + 1) * frame)


class GrowingWav:
    """Read a 16-bit mono PCM WAV file while another process (ffmpeg) is still writing it.

    The header's sizes are not final until the writer closes the file, so the data is
    found by walking the chunks up to ``data`` and then read by position.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._offset: int | None = None
        self.frames_read = 0

    def _data_offset(self) -> int | None:
        if self._offset is None:
            try:
                with open(self.path, "rb") as handle:
                    head = handle.read(4096)
            except FileNotFoundError:
                return None
            if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
                return None
            position = 12
            while position + 8 <= len(head):
                name, size = head[position:position + 4], int.from_bytes(head[position + 4:position + 8], "little")
                if name == b"data":
                    self._offset = position + 8
                    break
                position += 8 + size + (size & 1)
        return self._offset

    def read_new(self, max_frames: int = 1 << 20) -> bytes:
        """The samples written since the last call (at most ``max_frames``), as raw bytes."""
        offset = self._data_offset()
        if offset is None:
            return b""
        try:
            available = (self.path.stat().st_size - offset) // 2 - self.frames_read
        except FileNotFoundError:  # the writer gave up and removed it
            return b""
        if available <= 0:
            return b""
        data = self.read_frames(self.frames_read, min(available, max_frames))
        self.frames_read += len(data) // 2
        return data

    def read_frames(self, first: int, count: int) -> bytes:
        """``count`` samples from sample ``first``, as raw bytes (fewer if not written yet)."""
        offset = self._data_offset()
        if offset is None:
            return b""
        try:
            with open(self.path, "rb") as handle:
                handle.seek(offset + 2 * first)
                data = handle.read(2 * count)
        except FileNotFoundError:
            return b""
        return data[: len(data) - len(data) % 2]
