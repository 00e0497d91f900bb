"""Retries happen only for retryable errors, bounded, honouring Retry-After."""

from __future__ import annotations

import threading

import pytest

from pipeline.errors import TaskCanceledError, VendorAuthError, VendorRateLimitError
from pipeline.retry import RetryPolicy, call_with_retry


def _flaky(errors):
    calls = []

    def fn():
        calls.append(1)
        if errors:
            raise errors.pop(0)
        return "ok"
    return fn, calls


def test_a_429_then_success_takes_exactly_one_retry_and_waits_as_asked():
    waits = []
    fn, calls = _flaky([VendorRateLimitError("fish", "busy", retry_after_s=2.5)])
    assert call_with_retry(fn, RetryPolicy(sleep=waits.append)) == "ok"
    assert len(calls) == 2
    assert waits == [2.5]


def test_a_final_error_is_raised_at_once():
    waits = []
    fn, calls = _flaky([VendorAuthError("fish", "bad key; check FISH_API_KEY")])
    with pytest.raises(VendorAuthError, match="FISH_API_KEY"):
        call_with_retry(fn, RetryPolicy(sleep=waits.append))
    assert len(calls) == 1 and waits == []


def test_retries_are_bounded_with_exponential_backoff():
    waits = []
    fn, calls = _flaky([VendorRateLimitError("x", "busy") for _ in range(5)])
    with pytest.raises(VendorRateLimitError):
        call_with_retry(fn, RetryPolicy(attempts=3, base_delay_s=1.0, sleep=waits.append))
    assert len(calls) == 3
    assert waits == [1.0, 2.0]


def test_a_canceled_task_makes_no_more_calls():
    cancel = threading.Event()
    cancel.set()
    fn, calls = _flaky([])
    with pytest.raises(TaskCanceledError):
        call_with_retry(fn, RetryPolicy(sleep=lambda s: None), cancel=cancel)
    assert calls == []
