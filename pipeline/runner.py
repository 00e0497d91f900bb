"""The pipeline: plan a task, run its five steps, and the smaller runs built on them.

:class:`Pipeline` is the one entry point the delivery surfaces use: :meth:`Pipeline.plan`
(what would run and why, no vendor called), :meth:`Pipeline.run` (the five steps, see
:mod:`pipeline.scheduler`), :meth:`Pipeline.speech_text` (speech in, text out: the first
three steps only, for the OpenAI-shaped routes) and :meth:`Pipeline.say` (one line in an
offline voice, for the page's examples).
"""

from __future__ import annotations

import dataclasses
import math
import os
import shutil
import threading
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.audio import ffmpeg as ff
from pipeline.cluster_limits import limits_for
from pipeline.errors import AppError
from pipeline.media.stage import check_media
from pipeline.options import TaskOptions, TaskRequest
from pipeline.planning import Plan, make_plan
from pipeline.quality.checking import plan_quality
from pipeline.results import Checkpoint, CostEstimate, SubtitleFile, TaskResult, VendorChoice
from pipeline.retry import RetryPolicy
from pipeline.scheduler import CheckpointCallback, Outcome, Scheduler
from pipeline.settings import Settings
from pipeline.steps.context import Adapters, RunContext
from pipeline.steps.text_to_speech import PartialAudioCallback
from pipeline.tracking import ProgressCallback, StepTracker, forward_only
from pipeline.types import Role, SynthesizedAudio, TaskStatus, Voice

if TYPE_CHECKING:
    from pipeline.registry import Registry
    from pipeline.vendor_api import Synthesizer

__all__ = ["PartialAudioCallback", "Pipeline", "copy_output", "copy_subtitles"]


class Pipeline:
    """The five steps over a vendor registry.

    Args:
        registry: the vendors (the composition root hands in the shipped list).
        settings: limits, defaults and environment keys.
        retry: retry policy for retryable vendor errors.
        tts_concurrency: how many lines one voice vendor speaks at once.
        audio_workers: how many dubbed lines are prepared (decoded, trimmed, levelled,
            stretched) at once on this machine (default: the CPU count, at most 4).
    """

    def __init__(self, registry: Registry, settings: Settings, *,
                 retry: RetryPolicy | None = None, tts_concurrency: int = 4,
                 audio_workers: int | None = None) -> None:
        self.registry = registry
        self.settings = settings
        self.retry = retry or RetryPolicy()
        self.tts_concurrency = tts_concurrency
        self.audio_workers = audio_workers or max(1, min(4, os.cpu_count() or 1))
        self.limits = limits_for(settings)

    def plan(self, options: TaskOptions, keys: Mapping[str, str] | None = None,
             duration_s: float | None = None, *, server_keys: bool = True) -> Plan:
        """What a task with ``options`` would run, and why; no vendor is called.

        Args:
            options: the task's options.
            keys: keys given with the request, by variable name.
            duration_s: the input's length, for the estimate (None: one minute).
            server_keys: whether the server's own keys may serve the request (False for a
                signed-in visitor: see :attr:`~pipeline.options.TaskRequest.server_keys`).

        Raises:
            InputError: an unknown language or vendor, or a vendor that cannot do the job.
        """
        plan = make_plan(
            self.registry, self.settings,
            target_language=options.target_language, source_language=options.source_language,
            voice_vendor=options.voice_vendor, stt=options.stt_model, llm=options.llm_model,
            keys=keys or {}, duration_s=duration_s,
            speech_translation=options.speech_translation_model, text_only=options.text_only,
            server_keys=server_keys, speaker_voices=options.speaker_voices,
        )
        plan = dataclasses.replace(plan, speakers=options.speakers)
        if options.text_only:
            return plan
        quality = plan_quality(
            self.registry, self.settings, mode=options.quality, language=plan.target_language,
            checker_spec=options.quality_stt_model, own=plan.transcriber, keys=keys or {},
            duration_s=plan.estimate_duration_s, estimate=plan.estimate, server_keys=server_keys)
        lines = plan.estimate.lines + ((quality.cost,) if quality.cost is not None else ())
        return dataclasses.replace(plan, quality=quality, estimate=CostEstimate(lines))

    def run(self, request: TaskRequest, *, plan: Plan | None = None, task_id: str | None = None,
            on_progress: ProgressCallback | None = None, cancel: threading.Event | None = None,
            checkpoint: Checkpoint | None = None, on_checkpoint: CheckpointCallback | None = None,
            on_partial_audio: PartialAudioCallback | None = None) -> TaskResult:
        """Run all five steps; never raises for a failed task (the result says why).

        Args:
            request: what to do.
            plan: the plan made when the task was accepted; it is what runs, unless a
                vendor it chose cannot run any more (then the task is planned again and
                the result says so). None plans now.
            task_id: folder name under ``APP_DATA_DIR/tasks`` (a new one if None).
            on_progress: receives step progress events; the overall fraction never goes
                back, even while steps overlap.
            cancel: set it to stop at the next safe point.
            checkpoint: outputs of earlier runs to reuse (resume, re-synthesise).
            on_checkpoint: called after every finished step, e.g. to persist it.
            on_partial_audio: ``on_partial_audio(piece_path, ready_s)`` is called during
                ``text_to_speech`` each time the leading lines of the dub are final. Each
                piece is a mono 16-bit 24 kHz WAV holding the audio from the previous
                call's ``ready_s`` (0 for the first) up to this ``ready_s``, pauses
                included, levelled like the final output; the pieces in order are exactly
                the finished dub (before encoding). Pieces live in the task folder
                (``partial/00000.wav``, ...) and stay after the task.

        Every callback is called on the thread that called ``run``, in order. The server's
        own keys serve the run only when ``request.server_keys`` allows it.
        """
        task_id = task_id or uuid.uuid4().hex[:16]
        folder = self.settings.data_dir / "tasks" / task_id
        folder.mkdir(parents=True, exist_ok=True)
        tracker = StepTracker(None)
        try:
            plan, warnings = self._decided(request, plan)
        except AppError as exc:
            return self._refused(task_id, tracker, exc)
        post, posted = Scheduler.poster()
        if on_progress is not None:
            forward = forward_only(on_progress)
            tracker = StepTracker(lambda event: post(lambda: forward(event)))
        ctx = RunContext(request, plan, folder, self.settings,
                         Adapters(self.registry, self.settings, request.keys, self.limits,
                                  server_keys=request.server_keys),
                         self.retry, tracker, threading.Event(), cancel or threading.Event(), post,
                         self.tts_concurrency, self.audio_workers)
        scheduler = Scheduler(ctx, checkpoint or Checkpoint(), cancel=cancel,
                              on_checkpoint=on_checkpoint, on_partial_audio=on_partial_audio)
        outcome = scheduler.run(posted)
        return _result(task_id, plan, tracker, outcome, warnings)

    def speech_text(self, request: TaskRequest, *, translate: bool = True,
                    cancel: threading.Event | None = None) -> TaskResult:
        """Speech in, text out: the transcript and, when asked, its translation.

        Runs ``initialization``, ``speech_to_text`` and ``translation`` (the voice steps are
        skipped) in a scratch folder that is removed afterwards; every check a task makes
        applies (size, format, length, silence, languages, vendors, keys).

        Args:
            request: the input and options (``text_only`` is implied).
            translate: False transcribes only (the translation step is skipped).
            cancel: set it to stop at the next safe point.
        """
        options = dataclasses.replace(request.options, text_only=True)
        request = dataclasses.replace(request, options=options)
        try:
            plan = self.check(request, translate=translate)
        except AppError as exc:
            return self._refused(uuid.uuid4().hex[:16], StepTracker(None), exc)
        task_id = f"text-{uuid.uuid4().hex[:16]}"
        try:
            return self.run(request, plan=plan, task_id=task_id, cancel=cancel)
        finally:
            shutil.rmtree(self.settings.data_dir / "tasks" / task_id, ignore_errors=True)

    def check(self, request: TaskRequest, *, translate: bool = True) -> Plan:
        """Plan ``request`` and check that it can run and that its input is audio, without
        decoding it (cheap: for answering bad requests before any work starts).

        Args:
            request: the input and options.
            translate: False plans a transcription only (no translator is needed).

        Raises:
            AppError: what is wrong (a missing key, an unreadable or empty file...).
        """
        plan = self._plan_for(request)
        if not translate:
            plan = dataclasses.replace(plan, translator=None,
                                       translation_note="not asked: transcription only")
        missing = plan.missing_key_error(first_only=True)
        if missing is not None:  # the first step that lacks a key says which one
            raise missing
        plan.require_runnable()
        ff.read_header(request.input_path, name=request.input_name)
        check_media(request, self.settings)
        return plan

    def say(self, text: str, language: str, voice: Voice) -> SynthesizedAudio:
        """Speak one line with ``voice`` (its vendor's default model), no task around it.

        Raises:
            AppError: the vendor cannot run here, or failed.
        """
        info = self.registry.get(voice.vendor)
        choice = VendorChoice(Role.SPEAK, info.id, info.default_model(Role.SPEAK), "asked")
        adapters = Adapters(self.registry, self.settings, {}, self.limits)
        try:
            speaker: Synthesizer = adapters.get(choice, Role.SPEAK)
            return speaker.speak(text, voice, language)
        finally:
            adapters.close()

    # --- helpers ---------------------------------------------------------------------

    def _decided(self, request: TaskRequest, plan: Plan | None) -> tuple[Plan, list[str]]:
        """The plan to run: the given one while every vendor it chose can still run here;
        else a new plan, and a warning that says what changed."""
        if plan is None:
            return self._plan_for(request), []
        gone = [c for c in plan.needed if c.runnable and not self._runnable(c, request)]
        if not gone:
            return plan, []
        fresh = self._plan_for(request)
        lost = ", ".join(f"{c.vendor} ({c.role.value})" for c in gone)
        now = "; ".join(c.reason for c in fresh.choices)
        return fresh, [f"Planned again: {lost} could no longer run here since the task was "
                       f"accepted. Now: {now}."]

    def _plan_for(self, request: TaskRequest) -> Plan:
        return self.plan(request.options, request.keys, self._declared_s(request),
                         server_keys=request.server_keys)

    def _runnable(self, choice: VendorChoice, request: TaskRequest) -> bool:
        info = self.registry.get(choice.vendor)
        return self.registry.availability(info, request.keys, self.settings,
                                          server_keys=request.server_keys).runnable

    @staticmethod
    def _declared_s(request: TaskRequest) -> float | None:
        try:
            declared_s = ff.read_header(request.input_path).info.duration_s
        except (AppError, OSError):
            return None  # the decode says what is wrong with the file
        return None if math.isnan(declared_s) else declared_s

    def _refused(self, task_id: str, tracker: StepTracker, error: AppError) -> TaskResult:
        tracker.fail(tracker.reports()[0].name, error.message)
        return TaskResult(task_id=task_id, status=TaskStatus.FAILED, steps=tracker.reports(),
                          error=error.message, failure=error, checkpoint=Checkpoint())


def _result(task_id: str, plan: Plan, tracker: StepTracker, outcome: Outcome,
            warnings: list[str]) -> TaskResult:
    checkpoint, failure = outcome.checkpoint, outcome.failure
    if outcome.canceled:
        status = TaskStatus.CANCELED
    else:
        status = TaskStatus.FAILED if failure is not None else TaskStatus.SUCCEEDED
    decoded = checkpoint.decoded
    return TaskResult(
        task_id=task_id,
        status=status,
        steps=tracker.reports(),
        target_language=plan.target_language,
        choices=plan.choices,
        transcript=checkpoint.transcript,
        translation=checkpoint.translation,
        output_path=outcome.output,
        reference=checkpoint.reference,
        input_duration_s=decoded.duration_s if decoded is not None else None,
        warnings=(*warnings, *outcome.warnings),
        cost=plan.estimate,
        actual_cost=CostEstimate(outcome.costs),
        error=failure.message if failure is not None else None,
        failure=failure,
        checkpoint=checkpoint,
        timing=outcome.timing,
        subtitles=outcome.subtitles,
        quality=outcome.quality,
        speakers=outcome.speakers,
        media=outcome.media,
    )


def copy_output(result: TaskResult, destination: Path) -> Path:
    """Copy a finished task's audio to ``destination`` and return it."""
    if result.output_path is None:
        raise ValueError("the task produced no audio")
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(result.output_path, destination)
    return destination


def copy_subtitles(result: TaskResult, output: Path) -> tuple[SubtitleFile, ...]:
    """Copy a finished task's subtitles next to ``output`` (its audio copy) and return them.

    The words heard in the dub go to ``OUTPUT.srt`` and ``OUTPUT.vtt`` (the translation's,
    or the transcript's when nothing was translated); the original words, when translated,
    to ``OUTPUT.<source language>.srt`` and ``.vtt``.
    """
    heard = "translation" if any(f.kind == "translation" for f in result.subtitles) else "transcript"
    copies = []
    for item in result.subtitles:
        suffix = f".{item.format}" if item.kind == heard else f".{item.language}.{item.format}"
        target = output.with_suffix(suffix)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(item.path, target)
        copies.append(dataclasses.replace(item, path=target))
    return tuple(copies)
