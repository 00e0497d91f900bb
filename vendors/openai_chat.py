"""Translation through any OpenAI-compatible chat completions endpoint.

Used for OpenAI itself and for every host that speaks the same protocol (Groq, SambaNova,
the Hugging Face router, a self-hosted Ollama or vLLM, OpenRouter, ...).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pipeline.errors import VendorError, VendorQuotaError, VendorResponseError
from pipeline.settings import Secret
from pipeline.translation_prompt import ChatReply, translation_of
from pipeline.types import Segment, Translation, TranslationContext, Usage
from vendors.errors import error_for_status, retry_after_seconds, timeout_error, unreachable_error

__all__ = ["NO_KEY", "OpenAIChatTranslator"]

# Sent when a local server needs no key; the SDK refuses to build a client without one.
NO_KEY = "not-needed"

# Error codes that mean "out of credit", which waiting does not fix.
_QUOTA_CODES = frozenset({"insufficient_quota", "billing_hard_limit_reached"})
# Key-like tokens some vendors echo back (masked or not) in auth errors.
_KEY_LIKE = re.compile(r"\b(?:sk|gsk|hf|pk|key)[-_][\w*.\-]{4,}", re.IGNORECASE)


class OpenAIChatTranslator:
    """Translates segments with ``chat.completions.create`` (one request per batch).

    Args:
        vendor: vendor id reported in results and errors ("openai", "groq", ...).
        model: the model id the endpoint expects.
        api_key: the key; ``None`` for local servers that need none.
        base_url: the endpoint, e.g. ``https://api.groq.com/openai/v1``; ``None`` = OpenAI.
        client: a ready ``openai.OpenAI`` (tests); built from the other arguments if None.
        timeout_s: per-request timeout; the pipeline, not the SDK, retries.
        key_variable: the variable holding the key, named in auth errors.
        json_mode: send ``response_format={"type": "json_object"}`` (only where supported).
        http_client: an ``httpx2.Client`` for the SDK to use (tests inject a mock transport).
    """

    def __init__(
        self,
        *,
        vendor: str,
        model: str,
        api_key: Secret | None,
        base_url: str | None = None,
        client: object | None = None,
        timeout_s: float = 120.0,
        key_variable: str | None = None,
        json_mode: bool = False,
        http_client: object | None = None,
    ) -> None:
        self.vendor = vendor
        self.model = model
        self._key = api_key
        self._key_variable = key_variable
        self._json_mode = json_mode
        if client is None:
            import openai

            client = openai.OpenAI(
                api_key=api_key.reveal() if api_key is not None else NO_KEY,
                base_url=base_url,
                max_retries=0,
                timeout=timeout_s,
                **_http_client_option(http_client),
            )
        self._client = client

    def __repr__(self) -> str:
        return f"OpenAIChatTranslator(vendor={self.vendor!r}, model={self.model!r})"

    def translate(
        self,
        segments: Sequence[Segment],
        source_language: str,
        target_language: str,
        context: TranslationContext,
    ) -> Translation:
        """Return one translated segment per input segment, with the same times."""
        return translation_of(self._call, segments, source_language, target_language, context,
                              vendor=self.vendor, model=self.model)

    def _call(self, system: str, user: str) -> ChatReply:
        import openai

        extra = {"response_format": {"type": "json_object"}} if self._json_mode else {}
        try:
            completion = self._client.chat.completions.create(
                model=self.model,
                messages=[
                    {"role": "system", "content": system},
                    {"role": "user", "content": user},
                ],
                **extra,
            )
        except openai.APIStatusError as exc:
            raise self._status_error(exc) from None
        except openai.APITimeoutError:
            raise timeout_error(self.vendor) from None
        except openai.APIConnectionError:
            raise unreachable_error(self.vendor) from None
        if not completion.choices:
            raise VendorResponseError(
                self.vendor, f"{self.model} returned no answer; try again or pick another model."
            )
        choice = completion.choices[0]
        reported = completion.usage
        usage = Usage(
            input_tokens=(reported.prompt_tokens or 0) if reported else 0,
            output_tokens=(reported.completion_tokens or 0) if reported else 0,
        )
        return ChatReply(
            text=choice.message.content or "",
            usage=usage,
            truncated=choice.finish_reason == "length",
        )

    def _safe(self, detail: str) -> str:
        if self._key is not None and self._key.reveal():
            detail = detail.replace(self._key.reveal(), "***")
        return _KEY_LIKE.sub("***", detail)

    def _status_error(self, exc: object) -> VendorError:
        status = getattr(exc, "status_code", 0)
        body = getattr(exc, "body", None)
        message = body.get("message") if isinstance(body, dict) else None
        if not isinstance(message, str):
            message = body if isinstance(body, str) else ""
        detail = self._safe(message)
        code = getattr(exc, "code", None) or ""
        if code in _QUOTA_CODES:
            said = f" ({detail.strip()[:300]})" if detail.strip() else ""
            return VendorQuotaError(
                self.vendor,
                f"the account is out of credit or over its quota{said}; check billing.",
                status_code=status,
            )
        retry_after_s = retry_after_seconds(getattr(getattr(exc, "response", None), "headers", None))
        return error_for_status(
            self.vendor, status, detail, variable=self._key_variable, retry_after_s=retry_after_s
        )


def _http_client_option(http_client: object | None) -> dict[str, object]:
    # Only an injected client is passed, so the SDK keeps its own default otherwise.
    return {} if http_client is None else {"http_client": http_client}
