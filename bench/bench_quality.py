"""Benchmark: the quality report of the offline chain and of a fake cloud chain, as numbers.

Run by hand (never collected by pytest)::

    python -m bench.bench_quality

It dubs the shared real recordings (``../shared/audio``, read in place) through

- the offline chain: PocketSphinx, then the espeak voice, English to English, heard back by
  PocketSphinx;
- a fake cloud chain: the benchmark's fake vendors (``bench.fake_vendors``; no latency),
  English to English, heard back by PocketSphinx;

and prints, per chain and recording: lines, voice similarity (median, worst, whole dub),
the share of lines understood, lines spoken again, and how much of the run's time the
checks took against the same run with the check off. A change that lowers quality (or makes
the check slower) shows up as a number here.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench import fake_vendors
from pipeline.options import TaskRequest
from pipeline.retry import RetryPolicy
from pipeline.runner import Pipeline
from pipeline.settings import Settings
from pipeline.types import TaskStatus
from vendors.registry import default_registry

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "audio"


@dataclass(frozen=True)
class Chain:
    """One way to dub: the vendors and the languages."""

    name: str
    stt: str
    llm: str | None
    voice: str


CHAINS = (
    Chain("offline (sphinx + espeak)", "sphinx", None, "espeak"),
    Chain("fake cloud (bench vendors)", "bench_stt", "bench_llm", "bench_voice"),
)


def _run(pipeline: Pipeline, source: Path, chain: Chain, quality: str) -> tuple[float, object]:
    started = time.perf_counter()
    result = pipeline.run(TaskRequest.of(
        source, target_language="en", source_language="en", stt_model=chain.stt,
        llm_model=chain.llm, voice_vendor=chain.voice, quality=quality,
        quality_stt_model="sphinx"))
    if result.status is not TaskStatus.SUCCEEDED:
        raise SystemExit(f"{chain.name} on {source.name} failed: {result.error}")
    return time.perf_counter() - started, result


def _cell(value: float | None, pattern: str = "{:.2f}") -> str:
    return "   -  " if value is None else pattern.format(value)


def main(argv: list[str] | None = None) -> None:
    """Dub each recording with each chain, with and without the check; print the numbers."""
    parser = argparse.ArgumentParser(prog="python -m bench.bench_quality")
    parser.add_argument("--recording", type=Path, action="append",
                        help="a recording to dub (default: ../shared/audio/jfk_en.flac)")
    args = parser.parse_args(argv)
    recordings = args.recording or [SHARED / "jfk_en.flac"]
    fake_vendors.LATENCY_S.update(stt=0.0, llm=0.0, tts=0.0)
    print("chain                      | recording    | lines | sim med | sim worst | sim dub "
          "| understood | retaken | check time")
    with tempfile.TemporaryDirectory() as folder:
        pipeline = Pipeline(default_registry(fake_vendors.VENDORS),
                            Settings.from_env({"APP_DATA_DIR": folder}),
                            retry=RetryPolicy(attempts=1))
        for source in recordings:
            for chain in CHAINS:
                plain_s, _ = _run(pipeline, source, chain, "off")
                checked_s, result = _run(pipeline, source, chain, "full")
                report = result.quality  # type: ignore[attr-defined]
                print(f"{chain.name:26} | {source.name[:12]:12} | {len(report.lines):5} | "
                      f"{_cell(report.median_similarity):>7} | {_cell(report.worst_similarity):>9} | "
                      f"{_cell(report.overall_similarity):>7} | "
                      f"{_cell(report.share_understood, '{:.0%}'):>10} | "
                      f"{len(report.retaken):7} | {checked_s / plain_s:5.2f}x", flush=True)


if __name__ == "__main__":
    main()
