"""Claude translation on the wire: request shape, replies, error mapping (mock transport only)."""

from __future__ import annotations

import functools
import json

import anthropic
import httpx2
import pytest

from pipeline.errors import (
    MissingKeyError,
    VendorAuthError,
    VendorQuotaError,
    VendorRateLimitError,
    VendorResponseError,
    VendorServerError,
    VendorTimeoutError,
)
from pipeline.settings import Secret, Settings
from pipeline.types import Role, Segment, TranslationContext, Usage
from vendors.anthropic import INFO, AnthropicTranslator, create

KEY = "sk-ant-api03-very-secret-key"
MODEL = "claude-haiku-4-5-20251001"


def message(content: list[dict], stop_reason: str = "end_turn") -> dict:
    return {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": MODEL,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {"input_tokens": 21, "output_tokens": 6},
    }


def text_reply(answer: dict) -> dict:
    return message([{"type": "text", "text": json.dumps(answer, ensure_ascii=False)}])


def error_reply(status: int, kind: str, text: str, *, headers: dict | None = None,
                error_code: str | None = None) -> httpx2.Response:
    error: dict = {"type": kind, "message": text}
    if error_code:
        error["details"] = {"error_code": error_code}
    body = {"type": "error", "error": error, "request_id": "req_1"}
    return httpx2.Response(status, headers={"request-id": "req_1", **(headers or {})}, json=body)


class Recorder:
    """A fake Anthropic API: records requests and answers with the given responses."""

    def __init__(self, *responses: httpx2.Response | dict) -> None:
        self.responses = list(responses)
        self.requests: list[httpx2.Request] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        request.read()
        self.requests.append(request)
        answer = self.responses.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer if isinstance(answer, httpx2.Response) else httpx2.Response(200, json=answer)

    def body(self, index: int = 0) -> dict:
        return json.loads(self.requests[index].content)


def translator(recorder: Recorder, **kwargs) -> AnthropicTranslator:
    client = httpx2.Client(transport=httpx2.MockTransport(recorder))
    return AnthropicTranslator(model=MODEL, api_key=Secret(KEY), http_client=client, **kwargs)


def translate(recorder: Recorder, *texts: str, **kwargs):
    segments = [Segment(float(i), float(i) + 1.5, t) for i, t in enumerate(texts)]
    return translator(recorder, **kwargs).translate(segments, "en", "es", TranslationContext())


def test_the_request_is_a_messages_call_without_sampling_parameters() -> None:
    recorder = Recorder(text_reply({"1": "Hola a todos"}))
    result = translate(recorder, "Hello everyone")

    request = recorder.requests[0]
    assert request.method == "POST"
    assert request.url.path == "/v1/messages"
    assert request.url.host == "api.anthropic.com"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["anthropic-version"]
    body = recorder.body()
    assert body["model"] == MODEL
    assert body["max_tokens"] > 0
    assert "Spanish" in body["system"]
    assert body["messages"][0]["role"] == "user"
    assert "Hello everyone" in body["messages"][0]["content"]
    assert not {"temperature", "top_p", "top_k"} & set(body)

    assert [s.text for s in result.segments] == ["Hola a todos"]
    assert result.segments[0].start_s == 0.0 and result.segments[0].end_s == 1.5
    assert (result.vendor, result.model) == ("anthropic", MODEL)
    assert (result.source_language, result.target_language) == ("en", "es")
    assert result.usage == Usage(input_tokens=21, output_tokens=6)


def test_only_text_blocks_are_read_when_thinking_comes_first() -> None:
    reply = message([
        {"type": "thinking", "thinking": '{"1": "borrador"}', "signature": "sig"},
        {"type": "text", "text": '{"1": "Hola"}'},
    ])
    result = translate(Recorder(reply), "Hello")
    assert result.segments[0].text == "Hola"


def test_overloaded_is_retryable_and_keeps_retry_after() -> None:
    recorder = Recorder(error_reply(529, "overloaded_error", "Overloaded", headers={"retry-after": "7"}))
    with pytest.raises(VendorRateLimitError) as caught:
        translate(recorder, "Hello")
    assert caught.value.retryable is True
    assert caught.value.retry_after_s == 7.0
    assert caught.value.status_code == 529
    assert len(recorder.requests) == 1


def test_rate_limit_is_retryable_and_keeps_retry_after() -> None:
    recorder = Recorder(error_reply(
        429, "rate_limit_error", "This request would exceed the rate limit for your organization",
        headers={"retry-after": "12"},
    ))
    with pytest.raises(VendorRateLimitError) as caught:
        translate(recorder, "Hello")
    assert caught.value.retryable is True
    assert caught.value.retry_after_s == 12.0


def test_a_reached_spend_limit_is_final() -> None:
    recorder = Recorder(error_reply(
        429, "rate_limit_error", "You have reached your monthly spend limit.",
        error_code="enforced_spend_limit_reached",
    ))
    with pytest.raises(VendorQuotaError) as caught:
        translate(recorder, "Hello")
    assert caught.value.retryable is False
    assert "spend limit" in str(caught.value)


def test_a_usage_limit_message_without_a_code_is_final_too() -> None:
    recorder = Recorder(error_reply(
        400, "invalid_request_error",
        "You have reached your specified API usage limits. You will regain access on 2026-12-01.",
    ))
    with pytest.raises(VendorQuotaError) as caught:
        translate(recorder, "Hello")
    assert caught.value.retryable is False


def test_a_rejected_key_names_the_variable_and_never_the_key() -> None:
    recorder = Recorder(error_reply(401, "authentication_error", f"invalid key {KEY}"))
    with pytest.raises(VendorAuthError) as caught:
        translate(recorder, "Hello")
    assert "ANTHROPIC_API_KEY" in str(caught.value)
    assert KEY not in str(caught.value)
    assert caught.value.retryable is False
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_an_invalid_request_is_final_with_the_api_message() -> None:
    recorder = Recorder(error_reply(400, "invalid_request_error", "model: unknown model 'claude-x'"))
    with pytest.raises(VendorResponseError) as caught:
        translate(recorder, "Hello")
    assert "unknown model 'claude-x'" in str(caught.value)
    assert caught.value.retryable is False


def test_a_server_error_is_retryable() -> None:
    recorder = Recorder(error_reply(500, "api_error", "Internal server error"))
    with pytest.raises(VendorServerError) as caught:
        translate(recorder, "Hello")
    assert caught.value.retryable is True


def test_no_answer_in_time_is_a_retryable_timeout() -> None:
    recorder = Recorder(httpx2.ReadTimeout("slow"))
    with pytest.raises(VendorTimeoutError) as caught:
        translate(recorder, "Hello")
    assert caught.value.retryable is True


def test_an_unreachable_host_says_to_check_the_base_url() -> None:
    recorder = Recorder(httpx2.ConnectError("refused"))
    with pytest.raises(VendorServerError, match="base URL"):
        translate(recorder, "Hello")


def test_an_answer_cut_at_max_tokens_is_retried_in_smaller_batches() -> None:
    cut = message([{"type": "text", "text": '{"1": "Ho'}], stop_reason="max_tokens")
    recorder = Recorder(cut, text_reply({"1": "Hola"}), text_reply({"2": "Adiós"}))
    result = translate(recorder, "Hello", "Goodbye")
    assert [s.text for s in result.segments] == ["Hola", "Adiós"]
    assert len(recorder.requests) == 3


def test_a_refusal_is_reported_as_such() -> None:
    refusal = message([{"type": "text", "text": ""}], stop_reason="refusal")
    with pytest.raises(VendorResponseError, match="declined"):
        translate(Recorder(refusal), "Hello")


def test_create_uses_the_base_url_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = Recorder(text_reply({"1": "Hola"}))
    client = httpx2.Client(transport=httpx2.MockTransport(recorder))
    monkeypatch.setattr(anthropic, "Anthropic", functools.partial(anthropic.Anthropic, http_client=client))
    settings = Settings.from_env({"ANTHROPIC_BASE_URL": "http://127.0.0.1:9999/gateway"})

    built = create(Role.TRANSLATE, MODEL, Secret(KEY), settings)
    built.translate([Segment(0.0, 1.0, "Hello")], "en", "es", TranslationContext())

    assert str(recorder.requests[0].url) == "http://127.0.0.1:9999/gateway/v1/messages"
    assert KEY not in repr(built)


def test_create_without_a_key_names_the_variable() -> None:
    with pytest.raises(MissingKeyError, match="ANTHROPIC_API_KEY"):
        create(Role.TRANSLATE, INFO.default_model(Role.TRANSLATE), None, Settings.from_env({}))
