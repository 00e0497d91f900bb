"""``python -m pipeline`` as a user runs it, with keys set and base URLs at loopback vendors.

The CLI runs in its own process; the fake vendors and the IndexTTS-2 Gradio app run here.
Its environment routes any request that is not for 127.0.0.1 to a closed local port, so
nothing can leave the machine even by mistake.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import audio
from tests.conftest import ROOT, shared_audio_file
from tests.e2e.fake_vendor_server import (
    JFK_SEGMENTS,
    MESSAGES,
    TRANSCRIBE,
    TTS,
    FakeVendorServer,
    launch_index_tts2_webui,
    loopback_only,
)

JFK_TEXT = " ".join(text for _, _, text in JFK_SEGMENTS)
DEFAULT_CHAIN = [("transcribe", "openai", "gpt-4o-transcribe"),
                 ("translate", "anthropic", "claude-haiku-4-5-20251001")]
VENDOR_VARIABLES = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL",
                    "FISH_API_KEY", "FISH_BASE_URL", "FISH_MODEL", "ELEVENLABS_API_KEY", "HF_TOKEN",
                    "GROQ_API_KEY", "SAMBANOVA_API_KEY", "INDEXTTS2_URL", "INDEXTTS2_SPACE",
                    "COMPATIBLE_BASE_URL", "APP_DEFAULT_STT", "APP_DEFAULT_LLM")
CLOSED_PORT_PROXY = "http://127.0.0.1:9"


@pytest.fixture(scope="module")
def jfk() -> Path:
    return shared_audio_file("jfk_en.flac")


@pytest.fixture(scope="module", autouse=True)
def no_network_beyond_loopback():
    with loopback_only():
        yield


@pytest.fixture(scope="module")
def server(no_network_beyond_loopback):
    with FakeVendorServer() as running:
        yield running


@pytest.fixture(autouse=True)
def fresh_server(server):
    server.reset()


@pytest.fixture(scope="module")
def webui(no_network_beyond_loopback, tmp_path_factory):
    url, calls, close = launch_index_tts2_webui(tmp_path_factory.mktemp("webui"))
    yield url, calls
    close()


def pipeline_cli(args, tmp_path: Path, server: FakeVendorServer, **extra_env: str):
    """Run ``python -m pipeline ARGS`` with the keys and base URLs of ``server``."""
    env = {k: v for k, v in os.environ.items() if k not in VENDOR_VARIABLES}
    env.update(server.environ(), APP_DATA_DIR=str(tmp_path / "data"), PYTHONPATH=str(ROOT),
               HTTP_PROXY=CLOSED_PORT_PROXY, HTTPS_PROXY=CLOSED_PORT_PROXY,
               ALL_PROXY=CLOSED_PORT_PROXY, NO_PROXY="127.0.0.1,localhost,::1",
               HF_HUB_OFFLINE="1", HF_HUB_DISABLE_TELEMETRY="1", GRADIO_ANALYTICS_ENABLED="False",
               **extra_env)
    return subprocess.run([sys.executable, "-m", "pipeline", *map(str, args)], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=300, check=False)


def vendors_of(report: dict) -> list[tuple[str, str, str]]:
    return [(v["role"], v["vendor"], v["model"]) for v in report["vendors"]]


def assert_no_key_shown(server: FakeVendorServer, *texts: str) -> None:
    for key in server.keys.values():
        assert all(key not in text for text in texts)


def test_run_to_spanish_uses_gpt_4o_transcribe_claude_haiku_and_fish(server, jfk, tmp_path):
    out = tmp_path / "jfk.es.mp3"
    done = pipeline_cli(["run", jfk, "--to", "es", "--out", out, "--json"], tmp_path, server)

    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["status"] == "succeeded"
    assert vendors_of(report) == [*DEFAULT_CHAIN, ("speak", "fish", "s2.1-pro")]
    assert report["transcript"]["model"] == "gpt-4o-transcribe"
    assert report["translation"]["text"] == f"ES: {JFK_TEXT}"
    # the dub is heard back by the same recogniser for the quality check (cheap: auto)
    assert [r.path for r in server.requests()] == [TRANSCRIBE, MESSAGES, TTS, TRANSCRIBE]
    assert report["quality"]["checker"] == "openai/gpt-4o-transcribe"
    assert report["output_path"] == str(out) and audio.probe(out).duration_s > 5
    assert report["cost_actual"]["total_usd"] > 0
    assert_no_key_shown(server, done.stdout, done.stderr)


def test_run_to_chinese_uses_index_tts2_on_the_self_hosted_server(server, webui, jfk, tmp_path):
    url, calls = webui
    calls.clear()
    done = pipeline_cli(["run", jfk, "--to", "zh", "--json"], tmp_path, server,
                        INDEXTTS2_URL=url)

    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert vendors_of(report) == [*DEFAULT_CHAIN, ("speak", "index_tts2", "IndexTTS-2")]
    assert [text for _, _, text, _, _ in calls] == [f"ZH: {JFK_TEXT}"]
    assert server.requests(TTS) == []
    assert (tmp_path / "jfk_en.zh.mp3").is_file()


def test_plan_shows_the_spanish_chain_ready_with_a_cost_estimate_and_calls_nothing(
    server, jfk, tmp_path
):
    done = pipeline_cli(["plan", jfk, "--to", "es"], tmp_path, server)

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "  transcribe openai/gpt-4o-transcribe [ready]" in lines
    assert "  translate  anthropic/claude-haiku-4-5-20251001 [ready]" in lines
    assert "  speak      fish/s2.1-pro [ready]" in lines
    assert "Ready to run." in lines
    estimate = next(line for line in lines if line.startswith("Estimated cost for 0.2 min"))
    assert float(estimate.rsplit("$", 1)[1]) > 0
    for step in ("speech_to_text", "translation", "text_to_speech"):
        assert any(line.strip().startswith(step) for line in lines)
    assert server.requests() == []


def test_plan_to_chinese_shows_index_tts2_with_a_cost_estimate(server, webui, jfk, tmp_path):
    done = pipeline_cli(["plan", jfk, "--to", "zh", "--json"], tmp_path, server,
                        INDEXTTS2_URL=webui[0])

    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    assert plan["runnable"] and plan["missing_variables"] == []
    assert vendors_of(plan) == [*DEFAULT_CHAIN, ("speak", "index_tts2", "IndexTTS-2")]
    steps = [line["step"] for line in plan["cost_estimate"]["lines"]]
    assert steps[:3] == ["speech_to_text", "translation", "text_to_speech"]
    assert plan["cost_estimate"]["total_usd"] > 0
    assert server.requests() == []


def test_a_429_then_success_is_retried_once_and_the_run_succeeds(server, jfk, tmp_path):
    server.fail_next(TTS, 429, retry_after="0")
    done = pipeline_cli(["run", jfk, "--to", "es", "--json"], tmp_path, server)

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "succeeded"
    assert [r.status for r in server.requests(TTS)] == [429, 200]


def test_a_401_fails_at_once_with_one_line_naming_the_key_variable(server, jfk, tmp_path):
    wrong = "sk-ant-wrong-1234567890"
    done = pipeline_cli(["run", jfk, "--to", "es"], tmp_path, server, ANTHROPIC_API_KEY=wrong)

    assert done.returncode == 1
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("error: anthropic: the key was rejected")
    assert line.endswith("check ANTHROPIC_API_KEY.")
    assert wrong not in done.stderr + done.stdout
    assert [r.status for r in server.requests(MESSAGES)] == [401]
    assert server.requests(TTS) == []
