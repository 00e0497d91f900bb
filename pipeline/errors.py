"""One error tree for the whole product.

Every failure a user can see is an :class:`AppError`. Its message says what happened and
what to do next; it never carries an API key, a request header or a stack trace.
``retryable`` tells callers (the runner's retry loop, the REST API, the UI) whether trying
the same thing again may succeed.

::

    AppError
    ├── InputError                      the user's input cannot be used (CLI exit code 2)
    │   ├── AudioError
    │   │   ├── NotAudioError           not an audio file at all (e.g. text renamed .mp3)
    │   │   ├── EmptyAudioError         0 bytes, or no audio stream
    │   │   ├── TruncatedAudioError     the file ends early or is damaged
    │   │   ├── SilentAudioError        decodes, but holds no speech-level signal
    │   │   ├── AudioTooLongError       longer than APP_MAX_DURATION_S
    │   │   ├── AudioTooLargeError      bigger than APP_MAX_UPLOAD_MB (APP_MAX_VIDEO_MB)
    │   │   ├── UnsupportedVideoError   a video codec we cannot put back into a video
    │   │   └── NoVideoError            a video output asked of an audio-only input
    │   ├── UnknownLanguageError        a language code or name we do not know
    │   ├── UnknownVendorError          a vendor or model id that is not in the registry
    │   ├── UnsupportedLanguageError    the vendor does not handle that language
    │   ├── TaskNotFoundError           no task has this id (or it was deleted)
    │   └── TaskConflictError           the task's state does not allow this (e.g. retry)
    ├── ConfigurationError              the setup lacks something (CLI exit code 2)
    │   ├── MissingKeyError             no key in the request nor in the environment
    │   └── VendorUnavailableError      the vendor cannot run on this machine
    ├── VendorError                     a vendor call failed (CLI exit code 1)
    │   ├── VendorAuthError             key rejected (final)
    │   ├── VendorQuotaError            out of credit / spend limit (final)
    │   ├── VendorRateLimitError        429 / overloaded (retryable)
    │   ├── VendorTimeoutError          no answer in time (retryable)
    │   ├── VendorServerError           5xx (retryable)
    │   └── VendorResponseError         an answer we cannot use (final)
    ├── ProcessingError                 local audio work failed (CLI exit code 1)
    ├── QueueFullError                  too many tasks wait already (retryable)
    └── TaskCanceledError               the user canceled the task
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AppError",
    "AudioError",
    "AudioTooLargeError",
    "AudioTooLongError",
    "ConfigurationError",
    "EmptyAudioError",
    "InputError",
    "MissingKeyError",
    "NoVideoError",
    "NotAudioError",
    "ProcessingError",
    "QueueFullError",
    "SilentAudioError",
    "TaskCanceledError",
    "TaskConflictError",
    "TaskNotFoundError",
    "TruncatedAudioError",
    "UnknownLanguageError",
    "UnknownVendorError",
    "UnsupportedLanguageError",
    "UnsupportedVideoError",
    "VendorAuthError",
    "VendorError",
    "VendorQuotaError",
    "VendorRateLimitError",
    "VendorResponseError",
    "VendorServerError",
    "VendorTimeoutError",
    "VendorUnavailableError",
]


class AppError(Exception):
    """Base of every error a user may see.

    Args:
        message: one sentence saying what went wrong and what to do about it.
        retryable: whether the same call may succeed if tried again.
        param: the option or field at fault (e.g. ``target_language``), when there is one.
    """

    retryable_default = False
    kind = "app_error"

    def __init__(self, message: str, *, retryable: bool | None = None,
                 param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = self.retryable_default if retryable is None else retryable
        self.param = param

    def __str__(self) -> str:
        return self.message


class InputError(AppError):
    """The user's input cannot be used as given."""

    kind = "invalid_input"


class AudioError(InputError):
    """The audio file cannot be used."""

    kind = "invalid_audio"


class NotAudioError(AudioError):
    """The file is not audio (or not a format we can decode)."""


class EmptyAudioError(AudioError):
    """The file is empty or has no audio stream."""


class TruncatedAudioError(AudioError):
    """The file is cut short or damaged."""


class SilentAudioError(AudioError):
    """The audio holds no speech-level signal."""


class AudioTooLongError(AudioError):
    """The audio is longer than the configured limit."""


class AudioTooLargeError(AudioError):
    """The file is bigger than the configured upload limit."""

    kind = "file_too_large"


class UnsupportedVideoError(NotAudioError):
    """The video stream's codec cannot be copied into a dubbed video."""


class NoVideoError(AudioError):
    """A video output was asked of an input that has no picture."""


class UnknownLanguageError(InputError):
    """A language we do not know."""

    kind = "unknown_language"


class UnknownVendorError(InputError):
    """A vendor or model id not in the registry."""

    kind = "unknown_vendor"


class UnsupportedLanguageError(InputError):
    """The chosen vendor does not handle the language."""

    kind = "unsupported_language"


class ConfigurationError(AppError):
    """The setup lacks something the task needs."""

    kind = "configuration_error"


class MissingKeyError(ConfigurationError):
    """No API key in the request nor in the environment.

    The error carries the facts (see :mod:`pipeline.key_help`) and each surface words
    them: the CLI names the variable, the REST API the header, the page its Settings.

    Args:
        vendor: the vendor id (of the first key missing).
        variable: the environment variable that would hold that key.
        needs: per vendor whose key is missing, a ``KeyNeed`` (its name in words, where
            to get a key, the price per minute of speech, keyless alternatives); empty
            when only the vendor id and the variable are known.
        message: the facts in plain words (default: the vendor and the variable).
    """

    kind = "missing_key"

    def __init__(self, vendor: str, variable: str, *, needs: tuple[Any, ...] = (),
                 message: str | None = None) -> None:
        super().__init__(message or f"{vendor} needs an API key ({variable}).")
        self.vendor = vendor
        self.variable = variable
        self.needs = needs


class VendorUnavailableError(ConfigurationError):
    """The vendor cannot run on this machine (e.g. a package is missing)."""

    kind = "vendor_unavailable"


class VendorError(AppError):
    """A vendor call failed.

    Args:
        vendor: the vendor id.
        message: what happened and what to do.
        retryable: whether a later try may succeed.
        status_code: the HTTP status, when there was one.
        retry_after_s: how long the vendor asked us to wait (``Retry-After``), if it did.
    """

    kind = "vendor_error"

    def __init__(
        self,
        vendor: str,
        message: str,
        *,
        retryable: bool | None = None,
        status_code: int | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(f"{vendor}: {message}", retryable=retryable)
        self.vendor = vendor
        self.status_code = status_code
        self.retry_after_s = retry_after_s


class VendorAuthError(VendorError):
    """The vendor rejected the key."""

    kind = "vendor_auth_error"


class VendorQuotaError(VendorError):
    """The account is out of credit or over a spend limit."""

    kind = "vendor_quota_error"


class VendorRateLimitError(VendorError):
    """Too many requests or the vendor is overloaded; try again later."""

    retryable_default = True
    kind = "vendor_rate_limited"


class VendorTimeoutError(VendorError):
    """The vendor did not answer in time."""

    retryable_default = True
    kind = "vendor_timeout"


class VendorServerError(VendorError):
    """The vendor had an internal error."""

    retryable_default = True
    kind = "vendor_server_error"


class VendorResponseError(VendorError):
    """The vendor answered with something we cannot use."""

    kind = "vendor_bad_response"


class ProcessingError(AppError):
    """Local audio processing failed."""

    kind = "processing_error"


class TaskCanceledError(AppError):
    """The task was canceled by the user."""

    kind = "canceled"

    def __init__(self, message: str = "The task was canceled.") -> None:
        super().__init__(message)


class TaskNotFoundError(InputError):
    """No task has this id (or it was deleted)."""

    kind = "task_not_found"


class TaskConflictError(InputError):
    """The task is not in a state that allows this (e.g. retrying one that did not fail)."""

    kind = "task_conflict"


class QueueFullError(AppError):
    """Too many tasks wait already; try again later."""

    retryable_default = True
    kind = "queue_full"

    def __init__(self, size: int, retry_after_s: int = 30) -> None:
        waiting = "1 task is" if size == 1 else f"{size} tasks are"
        super().__init__(f"The queue is full ({waiting} waiting); try again in a minute.")
        self.retry_after_s = retry_after_s
