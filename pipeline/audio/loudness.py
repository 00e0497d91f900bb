"""Loudness of clips (ITU-R BS.1770) and levelling them."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from pipeline.audio import ffmpeg as ff
from pipeline.audio.decode import processing_timeout_s
from pipeline.audio.vad import FLOOR_DB
from pipeline.audio.wav import wav_info
from pipeline.types import DecodedAudio

__all__ = [
    "loudness_lufs",
    "loudness_normalize",
]

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


def _fast_size(n: int) -> int:
    """The smallest length >= ``n`` with no prime factor above 5: a clip trimmed to an
    awkward length (a prime, say) takes several times longer to transform than this."""
    best = 1 << max(0, n - 1).bit_length()
    fives = 1
    while fives < best:
        odd = fives
        while odd < best:
            size = odd
            while size < n:
                size *= 2
            best = min(best, size)
            odd *= 3
        fives *= 5
    return best


def loudness_lufs(samples: np.ndarray, rate_hz: int) -> float:
    """Integrated loudness of a short mono clip in LUFS (ITU-R BS.1770: K-weighting,
    400 ms blocks with 75 % overlap, absolute gate at -70 LUFS, relative gate at -10 LU).

    The K-weighting is applied by its magnitude in the frequency domain, which gives the
    same block energies as the filters; meant for clips of seconds to minutes.
    Returns ``FLOOR_DB`` for silence.
    """
    if len(samples) == 0:
        return FLOOR_DB
    size = _fast_size(len(samples))  # zero-padded: no slow transform of an awkward length
    spectrum = np.fft.rfft(samples.astype(np.float64), n=size)
    grid_hz, gain = _k_weighting_table(rate_hz)
    spectrum *= np.interp(np.fft.rfftfreq(size, 1.0 / rate_hz), grid_hz, gain)
    weighted = np.fft.irfft(spectrum, n=size)[: len(samples)]
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


def loudness_normalize(path: Path, out_path: Path, *, target_lufs: float = -16.0) -> DecodedAudio:
    """Bring a WAV to ``target_lufs`` integrated loudness (EBU R128, two-pass ``loudnorm``).

    The sample rate is kept. Digital silence is copied unchanged.
    """
    path = Path(path)
    rate_hz = wav_info(path).sample_rate_hz
    base = f"loudnorm=I={target_lufs:g}:TP=-1.5:LRA=11"
    measured = ff.measure_loudness(path, base, timeout_s=processing_timeout_s(path))
    if measured is None:
        ff.to_wav(path, out_path, rate_hz, None, what="copying silent audio",
                  timeout_s=processing_timeout_s(path))
        return wav_info(out_path)
    second = (f"{base}:measured_I={measured['input_i']}:measured_TP={measured['input_tp']}"
              f":measured_LRA={measured['input_lra']}:measured_thresh={measured['input_thresh']}"
              f":offset={measured['target_offset']}:linear=true")
    ff.to_wav(path, out_path, rate_hz, None, filters=second, what="normalising loudness",
              timeout_s=processing_timeout_s(path))
    return wav_info(out_path)
