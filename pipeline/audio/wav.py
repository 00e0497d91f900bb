"""Read and write decoded 16-bit PCM WAV files block by block, also while they grow."""

from __future__ import annotations

import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from pipeline.errors import ProcessingError
from pipeline.types import DecodedAudio

__all__ = [
    "GrowingWav",
    "copy_frames",
    "iter_blocks",
    "open_wav",
    "read_samples",
    "wav_duration_s",
    "wav_info",
    "wav_rate_hz",
    "write_silence",
]

_SCALES = {1: 128.0, 2: 32768.0, 4: 2147483648.0}


_DTYPES: dict[int, np.dtype] = {1: np.dtype(np.uint8), 2: np.dtype("<i2"), 4: np.dtype("<i4")}


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
