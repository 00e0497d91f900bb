"""Lay the dub over the background: a separated music-and-effects stem, or the original.

* :func:`remix`: the dub over the separated background, the background lowered under the
  voice by ``sidechaincompress`` keyed on the dub.
* :func:`voice_over`: when no separation is available, the original sound at full level
  between the lines, lowered (by ``duck_db``, or muted) under each dubbed line with short
  ramps either side, as interpreters' voice-overs do.

Both write stereo at 44.1 kHz, loudness-normalised like every dub (EBU R128, -16 LUFS,
two passes), encoded like the dub ("mp3" or "wav"), under a temporary name renamed into
place only once complete.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.audio import ffmpeg as ff
from pipeline.audio.decode import processing_timeout_s
from pipeline.audio.loudness import loudness_normalize

__all__ = ["MIX_RATE_HZ", "MixLevels", "encode", "remix", "voice_over"]

MIX_RATE_HZ = 44100


@dataclass(frozen=True, slots=True)
class MixLevels:
    """The mix levels (settings: ``APP_BACKGROUND_DB``, ``APP_DUCK_THRESHOLD``...).

    Attributes:
        background_db: the separated background's gain before ducking.
        duck_threshold: the dub level (linear, 0-1) above which the background is lowered.
        duck_ratio: how hard it is lowered (``sidechaincompress`` ratio).
        fade_s: the ramps of the original's level around each line (voice-over).
        target_lufs: the mix's integrated loudness.
    """

    background_db: float = 0.0
    duck_threshold: float = 0.015
    duck_ratio: float = 10.0
    fade_s: float = 0.25
    target_lufs: float = -16.0


def remix(dub: Path, background: Path, out_path: Path, fmt: str,
          levels: MixLevels = MixLevels()) -> Path:
    """The dub over the separated ``background``, ducked under the voice."""
    graph = (
        f"[0:a]aresample={MIX_RATE_HZ},aformat=channel_layouts=stereo,asplit=2[voice][key];"
        f"[1:a]aresample={MIX_RATE_HZ},aformat=channel_layouts=stereo,"
        f"volume={levels.background_db:g}dB[bg];"
        f"[bg][key]sidechaincompress=threshold={levels.duck_threshold:g}:"
        f"ratio={levels.duck_ratio:g}:attack=15:release=350[ducked];"
        "[voice][ducked]amix=inputs=2:duration=longest:normalize=0[out]")
    return _mixed(dub, background, graph, out_path, fmt, levels, "mixing the dub and background")


def voice_over(dub: Path, original: Path, out_path: Path, fmt: str,
               lines: Sequence[tuple[float, float]], duck_db: float | None,
               levels: MixLevels = MixLevels()) -> Path:
    """The dub over the original, the original ducked by ``duck_db`` (None: muted) under
    each ``(start_s, end_s)`` line, with ramps of ``levels.fade_s`` either side."""
    gain = 0.0 if duck_db is None else 10 ** (duck_db / 20)
    graph = (
        f"[0:a]aresample={MIX_RATE_HZ},aformat=channel_layouts=stereo[voice];"
        f"[1:a]aresample={MIX_RATE_HZ},aformat=channel_layouts=stereo,"
        f"volume='{_gain_expression(lines, gain, levels.fade_s)}':eval=frame[under];"
        "[voice][under]amix=inputs=2:duration=longest:normalize=0[out]")
    return _mixed(dub, original, graph, out_path, fmt, levels, "laying the dub over the original")


def _gain_expression(lines: Sequence[tuple[float, float]], gain: float, fade_s: float) -> str:
    """1 between lines, ``gain`` under them, linear ramps of ``fade_s`` at both ends."""
    if not lines:
        return "1"
    fade = max(fade_s, 0.01)
    ramps = "+".join(
        f"clip((t-{start - fade:.3f})/{fade:g},0,1)*clip(({end + fade:.3f}-t)/{fade:g},0,1)"
        for start, end in lines)
    return f"1-{1 - gain:.6f}*min(1,{ramps})"


def _mixed(dub: Path, under: Path, graph: str, out_path: Path, fmt: str, levels: MixLevels,
           what: str) -> Path:
    out_path = Path(out_path)
    work = out_path.with_name(f".{out_path.stem}.mixing")
    work.mkdir(parents=True, exist_ok=True)
    script, mixed, levelled = work / "graph.txt", work / "mixed.wav", work / "levelled.wav"
    try:
        script.write_text(graph, encoding="utf-8")
        timeout_s = 120.0 + 2 * processing_timeout_s(under)
        ff.run(["-loglevel", "error", "-i", str(dub), "-i", str(under), "-/filter_complex",
                str(script), "-map", "[out]", "-c:a", "pcm_s16le", "-f", "wav", "-y",
                str(mixed)], timeout_s=timeout_s, what=what)
        loudness_normalize(mixed, levelled, target_lufs=levels.target_lufs)
        encode(levelled, out_path, fmt, timeout_s=timeout_s)
    finally:
        for path in (script, mixed, levelled):
            path.unlink(missing_ok=True)
        work.rmdir()
    return out_path


def encode(wav: Path, out_path: Path, fmt: str, *, timeout_s: float = 600.0) -> Path:
    """Encode ``wav`` as ``fmt`` ("mp3" or "wav") into ``out_path`` (temp name, then rename)."""
    partial = out_path.with_name(f".{out_path.name}.partial")
    codec = ["-c:a", "libmp3lame", "-b:a", "192k", "-f", "mp3"] if fmt == "mp3" else [
        "-c:a", "pcm_s16le", "-f", "wav"]
    try:
        ff.run(["-loglevel", "error", "-i", str(wav), *codec, "-y", str(partial)],
               timeout_s=timeout_s, what=f"encoding the mix as {fmt}")
        os.replace(partial, out_path)
    finally:
        partial.unlink(missing_ok=True)
    return out_path
