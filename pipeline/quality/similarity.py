"""Voice similarity: how alike two recordings' speakers sound, from speaker embeddings.

The encoder is Resemblyzer's GE2E model (its weights ship inside the ``resemblyzer`` wheel,
so nothing is downloaded); it runs on the CPU, about 0.05 s per 5 s of speech once warm.
An embedding is 256 numbers of unit length, so the cosine similarity of two is their dot
product: the two halves of one speaker's recording score around 0.8, two different
speakers around 0.5, a person against a synthetic voice lower still. The model is loaded
on first use (``import app`` stays fast) and shared by every task in the process.
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.audio.wav import read_samples, wav_rate_hz
from pipeline.errors import ProcessingError

__all__ = ["MIN_SPEECH_S", "SpeakerEncoder", "available", "cosine", "warm_encoder"]

MIN_SPEECH_S = 0.5  # shorter speech gives no meaningful embedding
ENCODER_RATE_HZ = 16000


def available() -> bool:
    """Whether the speaker encoder can run here (the ``resemblyzer`` package is installed)."""
    return importlib.util.find_spec("resemblyzer") is not None


def cosine(first: np.ndarray, second: np.ndarray) -> float:
    """Cosine similarity of two embeddings (-1..1; unit-length embeddings give their dot)."""
    norm = float(np.linalg.norm(first) * np.linalg.norm(second))
    return float(np.dot(first, second) / norm) if norm > 0 else 0.0


class SpeakerEncoder:
    """Speaker embeddings of WAV files (one model per process, loaded on first use)."""

    _model: Any = None
    _load_lock = threading.Lock()
    _use_lock = threading.Lock()

    @classmethod
    def _encoder(cls) -> Any:
        with cls._load_lock:
            if cls._model is None:
                if not available():
                    raise ProcessingError("voice similarity needs the resemblyzer package "
                                          "(pip install -r requirements.txt).")
                import logging

                from resemblyzer import VoiceEncoder
                logging.getLogger("resemblyzer").setLevel(logging.WARNING)
                cls._model = VoiceEncoder("cpu", verbose=False)
            return cls._model

    def embed(self, path: Path, *, start_s: float = 0.0,
              duration_s: float | None = None) -> np.ndarray | None:
        """The speaker embedding of ``path`` (a decoded WAV), or None when it holds too
        little speech to tell.

        Raises:
            ProcessingError: the encoder cannot run here.
        """
        samples = read_samples(path, start_s=start_s, duration_s=duration_s)
        return self.embed_samples(samples.astype(np.float32), wav_rate_hz(path))

    def embed_samples(self, samples: np.ndarray, rate_hz: int) -> np.ndarray | None:
        """The speaker embedding of mono float samples at ``rate_hz``, or None when they hold
        too little sound.

        Long silences are cut out first (the encoder's own voice activity detection);
        sound it does not take for speech (a synthetic tone) is kept whole rather than
        dropped, so every voice gets a score, low when it is not speech-like.
        """
        from resemblyzer import preprocess_wav
        from resemblyzer.audio import normalize_volume

        encoder = self._encoder()
        speech = preprocess_wav(samples, source_sr=rate_hz)
        if len(speech) < MIN_SPEECH_S * ENCODER_RATE_HZ:
            resampled = _resampled(samples, rate_hz)
            if len(resampled) < MIN_SPEECH_S * ENCODER_RATE_HZ or not np.abs(resampled).max():
                return None
            speech = normalize_volume(resampled, -30, increase_only=True)
        with self._use_lock:  # the model is not re-entrant
            return np.asarray(encoder.embed_utterance(speech), dtype=np.float32)

    def embed_windows(self, samples: np.ndarray, rate_hz: int, *,
                      hop_s: float = 0.4) -> tuple[np.ndarray, np.ndarray]:
        """Embeddings of the 1.6 s windows of mono float ``samples``, one every ``hop_s``.

        The sound is levelled but not trimmed, so window times stay on the samples' clock.

        Returns:
            ``(embeddings, starts_s)``: one unit-length row per window and where each starts.
        """
        from resemblyzer.audio import normalize_volume

        encoder = self._encoder()
        wav = normalize_volume(_resampled(samples.astype(np.float32), rate_hz), -30,
                               increase_only=True)
        with self._use_lock:
            _, partials, slices = encoder.embed_utterance(
                wav, return_partials=True, rate=1.0 / hop_s, min_coverage=0.5)
        starts_s = np.array([piece.start / ENCODER_RATE_HZ for piece in slices], np.float64)
        return np.asarray(partials, dtype=np.float32), starts_s


def warm_encoder() -> None:
    """Load the encoder now (e.g. while a task transcribes), if it can run here."""
    if available():
        try:
            SpeakerEncoder._encoder()
        except Exception:  # the line that needs it reports why
            return


def _resampled(samples: np.ndarray, rate_hz: int) -> np.ndarray:
    """``samples`` at the encoder's rate."""
    if rate_hz == ENCODER_RATE_HZ:
        return samples
    from scipy.signal import resample_poly

    divisor = int(np.gcd(rate_hz, ENCODER_RATE_HZ))
    return resample_poly(samples, ENCODER_RATE_HZ // divisor, rate_hz // divisor).astype(
        np.float32)
