"""Fish Audio: inline-reference voice cloning in 80+ languages (the default outside zh/en).

Environment: ``FISH_API_KEY`` (required), ``FISH_BASE_URL`` (default
``https://api.fish.audio``), ``FISH_MODEL`` (default ``s2.1-pro``; always sent, since a
missing model header is billed as the paid default).
"""

from __future__ import annotations

from pipeline.types import Role
from vendors.base import Price, PriceUnit, VendorInfo
from vendors.languages import known

_PRICING = "https://docs.fish.audio/developer-guide/models-pricing/pricing-and-rate-limits"

LANGUAGES = known(
    "zh en ja ko es pt ar ru fr de sv it tr no nl cy eu ca da gl ta hu fi pl et hi la ur th "
    "vi jv bn yo sl cs sw nn he ms uk id kk bg lv my tl sk ne fa af el bo hr ro sn mi yi am "
    "be km is az sd br sq ps mn ht ml sr sa te ka bs pa lt kn si hy mr as gu fo"
)

INFO = VendorInfo(
    id="fish",
    display_name="Fish Audio",
    roles=frozenset({Role.CLONE, Role.SPEAK}),
    languages={Role.CLONE: LANGUAGES, Role.SPEAK: LANGUAGES},
    key_variable="FISH_API_KEY",
    models={
        Role.CLONE: ("s2.1-pro", "s2-pro", "s2.1-pro-free", "s1"),
        Role.SPEAK: ("s2.1-pro", "s2-pro", "s2.1-pro-free", "s1"),
    },
    factory="vendors.fish:create",
    prices=(
        Price(Role.SPEAK, 15.0, PriceUnit.MILLION_UTF8_BYTES, _PRICING, "2026-08", "s2.1-pro"),
        Price(Role.SPEAK, 15.0, PriceUnit.MILLION_UTF8_BYTES, _PRICING, "2026-08", "s2-pro"),
        Price(Role.SPEAK, 15.0, PriceUnit.MILLION_UTF8_BYTES, _PRICING, "2026-08", "s1"),
        Price(Role.SPEAK, 0.0, PriceUnit.MILLION_UTF8_BYTES, _PRICING, "2026-08", "s2.1-pro-free"),
    ),
    install_hint="pip install httpx msgpack",
    label="inline-reference clone, 80+ languages",
    requires=("httpx", "msgpack"),
    docs_url="https://docs.fish.audio/api-reference/endpoint/openapi-v1/text-to-speech",
)
