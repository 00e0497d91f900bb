"""Edit a finished task's texts and say which steps a re-run reused.

A run's :class:`~pipeline.types.Checkpoint` holds the outputs of its steps. Putting edited
texts into it and running again re-runs only ``voice_clone`` and ``text_to_speech``; the
step reports mark the rest ``reused``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from pipeline.errors import InputError
from pipeline.options import TaskRequest
from pipeline.results import Checkpoint, TaskResult
from pipeline.types import Segment, StepName, StepStatus

__all__ = ["ReuseSummary", "edit_checkpoint", "reusable_checkpoint", "reuse_summary",
           "spoken_segments"]


def spoken_segments(checkpoint: Checkpoint) -> tuple[Segment, ...]:
    """The segments a run speaks: the translation's, or the transcript's when it was skipped."""
    if checkpoint.translation is not None:
        return checkpoint.translation.segments
    if checkpoint.transcript is not None:
        return checkpoint.transcript.segments
    return ()


def edit_checkpoint(checkpoint: Checkpoint, texts: Sequence[str]) -> Checkpoint:
    """Return ``checkpoint`` with the spoken segments' texts replaced by ``texts``.

    Times stay those of the original segments. When the translation was skipped (the
    speech was already in the target language), the transcript's texts are edited, since
    that is what gets spoken.

    Args:
        checkpoint: outputs of an earlier run (it must hold a transcript).
        texts: one text per segment, in order.

    Raises:
        InputError: there is nothing to edit, or the number of texts does not match.
    """
    segments = spoken_segments(checkpoint)
    if not segments:
        raise InputError("There is no translation to edit yet: run a translation first.")
    if len(texts) != len(segments):
        raise InputError(
            f"The edited translation has {len(texts)} segments but the speech has "
            f"{len(segments)}; keep one row per segment."
        )
    cleaned = [" ".join(str(text or "").split()) for text in texts]
    if not any(cleaned):
        raise InputError("Every segment is empty after editing; there is nothing to speak.")
    edited = tuple(replace(s, text=t) for s, t in zip(segments, cleaned, strict=True))
    if checkpoint.translation is not None:
        return replace(checkpoint, translation=replace(checkpoint.translation, segments=edited))
    assert checkpoint.transcript is not None  # the spoken segments came from it
    return replace(checkpoint, transcript=replace(
        checkpoint.transcript, segments=edited, text=" ".join(t for t in cleaned if t)))


def reusable_checkpoint(previous: TaskRequest, checkpoint: Checkpoint | None,
                        request: TaskRequest) -> Checkpoint | None:
    """What of an earlier run of the same input ``request`` can reuse, or None.

    Same input, clone clip, spoken language and transcription model: the checked audio,
    the voice reference and the transcript carry over; with the same target language and
    LLM too, so does the translation. Only the voice vendor or the output format changing
    therefore re-runs just ``voice_clone`` and ``text_to_speech``.
    """
    if checkpoint is None or checkpoint.transcript is None:
        return None
    same_input = (previous.input_path == request.input_path
                  and previous.clone_path == request.clone_path
                  and previous.options.source_language == request.options.source_language
                  and previous.options.stt_model == request.options.stt_model)
    if not same_input:
        return None
    if previous.options.target_language == request.options.target_language and previous.options.llm_model == request.options.llm_model:
        return checkpoint
    return replace(checkpoint, translation=None)


@dataclass(frozen=True, slots=True)
class ReuseSummary:
    """Which steps a run took from an earlier one, and which it ran again."""

    reused: tuple[StepName, ...]
    ran: tuple[StepName, ...]
    skipped: tuple[StepName, ...]

    @property
    def sentence(self) -> str:
        """One plain sentence, e.g. "Reused initialization, ...; ran voice_clone, ..."."""
        parts = []
        if self.reused:
            parts.append("Reused " + ", ".join(s.value for s in self.reused))
        if self.ran:
            parts.append("ran again " + ", ".join(s.value for s in self.ran))
        if self.skipped:
            parts.append("skipped " + ", ".join(s.value for s in self.skipped))
        text = "; ".join(parts)
        return (text[:1].upper() + text[1:] + ".") if text else "No step ran."


def reuse_summary(result: TaskResult) -> ReuseSummary:
    """Sort ``result``'s steps into reused, ran (succeeded or failed) and skipped."""
    reused = tuple(s.name for s in result.steps if s.reused)
    ran = tuple(s.name for s in result.steps if not s.reused
                and s.status in (StepStatus.SUCCEEDED, StepStatus.FAILED))
    skipped = tuple(s.name for s in result.steps if s.status is StepStatus.SKIPPED)
    return ReuseSummary(reused, ran, skipped)
