"""What a vendor is (data) and what it can do (one small protocol per role).

The pipeline only ever talks to these protocols; concrete vendors live in their own
modules and are built by :mod:`vendors.registry`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from pipeline.settings import Secret, Settings
from pipeline.types import (
    DecodedAudio,
    Role,
    Segment,
    SynthesizedAudio,
    Transcript,
    Translation,
    TranslationContext,
    Voice,
    VoiceReference,
)

__all__ = [
    "Availability",
    "ModelLimits",
    "Price",
    "PriceUnit",
    "SpeechTranslator",
    "Synthesizer",
    "Transcriber",
    "Translator",
    "VendorFactory",
    "VendorInfo",
    "VoiceCloner",
    "VoiceReleaser",
]


@runtime_checkable
class Transcriber(Protocol):
    """Speech to text."""

    def transcribe(self, audio: DecodedAudio, language: str | None = None) -> Transcript:
        """Return the transcript with segment times; ``language=None`` means detect it."""
        ...


@runtime_checkable
class Translator(Protocol):
    """Text to text, segment by segment (ids stay 1:1)."""

    def translate(
        self,
        segments: Sequence[Segment],
        source_language: str,
        target_language: str,
        context: TranslationContext,
    ) -> Translation:
        """Return one translated segment per input segment, with the same times."""
        ...


@runtime_checkable
class SpeechTranslator(Protocol):
    """Speech in one language to text in another, in one call (direct speech translation)."""

    def translate_speech(self, audio: DecodedAudio, target_language: str,
                         context: TranslationContext) -> Translation:
        """Return the translated text as segments (timed when the vendor gives times;
        ``source_language`` is "" when the vendor does not say)."""
        ...


@runtime_checkable
class VoiceCloner(Protocol):
    """Reference clip to a voice the same vendor can speak with."""

    def clone(self, reference: VoiceReference, transcript: str) -> Voice:
        """Return a voice made from ``reference`` (``transcript`` is what it says)."""
        ...


@runtime_checkable
class Synthesizer(Protocol):
    """Text to speech in a given voice."""

    def speak(self, text: str, voice: Voice, language: str) -> SynthesizedAudio:
        """Return ``text`` spoken in ``voice`` and ``language``."""
        ...


@runtime_checkable
class VoiceReleaser(Protocol):
    """Optional: vendors that store a cloned voice delete it after the task."""

    def release(self, voice: Voice) -> None:
        """Delete the stored voice; never raises for a voice already gone."""
        ...


class PriceUnit(enum.StrEnum):
    """What a price is per."""

    AUDIO_MINUTE = "audio_minute"
    MILLION_CHARACTERS = "1m_characters"
    MILLION_UTF8_BYTES = "1m_utf8_bytes"
    MILLION_INPUT_TOKENS = "1m_input_tokens"
    MILLION_OUTPUT_TOKENS = "1m_output_tokens"
    GENERATED_SECOND = "generated_second"


@dataclass(frozen=True, slots=True)
class Price:
    """One price, with where it came from and when it was checked.

    ``model=None`` means the price holds for every model of the vendor in that role.
    """

    role: Role
    usd: float
    unit: PriceUnit
    source: str
    checked_on: str
    model: str | None = None


@dataclass(frozen=True, slots=True)
class Availability:
    """Whether a vendor can run here, and if not, why (and which variable is missing)."""

    runnable: bool
    reason: str = ""
    missing_variable: str | None = None


@dataclass(frozen=True, slots=True)
class ModelLimits:
    """What one request to a model may carry, where that model has its own limits.

    ``None`` means the model sets no limit of its own (the vendor's, if any, applies).

    Attributes:
        max_text_chars: the longest text one speech request may carry.
        max_audio_s: the longest audio one request may carry.
        max_upload_bytes: the largest file one request may upload.
        reference_max_s: the longest voice reference the model uses.
    """

    max_text_chars: int | None = None
    max_audio_s: float | None = None
    max_upload_bytes: int | None = None
    reference_max_s: float | None = None


class VendorFactory(Protocol):
    """Builds a vendor's adapter for one role."""

    def __call__(
        self, role: Role, model: str, key: Secret | None, settings: Settings
    ) -> object:
        """Return an object implementing the role's protocol."""
        ...


@dataclass(frozen=True)
class VendorInfo:
    """Everything we know about a vendor, as data.

    Attributes:
        id: registry id ("fish", "index_tts2", ...), used in requests and results.
        display_name: what people see.
        roles: what it can do.
        languages: per role, the language codes it handles with any of its models
            (``None`` = every language in :data:`pipeline.languages.LANGUAGES`). For
            direct speech translation these are the target languages.
        key_variable: environment variable holding its key (``None`` = needs no key).
        key_url: the vendor's page where a visitor signs up and creates that key.
        models: per role, the models offered, default first.
        prices: list prices with source and date.
        install_hint: what to install when it cannot run here.
        factory: ``"module:function"`` building an adapter; imported only when used.
        label: a short honest note shown next to the name ("offline, English only"),
            for the roles ``role_labels`` does not describe.
        role_labels: per role, a short honest note on what the vendor is like in that
            role ("preset voices, no cloning" says nothing about its transcription).
        requires: import names that must be installed for it to run here.
        reference_max_s: the longest voice reference it uses.
        key_optional: the key raises limits but is not required.
        self_hosted_variable: a variable (a server URL) that, when set, makes the key
            unnecessary (e.g. ``INDEXTTS2_URL``).
        required_variables: variables that must be set for the vendor to run at all
            (e.g. the base URL of a user-supplied endpoint).
        max_audio_s: the longest audio one transcription request may carry; longer input
            is cut at pauses and sent in parallel pieces (``None`` = no limit).
        max_concurrency: how many requests this vendor gets at once, across all tasks.
        model_languages: per role, the models whose languages are narrower than the
            role's (model id -> codes, ``None`` = every language); a model not listed
            handles every language of ``languages[role]``.
        model_limits: model id -> the limits that model has of its own.
        takes_vary: asking it to speak the same line again can give a different take
            (false for a deterministic engine: a weak line is then not spoken again).
        preset_voices: the named voices it speaks without cloning, which a user may pick
            per speaker as ``vendor:voice``; such a voice is ``Voice(id, voice_id=name)``.
    """

    id: str
    display_name: str
    roles: frozenset[Role]
    languages: Mapping[Role, frozenset[str] | None]
    key_variable: str | None
    models: Mapping[Role, tuple[str, ...]]
    factory: str
    prices: tuple[Price, ...] = ()
    install_hint: str = ""
    label: str = ""
    requires: tuple[str, ...] = ()
    reference_max_s: float = 30.0
    key_optional: bool = False
    self_hosted_variable: str | None = None
    required_variables: tuple[str, ...] = ()
    max_audio_s: float | None = None
    max_concurrency: int = 4
    takes_vary: bool = True
    docs_url: str = ""
    key_url: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)
    model_languages: Mapping[Role, Mapping[str, frozenset[str] | None]] = field(
        default_factory=dict)
    model_limits: Mapping[str, ModelLimits] = field(default_factory=dict)
    role_labels: Mapping[Role, str] = field(default_factory=dict)
    preset_voices: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for role, by_model in self.model_languages.items():
            allowed = self.languages.get(role)
            for model, codes in by_model.items():
                if allowed is not None and (codes is None or not codes <= allowed):
                    raise ValueError(
                        f"{self.id}: {model} has {role.value} languages outside the role's"
                    )

    def label_for(self, role: Role) -> str:
        """The note shown next to the vendor where it plays ``role`` ("" when none)."""
        return self.role_labels.get(role, self.label)

    def default_model(self, role: Role) -> str:
        """The model used when the user names only the vendor."""
        offered = self.models.get(role, ())
        return offered[0] if offered else ""

    def languages_for(self, role: Role, model: str | None = None) -> frozenset[str] | None:
        """The languages ``model`` (or, when None, any model) handles in ``role``.

        ``None`` means every language in :data:`pipeline.languages.LANGUAGES`.
        """
        by_model = self.model_languages.get(role, {})
        if model is not None and model in by_model:
            return by_model[model]
        return self.languages.get(role)

    def supports(self, role: Role, language: str | None = None, model: str | None = None) -> bool:
        """Whether the vendor plays ``role`` for ``language`` (any language if None).

        With ``model``, the answer is that model's; without it, whether any model does.
        """
        if role not in self.roles:
            return False
        if language is None:
            return True
        allowed = self.languages_for(role, model)
        if allowed is None:
            from pipeline.languages import LANGUAGES

            return language in LANGUAGES
        return language in allowed

    def models_for(self, role: Role, language: str) -> tuple[str, ...]:
        """The offered models that handle ``language`` in ``role``, default first."""
        return tuple(m for m in self.models.get(role, ()) if self.supports(role, language, m))

    def limits_for(self, model: str) -> ModelLimits:
        """The limits of ``model``, with the vendor-wide ones where it has none of its own."""
        own = self.model_limits.get(model, ModelLimits())
        return ModelLimits(
            max_text_chars=own.max_text_chars,
            max_audio_s=own.max_audio_s if own.max_audio_s is not None else self.max_audio_s,
            max_upload_bytes=own.max_upload_bytes,
            reference_max_s=(
                own.reference_max_s if own.reference_max_s is not None else self.reference_max_s
            ),
        )

    def prices_for(self, role: Role, model: str) -> tuple[Price, ...]:
        """Prices that apply to ``model`` in ``role``."""
        return tuple(
            p for p in self.prices if p.role == role and p.model in (None, model)
        )
