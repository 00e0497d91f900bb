"""The default chains over real HTTP on loopback: the whole pipeline on JFK's 11 s of speech.

Spanish runs OpenAI ``gpt-4o-transcribe`` -> Claude ``claude-haiku-4-5-20251001`` -> Fish;
Chinese swaps Fish for IndexTTS2 on a real local Gradio server. Every vendor is the fake in
:mod:`tests.e2e.fake_vendor_server`; the real adapters, SDKs and retry policy do the rest.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import msgpack
import pytest

from pipeline import audio
from pipeline.errors import VendorAuthError, VendorQuotaError
from pipeline.options import TaskRequest
from pipeline.retry import RetryPolicy
from pipeline.runner import Pipeline
from pipeline.settings import Settings
from pipeline.types import StepName, StepStatus, TaskStatus
from tests.conftest import shared_audio_file
from tests.e2e.fake_vendor_server import (
    JFK_SEGMENTS,
    MESSAGES,
    TRANSCRIBE,
    TTS,
    FakeVendorServer,
    launch_index_tts2_webui,
    loopback_only,
    spoken_seconds,
)
from vendors.registry import default_registry

JFK_TEXT = " ".join(text for _, _, text in JFK_SEGMENTS)


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


@pytest.fixture(scope="module")
def webui(no_network_beyond_loopback, tmp_path_factory):
    url, calls, close = launch_index_tts2_webui(tmp_path_factory.mktemp("webui"))
    yield url, calls
    close()


@pytest.fixture(autouse=True)
def fresh_server(server):
    """Each test starts with nothing recorded and no failure queued."""
    server.reset()


def run_chain(server, jfk, data_dir: Path, target: str = "es", *, stt: str | None = None,
              quality: str = "off", **environ_overrides: str):
    """Run the pipeline with every vendor pointed at ``server``; returns (result, waits).

    The quality check is off unless asked for: these tests count each vendor's calls.
    """
    environ = {"APP_DATA_DIR": str(data_dir), **server.environ(), **environ_overrides}
    waits: list[float] = []
    pipeline = Pipeline(default_registry(), Settings.from_env(environ),
                        retry=RetryPolicy(sleep=waits.append))
    request = TaskRequest.of(jfk, target_language=target, stt_model=stt, quality=quality)
    return pipeline.run(request), waits


def chosen(result) -> list[tuple[str, str, str]]:
    return [(c.role.value, c.vendor, c.model) for c in result.choices]


def assert_whole_speech_is_in(result) -> None:
    """The dub holds all the streamed speech (timing may fit it to the original's length)."""
    dub_s = audio.probe(result.output_path).duration_s
    assert 0.6 * spoken_seconds(result.translation.text) < dub_s < result.input_duration_s + 1.0


def step(result, name: StepName):
    return next(s for s in result.steps if s.name is name)


@pytest.fixture(scope="module")
def spanish(server, jfk, tmp_path_factory):
    """One Spanish run, and every request it made."""
    server.reset()
    result, waits = run_chain(server, jfk, tmp_path_factory.mktemp("es"), "es")
    return result, waits, server.requests()


@pytest.fixture(scope="module")
def chinese(server, webui, jfk, tmp_path_factory):
    """One Chinese run through IndexTTS2, and what the vendors received."""
    url, calls = webui
    calls.clear()
    server.reset()
    result, _ = run_chain(server, jfk, tmp_path_factory.mktemp("zh"), "zh", INDEXTTS2_URL=url)
    return result, list(calls), server.requests()


def test_spanish_runs_gpt_4o_transcribe_then_claude_haiku_then_fish(spanish):
    result, waits, requests = spanish

    assert result.status is TaskStatus.SUCCEEDED, result.error
    assert [s.status for s in result.steps] == [StepStatus.SUCCEEDED] * 5
    assert chosen(result) == [
        ("transcribe", "openai", "gpt-4o-transcribe"),
        ("translate", "anthropic", "claude-haiku-4-5-20251001"),
        ("speak", "fish", "s2.1-pro"),
    ]
    assert result.choices[-1].reason == "fish: target es is not supported by index_tts2"
    assert [r.path for r in requests] == [TRANSCRIBE, MESSAGES, TTS]
    assert all(r.status == 200 for r in requests) and waits == []


def test_the_transcription_upload_is_the_whole_input_as_flac_with_gpt_4o_transcribe_fields(
    spanish, tmp_path
):
    result, _, requests = spanish
    (upload,) = [r for r in requests if r.path == TRANSCRIBE]

    assert upload.headers["authorization"] == "Bearer sk-e2e-openai-0123456789"
    assert upload.headers["content-type"].startswith("multipart/form-data")
    form = upload.payload
    assert (form["model"], form["response_format"]) == ("gpt-4o-transcribe", "json")
    assert "timestamp_granularities[]" not in form and "chunking_strategy" not in form
    filename, data, content_type = form["file"]
    assert filename.endswith(".flac") and content_type == "audio/flac" and data[:4] == b"fLaC"
    sent = audio.decode_bytes(data, "flac", tmp_path / "sent.wav", sample_rate_hz=16000)
    assert sent.duration_s == pytest.approx(result.input_duration_s, abs=0.05)
    assert result.transcript.text == JFK_TEXT
    assert (result.transcript.vendor, result.transcript.model) == ("openai", "gpt-4o-transcribe")


def test_claude_gets_the_prompt_modules_numbered_segments_and_its_ids_come_back(spanish):
    result, _, requests = spanish
    (message,) = [r for r in requests if r.path == MESSAGES]

    assert message.headers["authorization"] == "Bearer sk-ant-e2e-0123456789"
    assert message.headers["anthropic-version"] == "2026-10-21"
    body = message.payload
    assert body["model"] == "claude-haiku-4-5-20251001"
    assert not {"temperature", "top_p", "top_k"} & set(body)
    assert "into Spanish" in body["system"]
    assert f'"1": "{JFK_TEXT}"' in body["messages"][-1]["content"]
    assert result.translation.text == f"ES: {JFK_TEXT}"
    assert (result.translation.vendor, result.translation.model) == (
        "anthropic", "claude-haiku-4-5-20251001")
    assert [(s.start_s, s.end_s) for s in result.translation.segments] == [
        (s.start_s, s.end_s) for s in result.transcript.segments]


def test_fish_gets_the_reference_bytes_inline_with_the_model_header_and_streams_the_speech(
    spanish,
):
    result, _, requests = spanish
    (speech,) = [r for r in requests if r.path == TTS]

    assert speech.headers["model"] == "s2.1-pro"
    assert speech.headers["content-type"] == "application/msgpack"
    assert speech.headers["authorization"] == "Bearer fish-e2e-0123456789"
    body = msgpack.unpackb(speech.body, raw=False)
    (reference,) = body["references"]
    assert reference["audio"] == result.reference.path.read_bytes()
    assert reference["text"] == JFK_TEXT
    assert body["text"] == f"ES: {JFK_TEXT}"
    assert (body["format"], body["chunk_length"]) == ("wav", 200)


def test_the_spanish_dub_is_an_mp3_as_long_as_the_spoken_translation_with_its_cost(spanish):
    result, _, _ = spanish

    assert result.output_path.suffix == ".mp3"
    assert_whole_speech_is_in(result)
    lines = {line.step: line for line in result.actual_cost.lines}
    assert set(lines) == {StepName.SPEECH_TO_TEXT, StepName.TRANSLATION, StepName.TEXT_TO_SPEECH}
    assert all(line.usd > 0 for line in lines.values())
    assert lines[StepName.TEXT_TO_SPEECH].usd == pytest.approx(
        15.0 * len(result.translation.text.encode()) / 1e6)
    assert result.cost.total_usd > 0


def test_chinese_runs_the_same_stt_and_llm_then_index_tts2_on_a_gradio_server(chinese):
    result, calls, requests = chinese

    assert result.status is TaskStatus.SUCCEEDED, result.error
    assert chosen(result) == [
        ("transcribe", "openai", "gpt-4o-transcribe"),
        ("translate", "anthropic", "claude-haiku-4-5-20251001"),
        ("speak", "index_tts2", "IndexTTS-2"),
    ]
    assert "index_tts2 for Chinese" in result.choices[-1].reason
    assert [r.path for r in requests] == [TRANSCRIBE, MESSAGES]
    assert "into Chinese" in requests[1].payload["system"]
    assert result.translation.text == f"ZH: {JFK_TEXT}"


def test_index_tts2_receives_the_24_webui_inputs_with_a_reference_of_at_most_15_s(chinese):
    result, calls, _ = chinese

    ((emotion, reference, text, weight, rest),) = calls
    assert (emotion, text, weight) == (0, f"ZH: {JFK_TEXT}", 0.65)
    assert len(rest) == 24 - 5
    assert rest[-9:] == (120, True, 0.8, 30, 0.8, 0.0, 3, 10.0, 1500)
    assert reference == result.reference.path.read_bytes()
    assert result.reference.duration_s <= 15.0
    assert_whole_speech_is_in(result)


def test_whisper_1_answers_in_timed_segments_and_each_segment_is_spoken(server, jfk, tmp_path):
    result, _ = run_chain(server, jfk, tmp_path, "es", stt="openai/whisper-1")

    assert result.status is TaskStatus.SUCCEEDED, result.error
    form = server.requests(TRANSCRIBE)[0].payload
    assert (form["response_format"], form["timestamp_granularities[]"]) == (
        "verbose_json", ["segment"])
    segments = result.transcript.segments
    assert [(s.end_s, s.text) for s in segments] == [(end, text) for _, end, text in JFK_SEGMENTS]
    assert [s.start_s for s in segments] == pytest.approx(  # on the speech onsets
        [start for start, _, _ in JFK_SEGMENTS], abs=0.1)
    spoken = [msgpack.unpackb(r.body, raw=False)["text"] for r in server.requests(TTS)]
    assert sorted(spoken) == sorted(f"ES: {text}" for _, _, text in JFK_SEGMENTS)


@pytest.mark.parametrize(
    ("path", "status", "calls"),
    [(TRANSCRIBE, 429, 2), (MESSAGES, 429, 2), (MESSAGES, 529, 2), (TTS, 429, 2)],
    ids=["openai-429", "anthropic-429", "anthropic-overloaded", "fish-429"],
)
def test_a_busy_answer_then_success_is_retried_exactly_once(server, jfk, tmp_path, path, status,
                                                            calls):
    server.fail_next(path, status, retry_after="2")
    result, waits = run_chain(server, jfk, tmp_path)

    assert result.status is TaskStatus.SUCCEEDED, result.error
    assert [r.status for r in server.requests(path)] == [status, 200]
    assert len(server.requests(path)) == calls
    assert waits == [2.0]


@pytest.mark.parametrize(
    ("variable", "path", "failed_step"),
    [("OPENAI_API_KEY", TRANSCRIBE, StepName.SPEECH_TO_TEXT),
     ("ANTHROPIC_API_KEY", MESSAGES, StepName.TRANSLATION),
     ("FISH_API_KEY", TTS, StepName.TEXT_TO_SPEECH)],
)
def test_a_rejected_key_fails_at_once_naming_its_variable(server, jfk, tmp_path, variable, path,
                                                          failed_step):
    wrong = "sk-wrong-key-987654321"
    result, waits = run_chain(server, jfk, tmp_path, "es", **{variable: wrong})

    assert result.status is TaskStatus.FAILED
    assert isinstance(result.failure, VendorAuthError)
    assert variable in result.error and wrong not in result.error
    assert step(result, failed_step).status is StepStatus.FAILED
    assert variable in step(result, failed_step).error
    assert [r.status for r in server.requests(path)] == [401]
    assert waits == []
    order = [TRANSCRIBE, MESSAGES, TTS]
    assert {r.path for r in server.requests()} == set(order[:order.index(path) + 1])


@pytest.mark.parametrize(
    ("path", "status", "code", "message", "said"),
    [(MESSAGES, 429, "enforced_spend_limit_reached",
      "You have reached your specified API usage limits.", "spend limit"),
     (TRANSCRIBE, 429, "insufficient_quota", "You exceeded your current quota.", "out of credit"),
     (TTS, 402, None, "Insufficient balance", "out of credit")],
    ids=["claude-spend-limit", "openai-insufficient-quota", "fish-no-credit"],
)
def test_an_empty_balance_is_final_and_not_retried(server, jfk, tmp_path, path, status, code,
                                                   message, said):
    server.fail_next(path, status, code=code, message=message, retry_after="0")
    result, waits = run_chain(server, jfk, tmp_path)

    assert result.status is TaskStatus.FAILED
    assert isinstance(result.failure, VendorQuotaError)
    assert said in result.error and message in result.error
    assert [r.status for r in server.requests(path)] == [status]
    assert waits == []


@pytest.mark.parametrize(
    ("path", "headers", "body", "refusal"),
    [
        (MESSAGES, {"anthropic-version": "2026-10-21"},
         b'{"model": "claude-haiku-4-5-20251001", "max_tokens": 9, "temperature": 0, '
         b'"messages": [{"role": "user", "content": "hi"}]}',
         "temperature: Extra inputs are not permitted"),
        (TTS, {"content-type": "application/msgpack"},
         msgpack.packb({"text": "hola", "format": "wav",
                        "references": [{"audio": b"RIFF....WAVE", "text": "hi"}]}),
         "unknown model header None"),
        (TTS, {"content-type": "application/msgpack", "model": "s2.1-pro"},
         msgpack.packb({"text": "hola", "format": "wav",
                        "references": [{"audio": "UklGRg==", "text": "hi"}]}),
         "references[0].audio must be raw audio bytes"),
    ],
    ids=["claude-temperature", "fish-no-model-header", "fish-base64-reference"],
)
def test_the_loopback_vendors_refuse_what_the_real_services_refuse(server, path, headers, body,
                                                                   refusal):
    variable = {MESSAGES: "ANTHROPIC_API_KEY", TTS: "FISH_API_KEY"}[path]
    answer = httpx.post(f"{server.url}{path}", content=body, timeout=10,
                        headers={"authorization": f"Bearer {server.keys[variable]}", **headers})

    assert answer.status_code == 400
    assert refusal in answer.text


def test_the_loopback_openai_refuses_a_response_format_the_model_does_not_offer(server):
    files = {"file": ("a.flac", b"fLaC\x00", "audio/flac")}
    data = {"model": "gpt-4o-transcribe", "response_format": "verbose_json"}
    answer = httpx.post(f"{server.url}{TRANSCRIBE}", files=files, data=data, timeout=10,
                        headers={"authorization": f"Bearer {server.keys['OPENAI_API_KEY']}"})

    assert answer.status_code == 400
    assert "not compatible with model 'gpt-4o-transcribe'" in answer.json()["error"]["message"]


def test_by_default_the_dub_is_heard_back_by_the_tasks_own_recogniser(server, jfk, tmp_path):
    result, _ = run_chain(server, jfk, tmp_path / "data", quality="auto")
    assert result.status.value == "succeeded", result.error
    assert result.quality.checker == "openai/gpt-4o-transcribe"
    assert len(server.requests(TRANSCRIBE)) == 1 + len(result.quality.lines)
    assert all(line.error_rate is not None for line in result.quality.lines)
    assert any("quality check" in line.basis for line in result.actual_cost.lines)
