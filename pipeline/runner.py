"""Run one task through the five steps, reporting each step's status, times and errors.

The steps overlap where their inputs allow, so a long recording starts sounding early:

- ``initialization`` decodes and checks the input; for inputs over 90 s each piece to
  transcribe (the first after ~30 s, then up to 5 minutes, cut at pauses) is sent as
  soon as it is decoded, while the rest decodes.
- ``speech_to_text`` sends pieces of at most 5 minutes, cut at pauses, in parallel;
  pieces are taken in order and segmented as they come back.
- ``translation`` translates each piece's lines (slices of one LLM request) as soon
  as the piece is transcribed; in ``keep`` timing, lines that would need more than 1.3x
  are asked for again, more briefly.
- ``voice_clone`` starts once the first lines are translated and the words of the
  reference window are known.
- ``text_to_speech`` speaks lines as they are translated and writes the dub in order.

Each step's report runs from its first to its last piece of work, so reports may
overlap. With one piece and one slice (any short clip) the steps run one after the other.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import uuid
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline import audio, timing
from pipeline.audio.reference import pick_reference
from pipeline.errors import AppError, InputError, TaskCanceledError
from pipeline.flow import Flow
from pipeline.limits import VendorLimits
from pipeline.options import TaskOptions, TaskRequest
from pipeline.planning import Plan, make_plan
from pipeline.results import Checkpoint, CostEstimate, SubtitleFile, TaskResult
from pipeline.retry import RetryPolicy
from pipeline.settings import Settings
from pipeline.synthesis import OUTPUT_RATE_HZ
from pipeline.tracking import ProgressCallback, StepTracker
from pipeline.transcribing import CHUNK_MAX_S, HEAD_S, STT_RATE_HZ
from pipeline.types import (
    DecodedAudio,
    ProgressEvent,
    Role,
    StepName,
    StepStatus,
    TaskStatus,
    VoiceReference,
)
from pipeline.vendor_api import VoiceReleaser
from pipeline.work import CheckpointCallback, PartialAudioCallback, Work

if TYPE_CHECKING:
    from pipeline.registry import Registry

__all__ = ["CHUNK_MAX_S", "HEAD_S", "OUTPUT_FORMATS", "STT_RATE_HZ", "PartialAudioCallback",
           "Pipeline", "copy_output", "copy_subtitles"]

log = logging.getLogger(__name__)
OUTPUT_FORMATS = ("mp3", "wav")
REFERENCE_SEARCH_S = 300.0  # on longer inputs the voice reference comes from the first 5 min


class Pipeline:
    """The five steps over a vendor registry (see the module docstring for how they overlap).

    Args:
        registry: the vendors (the app wires the default registry in).
        settings: limits, defaults and environment keys.
        retry: retry policy for retryable vendor errors.
        tts_concurrency: how many segments one voice vendor speaks at once.
        audio_workers: how many dubbed lines are prepared (decoded, trimmed, levelled,
            stretched) at once on this machine (default: the CPU count, at most 4).
    """

    def __init__(
        self,
        registry: Registry,
        settings: Settings,
        *,
        retry: RetryPolicy | None = None,
        tts_concurrency: int = 4,
        audio_workers: int | None = None,
    ) -> None:
        self.registry = registry
        self.settings = settings
        self.retry = retry or RetryPolicy()
        self.tts_concurrency = tts_concurrency
        self.audio_workers = audio_workers or max(1, min(4, os.cpu_count() or 1))
        self.limits = VendorLimits()

    def plan(self, options: TaskOptions, keys: Mapping[str, str] | None = None,
             duration_s: float | None = None) -> Plan:
        """What a task with ``options`` would run, and why; no vendor is called.

        Args:
            options: the task's options.
            keys: keys given with the request, by variable name.
            duration_s: the input's length, for the estimate (None: one minute).
        """
        return make_plan(
            self.registry, self.settings,
            target_language=options.target_language, source_language=options.source_language,
            voice_vendor=options.voice_vendor, stt=options.stt_model, llm=options.llm_model,
            keys=keys or {}, duration_s=duration_s,
        )

    def run(
        self,
        request: TaskRequest,
        *,
        task_id: str | None = None,
        on_progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        checkpoint: Checkpoint | None = None,
        on_checkpoint: CheckpointCallback | None = None,
        on_partial_audio: PartialAudioCallback | None = None,
    ) -> TaskResult:
        """Run all five steps; never raises for a failed task (the result says why).

        Args:
            request: what to do.
            task_id: folder name under APP_DATA_DIR/tasks (new one if None).
            on_progress: receives step progress events; the overall fraction never goes
                back, even while steps overlap.
            cancel: set it to stop at the next safe point.
            checkpoint: outputs of earlier runs to reuse (resume, re-synthesise).
            on_checkpoint: called after every finished step, e.g. to persist it.
            on_partial_audio: ``on_partial_audio(piece_path, ready_s)`` is called during
                ``text_to_speech`` each time the leading lines of the dub are final. Each
                piece is a mono 16-bit 24 kHz WAV holding the audio from the previous
                call's ``ready_s`` (0 for the first) up to this ``ready_s`` seconds, pauses
                included, levelled like the final output; the pieces in order are exactly
                the finished dub (before encoding). Calls come from the thread running the
                task, in order, the last one when the dub is complete; a failed or
                canceled task simply stops calling. Pieces live in the task folder
                (``partial/00000.wav``, ...) and stay after the task.
        """
        task_id = task_id or uuid.uuid4().hex[:16]
        folder = self.settings.data_dir / "tasks" / task_id
        folder.mkdir(parents=True, exist_ok=True)
        work = Work(request, folder, checkpoint or Checkpoint())
        work.on_partial_audio = on_partial_audio
        tracker = StepTracker(_forward_only(on_progress), cancel)
        flow = Flow(self, work, tracker, cancel, on_checkpoint)
        status, failure = TaskStatus.SUCCEEDED, None
        try:
            with flow.within(StepName.INITIALIZATION):
                self._initialize(work, tracker, flow)
            if on_checkpoint is not None:
                on_checkpoint(work.checkpoint(), tracker.reports())
            flow.run()
        except TaskCanceledError as exc:
            status, failure = TaskStatus.CANCELED, exc
            _stop_running(tracker, exc.message)
        except AppError as exc:
            status, failure = TaskStatus.FAILED, exc
            step = flow.failed or tracker.current or StepName.INITIALIZATION
            tracker.fail(step, exc.message)
            _stop_running(tracker, f"Stopped because {step.value} failed.")
        except Exception:  # a bug: log it, show the user a plain sentence, keep the server up
            log.exception("task %s crashed", task_id)
            status = TaskStatus.FAILED
            failure = AppError("Internal error while processing the task; it has been logged.")
            step = flow.failed or tracker.current or StepName.INITIALIZATION
            tracker.fail(step, failure.message)
            _stop_running(tracker, f"Stopped because {step.value} failed.")
        finally:
            flow.shutdown()
            self._release_voice(work)
            self._close_adapters(work)
        return self._result(task_id, work, tracker, status, failure)

    def _initialize(self, work: Work, tracker: StepTracker, flow: Flow) -> None:
        request = work.request
        tracker.start(StepName.INITIALIZATION, "Checking the audio")
        work.plan = self.plan(request.options, request.keys)
        work.plan.require_runnable()
        if request.options.output_format not in OUTPUT_FORMATS:
            raise InputError(f"Output format must be one of {', '.join(OUTPUT_FORMATS)}.")
        timing.resolve_mode(request.options.timing, 0.0)  # a bad value fails before any audio work
        reuse = work.reuse
        if _exists(reuse.decoded) and reuse.reference and reuse.reference.path.is_file():
            work.decoded, work.reference = reuse.decoded, reuse.reference
            work.plan = self.plan(request.options, request.keys, work.decoded.duration_s)
            work.mode = timing.resolve_mode(request.options.timing, work.decoded.duration_s)
            work.warnings.extend(work.reference.warnings)
            tracker.succeed(StepName.INITIALIZATION, "reused the checked audio and voice reference",
                            reused=True)
            return
        limits = {"max_duration_s": self.settings.max_duration_s,
                  "max_bytes": self.settings.max_upload_bytes}
        if reuse.transcript is None and flow.wants_progressive(request.input_path,
                                                               self.settings.max_duration_s):
            work.decoded = flow.decode_while_transcribing(request.input_path, **limits)
        else:
            work.decoded = audio.decode(request.input_path, work.folder / "input.wav",
                                        sample_rate_hz=STT_RATE_HZ, **limits)
        work.plan = plan = self.plan(request.options, request.keys, work.decoded.duration_s)
        work.mode = timing.resolve_mode(request.options.timing, work.decoded.duration_s)
        if reuse.transcript is None:
            flow.transcribe_rest()
        tracker.progress(StepName.INITIALIZATION, 0.6, "Choosing the voice reference")
        max_s = min(30.0, self.registry.get(plan.voice.vendor).reference_max_s)
        if request.clone_path is not None:
            source = audio.decode(
                request.clone_path, work.folder / "clone_source.wav", sample_rate_hz=OUTPUT_RATE_HZ,
                max_duration_s=self.settings.max_duration_s, max_bytes=self.settings.max_upload_bytes,
            )
            work.reference = pick_reference(source, work.folder / "reference.wav",
                                            source_kind="clone_clip", max_s=max_s)
        else:
            work.reference = _reference_from_input(request.input_path, work.decoded, work.folder,
                                                   max_s)
        work.warnings.extend(work.reference.warnings)
        kind = work.reference.source.replace("_", " ")
        tracker.succeed(
            StepName.INITIALIZATION,
            f"{work.decoded.duration_s:.1f} s of audio; voice reference "
            f"{work.reference.duration_s:.1f} s from the {kind}; timing: {work.mode}",
        )

    # --- helpers ---------------------------------------------------------------------

    def _build(self, work: Work, info, role: Role, model: str) -> object:
        adapter = self.registry.build(info, role, model, work.request.keys, self.settings)
        work.adapters.append(adapter)
        return self.limits.gate(info.id, info.max_concurrency, adapter)

    @staticmethod
    def _close_adapters(work: Work) -> None:
        for adapter in work.adapters:
            close = getattr(adapter, "close", None)
            if callable(close):
                try:
                    close()
                except Exception:  # closing must never hide the task's own outcome
                    log.warning("could not close a %s client", type(adapter).__name__)

    @staticmethod
    def _release_voice(work: Work) -> None:
        adapter, voice = work.voice_adapter, work.voice
        if voice is not None and isinstance(adapter, VoiceReleaser):
            try:
                adapter.release(voice)
            except Exception:  # cleanup must never hide the task's own outcome
                log.warning("could not release the %s voice", voice.vendor)

    def _result(self, task_id: str, work: Work, tracker: StepTracker,
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
            timing=work.timing,
            subtitles=work.subtitles,
        )


def _forward_only(on_progress: ProgressCallback | None) -> ProgressCallback | None:
    """Pass progress on with an overall fraction that never goes back (steps overlap)."""
    if on_progress is None:
        return None
    lock, furthest = threading.Lock(), [0.0]

    def forward(event: ProgressEvent) -> None:
        with lock:
            furthest[0] = max(furthest[0], event.fraction)
            event = replace(event, fraction=furthest[0])
        on_progress(event)

    return forward


def _stop_running(tracker: StepTracker, message: str) -> None:
    """Mark every step still running as failed with ``message`` (the task has stopped)."""
    for report in tracker.reports():
        if report.status is StepStatus.RUNNING:
            tracker.fail(report.name, message)


def _exists(decoded: DecodedAudio | None) -> bool:
    return decoded is not None and decoded.path.is_file()


def _reference_from_input(input_path: Path, decoded: DecodedAudio, folder: Path,
                          max_s: float) -> VoiceReference:
    """Choose the reference on the decoded input, then decode only that window from the
    original file at the output rate (the input is never decoded twice).

    On inputs over 5 minutes the window is chosen in the first 5 minutes: plenty of speech
    to find a clean window in, and transcribed early, so the voice can be prepared while
    the rest of a long recording is still being transcribed.
    """
    search = decoded
    if decoded.duration_s > REFERENCE_SEARCH_S:
        search = audio.cut(decoded.path, folder / "reference_search.wav", 0.0, REFERENCE_SEARCH_S)
    chosen = pick_reference(search, folder / "reference_choice.wav", source_kind="input",
                            max_s=max_s)
    if search is not decoded:
        search.path.unlink(missing_ok=True)
    cut = audio.decode_window(input_path, folder / "reference.wav", chosen.start_s, chosen.end_s,
                              sample_rate_hz=OUTPUT_RATE_HZ)
    chosen.path.unlink(missing_ok=True)
    return replace(chosen, path=cut.path)


def copy_output(result: TaskResult, destination: Path) -> Path:
    """Copy a finished task's audio to ``destination`` and return it."""
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
        copies.append(replace(item, path=target))
    return tuple(copies)
