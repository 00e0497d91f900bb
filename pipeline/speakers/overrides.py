"""The ``speaker_voices`` option: a voice vendor, or a preset voice, for named speakers.

A value maps a speaker's name ("Speaker 2", or a name given by hand) to a voice spec,
``VENDOR[/MODEL]`` (the speaker is cloned with that vendor) or, for a vendor with preset
voices (:attr:`~pipeline.vendor_api.VendorInfo.preset_voices`), ``VENDOR[/MODEL]:VOICE``
(that preset speaks them, nothing is cloned). Every other speaker keeps the run's voice
vendor. :func:`parse_speaker_voices` reads the option once (JSON text or an object) and
writes each spec in its canonical form; :func:`override_for` finds a speaker's entry.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pipeline.errors import InputError, UnknownVendorError
from pipeline.types import Role

if TYPE_CHECKING:
    from pipeline.registry import Registry

__all__ = ["MAX_SPEAKER_VOICES", "VoiceSpec", "override_for", "parse_speaker_voices",
           "speaker_key"]

MAX_SPEAKER_VOICES = 8  # as many as there can be speakers
MAX_NAME_CHARS = 80
PARAM = "speaker_voices"


@dataclass(frozen=True, slots=True)
class VoiceSpec:
    """One speaker's voice: a vendor, optionally its model, optionally a preset voice.

    Attributes:
        vendor: the voice vendor's id ("elevenlabs").
        model: the model named ("" = the one the plan picks for the target language).
        preset: a preset voice of the vendor ("onyx"; "" = clone the speaker).
    """

    vendor: str
    model: str = ""
    preset: str = ""

    @classmethod
    def read(cls, text: str) -> VoiceSpec:
        """Split ``VENDOR[/MODEL][:VOICE]`` (no check against the registry)."""
        spec, _, preset = text.strip().partition(":")
        vendor, _, model = spec.partition("/")
        return cls(vendor.strip().lower(), model.strip(), preset.strip().lower())

    @property
    def vendor_spec(self) -> str:
        """``vendor`` or ``vendor/model``, as the voice_vendor option reads it."""
        return f"{self.vendor}/{self.model}" if self.model else self.vendor

    @property
    def text(self) -> str:
        """The spec written back (``vendor[/model][:voice]``)."""
        return self.vendor_spec + (f":{self.preset}" if self.preset else "")


def speaker_key(name: str) -> str:
    """A speaker's name as it is matched: spaces collapsed, case ignored."""
    return " ".join(name.split()).casefold()


def override_for(overrides: Mapping[str, str], speaker: str | None) -> str | None:
    """The spec ``overrides`` gives ``speaker`` (None: the run's voice vendor speaks them)."""
    if speaker is None:
        return None
    wanted = speaker_key(speaker)
    return next((spec for name, spec in overrides.items() if speaker_key(name) == wanted), None)


def _read(value: Any, name: str) -> Mapping[Any, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else {}
        except ValueError:
            raise InputError(f'{name} must be a JSON object of speaker -> voice, e.g. '
                             f'{{"Speaker 2": "elevenlabs"}}.', param=name) from None
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InputError(f"{name} must be an object of speaker -> voice vendor.", param=name)
    return value


def parse_speaker_voices(value: Any, name: str = PARAM,
                         registry: Registry | None = None) -> dict[str, str]:
    """Read ``speaker_voices`` into speaker name -> canonical voice spec.

    Args:
        value: JSON text or an object of speaker name -> ``VENDOR[/MODEL][:VOICE]``.
        name: the option's name, for messages.
        registry: when given, vendors, models and preset voices are checked against it.

    Raises:
        InputError: not an object of text -> text, an empty name or spec, a name given
            twice, more than ``MAX_SPEAKER_VOICES`` entries, or a preset the vendor
            does not offer (the message names those it does).
        UnknownVendorError: a vendor that does not speak or a model it does not offer
            (the message names the valid ones).
    """
    given = _read(value, name)
    if len(given) > MAX_SPEAKER_VOICES:
        raise InputError(f"{name} may name at most {MAX_SPEAKER_VOICES} speakers.", param=name)
    out: dict[str, str] = {}
    for speaker, spec in given.items():
        if not isinstance(speaker, str) or not isinstance(spec, str):
            raise InputError(f"{name} must map speaker names to voice specs (both text).",
                             param=name)
        who = " ".join(speaker.split())
        if not who or len(who) > MAX_NAME_CHARS:
            raise InputError(f"{name}: a speaker's name must be 1 to {MAX_NAME_CHARS} "
                             f"characters.", param=name)
        if any(speaker_key(known) == speaker_key(who) for known in out):
            raise InputError(f"{name} names {who!r} twice.", param=name)
        if not spec.strip():
            raise InputError(f"{name}: give a voice vendor for {who!r} (e.g. elevenlabs or "
                             f"openai:onyx), or leave them out.", param=name)
        try:
            out[who] = _checked(VoiceSpec.read(spec), registry).text
        except InputError as exc:  # an unknown vendor too: said for this speaker
            raise type(exc)(f"{name} for {who}: {exc.message}", param=name) from None
    return out


def _checked(spec: VoiceSpec, registry: Registry | None) -> VoiceSpec:
    """``spec`` with its vendor and model checked against ``registry`` (as given without)."""
    if registry is None:
        return spec
    voices = [v.id for v in registry.voice_vendors()]
    if spec.vendor not in voices:
        raise UnknownVendorError(f"Unknown voice vendor {spec.vendor!r}. Valid: "
                                 f"{', '.join(voices)}.")
    info = registry.get(spec.vendor)
    model = registry.parse_spec(spec.vendor_spec, Role.SPEAK)[1] if spec.model else ""
    if spec.preset and spec.preset not in info.preset_voices:
        if not info.preset_voices:
            having = [v.id for v in registry.voice_vendors() if v.preset_voices]
            raise InputError(f"{info.display_name} has no preset voices (it clones the "
                             f"speaker); preset voices: "
                             f"{', '.join(having) or 'none here'}.")
        raise InputError(f"{info.display_name} has no preset voice {spec.preset!r}; its "
                         f"voices: {', '.join(info.preset_voices)}.")
    return VoiceSpec(info.id, model, spec.preset)
