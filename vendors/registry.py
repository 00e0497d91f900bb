"""The vendors this app ships with, in the order they are listed and tried.

The composition roots (``app.py`` and the CLI entry point) build the registry from this
list; nothing here imports a vendor SDK (adapters are imported when a task builds them).
"""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.registry import Registry
from pipeline.vendor_api import VendorInfo
from vendors import (
    anthropic,
    chatterbox,
    compatible,
    elevenlabs,
    espeak,
    fish,
    groq,
    huggingface,
    index_tts2,
    openai,
    sambanova,
    sphinx,
)

__all__ = ["DEFAULT_VENDORS", "VOICE_VENDOR_ORDER", "default_registry"]

DEFAULT_VENDORS: tuple[VendorInfo, ...] = (
    openai.INFO,
    anthropic.INFO,
    huggingface.INFO,
    groq.INFO,
    sambanova.INFO,
    compatible.INFO,
    index_tts2.INFO,
    fish.INFO,
    elevenlabs.INFO,
    chatterbox.INFO,
    espeak.INFO,
    sphinx.INFO,
)

# The order in which voice vendors are offered and tried when the rule's choice cannot run:
# the rule's two, then the paid clone a server owner configured, then Chatterbox (a clone on
# the visitor's own Hugging Face quota, 23 languages), then preset voices, then offline.
VOICE_VENDOR_ORDER: tuple[str, ...] = (
    "index_tts2", "fish", "elevenlabs", "chatterbox", "openai", "espeak",
)


def default_registry(extra: Sequence[VendorInfo] = ()) -> Registry:
    """The registry the app ships with (plus ``extra`` vendors, e.g. fakes in tests)."""
    return Registry((*DEFAULT_VENDORS, *extra), voice_order=VOICE_VENDOR_ORDER)
