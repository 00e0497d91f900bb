"""Benchmark: does the real server stay responsive, and flat in memory, while tasks run?

Run by hand (never collected by pytest; Linux, it reads ``/proc``)::

    python -m bench.bench_server                      # both parts
    python -m bench.bench_server --part latency       # only (a)
    python -m bench.bench_server --part memory --small 5 --large 30

It starts ``python app.py`` on a free loopback port with ``APP_DATA_DIR`` in a temporary
folder and no vendor keys, and submits offline tasks over REST (PocketSphinx + espeak,
English to English) on ``../shared/audio/jfk_en.flac`` (read in place) or, when that
folder is absent, on speech it generates with the project's own espeak engine.

(a) ``GET /healthz`` latency sampled every ~50 ms, first with no task running (the
    baseline), then while two offline tasks run; p50/p95/max of both and the ratio of
    the p95s. ``GET /v1/tasks/{id}`` is timed alongside. Target: p95 <= 100 ms.
(b) resident memory of the server process, and of the server plus its child processes,
    after each of ``--large`` tasks run one after another (a fresh server), shown after
    ``--small`` and after ``--large``. Target: the server after ``--large`` within 15% of
    after ``--small``, and likewise the peak with children over the last ``--small``
    tasks against the first ``--small`` (children are replaced every few runs, so single
    readings depend on where a child is in its life).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SHARED_SPEECH = ROOT.parent / "shared" / "audio" / "jfk_en.flac"
TASK_FIELDS = {"stt_model": "sphinx", "voice_vendor": "espeak", "target_language": "en",
               "source_language": "en"}
TARGETS = {"healthz_p95_s": 0.100, "rss_growth": 0.15}
SAMPLE_EVERY_S = 0.05
_KEY_SUFFIXES = ("_API_KEY", "_TOKEN")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``python app.py`` in a child process, with its own data folder and no keys."""

    def __init__(self, data_dir: Path, workers: int) -> None:
        self.port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.endswith(_KEY_SUFFIXES)}
        env.update(GRADIO_SERVER_PORT=str(self.port), APP_DATA_DIR=str(data_dir),
                   GRADIO_ANALYTICS_ENABLED="False", APP_WORKERS=str(workers))
        self.log = (data_dir.parent / f"server-{self.port}.log").open("wb")
        self.process = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout_s: float = 180.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"app.py exited with {self.process.returncode}; see {self.log.name}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise SystemExit("app.py did not answer /healthz in time")

    def stop(self) -> None:
        if self.process.poll() is not None:
            self.log.flush()
            tail = Path(self.log.name).read_text(errors="replace")[-3000:]
            print(f"app.py exited early ({self.process.returncode}); its log ends:\n{tail}")
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        self.log.close()


def _speech(folder: Path) -> Path:
    if SHARED_SPEECH.is_file():
        return SHARED_SPEECH
    sys.path.insert(0, str(ROOT))
    import wave

    from vendors.espeak_engine import synthesize

    text = ("And so, my fellow citizens, ask not what your country can do for you; "
            "ask what you can do for your country.")
    samples, rate_hz = synthesize(text, "en-us")
    target = folder / "speech.wav"
    with wave.open(str(target), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate_hz)
        out.writeframes(samples)
    return target


def submit(http: httpx.Client, speech: Path) -> str:
    with speech.open("rb") as handle:
        created = http.post("/v1/tasks", files={"file": (speech.name, handle)}, data=TASK_FIELDS)
    if created.status_code != 202:
        raise SystemExit(f"POST /v1/tasks answered {created.status_code}: {created.text}")
    return created.json()["task_id"]


def get(http: httpx.Client, path: str) -> httpx.Response:
    """GET, again on a fresh connection if a kept-alive one was closed under us."""
    for attempt in range(3):
        try:
            return http.get(path)
        except (httpx.ReadError, httpx.RemoteProtocolError):
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def wait_finished(http: httpx.Client, task_id: str, timeout_s: float = 600.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        view = get(http, f"/v1/tasks/{task_id}").json()
        if view["status"] in ("succeeded", "failed", "canceled"):
            if view["status"] != "succeeded":
                raise SystemExit(f"task {task_id} {view['status']}: {view.get('error')}")
            return view
        time.sleep(0.2)
    raise SystemExit(f"task {task_id} did not finish in {timeout_s:.0f} s")


class Sampler:
    """Times ``GET path`` every ~50 ms on its own connection until stopped."""

    def __init__(self, base: str, path: str) -> None:
        self._http = httpx.Client(base_url=base, timeout=60)
        self._path = path
        self._stop = threading.Event()
        self.latencies_s: list[float] = []
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            started = time.perf_counter()
            get(self._http, self._path).raise_for_status()
            took = time.perf_counter() - started
            self.latencies_s.append(took)
            self._stop.wait(max(0.0, SAMPLE_EVERY_S - took))

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join(120)
        self._http.close()


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    cut = statistics.quantiles(ordered, n=100, method="inclusive") if len(ordered) > 1 else ordered * 99
    return {"n": len(ordered), "p50": cut[49], "p95": cut[94], "max": ordered[-1]}


def _line(name: str, stats: dict[str, float]) -> str:
    return (f"  {name:<32} n={stats['n']:<4} p50={stats['p50'] * 1000:7.1f} ms  "
            f"p95={stats['p95'] * 1000:7.1f} ms  max={stats['max'] * 1000:7.1f} ms")


def latency_part(folder: Path, speech: Path, idle_s: float) -> bool:
    server = Server(folder / "latency-data", workers=2)
    try:
        server.wait_ready()
        with httpx.Client(base_url=server.base, timeout=60) as http:
            wait_finished(http, submit(http, speech))  # warm up: first imports, first child
            with Sampler(server.base, "/healthz") as idle:
                time.sleep(idle_s)
            started = time.monotonic()
            tasks = [submit(http, speech), submit(http, speech)]
            with Sampler(server.base, "/healthz") as busy, \
                    Sampler(server.base, f"/v1/tasks/{tasks[0]}") as polled:
                for task_id in tasks:
                    wait_finished(http, task_id)
            took_s = time.monotonic() - started
    finally:
        server.stop()
    base, loaded, poll = (percentiles(s.latencies_s) for s in (idle, busy, polled))
    print(f"(a) latency: two offline tasks took {took_s:.1f} s together")
    print(_line("GET /healthz, no task", base))
    print(_line("GET /healthz, two tasks", loaded))
    print(_line("GET /v1/tasks/{id}, two tasks", poll))
    print(f"  p95 ratio busy/idle: {loaded['p95'] / base['p95']:.1f}x "
          f"(target p95 <= {TARGETS['healthz_p95_s'] * 1000:.0f} ms)")
    return loaded["p95"] <= TARGETS["healthz_p95_s"]


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _descendants(pid: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        found.extend(children)
        frontier.extend(children)
    return found


def memory(pid: int) -> tuple[float, float, int]:
    """(server MB, server + descendants MB, how many descendants)."""
    children = _descendants(pid)
    own = _rss_kb(pid)
    return own / 1024, (own + sum(_rss_kb(c) for c in children)) / 1024, len(children)


def memory_part(folder: Path, speech: Path, small: int, large: int) -> bool:
    server = Server(folder / "memory-data", workers=2)
    readings: list[tuple[float, float, int]] = []
    durations: list[float] = []
    try:
        server.wait_ready()
        with httpx.Client(base_url=server.base, timeout=60) as http:
            print(f"(b) memory: {large} tasks one after another "
                  f"(server at start: {memory(server.process.pid)[0]:.0f} MB)")
            for _ in range(large):
                started = time.monotonic()
                wait_finished(http, submit(http, speech))
                durations.append(time.monotonic() - started)
                time.sleep(0.5)  # let a retired child exit
                readings.append(memory(server.process.pid))
    finally:
        server.stop()
    for number in (small, large):
        own, total, count = readings[number - 1]
        print(f"  after {number:>3} tasks: server {own:7.1f} MB   server + {count} children "
              f"{total:7.1f} MB")
    # Children are replaced every few runs, so compare the peaks of equal windows too.
    early = max(total for _, total, _ in readings[:small])
    late = max(total for _, total, _ in readings[large - small:large])
    own_growth = readings[large - 1][0] / readings[small - 1][0] - 1
    peak_growth = late / early - 1
    print(f"  peak with children over tasks 1-{small}: {early:.1f} MB, over tasks "
          f"{large - small + 1}-{large}: {late:.1f} MB")
    print(f"  growth: server {own_growth:+.1%}, peak with children {peak_growth:+.1%} "
          f"(target <= {TARGETS['rss_growth']:.0%})")
    print(f"  task time: median {statistics.median(durations):.1f} s, "
          f"max {max(durations):.1f} s (task {durations.index(max(durations)) + 1})")
    return own_growth <= TARGETS["rss_growth"] and peak_growth <= TARGETS["rss_growth"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=("latency", "memory", "both"), default="both")
    parser.add_argument("--small", type=int, default=5, help="tasks before the first reading")
    parser.add_argument("--large", type=int, default=30, help="tasks before the second reading")
    parser.add_argument("--idle-s", type=float, default=8.0, help="baseline sampling time")
    parser.add_argument("--audio", type=Path, help="speech to submit (default: see above)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-server-") as scratch:
        folder = Path(scratch)
        speech = args.audio or _speech(folder)
        print(f"input: {speech}")
        met = True
        if args.part in ("latency", "both"):
            met &= latency_part(folder, speech, args.idle_s)
        if args.part in ("memory", "both"):
            met &= memory_part(folder, speech, args.small, args.large)
    print("targets met" if met else "targets NOT met")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
