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
  ``gpt-4o-transcribe``, ``whisper-large-v3``, ``Whisper-Large-v3``): that STT;
- ``direct:`` and a direct speech translation model (``direct:openai/whisper-1``,
  ``direct:whisper-1``, ``direct:sambanova/Qwen2-Audio-7B-Instruct``): that model
  translates the speech itself, in one call, with no separate transcript; a model that
  offers nothing but direct translation (``sambanova/Qwen2-Audio-7B-Instruct``) needs no
  prefix.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import AppError, UnknownVendorError
from pipeline.options import TaskRequest, parse_options
from pipeline.registry import Registry
from pipeline.results import TaskResult, VendorChoice
from pipeline.runner import Pipeline
from pipeline.types import Role, Segment, Transcript, Translation

__all__ = ["DIRECT_PREFIX", "MODEL_PRESETS", "ModelChoice", "SpeechText", "resolve_model",
           "speech_request", "speech_text_of"]

MODEL_PRESETS = ("auto", "default")
DIRECT_PREFIX = "direct:"


@dataclass(frozen=True)
class SpeechText:
    """What was said, and its translation (None when no translation was asked or needed).

    ``transcript`` is None when the speech was translated directly (no transcript is made).
    """

    transcript: Transcript | None
    translation: Translation | None
    target_language: str
    duration_s: float
    choices: tuple[VendorChoice, ...]

    @property
    def text(self) -> str:
        """The translation's text, else the transcript's."""
        heard = self.translation or self.transcript
        return heard.text if heard is not None else ""

    @property
    def segments(self) -> tuple[Segment, ...]:
        """The translated segments, else the transcript's."""
        heard = self.translation or self.transcript
        return heard.segments if heard is not None else ()

    @property
    def source_language(self) -> str:
        """The spoken language, when it is known."""
        if self.transcript is not None:
            return self.transcript.language
        return self.translation.source_language if self.translation else ""


def _side(spec: str) -> str | None:
    spec = spec.strip()
    return None if spec.lower() in ("", *MODEL_PRESETS) else spec


@dataclass(frozen=True)
class ModelChoice:
    """What a ``model`` value asks for: a transcriber and an LLM, or one direct model
    (speech in, translated text out). None means the default."""

    stt: str | None = None
    llm: str | None = None
    direct: str | None = None


def _bare(registry: Registry, raw: str, role: Role) -> str | None:
    """``vendor/model`` for a bare model id the first vendor offering it in ``role`` has."""
    for info in registry.for_role(role):
        if raw in info.models.get(role, ()):
            return f"{info.id}/{raw}"
    return None


def _direct(registry: Registry, raw: str) -> str:
    spec = _bare(registry, raw, Role.SPEECH_TRANSLATE) or raw
    registry.parse_spec(spec, Role.SPEECH_TRANSLATE)
    return spec


def resolve_model(pipeline: Pipeline, model: str | None) -> ModelChoice:
    """Turn ``model`` into what runs (see the module docstring).

    Raises:
        UnknownVendorError: listing what ``model`` may be.
    """
    registry = pipeline.registry
    raw = (model or "").strip()
    if raw.lower().startswith(DIRECT_PREFIX):
        return ModelChoice(direct=_direct(registry, raw[len(DIRECT_PREFIX):].strip()))
    if "+" in raw:
        stt_part, _, llm_part = raw.partition("+")
        stt, llm = _side(stt_part), _side(llm_part)
        if stt:
            registry.parse_spec(stt, Role.TRANSCRIBE)
        if llm:
            registry.parse_spec(llm, Role.TRANSLATE)
        return ModelChoice(stt, llm)
    if _side(raw) is None:
        return ModelChoice()
    for role in (Role.TRANSCRIBE, Role.TRANSLATE, Role.SPEECH_TRANSLATE):
        try:
            registry.parse_spec(raw, role)
        except UnknownVendorError:
            continue
        return {Role.TRANSCRIBE: ModelChoice(stt=raw), Role.TRANSLATE: ModelChoice(llm=raw),
                Role.SPEECH_TRANSLATE: ModelChoice(direct=raw)}[role]
    if stt := _bare(registry, raw, Role.TRANSCRIBE):
        return ModelChoice(stt=stt)
    if direct := _bare(registry, raw, Role.SPEECH_TRANSLATE):
        return ModelChoice(direct=direct)
    offered = sorted({m for v in registry.for_role(Role.TRANSCRIBE)
                      for m in v.models.get(Role.TRANSCRIBE, ())})
    raise UnknownVendorError(
        f"Unknown model {raw!r}. Use 'auto', a transcription model ({', '.join(offered)}), "
        "'vendor/model', a pair 'STT+LLM' such as "
        "'openai/whisper-1+anthropic/claude-haiku-4-5-20251001', or 'direct:' and a direct "
        "speech translation model such as 'direct:openai/whisper-1'.")


def speech_request(pipeline: Pipeline, path: Path, *, model: str | None,
                   target_language: str | None, source_language: str | None = None,
                   instructions: str = "", keys: dict[str, str] | None = None,
                   input_name: str = "") -> TaskRequest:
    """The request a speech-to-text call describes (``target_language`` None: transcribe
    only, in the spoken language).

    Raises:
        AppError: an unknown model or language, with its message and field.
    """
    chosen = resolve_model(pipeline, model)
    raw = {"target_language": target_language or source_language or "en",
           "source_language": source_language, "stt_model": chosen.stt,
           "llm_model": chosen.llm, "speech_translation_model": chosen.direct,
           "instructions": instructions, "text_only": True}
    options = parse_options(raw, pipeline.registry)
    return TaskRequest(path, options, keys=dict(keys or {}), input_name=input_name)


def speech_text_of(result: TaskResult, translate: bool) -> SpeechText:
    """The text view of a finished run.

    Raises:
        AppError: the run failed, with the reason.
    """
    if result.failure is not None or (result.transcript or result.translation) is None:
        raise result.failure or AppError("Nothing was transcribed.")
    translation = result.translation if translate else None
    target = (result.target_language if translate or result.transcript is None
              else result.transcript.language)
    shown = {Role.TRANSCRIBE, Role.SPEECH_TRANSLATE} | ({Role.TRANSLATE} if translation else set())
    choices = tuple(c for c in result.choices if c.role in shown)
    return SpeechText(result.transcript, translation, target, result.input_duration_s or 0.0,
                      choices)
