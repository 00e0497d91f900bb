"""Translation through any OpenAI-compatible chat completions endpoint.

Used for OpenAI itself and for every host that speaks the same protocol (Groq, SambaNova,
the Hugging Face router, a self-hosted Ollama or vLLM, OpenRouter, ...).
"""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.errors import VendorResponseError
from pipeline.settings import Secret
from pipeline.translation_prompt import ChatReply, translation_of
from pipeline.types import Segment, Translation, TranslationContext, Usage
from vendors.openai.client import NO_KEY, map_sdk_error, sdk_client

__all__ = ["NO_KEY", "OpenAIChatTranslator"]


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
            client = sdk_client(
                vendor=vendor, variable=key_variable, key=api_key, base_url=base_url,
                timeout_s=timeout_s, http_client=http_client, key_required=False,
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
        except openai.OpenAIError as exc:
            raise map_sdk_error(
                exc, vendor=self.vendor, variable=self._key_variable, key=self._key
            ) from None
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
