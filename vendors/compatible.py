"""Any OpenAI-compatible chat endpoint you run or choose (Ollama, vLLM, LM Studio, OpenRouter, ...).

Environment: ``COMPATIBLE_BASE_URL`` (required, e.g. ``http://localhost:11434/v1`` for
Ollama), ``COMPATIBLE_API_KEY`` (only if the endpoint wants one), ``COMPATIBLE_MODELS``
(comma-separated model names, the first is the default; any other name is accepted too).
"""

from __future__ import annotations

from pipeline.errors import ConfigurationError, UnknownVendorError
from pipeline.settings import Secret, Settings
from pipeline.types import Role
from pipeline.vendor_api import VendorInfo
from vendors.openai.llm import OpenAIChatTranslator

__all__ = [
    "BASE_URL_VARIABLE",
    "INFO",
    "KEY_VARIABLE",
    "MODELS_VARIABLE",
    "configured_models",
    "create",
]

BASE_URL_VARIABLE = "COMPATIBLE_BASE_URL"
KEY_VARIABLE = "COMPATIBLE_API_KEY"
MODELS_VARIABLE = "COMPATIBLE_MODELS"
# Local models on a CPU can take minutes for one batch.
TIMEOUT_S = 300.0

INFO = VendorInfo(
    id="compatible",
    display_name="OpenAI-compatible endpoint",
    roles=frozenset({Role.TRANSLATE}),
    languages={Role.TRANSLATE: None},
    key_variable=KEY_VARIABLE,
    # The models are the user's: read from COMPATIBLE_MODELS at run time (configured_models).
    models={Role.TRANSLATE: ()},
    factory="vendors.compatible:create",
    install_hint="pip install openai",
    label="your own server or gateway",
    requires=("openai",),
    # The base URL is required; the key only if the endpoint wants one.
    key_optional=True,
    required_variables=(BASE_URL_VARIABLE,),
    docs_url="https://platform.openai.com/docs/api-reference/chat/create",
    extra={
        "any_model": "1",
        "base_url_variable": BASE_URL_VARIABLE,
        "models_variable": MODELS_VARIABLE,
    },
)


def configured_models(settings: Settings) -> tuple[str, ...]:
    """The model names listed in ``COMPATIBLE_MODELS``, in order (first = default)."""
    raw = settings.env(MODELS_VARIABLE)
    return tuple(name.strip() for name in raw.split(",") if name.strip())


def create(role: Role, model: str, key: Secret | None, settings: Settings) -> OpenAIChatTranslator:
    """Build a translator for the endpoint in ``COMPATIBLE_BASE_URL``.

    Args:
        role: must be translation.
        model: the model name; "" means the first of ``COMPATIBLE_MODELS``.
        key: ``COMPATIBLE_API_KEY`` when set; ``None`` sends a dummy value, as local servers expect.
        settings: where the base URL and the model list are read from.

    Raises:
        ConfigurationError: no base URL, or no model named anywhere.
    """
    if role is not Role.TRANSLATE:
        raise UnknownVendorError(f"{INFO.display_name} cannot {role.value}; it only translates.")
    base_url = settings.env(BASE_URL_VARIABLE)
    if not base_url:
        raise ConfigurationError(
            f"Set {BASE_URL_VARIABLE} to your endpoint's URL (for example "
            "http://localhost:11434/v1 for Ollama) to use an OpenAI-compatible endpoint."
        )
    chosen = model.strip() or next(iter(configured_models(settings)), "")
    if not chosen:
        raise ConfigurationError(
            f"Name a model for the OpenAI-compatible endpoint: set {MODELS_VARIABLE} "
            "(e.g. qwen2.5:7b) or choose compatible/<model>."
        )
    return OpenAIChatTranslator(
        vendor=INFO.id,
        model=chosen,
        api_key=key,
        base_url=base_url,
        timeout_s=TIMEOUT_S,
        key_variable=KEY_VARIABLE,
    )
