"""Split the voice from the music and effects with Demucs (``htdemucs``, two stems).

The weights (one ``htdemucs`` checkpoint, about 80 MB) are fetched on first use into
``APP_DATA_DIR/models/demucs`` with a progress line, checked against the hash in their
name, and renamed into place only when complete; with ``APP_MODEL_DOWNLOADS=off`` and no
weights there, :func:`find_weights` answers None and the caller keeps the original sound
instead. ``demucs`` and ``torch`` are imported only when a separation runs.

A separation decodes the input at the model's rate (44.1 kHz stereo), runs the model on
30-second windows that overlap by one second (cross-faded, so memory stays flat on an
hour-long input), and writes the voice (``vocals``, mono) and everything else
(``no_vocals``: the sum of the other stems, stereo) as 16-bit WAV files.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import threading
import urllib.request
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.audio import ffmpeg as ff
from pipeline.errors import ProcessingError

__all__ = [
    "HTDEMUCS_URL",
    "SeparationProgress",
    "Separator",
    "Stems",
    "demucs_installed",
    "download_weights",
    "find_weights",
    "weights_dir",
]

HTDEMUCS_URL = "https://dl.fbaipublicfiles.com/demucs/hybrid_transformer/955717e8-8726e21a.th"
WINDOW_S = 30.0
OVERLAP_S = 1.0
_HASHED = re.compile(r"^[0-9a-f]{8}-([0-9a-f]{8})\.th$")
_CHUNK_BYTES = 1 << 20
SeparationProgress = Callable[[float, str], None]


def _silent(fraction: float, message: str) -> None:
    """A progress callback that shows nothing."""


@dataclass(frozen=True, slots=True)
class Stems:
    """The two stems of one separation (16-bit WAV files at ``sample_rate_hz``)."""

    vocals: Path
    background: Path
    sample_rate_hz: int
    duration_s: float
    device: str


def demucs_installed() -> bool:
    """Whether the ``demucs`` package (and torch) can be imported here."""
    return all(importlib.util.find_spec(name) is not None for name in ("demucs", "torch"))


def weights_dir(data_dir: Path) -> Path:
    """Where model weights are cached: ``APP_DATA_DIR/models/demucs``."""
    return Path(data_dir) / "models" / "demucs"


def find_weights(data_dir: Path, url: str = HTDEMUCS_URL) -> Path | None:
    """The cached checkpoint named by ``url``'s last part, or None when absent."""
    path = weights_dir(data_dir) / url.rsplit("/", 1)[-1]
    return path if path.is_file() else None


def download_weights(data_dir: Path, url: str = HTDEMUCS_URL, *,
                     on_progress: SeparationProgress = _silent,
                     opener: Callable[..., Any] = urllib.request.urlopen,
                     timeout_s: float = 60.0) -> Path:
    """Fetch the checkpoint at ``url`` into the cache and return its path.

    The file is written under a temporary name, its SHA-256 checked against the hash in
    its name (``<sig>-<sha256[:8]>.th``), then renamed into place.

    Raises:
        ProcessingError: the download failed or its hash does not match.
    """
    folder = weights_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    name = url.rsplit("/", 1)[-1]
    target, partial = folder / name, folder / f"{name}.download"
    digest = hashlib.sha256()
    try:
        with opener(url, timeout=timeout_s) as response, partial.open("wb") as out:
            total = int(response.headers.get("Content-Length") or 0)
            done = 0
            while chunk := response.read(_CHUNK_BYTES):
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                of = f" of {total / 2**20:.1f} MB" if total else " MB"
                on_progress(done / total if total else 0.0,
                            f"Downloading the Demucs weights: {done / 2**20:.1f}{of}")
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise ProcessingError(f"The Demucs weights could not be downloaded ({exc}).",
                              retryable=True) from None
    expected = _HASHED.match(name)
    if expected is not None and not digest.hexdigest().startswith(expected.group(1)):
        partial.unlink(missing_ok=True)
        raise ProcessingError("The downloaded Demucs weights are damaged (hash mismatch).",
                              retryable=True)
    partial.replace(target)
    return target


class Separator:
    """Runs one Demucs checkpoint (loaded once, on first use) on whole files.

    Args:
        weights: a checkpoint written by Demucs (``{"klass", "args", "kwargs", "state"}``).
        device: "cpu", "cuda", ... (default: a GPU when torch sees one, else the CPU).
    """

    def __init__(self, weights: Path, device: str | None = None) -> None:
        self.weights = Path(weights)
        self._device = device
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def device(self) -> str:
        """Where the model runs."""
        if self._device is None:
            import torch

            self._device = "cuda" if torch.cuda.is_available() else "cpu"
        return self._device

    def model(self) -> Any:
        """The loaded model (Demucs' own loader; eval mode, on :attr:`device`)."""
        with self._lock:
            if self._model is None:
                from demucs.states import load_model

                try:
                    model = load_model(self.weights)
                except Exception as exc:  # a damaged or foreign file
                    raise ProcessingError(f"The Demucs weights at {self.weights.name} could "
                                          f"not be loaded ({type(exc).__name__}).") from None
                if "vocals" not in model.sources:
                    raise ProcessingError("The Demucs model has no vocals stem.")
                self._model = model.to(self.device).eval()
            return self._model

    def separate(self, source: Path, folder: Path, *, on_progress: SeparationProgress = _silent,
                 cancel: threading.Event | None = None) -> Stems:
        """Split ``source`` (any audio or video file) into ``folder/vocals.wav`` (mono) and
        ``folder/background.wav`` (stereo), both at the model's rate.

        Raises:
            ProcessingError: decoding or the model failed.
        """
        model = self.model()
        rate = int(model.samplerate)
        folder.mkdir(parents=True, exist_ok=True)
        mix_path = folder / "mix.wav"
        ff.to_wav(source, mix_path, rate, 2, what="decoding the input for separation",
                  timeout_s=3600.0)
        try:
            return self._run(model, mix_path, folder, on_progress, cancel)
        finally:
            mix_path.unlink(missing_ok=True)

    def _run(self, model: Any, mix_path: Path, folder: Path, on_progress: SeparationProgress,
             cancel: threading.Event | None) -> Stems:
        rate = int(model.samplerate)
        vocals_index = list(model.sources).index("vocals")
        with wave.open(str(mix_path), "rb") as mix:
            total = mix.getnframes()
            writer = _StemWriter(folder, rate)
            window, overlap = int(WINDOW_S * rate), int(OVERLAP_S * rate)
            start = 0
            while start < total:
                if cancel is not None and cancel.is_set():
                    break
                mix.setpos(start)
                frames = mix.readframes(min(window, total - start))
                stems = self._window(model, frames, vocals_index)
                last = start + window >= total
                writer.add(stems, overlap, last)
                start += window - overlap if not last else window
                done = min(start, total) / max(total, 1)
                on_progress(done, f"Separating voice and background: {done:.0%} "
                                  f"({min(start, total) / rate:.0f} of {total / rate:.0f} s, "
                                  f"{self.device})")
            writer.close()
        return Stems(writer.vocals_path, writer.background_path, rate, total / rate, self.device)

    def _window(self, model: Any, frames: bytes, vocals_index: int) -> Any:
        """Separate one window; returns (vocals mono, background stereo) as numpy float."""
        import numpy as np
        import torch
        from demucs.apply import apply_model

        pcm = np.frombuffer(frames, dtype="<i2").reshape(-1, 2).T.astype(np.float32) / 32768.0
        mix = torch.from_numpy(pcm)
        ref = mix.mean(0)
        mean, std = ref.mean(), ref.std() + 1e-8
        with torch.no_grad():
            estimate = apply_model(model, ((mix - mean) / std)[None], shifts=0, split=True,
                                   overlap=0.25, progress=False, device=self.device)[0]
        out = (estimate * std + mean).cpu().numpy()
        vocals = out[vocals_index].mean(axis=0)
        background = np.delete(out, vocals_index, axis=0).sum(axis=0)
        return vocals, background


class _StemWriter:
    """Writes the two stems window by window, cross-fading each window's overlap."""

    def __init__(self, folder: Path, rate: int) -> None:
        self.vocals_path = folder / "vocals.wav"
        self.background_path = folder / "background.wav"
        self._vocals = _open(folder / "vocals.wav.part", rate, 1)
        self._background = _open(folder / "background.wav.part", rate, 2)
        self._tail: tuple[Any, Any] | None = None

    def add(self, stems: tuple[Any, Any], overlap: int, last: bool) -> None:
        import numpy as np

        vocals, background = stems
        if self._tail is not None:
            tail_v, tail_b = self._tail
            n = min(len(tail_v), len(vocals))
            fade = np.linspace(0.0, 1.0, n, dtype=np.float32)
            vocals = vocals.copy()
            background = background.copy()
            vocals[:n] = tail_v[:n] * (1 - fade) + vocals[:n] * fade
            background[:, :n] = tail_b[:, :n] * (1 - fade) + background[:, :n] * fade
        keep = len(vocals) if last else max(len(vocals) - overlap, 0)
        self._write(vocals[:keep], background[:, :keep])
        self._tail = None if last else (vocals[keep:], background[:, keep:])

    def _write(self, vocals: Any, background: Any) -> None:
        self._vocals.writeframes(_pcm(vocals[None]))
        self._background.writeframes(_pcm(background))

    def close(self) -> None:
        if self._tail is not None:
            self._write(*self._tail)
        self._vocals.close()
        self._background.close()
        Path(str(self.vocals_path) + ".part").replace(self.vocals_path)
        Path(str(self.background_path) + ".part").replace(self.background_path)


def _open(path: Path, rate: int, channels: int) -> wave.Wave_write:
    out = wave.open(str(path), "wb")
    out.setnchannels(channels)
    out.setsampwidth(2)
    out.setframerate(rate)
    return out


def _pcm(channels_first: Any) -> bytes:
    import numpy as np

    data = np.clip(channels_first.T, -1.0, 1.0)
    return (data * 32767.0).astype("<i2").tobytes()
