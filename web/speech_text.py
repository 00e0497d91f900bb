"""Speech in, text out: the pipeline's transcription and translation steps, without a voice.

This is what ``/v1/audio/translations`` and ``/v1/audio/transcriptions`` run. ``model``
names what runs, in the same terms as the rest of the app:

- ``auto`` / ``default`` (or empty): ``APP_DEFAULT_STT`` then ``APP_DEFAULT_LLM``, falling to
  the next configured vendor when a default cannot run here;
- ``STT+LLM``: a pair, each side ``vendor``, ``vendor/model`` or ``auto``
  (``openai/whisper-1+anthropic/claude-haiku-4-5-20251001``);
- one ``vendor`` or ``vendor/model``: a transcription vendor sets the STT (the LLM is the
  default), a translation-only vendor sets the LLM (the STT is the default);
- a bare model id any vendor offers for transcription (``whisper-1``,
  ``gpt-4o-transcribe``, ``whisper-large-v3``, ``Whisper-Large-v3``): that STT.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import audio
from pipeline.chunking import transcribe_in_chunks
from pipeline.errors import (
    InputError,
    MissingKeyError,
    UnknownVendorError,
    VendorResponseError,
)
from pipeline.planning import Plan, make_plan
from pipeline.retry import call_with_retry
from pipeline.runner import STT_RATE_HZ, Pipeline
from pipeline.types import DecodedAudio, Role, Transcript, Translation, TranslationContext
from pipeline.results import VendorChoice

__all__ = ["MODEL_PRESETS", "Prepared", "SpeechText", "prepare", "resolve_model", "run"]

MODEL_PRESETS = ("auto", "default")


@dataclass(frozen=True)
class SpeechText:
    """What was said, and its translation (None when no translation was asked or needed)."""

    transcript: Transcript
    translation: Translation | None
    target_language: str
    duration_s: float
    choices: tuple[VendorChoice, ...]

    @property
    def text(self) -> str:
        """The translation's text, else the transcript's."""
        return self.translation.text if self.translation else self.transcript.text

    @property
    def segments(self):
        """The translated segments, else the transcript's."""
        return (self.translation or self.transcript).segments


def _side(spec: str) -> str | None:
    spec = spec.strip()
    return None if spec.lower() in ("", *MODEL_PRESETS) else spec


def resolve_model(pipeline: Pipeline, model: str | None) -> tuple[str | None, str | None]:
    """Turn ``model`` into (stt spec, llm spec); None means the default.

    Raises:
        UnknownVendorError: listing what ``model`` may be.
    """
    registry = pipeline.registry
    raw = (model or "").strip()
    if "+" in raw:
        stt, _, llm = raw.partition("+")
        stt, llm = _side(stt), _side(llm)
        if stt:
            registry.parse_spec(stt, Role.TRANSCRIBE)
        if llm:
            registry.parse_spec(llm, Role.TRANSLATE)
        return stt, llm
    if _side(raw) is None:
        return None, None
    for role, pair in ((Role.TRANSCRIBE, (raw, None)), (Role.TRANSLATE, (None, raw))):
        try:
            registry.parse_spec(raw, role)
            return pair
        except UnknownVendorError:
            continue
    for info in registry.for_role(Role.TRANSCRIBE):
        if raw in info.models.get(Role.TRANSCRIBE, ()):
            return f"{info.id}/{raw}", None
    offered = sorted({m for v in registry.for_role(Role.TRANSCRIBE)
                      for m in v.models.get(Role.TRANSCRIBE, ())})
    raise UnknownVendorError(
        f"Unknown model {raw!r}. Use 'auto', a transcription model ({', '.join(offered)}), "
        "'vendor/model', or a pair 'STT+LLM' such as "
        "'openai/whisper-1+anthropic/claude-haiku-4-5-20251001'.")


def _require(choice: VendorChoice) -> None:
    if choice.runnable:
        return
    if choice.missing:
        raise MissingKeyError(choice.vendor, choice.missing)
    raise InputError(f"{choice.vendor} cannot run here: {choice.reason}")


@dataclass(frozen=True)
class Prepared:
    """Checked audio and the vendors that will run, before any vendor is called."""

    plan: Plan
    decoded: DecodedAudio
    folder: Path
    translate: bool
    instructions: str = ""
    keys: dict[str, str] = field(default_factory=dict, repr=False)


def prepare(
    pipeline: Pipeline,
    path: Path,
    folder: Path,
    *,
    model: str | None,
    target_language: str | None,
    source_language: str | None = None,
    instructions: str = "",
    keys: dict[str, str] | None = None,
) -> Prepared:
    """Check the choices and decode ``path``; ``target_language`` None = transcription only.

    Every check the task pipeline makes applies here too (size, format, length, silence,
    languages, vendors, keys).

    Raises:
        AppError: bad input or a missing key, with its message.
    """
    keys = dict(keys or {})
    stt, llm = resolve_model(pipeline, model)
    plan = make_plan(pipeline.registry, pipeline.settings,
                     target_language=target_language or source_language or "en",
                     source_language=source_language, stt=stt, llm=llm, keys=keys)
    _require(plan.transcriber)
    if target_language and plan.translator is not None:
        _require(plan.translator)
    settings = pipeline.settings
    decoded = audio.decode(path, folder / "input.wav", sample_rate_hz=STT_RATE_HZ,
                           max_duration_s=settings.max_duration_s,
                           max_bytes=settings.max_upload_bytes)
    return Prepared(plan, decoded, folder, bool(target_language), instructions, keys)


def run(pipeline: Pipeline, prepared: Prepared,
        cancel: threading.Event | None = None) -> SpeechText:
    """Transcribe the prepared audio, then translate it unless it is already in the target.

    Raises:
        AppError: no speech found, or a vendor failure, with its message.
    """
    plan, keys = prepared.plan, prepared.keys
    adapters: list[object] = []
    translator_choice = plan.translator if prepared.translate else None
    try:
        transcript = _transcribe(pipeline, plan, prepared.decoded, prepared.folder, keys,
                                 adapters, cancel)
        source = transcript.language or plan.source_language
        translation = None
        if translator_choice is not None and source != plan.target_language:
            translation = _translate(pipeline, translator_choice, transcript, source,
                                     plan.target_language, prepared.instructions, keys,
                                     adapters, cancel)
    finally:
        for adapter in adapters:
            close = getattr(adapter, "close", None)
            if callable(close):
                close()
    choices = (plan.transcriber,) + ((translator_choice,) if translation else ())
    target = plan.target_language if prepared.translate else transcript.language
    return SpeechText(transcript, translation, target, prepared.decoded.duration_s, choices)


def _transcribe(pipeline, plan, decoded, folder, keys, adapters, cancel) -> Transcript:
    choice = plan.transcriber
    info = pipeline.registry.get(choice.vendor)
    adapter = pipeline.registry.build(info, Role.TRANSCRIBE, choice.model, keys, pipeline.settings)
    adapters.append(adapter)
    transcriber = pipeline.limits.gate(info.id, info.max_concurrency, adapter)
    transcript = transcribe_in_chunks(
        transcriber, decoded, plan.source_language or None, folder / "chunks",
        max_chunk_s=info.max_audio_s or math.inf, policy=pipeline.retry,
        concurrency=info.max_concurrency, cancel=cancel)
    if not transcript.text.strip() or not transcript.segments:
        raise InputError("No speech was recognised in the audio; check that it holds clear "
                         "speech, or give its language.")
    return transcript


def _translate(pipeline, choice, transcript, source, target, instructions, keys, adapters,
               cancel) -> Translation:
    info = pipeline.registry.get(choice.vendor)
    adapter = pipeline.registry.build(info, Role.TRANSLATE, choice.model, keys, pipeline.settings)
    adapters.append(adapter)
    translator = pipeline.limits.gate(info.id, info.max_concurrency, adapter)
    segments = transcript.segments
    context = TranslationContext(instructions=instructions,
                                 max_duration_s=tuple(s.duration_s for s in segments))
    translation = call_with_retry(
        lambda: translator.translate(segments, source, target, context), pipeline.retry,
        cancel=cancel, what=f"{choice.vendor} translation")
    if len(translation.segments) != len(segments):
        raise VendorResponseError(choice.vendor, f"returned {len(translation.segments)} "
                                  f"segments for {len(segments)}; try again or pick another model.")
    return translation
