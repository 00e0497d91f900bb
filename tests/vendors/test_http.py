"""Shared httpx plumbing: timeouts, base URLs, transport failures and error bodies."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from pipeline.errors import (
    ConfigurationError,
    ProcessingError,
    VendorError,
    VendorRateLimitError,
    VendorServerError,
    VendorTimeoutError,
)
from pipeline.settings import Secret, Settings
from vendors import http


def _client(handler) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))


def _raise_mapped(response: httpx.Response) -> VendorError:
    return http.error_from_response("demo", response, http.redact(response.text, None))


def test_every_request_carries_explicit_connect_and_read_timeouts() -> None:
    seen: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return httpx.Response(200, content=b"ok")

    # An injected client with no timeouts of its own still gets ours per request.
    client = httpx.Client(transport=httpx.MockTransport(handler), timeout=None)
    http.send(client, "GET", "https://vendor.test/x", vendor="demo", on_error=_raise_mapped)

    assert seen[0]["connect"] == http.CONNECT_TIMEOUT_S == 10.0
    assert seen[0]["read"] == http.READ_TIMEOUT_S == 120.0


def test_a_new_client_is_owned_and_an_injected_one_is_not() -> None:
    injected = httpx.Client()
    assert http.new_client(injected) == (injected, False)
    made, owned = http.new_client()
    assert owned and made.timeout.read == 120.0
    made.close()


def test_send_reassembles_a_chunked_body() -> None:
    client = _client(lambda request: httpx.Response(200, content=iter([b"ab", b"cd", b"e"])))
    data = http.send(client, "POST", "https://vendor.test/x", vendor="demo", on_error=_raise_mapped)
    assert data == b"abcde"


def test_send_hands_failed_responses_to_the_mapper_with_the_body_read() -> None:
    client = _client(
        lambda request: httpx.Response(429, headers={"retry-after": "3"}, text="slow down")
    )
    with pytest.raises(VendorRateLimitError) as caught:
        http.send(client, "GET", "https://vendor.test/x", vendor="demo", on_error=_raise_mapped)
    assert caught.value.retryable and caught.value.retry_after_s == 3.0
    assert "slow down" in str(caught.value)


@pytest.mark.parametrize(
    ("failure", "expected", "retryable"),
    [
        (httpx.ReadTimeout("slow"), VendorTimeoutError, True),
        (httpx.ConnectTimeout("slow"), VendorTimeoutError, True),
        (httpx.ConnectError("refused"), VendorServerError, True),
        (httpx.RemoteProtocolError("cut"), VendorServerError, True),
        (httpx.UnsupportedProtocol("ftp"), ConfigurationError, False),
    ],
)
def test_transport_failures_become_errors_that_say_whether_to_retry(
    failure: Exception, expected: type, retryable: bool
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise failure

    with pytest.raises(expected) as caught:
        http.send(
            _client(handler), "GET", "https://vendor.test/x", vendor="demo",
            on_error=_raise_mapped, base_url_variable="DEMO_BASE_URL",
        )
    assert caught.value.retryable is retryable
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_an_unusable_url_names_the_setting_to_fix() -> None:
    with pytest.raises(ConfigurationError, match="DEMO_BASE_URL"):
        with http.transport_errors("demo", base_url_variable="DEMO_BASE_URL"):
            raise httpx.UnsupportedProtocol("no scheme")


def test_base_url_drops_the_trailing_slash_and_falls_back_to_the_default() -> None:
    settings = Settings.from_env({"DEMO_BASE_URL": "http://127.0.0.1:9000/"})
    assert http.base_url(settings, "DEMO_BASE_URL", "https://x.test") == "http://127.0.0.1:9000"
    unset = Settings.from_env({})
    assert http.base_url(unset, "DEMO_BASE_URL", "https://x.test") == "https://x.test"


def test_base_url_that_is_not_http_is_refused_without_echoing_it() -> None:
    settings = Settings.from_env({"DEMO_BASE_URL": "ftp://user:hunter2@host"})
    with pytest.raises(ConfigurationError) as caught:
        http.base_url(settings, "DEMO_BASE_URL", "https://x.test")
    assert "DEMO_BASE_URL" in str(caught.value) and "hunter2" not in str(caught.value)


def test_redact_removes_the_key_from_vendor_text() -> None:
    assert http.redact("bad key sk-123 given", Secret("sk-123")) == "bad key *** given"
    assert http.redact("nothing here", None) == "nothing here"


def test_validation_messages_name_the_field_and_the_problem() -> None:
    items = [{"loc": ["body", "text"], "msg": "field required"}, {"msg": "too long"}]
    assert http.validation_messages(items) == "text: field required; too long"


def test_json_body_is_none_for_plain_text() -> None:
    assert http.json_body(httpx.Response(500, text="<html>oops</html>")) is None
    assert http.json_body(httpx.Response(400, json={"a": 1})) == {"a": 1}


def test_a_missing_reference_file_is_a_processing_error(tmp_path: Path) -> None:
    with pytest.raises(ProcessingError, match="gone.wav"):
        http.read_reference(tmp_path / "gone.wav")
