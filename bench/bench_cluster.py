"""Benchmark: tasks per minute of the distributed mode at 1, 2 and 4 worker processes,
as a ratio to the embedded mode on the same machine.

Run by hand (never collected by pytest; needs redis-server and PostgreSQL's binaries, as
the cluster tests do)::

    python -m bench.bench_cluster                 # 24 tasks per run
    python -m bench.bench_cluster --tasks 40 --workers 1,2,4,8

Every run submits the same tasks over REST to the app (in this process) and times them
from the first submission to the last finish. The vendors are the cluster tests' fakes
behind a loopback server with fixed latencies (speech to text 0.5 s, translation 0.5 s,
each spoken line 0.3 s), no vendor limit in the way; each process runs ``APP_WORKERS=2``
tasks at once. Embedded: the app's own threads over SQLite. Distributed: N worker
processes over Redis, PostgreSQL and a shared directory; the web process only queues.

Each task also does local audio work (decoding, voice activity, stitching, MP3 encoding),
so on one machine the ratio grows with the workers only until its CPUs are busy; past
that, more workers pay off on more machines.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from app import create_app
from pipeline.settings import Settings
from tests.pipeline.tasks import servers
from tests.pipeline.tasks.cluster import cluster, speech_bytes, submit, wait_finished
from tests.pipeline.tasks.cluster_vendors import VendorServer
from tests.pipeline.tasks.cluster_worker import registry

LATENCY_S = {"transcribe": 0.5, "translate": 0.5, "speak": 0.3}
PER_PROCESS = "2"


def _timed(client: TestClient, audio: bytes, tasks: int) -> float:
    started = time.monotonic()
    ids = [submit(client, audio) for _ in range(tasks)]
    views = wait_finished(client, ids, 1800)
    failed = [t for t, v in views.items() if v["status"] != "succeeded"]
    if failed:
        raise SystemExit(f"{len(failed)} tasks did not succeed")
    return time.monotonic() - started


def embedded(root: Path, audio: bytes, tasks: int) -> float:
    """Tasks per minute of the embedded mode."""
    vendor = VendorServer(latency_s=LATENCY_S)
    env = {"APP_DATA_DIR": str(root / "embedded"), "APP_WORKERS": PER_PROCESS,
           "FAKE_LLM_KEY": "k", "CLUSTER_VENDOR_URL": vendor.start(),
           "CLUSTER_VENDOR_LIMIT": "64", "GRADIO_ANALYTICS_ENABLED": "False"}
    try:
        app = create_app(env, registry=registry(Settings.from_env(env)), isolate=False)
        with TestClient(app) as client:
            return 60.0 * tasks / _timed(client, audio, tasks)
    finally:
        vendor.stop()


def distributed(root: Path, audio: bytes, tasks: int, workers: int, redis_url: str,
                database_url: str) -> float:
    """Tasks per minute with ``workers`` worker processes."""
    with cluster(root / f"cluster-{workers}", redis_url, database_url,
                 str(root / f"shared-{workers}"), LATENCY_S, APP_WORKERS=PER_PROCESS,
                 CLUSTER_VENDOR_LIMIT="64") as made:
        made.root.mkdir(parents=True, exist_ok=True)
        for _ in range(workers):
            made.start_worker()
        _wait_ready(made.root, workers)
        env = made.web_environ()
        app = create_app(env, registry=registry(Settings.from_env(env)), isolate=False)
        with TestClient(app) as client:
            return 60.0 * tasks / _timed(client, audio, tasks)


def _wait_ready(root: Path, workers: int, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        ready = sum("ready." in p.read_text(errors="replace")
                    for p in root.glob("worker-*.log"))
        if ready >= workers:
            return
        time.sleep(0.2)
    raise SystemExit("the workers did not start; see their logs in " + str(root))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=24)
    parser.add_argument("--workers", default="1,2,4")
    args = parser.parse_args()
    for service in ("redis", "postgres"):
        if servers.missing(service):
            raise SystemExit(servers.missing(service))
    counts = [int(n) for n in args.workers.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as folder, \
            servers.redis_server() as redis_url, servers.postgres_server() as admin_url:
        root = Path(folder)
        audio = speech_bytes(root)
        load = os.getloadavg()[0]
        print(f"{args.tasks} tasks per run on {os.cpu_count()} CPUs (load {load:.1f} at start)")
        base = embedded(root, audio, args.tasks)
        print(f"embedded (1 process, {PER_PROCESS} at once): {base:6.1f} tasks/min  ratio 1.00")
        for workers in counts:
            rate = distributed(root, audio, args.tasks, workers, redis_url,
                               servers.new_database(admin_url))
            print(f"distributed, {workers} worker process(es): {rate:6.1f} tasks/min  "
                  f"ratio {rate / base:4.2f}")


if __name__ == "__main__":
    main()
