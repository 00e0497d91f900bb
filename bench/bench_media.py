"""Benchmark: the cost of the video path per minute of input, as ratios to a baseline.

Run by hand (never collected by pytest)::

    python -m bench.bench_media                # 1 minute
    python -m bench.bench_media --minutes 3

The input is a generated video (``testsrc`` 320x240 at 25 fps, H.264) whose sound is
speech-like bursts over a tone bed. Everything runs in this process, one after the other,
and each cost is printed in seconds per minute of input and as a ratio to the baseline
measured here at the same moment (so a noisy machine still gives a fair answer):

* baseline: ffmpeg decoding the input's audio to 44.1 kHz stereo WAV and encoding it as
  MP3 (the least any audio path does);
* separation: Demucs' own code on a tiny, randomly initialised ``HTDemucs`` (about 0.3 M
  weights, 30 s windows); the real ``htdemucs`` has about 42 M weights and costs far more
  (it is not downloaded here). Torch runs on ``--threads`` threads (default 1: on a
  machine shared by other busy processes, more threads wait on each other);
* voice-over: the original ducked under the dub's lines, loudness-normalised, MP3;
* remix: the dub over a background stem with ``sidechaincompress``, normalised, MP3;
* mux: the dubbed audio and a subtitle track put into the video, picture copied;
* burn-in: the same with the subtitles drawn into the picture (re-encoded with x264).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np

from pipeline.audio import ffmpeg as ff
from pipeline.media.mix import remix, voice_over
from pipeline.media.mux import MuxRequest, mux
from pipeline.media.separation import Separator

RATE_HZ = 44100


def _speech(minutes: float, rng: np.random.Generator) -> tuple[np.ndarray, list]:
    total = int(minutes * 60 * RATE_HZ)
    out, lines, at = np.zeros(total), [], 0
    while at < total:
        talk = int(rng.uniform(2.0, 6.0) * RATE_HZ)
        t = np.arange(min(talk, total - at)) / RATE_HZ
        voice = sum(np.sin(2 * np.pi * 130 * k * t) / k for k in range(1, 6))
        out[at:at + len(t)] = 0.25 * voice * (0.55 + 0.45 * np.sin(2 * np.pi * 4.0 * t))
        lines.append((at / RATE_HZ, (at + len(t)) / RATE_HZ))
        at += len(t) + int(rng.uniform(0.5, 1.5) * RATE_HZ)
    return out, lines


def _wav(path: Path, samples: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(RATE_HZ)
        writer.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def make_inputs(minutes: float, folder: Path) -> dict[str, object]:
    """The video, a dub, a background stem, subtitles and the line times."""
    rng = np.random.default_rng(5)
    speech, lines = _speech(minutes, rng)
    t = np.arange(len(speech)) / RATE_HZ
    bed = 0.05 * np.sin(2 * np.pi * 4000 * t) + 0.03 * np.sin(2 * np.pi * 220 * t)
    sound = _wav(folder / "sound.wav", speech + bed)
    video = folder / "talk.mp4"
    ff.run(["-loglevel", "error", "-f", "lavfi", "-i",
            f"testsrc=size=320x240:rate=25:duration={minutes * 60:g}", "-i", str(sound),
            "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac",
            "-y", str(video)], timeout_s=1800, what="making the bench video")
    cues = "".join(f"{i}\n{_clock(a)} --> {_clock(b)}\nLine {i}.\n\n"
                   for i, (a, b) in enumerate(lines, 1))
    subtitles = folder / "dub.srt"
    subtitles.write_text(cues, encoding="utf-8")
    return {"video": video, "dub": _wav(folder / "dub.wav", speech),
            "background": _wav(folder / "background.wav", bed), "subtitles": subtitles,
            "lines": lines}


def _clock(seconds: float) -> str:
    ms = round(seconds * 1000)
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


def tiny_separator(folder: Path) -> Separator:
    """Demucs' ``HTDemucs`` class, tiny and random, saved and loaded as a checkpoint."""
    import torch
    from demucs.htdemucs import HTDemucs
    from demucs.states import get_state

    torch.manual_seed(0)
    model = HTDemucs(sources=["drums", "bass", "other", "vocals"], channels=8, depth=4,
                     t_layers=1, segment=4, t_heads=1, t_hidden_scale=1.0)
    args, kwargs = model._init_args_kwargs
    path = folder / "tiny.th"
    torch.save({"klass": HTDemucs, "args": args, "kwargs": kwargs,
                "state": get_state(model, None)}, path)
    return Separator(path, device="cpu")


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    minutes = args.minutes
    import torch

    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        parts = make_inputs(minutes, folder)
        video, dub = Path(str(parts["video"])), Path(str(parts["dub"]))
        separator = tiny_separator(folder)
        separator.model()  # loading is a one-off per process, not per minute

        def baseline() -> None:
            ff.to_wav(video, folder / "base.wav", RATE_HZ, 2, what="baseline decode")
            ff.run(["-loglevel", "error", "-i", str(folder / "base.wav"), "-c:a", "libmp3lame",
                    "-b:a", "192k", "-y", str(folder / "base.mp3")], timeout_s=1800,
                   what="baseline encode")

        def muxed(burn: bool) -> None:
            mux(MuxRequest(video, folder / "mixed.mp3", folder / f"out{int(burn)}.mp4", "mp4",
                           "h264", Path(str(parts["subtitles"])), burn=burn))

        costs = {
            "baseline (decode + MP3)": timed(baseline),
            "separation (tiny HTDemucs, CPU)": timed(
                lambda: separator.separate(video, folder / "stems")),
            "voice-over mix": timed(lambda: voice_over(
                dub, video, folder / "mixed.mp3", "mp3", parts["lines"], -18.0)),  # type: ignore[arg-type]
            "remix (sidechain)": timed(lambda: remix(
                dub, Path(str(parts["background"])), folder / "remix.mp3", "mp3")),
            "mux (picture copied)": timed(lambda: muxed(False)),
            "mux with burn-in (x264)": timed(lambda: muxed(True)),
        }
    base = costs["baseline (decode + MP3)"]
    print(f"input: {minutes:g} min of 320x240 H.264 video at 25 fps with sound; "
          f"torch threads: {args.threads}")
    for name, seconds in costs.items():
        print(f"  {name:34} {seconds / minutes:7.2f} s per minute   x{seconds / base:6.2f}")


if __name__ == "__main__":
    main()
