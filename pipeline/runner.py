"""Run one task through the five steps, reporting each step's status, times and errors."""

from __future__ import annotations

import logging
import shutil
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline import audio
from pipeline.errors import AppError, InputError, TaskCanceledError, VendorResponseError
from pipeline.chunking import transcribe_in_chunks
from pipeline.languages import language_name
from pipeline.limits import VendorLimits
from pipeline.planning import Plan, make_plan
from pipeline.pricing import cost_line
from pipeline.reference import pick_reference
from pipeline.retry import RetryPolicy, call_with_retry
from pipeline.settings import Settings
from pipeline.synthesis import OUTPUT_RATE_HZ, assemble_natural, speak_segments
from pipeline.tracking import ProgressCallback, StepTracker
from pipeline.types import (
    Checkpoint,
    CostEstimate,
    CostLine,
    DecodedAudio,
    Role,
    StepName,
    StepReport,
    TaskRequest,
    TaskResult,
    TaskStatus,
    Transcript,
    Translation,
    TranslationContext,

    Voice,
    VoiceReference,
)
from vendors.base import VoiceReleaser

if TYPE_CHECKING:
    from vendors.registry import Registry

__all__ = ["OUTPUT_FORMATS", "STT_RATE_HZ", "Pipeline", "copy_output"]

log = logging.getLogger(__name__)
STT_RATE_HZ = 16000
OUTPUT_FORMATS = ("mp3", "wav")


@dataclass
class _Work:
    """What the steps of one task hand to each other (internal, mutable)."""

    request: TaskRequest
    folder: Path
    reuse: Checkpoint = field(default_factory=Checkpoint)
    plan: Plan | None = None
    decoded: DecodedAudio | None = None
    reference: VoiceReference | None = None
    transcript: Transcript | None = None
    source_language: str = ""
    translation: Translation | None = None
    voice_adapter: object | None = None
    adapters: list[object] = field(default_factory=list)
    voice: Voice | None = None
    output: Path | None = None
    warnings: list[str] = field(default_factory=list)
    costs: list[CostLine] = field(default_factory=list)

    def checkpoint(self) -> Checkpoint:
        """What the finished steps produced so far."""
        return Checkpoint(self.decoded, self.reference, self.transcript, self.source_language,
                          self.translation)


class Pipeline:
    """The five steps over a vendor registry.

    Args:
        registry: the vendors (the app wires the default registry in).
        settings: limits, defaults and environment keys.
        retry: retry policy for retryable vendor errors.
        tts_concurrency: how many segments one voice vendor speaks at once.
    """

    def __init__(
        self,
        registry: Registry,
        settings: Settings,
        *,
        retry: RetryPolicy | None = None,
        tts_concurrency: int = 4,
    ) -> None:
        self.registry = registry
        self.settings = settings
        self.retry = retry or RetryPolicy()
        self.tts_concurrency = tts_concurrency
        self.limits = VendorLimits()

    def plan(self, request: TaskRequest, duration_s: float | None = None) -> Plan:
        """What ``request`` would run, and why; no vendor is called."""
        return make_plan(
            self.registry, self.settings,
            target_language=request.target_language, source_language=request.source_language,
            voice_vendor=request.voice_vendor, stt=request.stt, llm=request.llm,
            keys=request.keys, duration_s=duration_s,
        )

    def run(
        self,
        request: TaskRequest,
        *,
        task_id: str | None = None,
        on_progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        checkpoint: Checkpoint | None = None,
        on_checkpoint: Callable[[Checkpoint, tuple[StepReport, ...]], None] | None = None,
    ) -> TaskResult:
        """Run all five steps; never raises for a failed task (the result says why).

        Args:
            request: what to do.
            task_id: folder name under APP_DATA_DIR/tasks (new one if None).
            on_progress: receives step progress events.
            cancel: set it to stop at the next safe point.
            checkpoint: outputs of earlier runs to reuse (resume, re-synthesise).
            on_checkpoint: called after every finished step, e.g. to persist it.
        """
        task_id = task_id or uuid.uuid4().hex[:16]
        folder = self.settings.data_dir / "tasks" / task_id
        folder.mkdir(parents=True, exist_ok=True)
        work = _Work(request, folder, checkpoint or Checkpoint())
        tracker = StepTracker(on_progress, cancel)
        status, failure = TaskStatus.SUCCEEDED, None
        steps = (
            (StepName.INITIALIZATION, self._initialize),
            (StepName.SPEECH_TO_TEXT, self._speech_to_text),
            (StepName.TRANSLATION, self._translate),
            (StepName.VOICE_CLONE, self._clone),
            (StepName.TEXT_TO_SPEECH, self._speak),
        )
        try:
            for _name, step in steps:
                step(work, tracker, cancel)
                if on_checkpoint is not None:
                    on_checkpoint(work.checkpoint(), tracker.reports())
        except TaskCanceledError as exc:
            status, failure = TaskStatus.CANCELED, exc
            if tracker.current is not None:
                tracker.fail(tracker.current, exc.message)
        except AppError as exc:
            status, failure = TaskStatus.FAILED, exc
            tracker.fail(tracker.current or StepName.INITIALIZATION, exc.message)
        except Exception:  # a bug: log it, show the user a plain sentence, keep the server up
            log.exception("task %s crashed", task_id)
            status = TaskStatus.FAILED
            failure = AppError("Internal error while processing the task; it has been logged.")
            tracker.fail(tracker.current or StepName.INITIALIZATION, failure.message)
        finally:
            self._release_voice(work)
            self._close_adapters(work)
        return self._result(task_id, work, tracker, status, failure)

    # --- the five steps -------------------------------------------------------------

    def _initialize(self, work: _Work, tracker: StepTracker, cancel) -> None:
        request = work.request
        tracker.start(StepName.INITIALIZATION, "Checking the audio")
        self.plan(request).require_runnable()
        if request.output_format not in OUTPUT_FORMATS:
            raise InputError(f"Output format must be one of {', '.join(OUTPUT_FORMATS)}.")
        reuse = work.reuse
        if _exists(reuse.decoded) and reuse.reference and reuse.reference.path.is_file():
            work.decoded, work.reference = reuse.decoded, reuse.reference
            work.plan = self.plan(request, work.decoded.duration_s)
            work.warnings.extend(work.reference.warnings)
            tracker.succeed(StepName.INITIALIZATION, "reused the checked audio and voice reference",
                            reused=True)
            return
        work.decoded = audio.decode(
            request.input_path, work.folder / "input.wav", sample_rate_hz=STT_RATE_HZ,
            max_duration_s=self.settings.max_duration_s, max_bytes=self.settings.max_upload_bytes,
        )
        work.plan = plan = self.plan(request, work.decoded.duration_s)
        tracker.progress(StepName.INITIALIZATION, 0.6, "Choosing the voice reference")
        voice_info = self.registry.get(plan.voice.vendor)
        if request.clone_path is not None:
            source = audio.decode(
                request.clone_path, work.folder / "clone_source.wav", sample_rate_hz=OUTPUT_RATE_HZ,
                max_duration_s=self.settings.max_duration_s, max_bytes=self.settings.max_upload_bytes,
            )
            kind = "clone_clip"
        else:
            source = audio.decode(request.input_path, work.folder / "reference_source.wav",
                                  sample_rate_hz=OUTPUT_RATE_HZ)
            kind = "input"
        work.reference = pick_reference(
            source, work.folder / "reference.wav", source_kind=kind,
            max_s=min(30.0, voice_info.reference_max_s),
        )
        work.warnings.extend(work.reference.warnings)
        tracker.succeed(
            StepName.INITIALIZATION,
            f"{work.decoded.duration_s:.1f} s of audio; voice reference "
            f"{work.reference.duration_s:.1f} s from the {kind.replace('_', ' ')}",
        )

    def _speech_to_text(self, work: _Work, tracker: StepTracker, cancel) -> None:
        choice = work.plan.transcriber
        tracker.start(StepName.SPEECH_TO_TEXT, f"Transcribing with {choice.vendor}/{choice.model}")
        if work.reuse.transcript is not None:
            work.transcript = work.reuse.transcript
            work.source_language = work.reuse.source_language or work.transcript.language
            tracker.succeed(StepName.SPEECH_TO_TEXT, "reused the earlier transcript", reused=True)
            return
        info = self.registry.get(choice.vendor)
        transcriber = self._build(work, info, Role.TRANSCRIBE, choice.model)
        language = work.plan.source_language or None
        transcript = transcribe_in_chunks(
            transcriber, work.decoded, language, work.folder / "chunks",
            max_chunk_s=info.max_audio_s or float("inf"), policy=self.retry,
            concurrency=info.max_concurrency, cancel=cancel,
            on_done=lambda done, total: tracker.progress(
                StepName.SPEECH_TO_TEXT, 0.9 * done / total, f"Transcribed part {done} of {total}"),
        )
        if not transcript.text.strip() or not transcript.segments:
            raise InputError(
                "No speech was recognised in the audio. Check that it contains clear speech"
                + ("" if language else ", or set the source language") + "."
            )
        work.transcript = transcript
        work.source_language = transcript.language or work.plan.source_language
        work.costs.append(cost_line(info, Role.TRANSCRIBE, choice.model, transcript.usage))
        detected = language_name(work.source_language) if work.source_language else "unknown language"
        tracker.succeed(
            StepName.SPEECH_TO_TEXT,
            f"{len(transcript.segments)} segments, {len(transcript.text)} characters ({detected})",
        )

    def _translate(self, work: _Work, tracker: StepTracker, cancel) -> None:
        target = work.plan.target_language
        choice = work.plan.translator
        if work.source_language == target or choice is None:
            tracker.skip(StepName.TRANSLATION,
                         f"same language: the speech is already in {language_name(target)}")
            return
        tracker.start(StepName.TRANSLATION, f"Translating with {choice.vendor}/{choice.model}")
        earlier = work.reuse.translation
        if earlier is not None and earlier.target_language == target:
            work.translation = earlier
            tracker.succeed(StepName.TRANSLATION, "reused the earlier (or edited) translation",
                            reused=True)
            return
        info = self.registry.get(choice.vendor)
        translator = self._build(work, info, Role.TRANSLATE, choice.model)
        segments = work.transcript.segments
        context = TranslationContext(
            glossary=dict(work.request.glossary), instructions=work.request.instructions,
            max_duration_s=tuple(s.duration_s for s in segments),
        )
        translation = call_with_retry(
            lambda: translator.translate(segments, work.source_language, target, context),
            self.retry, cancel=cancel, what=f"{choice.vendor} translation",
        )
        if len(translation.segments) != len(segments):
            raise VendorResponseError(
                choice.vendor,
                f"returned {len(translation.segments)} segments for {len(segments)}; try again "
                "or pick another model.",
            )
        work.translation = translation
        work.costs.append(cost_line(info, Role.TRANSLATE, choice.model, translation.usage))
        tracker.succeed(StepName.TRANSLATION,
                        f"{len(segments)} segments into {language_name(target)}")

    def _clone(self, work: _Work, tracker: StepTracker, cancel) -> None:
        choice = work.plan.voice
        tracker.start(StepName.VOICE_CLONE, f"Preparing the voice with {choice.vendor}")
        info = self.registry.get(choice.vendor)
        adapter = self._build(work, info, Role.CLONE, choice.model)
        work.voice_adapter = adapter
        reference = work.reference
        said = ""
        if reference.source == "input":
            said = " ".join(
                s.text.strip() for s in work.transcript.segments
                if s.end_s > reference.start_s and s.start_s < reference.end_s
            )
        work.voice = call_with_retry(
            lambda: adapter.clone(reference, said), self.retry, cancel=cancel,
            what=f"{choice.vendor} voice clone",
        )
        tracker.succeed(StepName.VOICE_CLONE,
                        f"{info.display_name} voice from {reference.duration_s:.1f} s of speech")

    def _speak(self, work: _Work, tracker: StepTracker, cancel) -> None:
        choice = work.plan.voice
        target = work.plan.target_language
        tracker.start(StepName.TEXT_TO_SPEECH, f"Speaking with {choice.vendor}")
        segments = (work.translation or work.transcript).segments
        spoken, usage = speak_segments(
            work.voice_adapter, work.voice, segments, target, work.folder / "tts",
            policy=self.retry, cancel=cancel,
            concurrency=min(self.tts_concurrency, self.registry.get(choice.vendor).max_concurrency),
            on_done=lambda done, total: tracker.progress(
                StepName.TEXT_TO_SPEECH, 0.85 * done / max(1, total),
                f"Spoke segment {done} of {total}"),
        )
        if not spoken:
            raise InputError("There is no text to speak after translation.")
        tracker.check_cancel()
        tracker.progress(StepName.TEXT_TO_SPEECH, 0.9, "Assembling and normalising loudness")
        track = assemble_natural(spoken, work.folder / "dub.wav")
        normalized = audio.loudness_normalize(track.path, work.folder / "dub_normalized.wav")
        fmt = work.request.output_format
        work.output = audio.encode(normalized.path, work.folder / f"output.{fmt}", fmt)
        info = self.registry.get(choice.vendor)
        work.costs.append(cost_line(info, Role.SPEAK, choice.model, usage))
        tracker.succeed(StepName.TEXT_TO_SPEECH,
                        f"{normalized.duration_s:.1f} s of {language_name(target)} speech ({fmt})")

    # --- helpers ---------------------------------------------------------------------

    def _build(self, work: _Work, info, role: Role, model: str) -> object:
        adapter = self.registry.build(info, role, model, work.request.keys, self.settings)
        work.adapters.append(adapter)
        return self.limits.gate(info.id, info.max_concurrency, adapter)

    @staticmethod
    def _close_adapters(work: _Work) -> None:
        for adapter in work.adapters:
            close = getattr(adapter, "close", None)
            if callable(close):
                try:
                    close()
                except Exception:  # closing must never hide the task's own outcome
                    log.warning("could not close a %s client", type(adapter).__name__)

    @staticmethod
    def _release_voice(work: _Work) -> None:
        adapter, voice = work.voice_adapter, work.voice
        if voice is not None and isinstance(adapter, VoiceReleaser):
            try:
                adapter.release(voice)
            except Exception:  # cleanup must never hide the task's own outcome
                log.warning("could not release the %s voice", voice.vendor)

    def _result(self, task_id: str, work: _Work, tracker: StepTracker,
                status: TaskStatus, failure: AppError | None) -> TaskResult:
        plan = work.plan
        return TaskResult(
            task_id=task_id,
            status=status,
            steps=tracker.reports(),
            target_language=plan.target_language if plan else "",
            choices=plan.choices if plan else (),
            transcript=work.transcript,
            translation=work.translation,
            output_path=work.output,
            reference=work.reference,
            input_duration_s=work.decoded.duration_s if work.decoded else None,
            warnings=tuple(work.warnings),
            cost=plan.estimate if plan else CostEstimate(),
            actual_cost=CostEstimate(tuple(work.costs)),
            error=failure.message if failure else None,
            failure=failure,
            checkpoint=work.checkpoint(),
        )


def _exists(decoded: DecodedAudio | None) -> bool:
    return decoded is not None and decoded.path.is_file()


def copy_output(result: TaskResult, destination: Path) -> Path:
    """Copy a finished task's audio to ``destination`` and return it."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(result.output_path, destination)
    return destination



