"""ElevenLabs: instant voice clone (deleted after the task) and multilingual speech.

Environment: ``ELEVENLABS_API_KEY`` (required; instant cloning needs a paid plan),
``ELEVENLABS_BASE_URL`` (default ``https://api.elevenlabs.io``).
"""

from __future__ import annotations

from pipeline.types import Role
from vendors.base import Price, PriceUnit, VendorInfo
from vendors.languages import known

_PRICING = "https://elevenlabs.io/pricing/api"

LANGUAGES = known(
    "en ja zh de hi fr ko pt it es id nl tr tl pl sv bg ro ar cs el fi hr ms sk da ta uk ru "
    "hu no vi"
)

INFO = VendorInfo(
    id="elevenlabs",
    display_name="ElevenLabs",
    roles=frozenset({Role.CLONE, Role.SPEAK}),
    languages={Role.CLONE: LANGUAGES, Role.SPEAK: LANGUAGES},
    key_variable="ELEVENLABS_API_KEY",
    models={
        Role.CLONE: ("eleven_multilingual_v2", "eleven_flash_v2_5", "eleven_turbo_v2_5", "eleven_v3"),
        Role.SPEAK: ("eleven_multilingual_v2", "eleven_flash_v2_5", "eleven_turbo_v2_5", "eleven_v3"),
    },
    factory="vendors.elevenlabs:create",
    prices=(
        Price(Role.SPEAK, 100.0, PriceUnit.MILLION_CHARACTERS, _PRICING, "2025-08", "eleven_multilingual_v2"),
        Price(Role.SPEAK, 100.0, PriceUnit.MILLION_CHARACTERS, _PRICING, "2025-08", "eleven_v3"),
        Price(Role.SPEAK, 50.0, PriceUnit.MILLION_CHARACTERS, _PRICING, "2025-08", "eleven_flash_v2_5"),
        Price(Role.SPEAK, 50.0, PriceUnit.MILLION_CHARACTERS, _PRICING, "2025-08", "eleven_turbo_v2_5"),
    ),
    install_hint="pip install httpx",
    label="instant voice clone, deleted after use",
    requires=("httpx",),
    docs_url="https://elevenlabs.io/docs/api-reference/voices/ivc/create",
)
