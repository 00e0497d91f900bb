"""Translation through OpenAI-compatible chat completions (mock transport only)."""

from __future__ import annotations

import json

import httpx2
import pytest

from pipeline.errors import (
    VendorAuthError,
    VendorQuotaError,
    VendorRateLimitError,
    VendorResponseError,
    VendorServerError,
    VendorTimeoutError,
)
from pipeline.settings import Secret
from pipeline.types import Segment, TranslationContext, Usage
from vendors.openai.llm import NO_KEY, OpenAIChatTranslator

KEY = "gsk_live_0123456789abcdefSECRET"
BASE_URL = "http://127.0.0.1:8123/openai/v1"


def completion(content: str | None, finish_reason: str = "stop", usage: dict | None = None) -> dict:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1_790_000_000,
        "model": "llama-3.3-70b-versatile",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content},
            "finish_reason": finish_reason,
        }],
        "usage": usage if usage is not None else
        {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150},
    }


def error_reply(status: int, message: str, *, code: str | None = None,
                headers: dict | None = None) -> httpx2.Response:
    body = {"error": {"message": message, "type": "error", "param": None, "code": code}}
    return httpx2.Response(status, headers=headers or {}, json=body)


class Recorder:
    """A fake chat endpoint: records requests and answers with the given responses."""

    def __init__(self, *responses: httpx2.Response | dict | Exception) -> None:
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


def translator(recorder: Recorder, *, api_key: Secret | None = Secret(KEY), **kwargs) -> OpenAIChatTranslator:
    return OpenAIChatTranslator(
        vendor="groq",
        model="llama-3.3-70b-versatile",
        api_key=api_key,
        base_url=BASE_URL,
        key_variable="GROQ_API_KEY",
        http_client=httpx2.Client(transport=httpx2.MockTransport(recorder)),
        **kwargs,
    )


def translate(recorder: Recorder, *texts: str, **kwargs):
    segments = [Segment(float(i), float(i) + 2.0, t) for i, t in enumerate(texts)]
    return translator(recorder, **kwargs).translate(segments, "en", "fr", TranslationContext())


def test_the_request_goes_to_chat_completions_on_the_custom_base_url() -> None:
    recorder = Recorder(completion('{"1": "Bonjour", "2": "Au revoir"}'))
    result = translate(recorder, "Hello", "Goodbye")

    request = recorder.requests[0]
    assert request.method == "POST"
    assert str(request.url) == f"{BASE_URL}/chat/completions"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    body = recorder.body()
    assert body["model"] == "llama-3.3-70b-versatile"
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert "French" in body["messages"][0]["content"]
    assert "Goodbye" in body["messages"][1]["content"]
    assert "response_format" not in body

    assert [s.text for s in result.segments] == ["Bonjour", "Au revoir"]
    assert [(s.start_s, s.end_s) for s in result.segments] == [(0.0, 2.0), (1.0, 3.0)]
    assert (result.vendor, result.model) == ("groq", "llama-3.3-70b-versatile")


def test_usage_is_taken_from_the_response() -> None:
    result = translate(Recorder(completion('{"1": "Salut"}')), "Hi")
    assert result.usage == Usage(input_tokens=120, output_tokens=30)


def test_json_mode_is_sent_only_when_asked_for() -> None:
    recorder = Recorder(completion('{"1": "Salut"}'))
    translate(recorder, "Hi", json_mode=True)
    assert recorder.body()["response_format"] == {"type": "json_object"}


def test_a_server_without_keys_gets_a_placeholder_key() -> None:
    recorder = Recorder(completion('{"1": "Salut"}'))
    translate(recorder, "Hi", api_key=None)
    assert recorder.requests[0].headers["authorization"] == f"Bearer {NO_KEY}"


def test_a_length_cut_answer_is_retried_in_smaller_batches() -> None:
    recorder = Recorder(
        completion('{"1": "Sal', finish_reason="length"),
        completion('{"1": "Salut"}'),
        completion('{"2": "Merci"}'),
    )
    result = translate(recorder, "Hi", "Thanks")
    assert [s.text for s in result.segments] == ["Salut", "Merci"]


def test_an_empty_answer_twice_is_a_response_error() -> None:
    recorder = Recorder(completion(None), completion(""))
    with pytest.raises(VendorResponseError, match="returned 0 of 1 segments"):
        translate(recorder, "Hi")


def test_a_rejected_key_names_the_variable_and_hides_the_key() -> None:
    masked = KEY[:8] + "*" * 10 + KEY[-4:]
    recorder = Recorder(error_reply(401, f"Incorrect API key provided: {masked}. Or {KEY}.",
                                    code="invalid_api_key"))
    with pytest.raises(VendorAuthError) as caught:
        translate(recorder, "Hi")
    text = str(caught.value)
    assert "GROQ_API_KEY" in text
    assert KEY not in text and masked not in text and KEY[-4:] + "." not in text
    assert caught.value.retryable is False


def test_rate_limits_are_retryable_with_retry_after() -> None:
    recorder = Recorder(error_reply(429, "Rate limit reached", code="rate_limit_exceeded",
                                    headers={"retry-after": "3"}))
    with pytest.raises(VendorRateLimitError) as caught:
        translate(recorder, "Hi")
    assert caught.value.retryable is True
    assert caught.value.retry_after_s == 3.0


def test_an_exhausted_quota_is_final() -> None:
    recorder = Recorder(error_reply(429, "You exceeded your current quota", code="insufficient_quota"))
    with pytest.raises(VendorQuotaError) as caught:
        translate(recorder, "Hi")
    assert caught.value.retryable is False


def test_an_unknown_model_is_final_with_the_vendor_message() -> None:
    recorder = Recorder(error_reply(404, "The model `nope` does not exist", code="model_not_found"))
    with pytest.raises(VendorResponseError, match="does not exist") as caught:
        translate(recorder, "Hi")
    assert caught.value.retryable is False


def test_server_errors_are_retryable() -> None:
    with pytest.raises(VendorServerError) as caught:
        translate(Recorder(error_reply(503, "overloaded")), "Hi")
    assert caught.value.retryable is True


def test_timeouts_and_refused_connections_are_mapped() -> None:
    with pytest.raises(VendorTimeoutError):
        translate(Recorder(httpx2.ReadTimeout("slow")), "Hi")
    with pytest.raises(VendorServerError, match="base URL"):
        translate(Recorder(httpx2.ConnectError("refused")), "Hi")


def test_the_key_never_shows_in_the_repr() -> None:
    assert KEY not in repr(translator(Recorder()))
