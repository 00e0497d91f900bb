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

from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import AppError, UnknownVendorError
from pipeline.options import TaskRequest, parse_options
from pipeline.results import TaskResult, VendorChoice
from pipeline.runner import Pipeline
from pipeline.types import Role, Transcript, Translation

__all__ = ["MODEL_PRESETS", "SpeechText", "resolve_model", "speech_request", "speech_text_of"]

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
        stt_part, _, llm_part = raw.partition("+")
        stt, llm = _side(stt_part), _side(llm_part)
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


def speech_request(pipeline: Pipeline, path: Path, *, model: str | None,
                   target_language: str | None, source_language: str | None = None,
                   instructions: str = "", keys: dict[str, str] | None = None,
                   input_name: str = "") -> TaskRequest:
    """The request a speech-to-text call describes (``target_language`` None: transcribe
    only, in the spoken language).

    Raises:
        AppError: an unknown model or language, with its message and field.
    """
    stt, llm = resolve_model(pipeline, model)
    raw = {"target_language": target_language or source_language or "en",
           "source_language": source_language, "stt_model": stt, "llm_model": llm,
           "instructions": instructions, "text_only": True}
    options = parse_options(raw, pipeline.registry)
    return TaskRequest(path, options, keys=dict(keys or {}), input_name=input_name)


def speech_text_of(result: TaskResult, translate: bool) -> SpeechText:
    """The text view of a finished run.

    Raises:
        AppError: the run failed, with the reason.
    """
    if result.failure is not None or result.transcript is None:
        raise result.failure or AppError("Nothing was transcribed.")
    translation = result.translation if translate else None
    target = result.target_language if translate else result.transcript.language
    choices = tuple(c for c in result.choices
                    if c.role is Role.TRANSCRIBE or (translation and c.role is Role.TRANSLATE))
    return SpeechText(result.transcript, translation, target, result.input_duration_s or 0.0,
                      choices)
