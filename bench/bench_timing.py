"""Benchmark: long inputs through the whole pipeline over fake vendors with fixed latencies.

Run by hand (never collected by pytest)::

    python -m bench.bench_timing                 # 1, 10 and 60 minutes
    python -m bench.bench_timing --minutes 10    # one length
    python -m bench.bench_timing --speakers 1    # one voice, no diarization

Each length runs in its own process (so its peak memory is its own) over generated
speech (voiced bursts of 2-9 s with pauses of 0.3-1.5 s, a 44.1 kHz MP3) with the fake
vendors of :mod:`bench.fake_vendors` (STT 1.0 s per chunk, LLM 0.5 s per call, TTS 0.4 s
per line; 4 requests at once per vendor). It prints five ratios, so a noisy machine
still gives a fair answer:

1. wall time / critical path. The critical path is the vendor time the task cannot
   avoid given its calls and the concurrency limits: the busiest vendor's calls in waves
   of 4, plus one call of each other vendor before and after them, e.g. for the voice
   ``1.0 + 0.5 + ceil(lines/4) x 0.4`` seconds (the largest of the three such sums).
2. wall time / the same run done strictly one call and one line at a time (1 and 10 min).
3. time to first audio (the first ``on_partial_audio`` piece) / (1.0 + 0.5 + 0.4 s).
4. local audio work per minute of input (the whole run with zero vendor latency:
   decode, segment, fit, stitch, encode) / ffmpeg's own decode + MP3 encode of the file.
5. peak resident memory of the process running the task (after the run with latencies;
   ffmpeg works in separate streaming processes).

The quality check is off here: it adds one speech-to-text round trip before each line is
placed, which ``bench.bench_quality`` measures on its own.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

from bench import fake_vendors
from pipeline.audio.ffmpeg import ffmpeg_path
from pipeline.options import TaskRequest
from pipeline.retry import RetryPolicy
from pipeline.runner import Pipeline
from pipeline.settings import Settings
from pipeline.types import TaskStatus
from vendors.registry import default_registry

TARGETS = {"critical": 1.15, "sequential": 0.35, "first_audio": 1.5, "local": 3.0, "rss_mb": 500}
RATE_HZ = 44100


def make_input(minutes: float, folder: Path) -> Path:
    """Generated speech of ``minutes``, written block by block, encoded as MP3 (cached)."""
    target = folder / f"speech_{minutes:g}min.mp3"
    if target.is_file():
        return target
    rng = np.random.default_rng(int(minutes * 1000))
    raw = folder / f"speech_{minutes:g}min.wav"
    total = int(minutes * 60 * RATE_HZ)
    with wave.open(str(raw), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE_HZ)
        written = 0
        while written < total:
            talk = int(rng.uniform(2.0, 9.0) * RATE_HZ)
            t = np.arange(talk) / RATE_HZ
            pitch = rng.uniform(100, 160)
            voice = sum(np.sin(2 * np.pi * pitch * k * t) / k for k in range(1, 6))
            burst = 0.25 * voice * (0.55 + 0.45 * np.sin(2 * np.pi * 4.0 * t))
            pause = 0.003 * rng.standard_normal(int(rng.uniform(0.3, 1.5) * RATE_HZ))
            block = np.concatenate([burst, pause])[: total - written]
            out.writeframes((np.clip(block, -1, 1) * 32767).astype("<i2").tobytes())
            written += len(block)
    subprocess.run([ffmpeg_path(), "-hide_banner", "-loglevel", "error", "-i", str(raw),
                    "-c:a", "libmp3lame", "-b:a", "128k", "-y", str(target)], check=True)
    raw.unlink()
    return target


def _run(source: Path, folder: Path, vendors, *, tts_concurrency: int = 4,
         audio_workers: int | None = None, speakers: str = "") -> dict:
    for kind in fake_vendors.CALLS:
        fake_vendors.CALLS[kind] = 0
    pipeline = Pipeline(default_registry(vendors), Settings.from_env({"APP_DATA_DIR": str(folder)}),
                        retry=RetryPolicy(attempts=1), tts_concurrency=tts_concurrency,
                        audio_workers=audio_workers)
    first: list[float] = []
    started = time.perf_counter()
    result = pipeline.run(
        TaskRequest.of(source, target_language="es", stt_model="bench_stt", llm_model="bench_llm",
                       voice_vendor="bench_voice", quality="off",
                       **({"speakers": speakers} if speakers else {})),
        on_partial_audio=lambda path, ready_s: first or first.append(time.perf_counter() - started))
    wall_s = time.perf_counter() - started
    if result.status is not TaskStatus.SUCCEEDED:
        raise SystemExit(f"the run failed: {result.error}")
    return {"wall_s": wall_s, "first_audio_s": first[0], "result": result,
            "calls": dict(fake_vendors.CALLS)}


def _critical_s(run: dict) -> float:
    """The vendor time no schedule can avoid: one resource's calls in waves of 4, plus the
    least time through the other two vendors before its first call and after its last."""
    latency, calls = fake_vendors.LATENCY_S, run["calls"]
    waves = {kind: math.ceil(calls[kind] / 4) * latency[kind] for kind in latency}
    rest = {kind: sum(latency.values()) - latency[kind] for kind in latency}
    return max(waves[kind] + rest[kind] for kind in latency)


def _ffmpeg_s(source: Path, folder: Path) -> float:
    started = time.perf_counter()
    subprocess.run([ffmpeg_path(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i",
                    str(source), "-c:a", "libmp3lame", "-b:a", "128k", "-y",
                    str(folder / "ffmpeg_only.mp3")], check=True)
    return time.perf_counter() - started


def _peak_mb() -> float:
    """This process's peak resident memory (VmHWM; ffmpeg runs in its own processes, each
    streaming, and ru_maxrss would also count what the parent had at fork)."""
    with open("/proc/self/status") as status:
        return int(next(line for line in status if line.startswith("VmHWM")).split()[1]) / 1024


def _reset_peak() -> None:
    """Start measuring peak memory from here (Linux: writing 5 to clear_refs resets VmHWM),
    so generating the input does not count."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def case(minutes: float, work: Path, sequential: bool, speakers: str = "") -> dict:
    """Measure one input length (``speakers``: the option, "" for the default); returns the
    numbers as a dict."""
    source = make_input(minutes, work)
    fake_vendors.warm_up()
    _reset_peak()
    with tempfile.TemporaryDirectory(dir=work) as folder:
        folder = Path(folder)
        parallel = _run(source, folder / "parallel", fake_vendors.VENDORS, speakers=speakers)
        peak_mb = _peak_mb()
        report = parallel["result"].timing
        out = {
            "minutes": minutes, "wall_s": parallel["wall_s"], "critical_s": _critical_s(parallel),
            "first_audio_s": parallel["first_audio_s"], "calls": parallel["calls"],
            "lines": len(report.segments), "max_speed": report.max_speed_factor,
            "drift_s": report.total_drift_s, "peak_mb": peak_mb,
        }
        saved = dict(fake_vendors.LATENCY_S)
        fake_vendors.LATENCY_S.update(stt=0.0, llm=0.0, tts=0.0)
        out["local_s"] = _run(source, folder / "local", fake_vendors.VENDORS,
                              speakers=speakers)["wall_s"]
        fake_vendors.LATENCY_S.update(saved)
        out["ffmpeg_s"] = _ffmpeg_s(source, folder)
        if sequential:
            out["sequential_s"] = _run(source, folder / "sequential", fake_vendors.sequential(),
                                       tts_concurrency=1, audio_workers=1,
                                       speakers=speakers)["wall_s"]
    return out


def _row(numbers: dict) -> str:
    """One printed line; ``!`` marks a ratio that misses a target applying to this length
    (wall/sequential is a target for 10 minutes, first audio for 10 and 60, memory for 60)."""
    first_chain_s = sum(fake_vendors.LATENCY_S.values())
    minutes = numbers["minutes"]
    ratios = {
        "critical": numbers["wall_s"] / numbers["critical_s"],
        "sequential": numbers["wall_s"] / numbers["sequential_s"] if "sequential_s" in numbers else None,
        "first_audio": numbers["first_audio_s"] / first_chain_s,
        "local": numbers["local_s"] / numbers["ffmpeg_s"],
    }
    applies = {"critical": True, "local": True, "sequential": minutes == 10,
               "first_audio": minutes in (10, 60)}
    cells = [f"{minutes:>4g} min", f"{numbers['wall_s']:7.1f} s", f"{numbers['critical_s']:6.1f} s"]
    for name in ("critical", "sequential", "first_audio", "local"):
        value = ratios[name]
        missed = applies[name] and value is not None and value > TARGETS[name]
        cells.append("   -  " if value is None else f"{value:5.2f}{'!' if missed else ' '}")
    missed = minutes == 60 and numbers["peak_mb"] > TARGETS["rss_mb"]
    cells.append(f"{numbers['peak_mb']:5.0f} MB{'!' if missed else ''}")
    return " | ".join(cells)


def main(argv: list[str] | None = None) -> None:
    """Run the cases (each in a fresh process) and print the ratios."""
    parser = argparse.ArgumentParser(prog="python -m bench.bench_timing")
    parser.add_argument("--minutes", type=float, nargs="*", default=[1, 10, 60])
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "dub-bench")
    parser.add_argument("--sequential-up-to", type=float, default=10,
                        help="also time a strictly sequential run for inputs up to this long")
    parser.add_argument("--speakers", default="",
                        help="the speakers option (auto, 1 or a count; default: the product's)")
    parser.add_argument("--case", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    if args.case is not None:
        print(json.dumps(case(args.case, args.work, args.case <= args.sequential_up_to,
                              args.speakers)))
        return
    print("targets: wall/critical <= 1.15, wall/sequential <= 0.35 (10 min), "
          "first audio / (STT+LLM+TTS) <= 1.5 (10 and 60 min), local/ffmpeg <= 3, "
          "peak RSS <= 500 MB (60 min)")
    print("input    |    wall |  critical | wall/crit | wall/seq | 1st audio | local  | peak RSS")
    for minutes in args.minutes:
        done = subprocess.run(
            [sys.executable, "-m", "bench.bench_timing", "--case", f"{minutes:g}", "--work",
             str(args.work), "--sequential-up-to", f"{args.sequential_up_to:g}",
             "--speakers", args.speakers],
            capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(f"{minutes:g} min failed:\n{done.stderr[-3000:]}")
            continue
        numbers = json.loads(done.stdout.strip().splitlines()[-1])
        print(_row(numbers), flush=True)
        print(f"         details: {json.dumps({k: v for k, v in numbers.items() if k != 'minutes'})}",
              flush=True)


if __name__ == "__main__":
    main()
