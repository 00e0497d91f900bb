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
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline import audio, timing
from pipeline import ffmpeg as ff
from pipeline.chunking import (
    ProgressiveChunks,
    chunk_bounds,
    join_translations,
    shifted,
    slice_bounds,
    translate_slice,
)
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
from pipeline.subtitles import write_task_subtitles
from pipeline.synthesis import OUTPUT_RATE_HZ, Dubber, speed_range
from pipeline.tracking import ProgressCallback, StepTracker
from pipeline.vad import GrowingWav
from pipeline.types import (
    Checkpoint,
    CostEstimate,
    CostLine,
    DecodedAudio,
    ProgressEvent,
    Role,
    Segment,
    StepName,
    StepReport,
    StepStatus,
    SubtitleFile,
    TaskRequest,
    TaskResult,
    TaskStatus,
    TimingReport,
    Transcript,
    Translation,
    TranslationContext,
    Usage,
    Voice,
    VoiceReference,
)
from vendors.base import VoiceReleaser

if TYPE_CHECKING:
    from vendors.registry import Registry

__all__ = ["CHUNK_MAX_S", "HEAD_S", "OUTPUT_FORMATS", "STT_RATE_HZ", "PartialAudioCallback",
           "Pipeline", "copy_output", "copy_subtitles"]

log = logging.getLogger(__name__)
STT_RATE_HZ = 16000
OUTPUT_FORMATS = ("mp3", "wav")
CHUNK_MAX_S = 300.0  # longest piece sent for transcription, whatever the vendor allows
HEAD_S = 30.0  # the first piece of a long input, transcribed while the rest decodes
HEAD_ABOVE_S = 90.0  # inputs longer than this are transcribed while they decode
REFERENCE_SEARCH_S = 300.0  # on longer inputs the voice reference comes from the first 5 min
PartialAudioCallback = Callable[[Path, float], None]
CheckpointCallback = Callable[[Checkpoint, tuple[StepReport, ...]], None]


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
        work = _Work(request, folder, checkpoint or Checkpoint())
        work.on_partial_audio = on_partial_audio
        tracker = StepTracker(_forward_only(on_progress), cancel)
        flow = _Flow(self, work, tracker, cancel, on_checkpoint)
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

    def _initialize(self, work: _Work, tracker: StepTracker, flow: _Flow) -> None:
        request = work.request
        tracker.start(StepName.INITIALIZATION, "Checking the audio")
        work.plan = self.plan(request)
        work.plan.require_runnable()
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
        limits = {"max_duration_s": self.settings.max_duration_s,
                  "max_bytes": self.settings.max_upload_bytes}
        if reuse.transcript is None and flow.wants_progressive(request.input_path,
                                                               self.settings.max_duration_s):
            work.decoded = flow.decode_while_transcribing(request.input_path, **limits)
        else:
            work.decoded = audio.decode(request.input_path, work.folder / "input.wav",
                                        sample_rate_hz=STT_RATE_HZ, **limits)
        work.plan = plan = self.plan(request, work.decoded.duration_s)
        work.mode = timing.resolve_mode(request.timing, work.decoded.duration_s)
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


class _Flow:
    """speech_to_text, translation, voice_clone and text_to_speech of one task, overlapped.

    Vendor calls run on pools (bounded per vendor by :class:`VendorLimits`); their results
    come back to the thread that called :meth:`run`, which takes them in order, starts
    what they unblock, reports the steps and places the dub.
    """

    def __init__(self, pipeline: Pipeline, work: _Work, tracker: StepTracker,
                 cancel: threading.Event | None, on_checkpoint: CheckpointCallback | None) -> None:
        self.pipeline, self.work, self.tracker = pipeline, work, tracker
        self.cancel = cancel
        self.on_checkpoint = on_checkpoint
        self.stop = threading.Event()  # set on cancel or failure: vendor calls stop retrying
        self.wake = threading.Event()
        self.lock = threading.Lock()
        self.failed: StepName | None = None
        self.futures: dict[Future, tuple] = {}
        self.pools: dict[str, ThreadPoolExecutor] = {}
        self.progressive: ProgressiveChunks | None = None
        self.decoding: threading.Thread | None = None
        self.pieces: list[DecodedAudio] = []
        self.transcriber = None
        self.chunks: list[tuple[float, float]] = []
        self.chunks_known = False
        self.parts: dict[int, Transcript] = {}
        self.taken: list[Transcript] = []
        self.segments: list[Segment] = []
        self.heard_until_s = 0.0
        self.stt_done = False
        self.translator = None
        self.translate_mode = ""
        self.slices: list[tuple[int, int]] = []
        self.slice_parts: dict[int, Translation] = {}
        self.shortened: set[int] = set()
        self.translated: list[Translation] = []
        self.lines: list[Segment] = []
        self.translation_done = False
        self.clone_started = False
        self.dubber: Dubber | None = None
        self.fed = 0
        self.closed = False
        self.briefer = 0
        self.stt_info = None
        self.llm_info = None

    # --- plumbing --------------------------------------------------------------------

    @contextmanager
    def within(self, step: StepName):
        """Errors raised inside belong to ``step``."""
        try:
            yield
        except BaseException:
            self.failed = self.failed or step
            raise

    def _submit(self, pool: str, workers: int, tag: tuple, job: Callable[[], object]) -> None:
        with self.lock:
            if pool not in self.pools:
                self.pools[pool] = ThreadPoolExecutor(max_workers=max(1, workers))
            future = self.pools[pool].submit(job)
            self.futures[future] = tag
        future.add_done_callback(lambda _: self.wake.set())

    def _checkpoint(self) -> None:
        if self.on_checkpoint is not None:
            self.on_checkpoint(self.work.checkpoint(), self.tracker.reports())

    def _check_cancel(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            self.stop.set()
            raise TaskCanceledError()

    def shutdown(self) -> None:
        """Stop everything still running (after a failure or cancel) and wait for it."""
        self.stop.set()
        if self.decoding is not None:
            self.decoding.join()
        if self.dubber is not None:
            self.dubber.stop()
        for pool in list(self.pools.values()):
            pool.shutdown(wait=True, cancel_futures=True)

    # --- speech_to_text --------------------------------------------------------------

    def _transcriber(self):
        with self.lock:
            if self.transcriber is None:
                choice = self.work.plan.transcriber
                self.stt_info = self.pipeline.registry.get(choice.vendor)
                self.transcriber = self.pipeline._build(self.work, self.stt_info, Role.TRANSCRIBE,
                                                        choice.model)
            return self.transcriber

    def wants_progressive(self, path: Path, max_duration_s: float) -> bool:
        """Whether the input is long enough to be transcribed while it decodes."""
        try:
            declared_s = ff.read_header(path).info.duration_s
        except AppError:
            return False  # the decode says what is wrong with the file
        if not HEAD_ABOVE_S < declared_s <= max_duration_s:  # NaN (undeclared) is neither
            return False
        self.work.mode = timing.resolve_mode(self.work.request.timing, declared_s)
        return True

    def decode_while_transcribing(self, path: Path, *, max_duration_s: float,
                                  max_bytes: int | None) -> DecodedAudio:
        """Decode the input and send each piece for transcription as soon as it is decoded
        (the first after ~30 s of audio); returns the checked, decoded input."""
        out_path = self.work.folder / "input.wav"
        outcome: dict[str, object] = {}

        def decode() -> None:
            try:
                outcome["decoded"] = audio.decode(path, out_path, sample_rate_hz=STT_RATE_HZ,
                                                  max_duration_s=max_duration_s, max_bytes=max_bytes)
            except BaseException as exc:  # raised again on the task's thread
                outcome["error"] = exc

        self.decoding = thread = threading.Thread(target=decode, daemon=True)
        thread.start()
        self._transcriber()
        max_chunk_s = min(CHUNK_MAX_S, self.stt_info.max_audio_s or CHUNK_MAX_S)
        reader = GrowingWav(out_path)
        self.progressive = cuts = ProgressiveChunks(STT_RATE_HZ, max_chunk_s, HEAD_S)
        while True:
            finished = not thread.is_alive()
            while data := reader.read_new():
                for bound in cuts.feed(data):
                    first, last = (round(t * STT_RATE_HZ) for t in bound)
                    pcm = reader.read_frames(first, last - first)
                    index = len(self.chunks)
                    piece = audio.write_pcm(self._chunk_path(index), pcm, STT_RATE_HZ)
                    self._transcribe(index, bound, piece)
            if finished:
                break
            self._check_cancel()
            self._early()
            thread.join(0.05)
        if "error" in outcome:
            raise outcome["error"]
        return outcome["decoded"]

    def _early(self) -> None:
        """While the input decodes: take the transcribed pieces and translate them."""
        self._collect()
        with self.within(StepName.SPEECH_TO_TEXT):
            self._take_chunks()
        with self.within(StepName.TRANSLATION):
            self._take_slices()

    def _chunk_path(self, index: int) -> Path:
        folder = self.work.folder / "chunks"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"chunk_{index:04d}.wav"

    def _transcribe(self, index: int, bound: tuple[float, float], piece: DecodedAudio) -> None:
        with self.lock:
            first = not self.chunks
            self.chunks.append(bound)
            self.pieces.append(piece)
        if first:
            choice = self.work.plan.transcriber
            self.tracker.start(StepName.SPEECH_TO_TEXT,
                               f"Transcribing with {choice.vendor}/{choice.model}")
        transcriber, language = self._transcriber(), self.work.plan.source_language or None
        self._submit("stt", self.stt_info.max_concurrency, ("stt", index), lambda: self._call(
            lambda: transcriber.transcribe(piece, language), f"transcription of part {index + 1}"))

    def _call(self, fn: Callable[[], object], what: str) -> object:
        """One vendor call with retries; it stops retrying once the task stops."""
        if self.stop.is_set():
            raise TaskCanceledError()
        return call_with_retry(fn, self.pipeline.retry, cancel=self.cancel or self.stop, what=what)

    def transcribe_rest(self) -> None:
        """Send what is not yet sent of the decoded input for transcription, in pieces of at
        most 5 minutes cut at pauses (one piece when it is short enough)."""
        decoded = self.work.decoded
        self._transcriber()
        if self.progressive is not None:
            bounds = self.progressive.finish(decoded.duration_s)
        else:
            self.work.speech = speech = audio.speech_spans(decoded.path)
            max_chunk_s = min(CHUNK_MAX_S, self.stt_info.max_audio_s or CHUNK_MAX_S)
            bounds = chunk_bounds(speech, decoded.duration_s, max_chunk_s)
            if len(bounds) == 1:
                self._transcribe(0, (0.0, decoded.duration_s), decoded)
                bounds = []
        for bound in bounds:
            index = len(self.chunks)
            self._transcribe(index, bound, audio.cut(decoded.path, self._chunk_path(index), *bound))
        self.chunks_known = True
        self._prepare_adapters()

    def _prepare_adapters(self) -> None:
        """Build the translator and the voice adapter while the speech is transcribed (their
        SDKs load meanwhile); a failure here is left for the step itself to report."""
        work = self.work
        try:
            if work.plan.translator is not None and self.translator is None:
                choice = work.plan.translator
                self.llm_info = self.pipeline.registry.get(choice.vendor)
                self.translator = self.pipeline._build(work, self.llm_info, Role.TRANSLATE,
                                                       choice.model)
            if work.voice_adapter is None:
                choice = work.plan.voice
                work.voice_adapter = self.pipeline._build(
                    work, self.pipeline.registry.get(choice.vendor), Role.CLONE, choice.model)
        except AppError as exc:
            log.info("adapters are built later: %s", exc.message)

    def _reuse_transcript(self) -> None:
        work = self.work
        choice = work.plan.transcriber
        self.tracker.start(StepName.SPEECH_TO_TEXT, f"Transcribing with {choice.vendor}/{choice.model}")
        work.transcript = work.reuse.transcript
        work.source_language = work.reuse.source_language or work.transcript.language
        self.segments = list(work.transcript.segments)
        self.heard_until_s = work.decoded.duration_s
        self.stt_done = self.chunks_known = True
        self.tracker.succeed(StepName.SPEECH_TO_TEXT, "reused the earlier transcript", reused=True)
        self._checkpoint()
        self._queue_lines(0)

    def _take_chunks(self) -> None:
        while len(self.taken) in self.parts:
            index = len(self.taken)
            part = self.parts.pop(index)
            start_s, end_s = self.chunks[index]
            pieces = [s for s in shifted(part.segments, start_s, end_s) if s.text.strip()]
            first_new = len(self.segments)
            self.segments.extend(segment_transcript(pieces, self._speech(index), [(start_s, end_s)]))
            self.taken.append(part)
            self.heard_until_s = end_s
            total = len(self.chunks)
            self.tracker.progress(StepName.SPEECH_TO_TEXT, 0.9 * len(self.taken) / total,
                                  f"Transcribed part {len(self.taken)} of {total}")
            if self.chunks_known and len(self.taken) == total:
                self._finish_stt()
            with self.within(StepName.TRANSLATION):
                self._queue_lines(first_new)

    def _speech(self, index: int) -> list[tuple[float, float]]:
        """Speech spans of piece ``index`` on the input's timeline (its file is then removed)."""
        if self.work.speech is not None:
            return self.work.speech
        piece, (start_s, _) = self.pieces[index], self.chunks[index]
        spans = [(start_s + a, start_s + b) for a, b in audio.speech_spans(piece.path)]
        if piece.path.parent.name == "chunks":
            piece.path.unlink(missing_ok=True)
        return spans

    def _finish_stt(self) -> None:
        work, parts = self.work, self.taken
        text = parts[0].text if len(parts) == 1 else " ".join(
            p.text.strip() for p in parts if p.text.strip())
        usage = Usage()
        for part in parts:
            usage = usage + part.usage
        language = next((p.language for p in parts if p.language), work.plan.source_language or "")
        transcript = Transcript(text, language, tuple(self.segments), parts[0].vendor,
                                parts[0].model, usage)
        if not transcript.text.strip() or not transcript.segments:
            known = work.plan.source_language
            raise InputError(
                "No speech was recognised in the audio. Check that it contains clear speech"
                + ("" if known else ", or set the source language") + "."
            )
        work.transcript = transcript
        work.source_language = (transcript.language or work.plan.source_language
                                or detect_language(transcript.text))
        choice = work.plan.transcriber
        work.costs.append(cost_line(self.stt_info, Role.TRANSCRIBE, choice.model, usage))
        self.stt_done = True
        detected = language_name(work.source_language) if work.source_language else "unknown language"
        self.tracker.succeed(
            StepName.SPEECH_TO_TEXT,
            f"{len(transcript.segments)} segments, {len(transcript.text)} characters ({detected})",
        )
        self._checkpoint()

    # --- translation -----------------------------------------------------------------

    def _source_language(self) -> str:
        if self.stt_done:
            return self.work.source_language
        first = self.taken[0]
        return (first.language or self.work.plan.source_language or detect_language(first.text))

    def _queue_lines(self, first_new: int) -> None:
        work = self.work
        target = work.plan.target_language
        if not self.translate_mode:
            earlier = work.reuse.translation
            if self._source_language() == target or work.plan.translator is None:
                self.translate_mode = "skip"
                self.tracker.skip(StepName.TRANSLATION,
                                  f"same language: the speech is already in {language_name(target)}")
            elif earlier is not None and earlier.target_language == target:
                self.translate_mode = "reuse"
            else:
                self.translate_mode = "llm"
        if self.translate_mode == "skip":
            self.lines.extend(self.segments[first_new:])
            self.translation_done = self.stt_done
        elif self.translate_mode == "reuse":
            if self.stt_done:
                choice = work.plan.translator
                self.tracker.start(StepName.TRANSLATION,
                                   f"Translating with {choice.vendor}/{choice.model}")
                work.translation = work.reuse.translation
                self.lines.extend(work.translation.segments)
                self.translation_done = True
                self.tracker.succeed(StepName.TRANSLATION,
                                     "reused the earlier (or edited) translation", reused=True)
                self._checkpoint()
        else:
            self._translate(first_new)

    def _translate(self, first_new: int) -> None:
        work = self.work
        choice = work.plan.translator
        if not self.slices:
            self.tracker.start(StepName.TRANSLATION, f"Translating with {choice.vendor}/{choice.model}")
        if self.translator is None:
            self.llm_info = self.pipeline.registry.get(choice.vendor)
            self.translator = self.pipeline._build(work, self.llm_info, Role.TRANSLATE, choice.model)
        new = self.segments[first_new:]
        for a, b in slice_bounds(new):
            index = len(self.slices)
            self.slices.append((first_new + a, first_new + b))
            self._submit_slice(index, tuple(new[a:b]), self._context(new[a:b]))

    def _context(self, segments, note: str = "", limits: tuple[float, ...] | None = None):
        request = self.work.request
        instructions = "\n\n".join(p for p in (request.instructions.strip(), note) if p)
        return TranslationContext(
            glossary=dict(request.glossary), instructions=instructions,
            max_duration_s=limits if limits is not None else tuple(s.duration_s for s in segments))

    def _submit_slice(self, index: int, segments: tuple, context: TranslationContext,
                      tag: tuple | None = None) -> None:
        translator, vendor = self.translator, self.work.plan.translator.vendor
        source, target = self._source_language(), self.work.plan.target_language

        def job() -> Translation:
            if self.stop.is_set():
                raise TaskCanceledError()
            return translate_slice(translator, segments, source, target, context, vendor=vendor,
                                   policy=self.pipeline.retry, cancel=self.cancel or self.stop)

        self._submit("llm", self.llm_info.max_concurrency, tag or ("llm", index), job)

    def _take_slices(self) -> None:
        while len(self.translated) in self.slice_parts:
            index = len(self.translated)
            part = self.slice_parts[index]
            if self.work.mode == "keep" and index not in self.shortened and self._shorten(index, part):
                return  # the briefer lines come back as ("short", index, found)
            del self.slice_parts[index]
            self.translated.append(part)
            self.lines.extend(part.segments)
            self.tracker.progress(StepName.TRANSLATION, 0.9 * len(self.translated) / len(self.slices),
                                  f"Translated {len(self.lines)} of {len(self.segments)} lines")
        if (self.translate_mode == "llm" and self.stt_done and not self.translation_done
                and len(self.translated) == len(self.slices)):
            self._finish_translation()

    def _next_start_s(self, end: int) -> float:
        if end < len(self.segments):
            return self.segments[end].start_s
        return self.work.decoded.duration_s if self.stt_done else self.heard_until_s

    def _shorten(self, index: int, part: Translation) -> bool:
        """Ask again, more briefly, for lines that would need over 1.3x; False if none."""
        self.shortened.add(index)
        start, end = self.slices[index]
        target = self.work.plan.target_language
        next_s = self._next_start_s(end)
        found = timing.lines_to_shorten(part.segments, target, next_s)
        if not found:
            return False
        available = timing.available_times(part.segments, next_s)
        source = tuple(self.segments[start + i] for i in found)
        context = self._context(source, timing.SHORTEN_NOTE, tuple(available[i] for i in found))
        self._submit_slice(index, source, context, tag=("short", index, tuple(found)))
        return True

    def _briefer(self, index: int, found: tuple[int, ...], again: Translation) -> None:
        part = self.slice_parts[index]
        lines = list(part.segments)
        for i, line in zip(found, again.segments):
            if line.text.strip() and len(line.text.strip()) < len(lines[i].text.strip()):
                lines[i] = replace(lines[i], text=line.text)
                self.briefer += 1
        self.slice_parts[index] = replace(part, segments=tuple(lines), usage=part.usage + again.usage)

    def _finish_translation(self) -> None:
        work = self.work
        choice = work.plan.translator
        translation = join_translations(self.translated, work.source_language,
                                        work.plan.target_language, choice.vendor)
        work.translation = translation
        work.costs.append(cost_line(self.llm_info, Role.TRANSLATE, choice.model, translation.usage))
        self.translation_done = True
        detail = f"{len(translation.segments)} segments into {language_name(work.plan.target_language)}"
        if self.briefer:
            detail += f"; {self.briefer} made shorter to fit their time"
        self.tracker.succeed(StepName.TRANSLATION, detail)
        self._checkpoint()

    # --- voice_clone and text_to_speech ------------------------------------------------

    def _clone(self) -> None:
        work = self.work
        if self.clone_started or not (self.lines or self.translation_done):
            return
        reference = work.reference
        if reference.source == "input" and not self.stt_done and self.heard_until_s < reference.end_s:
            return  # the words of the reference window are not transcribed yet
        choice = work.plan.voice
        self.tracker.start(StepName.VOICE_CLONE, f"Preparing the voice with {choice.vendor}")
        self.clone_started = True
        if work.voice_adapter is None:
            work.voice_adapter = self.pipeline._build(
                work, self.pipeline.registry.get(choice.vendor), Role.CLONE, choice.model)
        adapter = work.voice_adapter
        said = ""
        if reference.source == "input":
            said = " ".join(s.text.strip() for s in self.segments
                            if s.end_s > reference.start_s and s.start_s < reference.end_s)
        self._submit("clone", 1, ("clone",), lambda: self._call(
            lambda: adapter.clone(reference, said), f"{choice.vendor} voice clone"))

    def _cloned(self, voice: Voice) -> None:
        work = self.work
        work.voice = voice
        choice = work.plan.voice
        info = self.pipeline.registry.get(choice.vendor)
        self.tracker.succeed(StepName.VOICE_CLONE,
                             f"{info.display_name} voice from {work.reference.duration_s:.1f} s of speech")
        self._checkpoint()
        self.tracker.start(StepName.TEXT_TO_SPEECH, f"Speaking with {choice.vendor} ({work.mode} timing)")
        fmt = work.request.output_format
        writer = audio.TrackWriter(work.folder / f"output.{fmt}", fmt, sample_rate_hz=OUTPUT_RATE_HZ,
                                   pieces_dir=work.folder / "partial", on_piece=work.on_partial_audio)
        self.dubber = Dubber(
            work.voice_adapter, voice, work.plan.target_language, work.folder / "tts", writer,
            mode=work.mode, total_s=work.decoded.duration_s, policy=self.pipeline.retry,
            concurrency=min(self.pipeline.tts_concurrency, info.max_concurrency),
            audio_workers=self.pipeline.audio_workers, speeds=speed_range(info.extra),
            cancel=self.stop, wake=self.wake,
            on_placed=lambda done, total: self.tracker.progress(
                StepName.TEXT_TO_SPEECH, 0.95 * done / max(total, len(self.lines), 1),
                f"Dubbed line {done} of {max(total, len(self.lines))}"),
        )

    def _feed(self) -> None:
        if self.dubber is None:
            return
        for index in range(self.fed, len(self.lines)):
            self.dubber.add(index, self.lines[index])
        self.fed = len(self.lines)
        if self.translation_done and not self.closed:
            self.closed = True
            self.dubber.close()

    def _finish_tts(self) -> None:
        work = self.work
        track = self.dubber.track
        work.output, work.timing = track.output, track.timing
        choice = work.plan.voice
        info = self.pipeline.registry.get(choice.vendor)
        work.costs.append(cost_line(info, Role.SPEAK, choice.model, track.usage))
        translation = work.translation.segments if work.translation is not None else None
        work.subtitles = write_task_subtitles(
            work.folder / "subtitles", track.timing.segments, work.transcript.segments,
            work.source_language, translation, work.plan.target_language)
        work.warnings.extend(timing.overflow_warnings(track.timing))
        report = track.timing
        self.tracker.succeed(
            StepName.TEXT_TO_SPEECH,
            f"{report.dubbed_duration_s:.1f} s of {language_name(work.plan.target_language)} speech "
            f"({work.request.output_format}); {work.mode} timing, fastest line "
            f"{report.max_speed_factor:.2f}x",
        )
        self._checkpoint()

    # --- the loop ----------------------------------------------------------------------

    def run(self) -> None:
        """Drive speech_to_text to text_to_speech until the dub is written."""
        with self.within(StepName.SPEECH_TO_TEXT):
            if self.work.reuse.transcript is not None:
                self._reuse_transcript()
            elif not self.chunks_known:
                self.transcribe_rest()
        while True:
            self._check_cancel()
            self._collect()
            with self.within(StepName.SPEECH_TO_TEXT):
                self._take_chunks()
            with self.within(StepName.TRANSLATION):
                self._take_slices()
            with self.within(StepName.VOICE_CLONE):
                self._clone()
            with self.within(StepName.TEXT_TO_SPEECH):
                self._feed()
                if self.dubber is not None and self.dubber.pump():
                    break
            self.wake.wait(0.2)
            self.wake.clear()
        with self.within(StepName.TEXT_TO_SPEECH):
            self._finish_tts()

    def _collect(self) -> None:
        with self.lock:
            done = [(f, self.futures.pop(f)) for f in list(self.futures) if f.done()]
        for future, tag in done:
            step = _STEP_OF[tag[0]]
            with self.within(step):
                result = future.result()
            if tag[0] == "stt":
                self.parts[tag[1]] = result
            elif tag[0] == "llm":
                self.slice_parts[tag[1]] = result
            elif tag[0] == "short":
                self._briefer(tag[1], tag[2], result)
            else:
                with self.within(step):
                    self._cloned(result)


_STEP_OF = {"stt": StepName.SPEECH_TO_TEXT, "llm": StepName.TRANSLATION,
            "short": StepName.TRANSLATION, "clone": StepName.VOICE_CLONE}


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
