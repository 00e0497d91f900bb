"""One error tree: retryable where a retry can help, messages that say what to do."""

from __future__ import annotations

import pipeline.errors as errors
from pipeline.errors import (
    AppError,
    InputError,
    MissingKeyError,
    VendorAuthError,
    VendorRateLimitError,
    VendorServerError,
    VendorTimeoutError,
)


def test_every_public_error_belongs_to_the_tree():
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), AppError)


def test_only_transient_vendor_errors_are_retryable():
    assert VendorRateLimitError("fish", "slow down").retryable
    assert VendorServerError("fish", "oops").retryable
    assert VendorTimeoutError("fish", "late").retryable
    assert not VendorAuthError("fish", "bad key").retryable
    assert not InputError("bad file").retryable


def test_missing_key_names_the_variable_and_no_surface_of_its_own():
    error = MissingKeyError("fish", "FISH_API_KEY")
    assert str(error) == "fish needs an API key (FISH_API_KEY)."
    assert error.kind == "missing_key"


def test_the_tree_is_drawn_in_the_module_docstring():
    for name in ("AppError", "InputError", "VendorError", "MissingKeyError", "TaskCanceledError"):
        assert name in errors.__doc__
