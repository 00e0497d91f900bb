"""Per-request keys sealed for their trip through the broker (``APP_QUEUE_SECRET``).

In the distributed mode a caller's vendor keys must reach the worker that runs the task,
and the only way there is the queued message, which Redis holds until a worker takes it.
With ``APP_QUEUE_SECRET`` set (the same value on the web process and every worker), the
keys travel encrypted and authenticated (Fernet: AES-128-CBC with HMAC-SHA256), so Redis
and anything that reads it see only ciphertext; a message sealed with another secret, or
altered, is refused. The secret itself is never stored.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from pipeline.errors import ConfigurationError

__all__ = ["open_keys", "seal_keys"]


def _fernet(secret: str) -> Any:
    from cryptography.fernet import Fernet

    digest = hashlib.sha256(b"speech-translate keys\0" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal_keys(keys: Mapping[str, str], secret: str) -> str:
    """Encrypt ``keys`` with ``secret`` into one opaque token."""
    return _fernet(secret).encrypt(json.dumps(dict(keys)).encode()).decode()


def open_keys(token: str, secret: str) -> dict[str, str]:
    """The keys sealed in ``token``.

    Raises:
        ConfigurationError: no secret here, or the token was sealed with another secret
            or altered (the message names the setting, never a key).
    """
    from cryptography.fernet import InvalidToken

    if not secret:
        raise ConfigurationError("This worker received sealed keys but has no "
                                 "APP_QUEUE_SECRET; give it the web process's value.",
                                 param="APP_QUEUE_SECRET")
    try:
        opened = json.loads(_fernet(secret).decrypt(token.encode()))
    except InvalidToken:
        raise ConfigurationError("The keys of this task were sealed with another "
                                 "APP_QUEUE_SECRET; every process needs the same value.",
                                 param="APP_QUEUE_SECRET") from None
    return {str(name): str(value) for name, value in opened.items()}
