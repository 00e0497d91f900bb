"""Run one task through the five steps, reporting each step's status, times and errors."""

from __future__ import annotations

import logging
import os
import shutil
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline import audio, timing
from pipeline.chunking import chunk_bounds, transcribe_in_chunks, translate_in_slices
from pipeline.errors import AppError, InputError, TaskCanceledError
from pipeline.langid import detect_language
from pipeline.languages import language_name
from pipeline.limits import VendorLimits
from pipeline.planning import Plan, make_plan
from pipeline.pricing import cost_line
from pipeline.reference import pick_reference
from pipeline.retry import RetryPolicy, call_with_retry
from pipeline.segmentation import segment_transcript
from pipeline.settings import Settings
from pipeline.subtitles import cues_for, write_subtitles
from pipeline.synthesis import OUTPUT_RATE_HZ, speed_range, synthesize
from pipeline.tracking import ProgressCallback, StepTracker
from pipeline.types import (
    Checkpoint,
    CostEstimate,
    CostLine,
    DecodedAudio,
    Role,
    StepName,
    StepReport,
    SubtitleFile,
    TaskRequest,
    TaskResult,
    TaskStatus,
    TimingReport,
    Transcript,
    Translation,
    TranslationContext,
    Voice,
    VoiceReference,
)
from vendors.base import VoiceReleaser

if TYPE_CHECKING:
    from vendors.registry import Registry

__all__ = ["CHUNK_MAX_S", "OUTPUT_FORMATS", "STT_RATE_HZ", "PartialAudioCallback", "Pipeline",
           "copy_output"]

log = logging.getLogger(__name__)
STT_RATE_HZ = 16000
OUTPUT_FORMATS = ("mp3", "wav")
CHUNK_MAX_S = 300.0  # longest piece sent for transcription, whatever the vendor allows
PartialAudioCallback = Callable[[Path, float], None]
SHORTEN_NOTE = (
    "These lines were translated before, but the translations run too long to be spoken in "
    "their time slots. Translate them again as briefly as natural speech allows, within the "
    "length limits, keeping the meaning."
)


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
    mode: str = "natural"
    speech: list[tuple[float, float]] | None = None
    timing: TimingReport | None = None
    subtitles: tuple[SubtitleFile, ...] = ()
    on_partial_audio: PartialAudioCallback | None = None

    def checkpoint(self) -> Checkpoint:
        """What the finished steps produced so far."""
        return Checkpoint(self.decoded, self.reference, self.transcript, self.source_language,
                          self.translation)


class Pipeline:
    """The five steps over a vendor registry.

    Steps run in order; inside each, vendor calls run in parallel (bounded per vendor):
    transcription chunks of at most 5 minutes, translation slices of one LLM request,
    and the lines of the dub. The dub is written while its lines are being spoken, so
    its start can be played long before the end is done (``on_partial_audio``).

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
        on_partial_audio: PartialAudioCallback | None = None,
    ) -> TaskResult:
        """Run all five steps; never raises for a failed task (the result says why).

        Args:
            request: what to do.
            task_id: folder name under APP_DATA_DIR/tasks (new one if None).
            on_progress: receives step progress events.
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
        work = _Work(request, folder, checkpoint or Checkpoint())
        work.on_partial_audio = on_partial_audio
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
        timing.resolve_mode(request.timing, 0.0)  # a bad value fails before any audio work
        reuse = work.reuse
        if _exists(reuse.decoded) and reuse.reference and reuse.reference.path.is_file():
            work.decoded, work.reference = reuse.decoded, reuse.reference
            work.plan = self.plan(request, work.decoded.duration_s)
            work.mode = timing.resolve_mode(request.timing, work.decoded.duration_s)
            work.warnings.extend(work.reference.warnings)
            tracker.succeed(StepName.INITIALIZATION, "reused the checked audio and voice reference",
                            reused=True)
            return
        work.decoded = audio.decode(
            request.input_path, work.folder / "input.wav", sample_rate_hz=STT_RATE_HZ,
            max_duration_s=self.settings.max_duration_s, max_bytes=self.settings.max_upload_bytes,
        )
        work.plan = plan = self.plan(request, work.decoded.duration_s)
        work.mode = timing.resolve_mode(request.timing, work.decoded.duration_s)
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
        speech = audio.speech_spans(work.decoded.path)
        max_chunk_s = min(CHUNK_MAX_S, info.max_audio_s or CHUNK_MAX_S)
        transcript = transcribe_in_chunks(
            transcriber, work.decoded, language, work.folder / "chunks",
            max_chunk_s=max_chunk_s, policy=self.retry, speech=speech,
            concurrency=info.max_concurrency, cancel=cancel,
            on_done=lambda done, total: tracker.progress(
                StepName.SPEECH_TO_TEXT, 0.9 * done / total, f"Transcribed part {done} of {total}"),
        )
        chunks = chunk_bounds(speech, work.decoded.duration_s, max_chunk_s)
        transcript = replace(transcript, segments=segment_transcript(transcript.segments, speech, chunks))
        if not transcript.text.strip() or not transcript.segments:
            raise InputError(
                "No speech was recognised in the audio. Check that it contains clear speech"
                + ("" if language else ", or set the source language") + "."
            )
        work.transcript = transcript
        work.source_language = (transcript.language or work.plan.source_language
                                or detect_language(transcript.text))
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

        def translate(chosen: tuple, note: TranslationContext) -> Translation:
            return translate_in_slices(translator, chosen, work.source_language, target, note,
                                       vendor=choice.vendor, policy=self.retry,
                                       concurrency=info.max_concurrency, cancel=cancel)

        translation = translate(segments, context)
        detail = f"{len(segments)} segments into {language_name(target)}"
        if work.mode == "keep":
            translation, shortened = self._shorten(work, translation, translate, context)
            if shortened:
                detail += f"; {shortened} made shorter to fit their time"
        work.translation = translation
        work.costs.append(cost_line(info, Role.TRANSLATE, choice.model, translation.usage))
        tracker.succeed(StepName.TRANSLATION, detail)

    def _shorten(self, work: _Work, translation: Translation, translate, context) -> tuple[Translation, int]:
        """Ask once more, more briefly, for lines that would need over 1.3x to fit their time."""
        target = translation.target_language
        found = timing.lines_to_shorten(translation.segments, target, work.decoded.duration_s)
        if not found:
            return translation, 0
        source = work.transcript.segments
        windows = timing.available_times(translation.segments, work.decoded.duration_s)
        note = replace(context, instructions="\n\n".join(
            part for part in (context.instructions.strip(), SHORTEN_NOTE) if part),
            max_duration_s=tuple(windows[i] for i in found))
        again = translate(tuple(source[i] for i in found), note)
        lines = list(translation.segments)
        shortened = 0
        for index, line in zip(found, again.segments):
            if line.text.strip() and len(line.text.strip()) < len(lines[index].text.strip()):
                lines[index] = replace(lines[index], text=line.text)
                shortened += 1
        return replace(translation, segments=tuple(lines), usage=translation.usage + again.usage), shortened

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
        tracker.start(StepName.TEXT_TO_SPEECH, f"Speaking with {choice.vendor} ({work.mode} timing)")
        segments = (work.translation or work.transcript).segments
        if not any(s.text.strip() for s in segments):
            raise InputError("There is no text to speak after translation.")
        info = self.registry.get(choice.vendor)
        fmt = work.request.output_format
        writer = audio.TrackWriter(
            work.folder / f"output.{fmt}", fmt, sample_rate_hz=OUTPUT_RATE_HZ,
            pieces_dir=work.folder / "partial", on_piece=work.on_partial_audio,
        )
        track = synthesize(
            work.voice_adapter, work.voice, segments, target, work.folder / "tts", writer,
            mode=work.mode, total_s=work.decoded.duration_s, policy=self.retry,
            concurrency=min(self.tts_concurrency, info.max_concurrency),
            audio_workers=self.audio_workers, speeds=speed_range(info.extra), cancel=cancel,
            on_placed=lambda done, total: tracker.progress(
                StepName.TEXT_TO_SPEECH, 0.95 * done / total, f"Dubbed line {done} of {total}"),
        )
        work.output, work.timing = track.output, track.timing
        work.costs.append(cost_line(info, Role.SPEAK, choice.model, track.usage))
        work.subtitles = self._subtitles(work, target)
        work.warnings.extend(_timing_warnings(track.timing))
        report = track.timing
        tracker.succeed(
            StepName.TEXT_TO_SPEECH,
            f"{report.dubbed_duration_s:.1f} s of {language_name(target)} speech ({fmt}); "
            f"{work.mode} timing, fastest line {report.max_speed_factor:.2f}x",
        )

    def _subtitles(self, work: _Work, target: str) -> tuple[SubtitleFile, ...]:
        folder = work.folder / "subtitles"
        timings = work.timing.segments
        files = write_subtitles(folder, "transcript", work.source_language,
                                cues_for(work.transcript.segments, timings))
        if work.translation is not None:
            files += write_subtitles(folder, "translation", target,
                                     cues_for(work.translation.segments, timings))
        return files

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
            timing=work.timing,
            subtitles=work.subtitles,
        )


def _exists(decoded: DecodedAudio | None) -> bool:
    return decoded is not None and decoded.path.is_file()


def _reference_from_input(input_path: Path, decoded: DecodedAudio, folder: Path,
                          max_s: float) -> VoiceReference:
    """Choose the reference on the decoded input, then decode only that window from the
    original file at the output rate (the input is never decoded twice)."""
    chosen = pick_reference(decoded, folder / "reference_choice.wav", source_kind="input",
                            max_s=max_s)
    cut = audio.decode_window(input_path, folder / "reference.wav", chosen.start_s, chosen.end_s,
                              sample_rate_hz=OUTPUT_RATE_HZ)
    chosen.path.unlink(missing_ok=True)
    return replace(chosen, path=cut.path)


def _timing_warnings(report: TimingReport) -> list[str]:
    late = report.overflowing
    if not late:
        return []
    lines = ", ".join(str(i + 1) for i in late[:10]) + (" ..." if len(late) > 10 else "")
    return [
        f"{len(late)} dubbed line(s) run more than {report.max_overflow_s:g} s past their time "
        f"even at {timing.MAX_SPEED:g}x (line {lines}); the lines after them start late. "
        "Shorten those lines in the translation and synthesise again."
    ]


def copy_output(result: TaskResult, destination: Path) -> Path:
    """Copy a finished task's audio to ``destination`` and return it."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(result.output_path, destination)
    return destination



