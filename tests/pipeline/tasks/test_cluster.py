"""The distributed mode end to end: the app as the web process, worker processes over
Redis and PostgreSQL, fake vendors behind a server on loopback.

Skipped, saying why, where redis-server or PostgreSQL is not installed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter

import pytest
from fastapi.testclient import TestClient

from app import create_app
from tests.pipeline.tasks.cluster import ROOT, cluster, speech_bytes, submit, wait_finished
from tests.pipeline.tasks.cluster_vendors import CLUSTER_VENDORS
from tests.pipeline.tasks.servers import free_port
from vendors.registry import default_registry


def _app(environ):
    return create_app(environ, registry=default_registry(CLUSTER_VENDORS), isolate=False)


@pytest.fixture
def bucket_url(s3_endpoint, monkeypatch):
    """A fresh bucket on the S3 emulator, with credentials it accepts (for every process)."""
    import boto3

    for name, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    bucket = f"speech-{uuid.uuid4().hex[:8]}"
    boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket=bucket)
    return f"s3://{bucket}/cluster"


def test_twenty_tasks_on_two_workers_all_succeed_and_none_runs_twice(
        tmp_path, redis_url, database_url, bucket_url, s3_endpoint):
    latency = {"transcribe": 0.05, "translate": 0.05, "speak": 0.05}
    with cluster(tmp_path, redis_url, database_url, bucket_url, latency,
                 APP_S3_ENDPOINT_URL=s3_endpoint) as made:
        made.start_worker()
        made.start_worker()
        with TestClient(_app(made.web_environ())) as client:
            audio = speech_bytes(tmp_path)
            task_ids = [submit(client, audio) for _ in range(20)]
            views = wait_finished(client, task_ids, 240, made.logs)
            assert {v["status"] for v in views.values()} == {"succeeded"}, made.logs()
            for task_id in task_ids:  # the outputs come from the bucket to the web process
                answer = client.get(f"/v1/tasks/{task_id}/audio")
                assert answer.status_code == 200 and answer.content[:3] in (b"ID3", b"\xff\xfb")
        vendor = made.vendor
        heard = Counter(c["task"] for c in vendor.of("transcribe"))
        assert heard == Counter({t: 1 for t in task_ids})
        spoken = Counter(c["text"] for c in vendor.of("speak"))
        assert len(spoken) == 40 and set(spoken.values()) == {1}
        assert len(vendor.of("translate")) == 20
        assert len({c["pid"] for c in vendor.calls}) == 2  # both workers took tasks


def test_a_worker_killed_mid_task_hands_it_to_the_other_which_reuses_finished_steps(
        tmp_path, redis_url, database_url):
    latency = {"speak": 1.0}
    shared = tmp_path / "shared"
    with cluster(tmp_path, redis_url, database_url, str(shared), latency) as made:
        first = made.start_worker()
        with TestClient(_app(made.web_environ())) as client:
            task_id = submit(client, speech_bytes(tmp_path))
            deadline = time.monotonic() + 60
            while not made.vendor.of("speak") and time.monotonic() < deadline:
                time.sleep(0.05)
            assert made.vendor.of("speak"), made.logs()
            assert made.vendor.of("speak")[0]["pid"] == first.pid
            os.kill(first.pid, signal.SIGKILL)
            second = made.start_worker()
            view = wait_finished(client, [task_id], 90, made.logs)[task_id]
        assert view["status"] == "succeeded", made.logs()
        steps = {s["name"]: s for s in view["steps"]}
        assert steps["speech_to_text"]["reused"] and steps["translation"]["reused"]
        assert len(made.vendor.of("transcribe")) == 1 and len(made.vendor.of("translate")) == 1
        assert made.vendor.of("speak")[-1]["pid"] == second.pid


def test_a_cluster_wide_limit_of_two_holds_across_two_workers(tmp_path, redis_url,
                                                               database_url):
    latency = {"speak": 0.3}
    with cluster(tmp_path, redis_url, database_url, str(tmp_path / "shared"), latency) as made:
        made.start_worker()
        made.start_worker()
        with TestClient(_app(made.web_environ())) as client:
            audio = speech_bytes(tmp_path)
            task_ids = [submit(client, audio) for _ in range(4)]
            views = wait_finished(client, task_ids, 120, made.logs)
        assert {v["status"] for v in views.values()} == {"succeeded"}
        assert len({c["pid"] for c in made.vendor.of("speak")}) == 2
        assert made.vendor.peak["speak"] == 2  # reached, never passed, by both together


def _worker_says(environ: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", "worker"], cwd=ROOT,
                          env={**os.environ, **environ}, capture_output=True, text=True,
                          timeout=120)


def test_a_worker_with_an_unreachable_redis_stops_at_start_with_one_line(tmp_path):
    done = _worker_says({"APP_QUEUE_URL": f"redis://127.0.0.1:{free_port()}/0",
                         "APP_DATA_DIR": str(tmp_path)})
    assert done.returncode == 2
    assert done.stderr.startswith("error: APP_QUEUE_URL: cannot reach Redis at 127.0.0.1:")
    assert done.stderr.count("\n") == 1


def test_a_wrong_database_url_stops_the_worker_and_the_app_with_one_line(tmp_path, redis_url):
    environ = {"APP_QUEUE_URL": redis_url, "APP_DATA_DIR": str(tmp_path),
               "APP_DATABASE_URL": f"postgresql://app:pw-9z@127.0.0.1:{free_port()}/tasks"}
    done = _worker_says(environ)
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert done.stderr.startswith("error: APP_DATABASE_URL: cannot connect to PostgreSQL")
    assert "pw-9z" not in done.stderr
    served = subprocess.run([sys.executable, "app.py"], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, env={**os.environ, **environ})
    assert served.returncode == 1 and served.stderr.count("\n") == 1
    assert served.stderr.startswith("error: APP_DATABASE_URL: cannot connect to PostgreSQL")


def _first_speak(made, timeout_s: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while not made.vendor.of("speak") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert made.vendor.of("speak"), made.logs()
    return made.vendor.of("speak")[0]


def test_a_stopped_worker_pauses_its_task_and_the_other_worker_finishes_it(
        tmp_path, redis_url, database_url):
    with cluster(tmp_path, redis_url, database_url, str(tmp_path / "shared"),
                 {"speak": 1.0}) as made:
        first = made.start_worker()
        with TestClient(_app(made.web_environ())) as client:
            task_id = submit(client, speech_bytes(tmp_path))
            _first_speak(made)
            second = made.start_worker()
            first.send_signal(signal.SIGTERM)  # a deploy, a scale-down
            assert first.wait(60) == 0, made.logs()
            view = wait_finished(client, [task_id], 90, made.logs)[task_id]
        assert view["status"] == "succeeded", made.logs()
        assert {s["name"] for s in view["steps"] if s["reused"]} >= {
            "initialization", "speech_to_text", "translation"}
        assert made.vendor.of("speak")[-1]["pid"] == second.pid
        assert len(made.vendor.of("transcribe")) == 1


def test_canceling_a_running_task_stops_it_on_its_worker(tmp_path, redis_url, database_url):
    with cluster(tmp_path, redis_url, database_url, str(tmp_path / "shared"),
                 {"speak": 3.0}) as made:
        made.start_worker()
        with TestClient(_app(made.web_environ())) as client:
            task_id = submit(client, speech_bytes(tmp_path))
            _first_speak(made)
            answer = client.delete(f"/v1/tasks/{task_id}")
            assert answer.status_code == 202 and answer.json()["canceling"] is True
            view = wait_finished(client, [task_id], 60, made.logs)[task_id]
            assert view["status"] == "canceled", made.logs()
            assert client.delete(f"/v1/tasks/{task_id}").json()["deleted"] is True
        assert not (tmp_path / "shared" / "tasks" / task_id).exists()
