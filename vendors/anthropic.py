"""Anthropic Claude: segment-by-segment translation (the default translator).

Environment: ``ANTHROPIC_API_KEY`` (required), ``ANTHROPIC_BASE_URL`` (optional).
"""

from __future__ import annotations

from pipeline.types import Role
from vendors.base import Price, PriceUnit, VendorInfo

_PRICING = "https://platform.claude.com/docs/en/about-claude/pricing"
_CHECKED = "2026-11"

INFO = VendorInfo(
    id="anthropic",
    display_name="Anthropic Claude",
    roles=frozenset({Role.TRANSLATE}),
    languages={Role.TRANSLATE: None},
    key_variable="ANTHROPIC_API_KEY",
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
)
