"""Anthropic Claude: segment-by-segment translation (the default translator).

Environment: ``ANTHROPIC_API_KEY`` (required), ``ANTHROPIC_BASE_URL`` (optional).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pipeline.errors import (
    MissingKeyError,
    UnknownVendorError,
    VendorError,
    VendorQuotaError,
    VendorRateLimitError,
    VendorResponseError,
)
from pipeline.settings import Secret, Settings
from pipeline.translation_prompt import ChatReply, translation_of
from pipeline.types import Role, Segment, Translation, TranslationContext, Usage
from pipeline.vendor_api import Price, PriceUnit, VendorInfo
from vendors.errors import connection_error, error_for_status, retry_after_seconds, timeout_error

__all__ = ["INFO", "AnthropicTranslator", "create"]

KEY_VARIABLE = "ANTHROPIC_API_KEY"
DEFAULT_TIMEOUT_S = 180.0
DEFAULT_MAX_OUTPUT_TOKENS = 16000

_PRICING = "https://platform.claude.com/docs/en/about-claude/pricing"
_CHECKED = "2026-11"

INFO = VendorInfo(
    id="anthropic",
    display_name="Anthropic Claude",
    roles=frozenset({Role.TRANSLATE}),
    languages={Role.TRANSLATE: None},
    key_variable=KEY_VARIABLE,
    models={
        Role.TRANSLATE: (
            "claude-haiku-4-5-20251001",
            "claude-haiku-5-5",
            "claude-sonnet-5-5",
            "claude-opus-5-5",
        )
    },
    factory="vendors.anthropic:create",
    prices=(
        Price(Role.TRANSLATE, 1.0, PriceUnit.MILLION_INPUT_TOKENS, _PRICING, _CHECKED, "claude-haiku-4-5-20251001"),
        Price(Role.TRANSLATE, 5.0, PriceUnit.MILLION_OUTPUT_TOKENS, _PRICING, _CHECKED, "claude-haiku-4-5-20251001"),
        Price(Role.TRANSLATE, 0.10, PriceUnit.MILLION_INPUT_TOKENS, _PRICING, _CHECKED, "claude-haiku-5-5"),
        Price(Role.TRANSLATE, 0.50, PriceUnit.MILLION_OUTPUT_TOKENS, _PRICING, _CHECKED, "claude-haiku-5-5"),
        Price(Role.TRANSLATE, 2.0, PriceUnit.MILLION_INPUT_TOKENS, _PRICING, _CHECKED, "claude-sonnet-5-5"),
        Price(Role.TRANSLATE, 10.0, PriceUnit.MILLION_OUTPUT_TOKENS, _PRICING, _CHECKED, "claude-sonnet-5-5"),
        Price(Role.TRANSLATE, 5.0, PriceUnit.MILLION_INPUT_TOKENS, _PRICING, _CHECKED, "claude-opus-5-5"),
        Price(Role.TRANSLATE, 25.0, PriceUnit.MILLION_OUTPUT_TOKENS, _PRICING, _CHECKED, "claude-opus-5-5"),
    ),
    install_hint="pip install anthropic",
    requires=("anthropic",),
    docs_url="https://platform.claude.com/docs/en/api/messages",
    key_url="https://platform.claude.com/settings/keys",
)

# A spend cap or an empty balance: retrying cannot help until the user acts.
_SPEND_LIMIT_CODES = frozenset({"enforced_spend_limit_reached", "spend_limit_reached"})
_SPEND_LIMIT_WORDS = re.compile(r"spend(ing)? limit|usage limit|credit balance", re.IGNORECASE)


def create(role: Role, model: str, key: Secret | None, settings: Settings) -> AnthropicTranslator:
    """Build the Claude translator (the registry calls this with the resolved key).

    Raises:
        UnknownVendorError: for a role other than translation.
        MissingKeyError: when no key was resolved.
    """
    if role is not Role.TRANSLATE:
        raise UnknownVendorError(f"{INFO.display_name} cannot {role.value}; it only translates.")
    if key is None:
        raise MissingKeyError(INFO.id, KEY_VARIABLE)
    return AnthropicTranslator(
        model=model or INFO.default_model(Role.TRANSLATE),
        api_key=key,
        base_url=settings.env("ANTHROPIC_BASE_URL") or None,
    )


class AnthropicTranslator:
    """Translates segments with the Claude Messages API (one request per batch).

    Args:
        model: Claude model id.
        api_key: the key, sent only to the Anthropic client.
        base_url: a proxy or gateway instead of api.anthropic.com.
        client: a ready ``anthropic.Anthropic`` (tests); built from the other arguments if None.
        http_client: an ``httpx2.Client`` for the SDK to use (tests inject a mock transport).
        timeout_s: per-request timeout; the pipeline, not the SDK, retries.
        max_output_tokens: ``max_tokens`` of each request.
    """

    vendor = INFO.id

    def __init__(
        self,
        *,
        model: str,
        api_key: Secret,
        base_url: str | None = None,
        client: object | None = None,
        http_client: object | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_output_tokens: int = DEFAULT_MAX_OUTPUT_TOKENS,
    ) -> None:
        self.model = model
        self._key = api_key
        self._max_output_tokens = max_output_tokens
        if client is None:
            import anthropic

            client = anthropic.Anthropic(
                api_key=api_key.reveal(),
                base_url=base_url,
                max_retries=0,
                timeout=timeout_s,
                **_http_client_option(http_client),
            )
        self._client = client

    def __repr__(self) -> str:
        return f"AnthropicTranslator(model={self.model!r})"

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
        import anthropic

        try:
            message = self._client.messages.create(
                model=self.model,
                max_tokens=self._max_output_tokens,
                system=system,
                messages=[{"role": "user", "content": user}],
            )
        except anthropic.APIStatusError as exc:
            raise self._status_error(exc) from None
        except anthropic.APITimeoutError:
            raise timeout_error(self.vendor) from None
        except anthropic.APIConnectionError as exc:
            raise connection_error(self.vendor, exc) from None
        if message.stop_reason == "refusal":
            raise VendorResponseError(
                self.vendor, f"{self.model} declined to translate this text; try another model."
            )
        text = "".join(b.text for b in message.content if getattr(b, "type", "") == "text")
        usage = Usage(
            input_tokens=message.usage.input_tokens or 0,
            output_tokens=message.usage.output_tokens or 0,
        )
        return ChatReply(text=text, usage=usage, truncated=message.stop_reason == "max_tokens")

    def _status_error(self, exc: object) -> VendorError:
        status = getattr(exc, "status_code", 0)
        kind = getattr(exc, "type", None) or ""
        code = getattr(exc, "error_code", None) or ""
        detail = getattr(exc, "api_message", None) or ""
        if self._key.reveal():
            detail = detail.replace(self._key.reveal(), "***")
        retry_after_s = retry_after_seconds(getattr(getattr(exc, "response", None), "headers", None))
        said = f" ({detail.strip()[:300]})" if detail.strip() else ""
        if status in (400, 429) and (code in _SPEND_LIMIT_CODES or _SPEND_LIMIT_WORDS.search(detail)):
            return VendorQuotaError(
                self.vendor,
                f"the account reached its spend limit or ran out of credit{said}; raise the limit "
                "or add credit in the Claude Console, or pick another model.",
                status_code=status,
            )
        if status == 529 or kind == "overloaded_error":
            return VendorRateLimitError(
                self.vendor, f"the service is overloaded{said}; try again shortly.",
                status_code=status, retry_after_s=retry_after_s,
            )
        return error_for_status(
            self.vendor, status, detail, variable=KEY_VARIABLE, retry_after_s=retry_after_s
        )


def _http_client_option(http_client: object | None) -> dict[str, object]:
    # Only an injected client is passed, so the SDK keeps its own default otherwise.
    return {} if http_client is None else {"http_client": http_client}
