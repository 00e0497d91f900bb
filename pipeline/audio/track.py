"""The dub's track, written clip by clip while it is made, so memory stays flat."""

from __future__ import annotations

import subprocess
import tempfile
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np

from pipeline.audio import ffmpeg as ff
from pipeline.audio.edit import BITRATE_FORMATS, ENCODERS, conformed
from pipeline.audio.ffmpeg import ffmpeg_path
from pipeline.audio.mix import add_at, limit_peaks
from pipeline.audio.wav import open_wav
from pipeline.errors import InputError, ProcessingError

__all__ = [
    "TrackWriter",
]

class TrackWriter:
    """Write a mono track clip by clip while it is being made (memory stays flat).

    The track goes to a WAV file, or to any :func:`encode` format through one ffmpeg
    process fed as the track is written. A clip that would overlap the one before it
    starts where that one ends, unless it is placed with ``mix`` (two speakers at once):
    then the two are summed under a peak limiter. Sound that a later clip may still be
    mixed into is held in memory until it is final (``final_s``). With ``on_piece``,
    every :meth:`flush` also
    leaves the audio written since the last flush in a numbered WAV under ``pieces_dir``
    and calls ``on_piece(piece_path, ready_s)``: the pieces in order are the track's first
    ``ready_s`` seconds.

    Args:
        out_path: the finished track's path.
        fmt: ``wav`` or another :func:`encode` format (``mp3``, ...).
        sample_rate_hz: rate of the track; clips at other rates are resampled.
        pieces_dir: where the pieces go (needed with ``on_piece``).
        on_piece: called after each flush that wrote something.
        bitrate: for the formats :func:`encode` gives a bitrate.
    """

    def __init__(self, out_path: Path, fmt: str, *, sample_rate_hz: int,
                 pieces_dir: Path | None = None,
                 on_piece: Callable[[Path, float], None] | None = None,
                 bitrate: str = "128k") -> None:
        self.path = Path(out_path)
        self.rate_hz = sample_rate_hz
        self._on_piece = on_piece
        self._pieces_dir = pieces_dir
        self._pieces = 0
        self._piece: wave.Wave_write | None = None
        self._piece_path: Path | None = None
        self._cursor = 0
        self._held = np.zeros(0, np.float32)  # sound after the cursor, not final yet
        self._wav: wave.Wave_write | None = None
        self._encoder: subprocess.Popen[bytes] | None = None
        fmt = fmt.lower().lstrip(".")
        if fmt == "wav":
            self._wav = self._open_wav(self.path)
            return
        if fmt not in ENCODERS:
            raise InputError(f"Output format {fmt!r} is not supported; choose one of "
                             f"{', '.join(sorted(ENCODERS))}.")
        rate = ["-b:a", bitrate] if fmt in BITRATE_FORMATS else []
        self._errors = tempfile.TemporaryFile()
        self._encoder = subprocess.Popen(
            [ffmpeg_path(), "-hide_banner", "-nostdin", "-loglevel", "error", "-f", "s16le",
             "-ar", str(sample_rate_hz), "-ac", "1", "-i", "pipe:0", *ENCODERS[fmt][:2], *rate,
             *ENCODERS[fmt][2:], "-y", str(self.path)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._errors)

    def _open_wav(self, path: Path) -> wave.Wave_write:
        writer = wave.open(str(path), "wb")
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(self.rate_hz)
        return writer

    @property
    def written_s(self) -> float:
        """How much of the track is written, in seconds."""
        return self._cursor / self.rate_hz

    def _write(self, data: bytes) -> None:
        if self._on_piece is not None and self._piece is None:
            assert self._pieces_dir is not None, "on_piece needs pieces_dir"
            self._pieces_dir.mkdir(parents=True, exist_ok=True)
            self._piece_path = self._pieces_dir / f"{self._pieces:05d}.wav"
            self._piece = self._open_wav(self._piece_path)
        if self._piece is not None:
            self._piece.writeframesraw(data)
        if self._wav is not None:
            self._wav.writeframesraw(data)
        else:
            encoder = self._encoder
            assert encoder is not None and encoder.stdin is not None  # not WAV: ffmpeg encodes
            try:
                encoder.stdin.write(data)
            except (BrokenPipeError, OSError):
                raise ProcessingError(f"encoding the dub failed: {self._encoder_error()}") from None
        self._cursor += len(data) // 2

    def _silence_until(self, frame: int) -> None:
        while self._cursor < frame:
            self._write(b"\x00\x00" * min(frame - self._cursor, 1 << 16))

    @property
    def end_s(self) -> float:
        """Where the track's sound ends (final or not), in seconds."""
        return (self._cursor + len(self._held)) / self.rate_hz

    def place(self, clip: Path, start_s: float, *, mix: bool = False,
              final_s: float | None = None) -> float:
        """Put ``clip`` at ``start_s`` and return where the track's sound ends.

        Args:
            clip: a WAV file (resampled to the track's rate when needed).
            start_s: where it starts; without ``mix``, where the track ends if that is later.
            mix: add it to the sound already there (never before what is final).
            final_s: the track before this time is final and written out (default: all).
        """
        with tempfile.TemporaryDirectory(dir=self.path.parent) as folder:
            clip = conformed(Path(clip), Path(folder) / "clip.wav", self.rate_hz)
            frame = round(max(0.0, start_s) * self.rate_hz)
            if not mix and final_s is None and not len(self._held):
                self._silence_until(frame)
                with open_wav(clip) as reader:
                    while chunk := reader.readframes(1 << 16):
                        self._write(chunk)
                return self.written_s
            with open_wav(clip) as reader:
                samples = np.frombuffer(reader.readframes(reader.getnframes()), "<i2")
        end = self._cursor + len(self._held)
        at = max(frame, self._cursor) if mix else max(frame, end)
        self._held = add_at(self._held, samples.astype(np.float32), at - self._cursor)
        if mix and at < end:
            self._held = limit_peaks(self._held, self.rate_hz)
        self.settle(self.end_s if final_s is None else final_s)
        return self.end_s

    def settle(self, final_s: float) -> None:
        """Write out the held sound before ``final_s``: nothing is mixed into it any more."""
        count = min(len(self._held), max(0, round(final_s * self.rate_hz) - self._cursor))
        if count:
            pcm = np.clip(np.round(self._held[:count]), -32768, 32767).astype("<i2")
            self._held = self._held[count:]
            self._write(pcm.tobytes())

    def flush(self) -> None:
        """Close the current piece and report it (nothing happens when nothing was written)."""
        if self._piece is None:
            return
        self._piece.close()
        self._piece, self._pieces = None, self._pieces + 1
        assert self._on_piece is not None and self._piece_path is not None  # pieces need on_piece
        self._on_piece(self._piece_path, self.written_s)

    def finish(self, total_s: float | None = None) -> Path:
        """Pad with silence to ``total_s`` (when given), flush, and close the track.

        Raises:
            ProcessingError: the encoder failed.
        """
        self.settle(self.end_s)
        if total_s is not None:
            self._silence_until(round(total_s * self.rate_hz))
        self.flush()
        if self._wav is not None:
            self._wav.close()
            return self.path
        encoder = self._encoder
        assert encoder is not None and encoder.stdin is not None  # not WAV: ffmpeg encodes
        encoder.stdin.close()
        try:
            code = encoder.wait(timeout=120.0 + 0.1 * self.written_s)
        except subprocess.TimeoutExpired:
            encoder.kill()
            raise ProcessingError("encoding the dub took too long and was stopped.",
                                  retryable=True) from None
        if code != 0:
            raise ProcessingError(f"encoding the dub failed: {self._encoder_error()}")
        self._errors.close()
        return self.path

    def abort(self) -> None:
        """Stop writing (after a failure): close the files and stop the encoder."""
        for writer in (self._piece, self._wav):
            if writer is not None:
                try:
                    writer.close()
                except (OSError, wave.Error):
                    pass
        if self._encoder is not None and self._encoder.poll() is None:
            self._encoder.kill()
            self._encoder.wait()

    def _encoder_error(self) -> str:
        self._errors.seek(0)
        return ff.last_error_line(self._errors.read())
