"""What every OpenAI-compatible host shares: the SDK client and its error mapping."""

from __future__ import annotations

import httpx2
import pytest

from pipeline.errors import (
    MissingKeyError,
    VendorAuthError,
    VendorQuotaError,
    VendorResponseError,
    VendorServerError,
)
from pipeline.settings import Secret
from vendors.openai import client as openai_client

KEY = "sk-proj-live0123456789abcdefSECRET"


def test_the_sdk_client_makes_one_attempt_at_the_given_url():
    client = openai_client.sdk_client(vendor="openai", variable="OPENAI_API_KEY", key=Secret(KEY),
                                      base_url="http://127.0.0.1:9/v1", timeout_s=12.0)
    assert str(client.base_url) == "http://127.0.0.1:9/v1/"
    assert client.max_retries == 0
    assert client.timeout == 12.0


def test_the_sdk_client_needs_a_key():
    with pytest.raises(MissingKeyError, match="OPENAI_API_KEY"):
        openai_client.sdk_client(vendor="openai", variable="OPENAI_API_KEY", key=None,
                                 base_url=None, timeout_s=1.0)


def sdk_error(status: int, body: dict, headers: dict | None = None) -> Exception:
    """The exception the real SDK raises for one mocked answer."""
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(status, headers=headers or {}, json=body)

    client = openai_client.sdk_client(
        vendor="openai", variable="OPENAI_API_KEY", key=Secret(KEY), base_url=None,
        timeout_s=5.0, http_client=httpx2.Client(transport=httpx2.MockTransport(handler)))
    try:
        client.models.list()
    except Exception as exc:  # noqa: BLE001 - the test wants whatever the SDK raised
        return exc
    raise AssertionError("the SDK did not raise")


def test_permission_denied_is_an_auth_error_naming_the_hosts_variable():
    exc = sdk_error(403, {"error": {"message": "Project lacks access", "code": None}})
    error = openai_client.map_sdk_error(exc, vendor="groq", variable="GROQ_API_KEY")
    assert isinstance(error, VendorAuthError)
    assert "GROQ_API_KEY" in str(error) and str(error).startswith("groq:")


def test_a_quota_429_is_final_but_a_plain_429_keeps_retry_after_ms():
    quota = sdk_error(429, {"error": {"message": "quota", "code": "insufficient_quota"}})
    assert isinstance(openai_client.map_sdk_error(quota, vendor="openai", variable="V"),
                      VendorQuotaError)
    limited = sdk_error(429, {"error": {"message": "slow down"}}, {"retry-after-ms": "1500"})
    error = openai_client.map_sdk_error(limited, vendor="openai", variable="V")
    assert error.retryable and error.retry_after_s == 1.5


def test_a_503_is_a_retryable_server_error():
    exc = sdk_error(503, {"error": {"message": "overloaded"}})
    error = openai_client.map_sdk_error(exc, vendor="openai", variable="V")
    assert isinstance(error, VendorServerError) and error.retryable


def test_an_unreadable_answer_is_a_final_response_error():
    import openai

    exc = openai.APIResponseValidationError(
        response=httpx2.Response(200, request=httpx2.Request("GET", "http://x")), body=None)
    error = openai_client.map_sdk_error(exc, vendor="openai", variable="V")
    assert isinstance(error, VendorResponseError) and not error.retryable
