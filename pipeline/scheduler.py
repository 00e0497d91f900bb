"""Run the five steps of one task at once, each on its own thread, wired by channels.

::

    initialization --pieces--> speech_to_text --lines--> translation --spoken--> text_to_speech
          |                          |                       |                       ^
          +--reference--> voice_clone <--(words of the reference)                    |
                              +-------------------------voice------------------------+

Each step waits only for what it needs, so a long recording is transcribed while it
decodes, translated while it is transcribed and spoken while it is translated; with one
piece and one slice (any short clip) the steps simply run one after the other. The
scheduler owns what no step should: it starts and joins the threads, stops every step
when one fails or the user cancels (the first failure is the task's), hands the caller's
callbacks (progress, checkpoints, partial audio) to the thread that called
:meth:`Scheduler.run`, in order, and releases a stored voice and the vendor clients at
the end.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import AppError, TaskCanceledError
from pipeline.media.report import MediaReport
from pipeline.quality.report import QualityReport
from pipeline.quality.similarity import warm_encoder
from pipeline.results import Checkpoint, CostLine, StepReport, SubtitleFile, TimingReport
from pipeline.speakers.run import RunSpeakers
from pipeline.speakers.summary import SpeakerSummary, with_similarity
from pipeline.steps.channels import RunStopped, Slot, Stream
from pipeline.steps.context import RunContext
from pipeline.steps.initialization import Initialization, Piece
from pipeline.steps.speech_to_text import SpeechToText
from pipeline.steps.text_to_speech import PartialAudioCallback, TextToSpeech
from pipeline.steps.translation import Translation
from pipeline.steps.voice_clone import VoiceClone
from pipeline.subtitles import original_timings, write_task_subtitles
from pipeline.tracking import StepTracker
from pipeline.types import (
    DecodedAudio,
    Role,
    Segment,
    StepName,
    StepStatus,
    Transcript,
    Voice,
    VoiceReference,
)
from pipeline.types import Translation as TranslationValue

__all__ = ["CheckpointCallback", "Outcome", "Scheduler"]

log = logging.getLogger(__name__)
CheckpointCallback = Callable[[Checkpoint, tuple[StepReport, ...]], None]
_INTERNAL = "Internal error while processing the task; it has been logged."


@dataclass(frozen=True)
class Outcome:
    """What a run produced, and how it ended (``failure`` is None when it succeeded)."""

    checkpoint: Checkpoint
    output: Path | None = None
    timing: TimingReport | None = None
    subtitles: tuple[SubtitleFile, ...] = ()
    warnings: tuple[str, ...] = ()
    costs: tuple[CostLine, ...] = ()
    failure: AppError | None = None
    canceled: bool = False
    quality: QualityReport | None = None
    speakers: tuple[SpeakerSummary, ...] = ()
    media: MediaReport | None = None


@dataclass
class _Channels:
    """The channels of one run (see the module docstring's picture)."""

    pieces: Stream[Piece] = field(default_factory=Stream)
    lines: Stream[Segment] = field(default_factory=Stream)
    spoken: Stream[Segment] = field(default_factory=Stream)
    decoded: Slot[DecodedAudio] = field(default_factory=Slot)
    reference: Slot[VoiceReference] = field(default_factory=Slot)
    mode: Slot[str] = field(default_factory=Slot)
    language: Slot[str] = field(default_factory=Slot)
    transcript: Slot[Transcript | None] = field(default_factory=Slot)
    translation: Slot[TranslationValue | None] = field(default_factory=Slot)
    voice: Slot[Voice] = field(default_factory=Slot)

    def written_by(self, step: StepName) -> tuple[Stream[Any] | Slot[Any], ...]:
        """The channels ``step`` writes (aborted when it fails or stops)."""
        return {
            StepName.INITIALIZATION: (self.pieces, self.decoded, self.reference, self.mode),
            StepName.SPEECH_TO_TEXT: (self.lines, self.language, self.transcript),
            StepName.TRANSLATION: (self.spoken, self.translation),
            StepName.VOICE_CLONE: (self.voice,),
            StepName.TEXT_TO_SPEECH: (),
        }[step]

    def abort_all(self) -> None:
        """Abort every channel (the user canceled)."""
        for step in StepName:
            for channel in self.written_by(step):
                channel.abort()


class Scheduler:
    """Runs one task's steps (see the module docstring).

    Args:
        ctx: the run (its ``post`` must be :meth:`post` of this scheduler's queue:
            build it with :meth:`poster`).
        reuse: outputs of an earlier run to reuse.
        cancel: set by the user to stop the task at its next safe point.
        on_checkpoint: called after every finished step with what is done so far.
        on_partial_audio: called with each finished piece of the dub's beginning.
    """

    def __init__(self, ctx: RunContext, reuse: Checkpoint, *,
                 cancel: threading.Event | None = None,
                 on_checkpoint: CheckpointCallback | None = None,
                 on_partial_audio: PartialAudioCallback | None = None) -> None:
        self.ctx, self.reuse, self.cancel = ctx, reuse, cancel
        self.on_checkpoint = on_checkpoint
        self.channels = ch = _Channels()
        listener = ctx.plan.speech_translator or ctx.plan.transcriber
        assert listener is not None
        stt_info = ctx.adapters.info(listener)
        self.init = Initialization(ctx, reuse, ch.pieces, ch.decoded, ch.reference, ch.mode,
                                   max_chunk_s=stt_info.max_audio_s or float("inf"))
        self.speakers = RunSpeakers(ctx.request.options.speakers, ch.decoded,
                                    clone_clip=ctx.request.clone_path is not None)
        self.stt = SpeechToText(ctx, reuse.transcript, ch.pieces, ch.lines, ch.language,
                                ch.transcript, self.speakers)
        self.translation = Translation(ctx, reuse.translation, ch.lines, ch.language, ch.decoded,
                                       ch.mode, ch.spoken, ch.translation)
        self.clone = VoiceClone(ctx, ch.reference, ch.lines, ch.spoken, ch.voice, self.speakers)
        self.tts = TextToSpeech(ctx, ch.voice, ch.spoken, ch.decoded, ch.mode, ch.transcript,
                                ch.translation, ch.reference, on_partial_audio, self.speakers)
        self._failure: tuple[StepName, AppError] | None = None
        self._lock = threading.Lock()

    @staticmethod
    def poster() -> tuple[Callable[[Callable[[], None]], None], queue.Queue[Callable[[], None]]]:
        """A ``post`` function for the run's context, and the queue it fills."""
        posted: queue.Queue[Callable[[], None]] = queue.Queue()
        return posted.put, posted

    def run(self, posted: queue.Queue[Callable[[], None]]) -> Outcome:
        """Run every step; returns when all have ended (never raises for a failed task).

        Args:
            posted: the queue the context's ``post`` fills (see :meth:`poster`).
        """
        steps: list[tuple[StepName, Callable[[], None]]] = [
            (StepName.INITIALIZATION, self.init.run),
            (StepName.SPEECH_TO_TEXT, self.stt.run),
            (StepName.TRANSLATION, self.translation.run),
        ]
        if self.ctx.request.options.text_only:
            for name in (StepName.VOICE_CLONE, StepName.TEXT_TO_SPEECH):
                self.ctx.tracker.skip(name, "text only: no voice was asked for")
        else:
            steps += [(StepName.VOICE_CLONE, self.clone.run),
                      (StepName.TEXT_TO_SPEECH, self.tts.run)]
        threads = [threading.Thread(target=self._guard, args=(name, body), daemon=True,
                                    name=f"step-{name.value}") for name, body in steps]
        threading.Thread(target=self._warm_up, daemon=True, name="adapters").start()
        if self.cancel is not None:
            threading.Thread(target=self._watch_cancel, daemon=True, name="cancel").start()
        for thread in threads:
            thread.start()
        try:
            self._drive(threads, posted)
        finally:
            self.ctx.stop.set()
            for thread in threads:
                thread.join()
            self._drain(posted)
            self.clone.release()
            self.ctx.adapters.close()
        if self._failure is None and not self.ctx.canceled.is_set() and self.ctx.request.options.text_only:
            self._guard(StepName.TRANSLATION, self._text_subtitles)
        return self._outcome()

    # --- running ---------------------------------------------------------------------

    def _watch_cancel(self) -> None:
        """Stop every step the moment the user cancels."""
        cancel, stop = self.cancel, self.ctx.stop
        assert cancel is not None
        while not stop.is_set():
            if cancel.wait(0.1):
                stop.set()
                self.channels.abort_all()
                return

    def _drive(self, threads: list[threading.Thread],
               posted: queue.Queue[Callable[[], None]]) -> None:
        """Run posted callbacks on this thread until every step has ended."""
        while any(t.is_alive() for t in threads):
            try:
                callback = posted.get(timeout=0.05)
            except queue.Empty:
                continue
            self._call(callback)

    def _drain(self, posted: queue.Queue[Callable[[], None]]) -> None:
        while True:
            try:
                callback = posted.get_nowait()
            except queue.Empty:
                return
            self._call(callback)

    def _call(self, callback: Callable[[], None]) -> None:
        try:
            callback()
        except Exception:  # a caller's callback failing (e.g. its store) ends the task
            log.exception("a progress callback failed")
            self._fail(self.ctx.tracker.current or StepName.INITIALIZATION, AppError(_INTERNAL))

    def _guard(self, name: StepName, body: Callable[[], None]) -> None:
        """Run one step; its failure becomes the task's, unless the run was stopping."""
        try:
            body()
        except (RunStopped, TaskCanceledError) as exc:
            if not (self.ctx.stop.is_set() or self.ctx.canceled.is_set()):
                self._fail(name, exc if isinstance(exc, AppError) else AppError(_INTERNAL))
            self._abort(name)
            return
        except AppError as exc:
            self._fail(name, exc)
            return
        except Exception:  # a bug: logged, and the user gets a plain sentence
            log.exception("step %s crashed", name.value)
            self._fail(name, AppError(_INTERNAL))
            return
        if self.on_checkpoint is not None:
            callback, done, reports = self.on_checkpoint, self.checkpoint(), self.ctx.tracker.reports()
            self.ctx.post(lambda: callback(done, reports))

    def _fail(self, name: StepName, error: AppError) -> None:
        """The first failure is the task's: no new vendor work starts anywhere (calls
        already sent still come back, so a step that sent all its work can finish), and
        the steps that wait on this one stop."""
        with self._lock:
            if self._failure is None and not self.ctx.canceled.is_set():
                self._failure = (name, error)
        self.ctx.stop.set()
        self._abort(name)

    def _abort(self, name: StepName) -> None:
        for channel in self.channels.written_by(name):
            channel.abort()

    def _warm_up(self) -> None:
        """Build the translator and the voice adapter while the speech is transcribed (their
        SDKs load meanwhile); a failure here is left for the step itself to report."""
        plan = self.ctx.plan
        wanted = [(plan.translator, Role.TRANSLATE)]
        if not self.ctx.request.options.text_only:
            wanted.append((plan.voice, Role.CLONE))
        quality = plan.quality
        if quality is not None and quality.similarity and not self.ctx.request.options.text_only:
            warm_encoder()
        for choice, role in wanted:
            if choice is None or self.ctx.stop.is_set():
                continue
            try:
                self.ctx.adapters.get(choice, role)
            except AppError as exc:
                log.info("the %s adapter is built later: %s", role.value, exc.message)
            except Exception:  # the step that needs it builds it again and reports why
                log.info("the %s adapter is built later", role.value, exc_info=True)

    def _text_subtitles(self) -> None:
        transcript = self.channels.transcript.peek()
        translation = self.channels.translation.peek()
        lines = self.channels.lines.items()
        self.tts.subtitles = write_task_subtitles(
            self.ctx.folder / "subtitles", original_timings(lines), transcript,
            translation.segments if translation is not None else None,
            self.ctx.plan.target_language,
            speaker_prefix=self.ctx.request.options.subtitle_speakers)

    # --- the outcome -----------------------------------------------------------------

    def checkpoint(self) -> Checkpoint:
        """What the finished steps produced so far."""
        ch = self.channels
        transcript = ch.transcript.peek()
        return Checkpoint(ch.decoded.peek(), ch.reference.peek(), transcript,
                          transcript.language if transcript is not None else "",
                          ch.translation.peek())

    def _outcome(self) -> Outcome:
        tracker = self.ctx.tracker
        failure: AppError | None = None
        canceled = self._failure is None and self.ctx.canceled.is_set()
        if canceled:
            failure = TaskCanceledError()
            _stop_running(tracker, failure.message)
        elif self._failure is not None:
            name, failure = self._failure
            tracker.fail(name, failure.message)
            _stop_running(tracker, f"Stopped because {name.value} failed.")
        warnings = (*self.init.warnings, *self.speakers.warnings, *self.tts.warnings)
        costs = tuple(c for c in (self.stt.cost, self.translation.cost, *self.tts.costs,
                                  self.tts.check_cost) if c)
        return Outcome(self.checkpoint(), self.tts.output, self.tts.timing, self.tts.subtitles,
                       warnings, costs, failure, canceled, self.tts.quality,
                       self._speakers(), self.tts.media)

    def _speakers(self) -> tuple[SpeakerSummary, ...]:
        voice = self.ctx.plan.voice
        presets = {p.speaker: p.preset for p in self.ctx.plan.speaker_voices if p.preset}
        return with_similarity(self.speakers.summaries(voice.vendor, presets),
                               self.tts.quality) if voice is not None else ()


def _stop_running(tracker: StepTracker, message: str) -> None:
    """Mark every step still running as failed with ``message`` (the task has stopped)."""
    for report in tracker.reports():
        if report.status is StepStatus.RUNNING:
            tracker.fail(report.name, message)
