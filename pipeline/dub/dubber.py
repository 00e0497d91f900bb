"""text_to_speech work: speak every line in parallel, fit it, and write the dub as lines finish.

Each line goes through three stages:

1. **Speak** (vendor threads, at most ``concurrency`` at once): one call to the voice
   vendor. Earlier lines go first, so the start of the dub is ready first.
2. **Prepare** (local threads): decode, trim the silence the voice left around the
   words, bring the clip to -16 LUFS (ITU-R BS.1770, peaks kept under -1.5 dBFS), and
   fit it to the timeline (:mod:`pipeline.timing`): when it needs more than 1.15x and
   the vendor has its own speed control, the line is spoken again at that speed;
   whatever is left is time-stretched without pitch change (rubberband, else atempo).
   A vendor thread waits before speaking another line while ``2 x (concurrency +
   audio_workers)`` lines are spoken but not yet prepared, so a fast vendor never piles
   audio up in memory.
3. **Place** (the calling thread, in order): as soon as the leading lines are all
   prepared they are written to the output (WAV, or MP3 encoded while it is written)
   and to a new piece file handed to ``on_piece(path, ready_s)``: the dub's first
   ``ready_s`` seconds are then final. A line pushed by an overflow before it is
   fitted again from where it really starts. Where two speakers talk at once in the
   original their lines are mixed, and the sound a later line may still be mixed into
   is written once no line can start before it.

Memory stays flat: a clip is in memory only while it is prepared, and the output is
streamed to disk (and to the encoder) as it is placed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import audio
from pipeline.dub.clips import OUTPUT_RATE_HZ, clean_clip, plain_pcm, write_clean
from pipeline.dub.jobs import Jobs
from pipeline.dub.takes import TakeJudge
from pipeline.dub.timing import ACCEPT_SPEED, MAX_SPEED, MIN_SPEED, KeepTimeline, NaturalTimeline
from pipeline.errors import InputError, TaskCanceledError
from pipeline.quality.report import QualityReport
from pipeline.results import TimingReport
from pipeline.retry import RetryPolicy, call_with_retry
from pipeline.types import DecodedAudio, Segment, SynthesizedAudio, Usage, Voice
from pipeline.vendor_api import Synthesizer

__all__ = ["DubbedTrack", "Dubber", "synthesize"]


@dataclass(frozen=True, slots=True)
class DubbedTrack:
    """The assembled dub: the encoded output, the timing and quality reports (quality when
    lines were scored), and the vendor usage (speaking only, not the checks)."""

    output: Path
    timing: TimingReport
    usage: Usage
    quality: QualityReport | None = None


@dataclass(frozen=True, slots=True)
class _Fitted:
    clean: DecodedAudio  # the take the fit was made from
    clip: DecodedAudio  # what is placed
    natural_s: float  # length of the first take, at the vendor's normal pace
    speed: float  # natural_s / clip length (vendor speed and stretch together)
    vendor_speed: float


@dataclass
class _Run:
    """One task's text_to_speech: the state the three stages share (guarded by ``changed``)."""

    synthesizer: Synthesizer
    voice: Voice
    language: str
    work_dir: Path
    policy: RetryPolicy
    cancel: threading.Event | None
    speeds: tuple[float, float] | None
    timeline: KeepTimeline | NaturalTimeline
    slots: threading.Semaphore
    on_ready: Callable[[], None] | None = None
    judge: TakeJudge | None = None
    voices: Mapping[str, Voice] = field(default_factory=dict)  # speaker -> their voice
    lines: list[Segment] = field(default_factory=list)
    indexes: list[int] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    done: dict[int, _Fitted] = field(default_factory=dict)
    error: BaseException | None = None
    changed: threading.Condition = field(default_factory=threading.Condition)

    def stopping(self) -> bool:
        return self.error is not None or (self.cancel is not None and self.cancel.is_set())

    def hold_slot(self) -> bool:
        """Wait until fewer lines are spoken but not yet prepared than the slots allow
        (so finished audio never piles up in memory); False when the run is stopping."""
        while not self.slots.acquire(timeout=0.2):
            if self.stopping():
                return False
        return True

    def signal(self) -> None:
        self.changed.notify_all()
        if self.on_ready is not None:
            self.on_ready()

    def fail(self, exc: BaseException) -> None:
        with self.changed:
            self.error = self.error or exc
            self.signal()

    def planned_factor(self, position: int, natural_s: float) -> float | None:
        """The factor line ``position`` needs, once the time it may use is known."""
        with self.changed:
            while not self.timeline.known(position):
                if self.stopping():
                    return None
                self.changed.wait(timeout=0.2)
            return self.timeline.planned_factor(position, natural_s)

    def speak(self, position: int, speed: float = 1.0) -> SynthesizedAudio:
        text = self.lines[position].text.strip()
        voice = self.voices.get(self.lines[position].speaker or "", self.voice)
        extra = {"speed": round(speed, 3)} if speed != 1.0 else {}
        result = call_with_retry(lambda: self.synthesizer.speak(text, voice, self.language, **extra),
                                 self.policy, cancel=self.cancel, what=f"{voice.vendor} speech")
        with self.changed:
            self.usage = self.usage + result.usage
        return result

    def take(self, position: int, result: SynthesizedAudio, name: str) -> DecodedAudio:
        samples = plain_pcm(result)
        if samples is not None:
            return write_clean(samples, OUTPUT_RATE_HZ, self.work_dir / f"{position:05d}{name}.wav")
        raw = audio.decode_bytes(result.data, result.format, self.work_dir / f"{position:05d}{name}_raw.wav",
                                 sample_rate_hz=OUTPUT_RATE_HZ)
        clean = clean_clip(raw.path, self.work_dir / f"{position:05d}{name}.wav")
        raw.path.unlink(missing_ok=True)
        return clean

    def fit(self, position: int, clean: DecodedAudio, natural_s: float, factor: float,
            vendor_speed: float) -> _Fitted:
        """Stretch ``clean`` so the line plays ``factor`` times faster than its first take."""
        stretch = factor * clean.duration_s / natural_s if natural_s > 0 else 1.0
        stretch = min(max(stretch, MIN_SPEED), MAX_SPEED * clean.duration_s / natural_s)
        if abs(stretch - 1.0) <= 0.01 and natural_s <= MAX_SPEED * clean.duration_s:
            return _Fitted(clean, clean, natural_s, natural_s / clean.duration_s, vendor_speed)
        clip = audio.time_stretch(clean.path, self.work_dir / f"{position:05d}_fit.wav", stretch)
        return _Fitted(clean, clip, natural_s, natural_s * stretch / clean.duration_s, vendor_speed)

    def finish(self, position: int, fitted: _Fitted) -> None:
        with self.changed:
            self.done[position] = fitted
            self.signal()


def _first_take(run: _Run, preparers: Jobs, checkers: Jobs | None, position: int) -> None:
    if not run.hold_slot():
        return
    try:
        result = run.speak(position)
    except BaseException:
        run.slots.release()
        raise
    preparers.submit(position, lambda: _prepare(run, position, result, checkers))


def _prepare(run: _Run, position: int, result: SynthesizedAudio, checkers: Jobs | None) -> None:
    handed_on = False
    try:
        clean = run.take(position, result, "")
        del result
        if run.judge is not None and checkers is not None:
            checkers.submit(position, lambda: _judge(run, position, clean))
            handed_on = True
            return
        _fit(run, position, clean)
    finally:
        if not handed_on:
            run.slots.release()


def _judge(run: _Run, position: int, first: DecodedAudio) -> None:
    """Score the line (and speak it again while it is weak), then fit the best take."""
    try:
        assert run.judge is not None
        kept = run.judge.best(run.indexes[position], run.lines[position].text.strip(), first,
                              lambda n: run.take(position, run.speak(position), f"_take{n}"),
                              run.lines[position].speaker)
        _fit(run, position, kept)
    finally:
        run.slots.release()


def _fit(run: _Run, position: int, clean: DecodedAudio) -> None:
    natural_s = clean.duration_s
    factor = run.planned_factor(position, natural_s)
    if factor is None:
        return
    vendor_speed = 1.0
    if run.speeds is not None and factor > ACCEPT_SPEED:
        vendor_speed = min(factor, run.speeds[1], MAX_SPEED)
        clean = run.take(position, run.speak(position, vendor_speed), "_fast")
    run.finish(position, run.fit(position, clean, natural_s, factor, vendor_speed))


class Dubber:
    """Speaks lines as they are handed in and writes the dub as the leading lines finish.

    Lines are added in order with :meth:`add` (they may keep coming while the first ones
    are spoken) and :meth:`close` says no more will come. The calling thread calls
    :meth:`pump` (or :meth:`wait`) to place the lines that are ready; placing, progress
    and partial-audio callbacks all happen on that thread.

    Args:
        synthesizer: the voice vendor's adapter.
        voice: the cloned voice.
        language: target language code.
        work_dir: where the per-line WAVs go.
        output: the track being written (finished here: padded and closed).
        mode: ``"keep"`` or ``"natural"`` (see :mod:`pipeline.timing`).
        total_s: the input's length (or give it to :meth:`close`).
        policy: retry policy for retryable vendor errors.
        concurrency: how many lines are spoken at once (bounded per vendor).
        audio_workers: how many lines are prepared at once on this machine.
        speeds: the vendor's own speed range, when it has one (see :func:`speed_range`).
        cancel: set to stop early.
        on_placed: called with (placed, added so far) each time lines are written.
        on_ready: called whenever a line is ready to place or something failed.
        judge: scores each line and keeps its best take (None: lines are not scored).
        checks: how many lines are scored at once.
        voices: speaker -> the voice their lines are spoken in (others use ``voice``).
    """

    def __init__(self, synthesizer: Synthesizer, voice: Voice, language: str, work_dir: Path,
                 output: audio.TrackWriter, *, mode: str, policy: RetryPolicy, total_s: float = 0.0,
                 concurrency: int = 4, audio_workers: int = 2,
                 speeds: tuple[float, float] | None = None,
                 cancel: threading.Event | None = None,
                 on_placed: Callable[[int, int], None] | None = None,
                 on_ready: Callable[[], None] | None = None,
                 judge: TakeJudge | None = None, checks: int = 4,
                 voices: Mapping[str, Voice] | None = None) -> None:
        work_dir.mkdir(parents=True, exist_ok=True)
        timeline = (KeepTimeline if mode == "keep" else NaturalTimeline)(total_s=total_s, closed=False)
        self._run = _Run(synthesizer, voice, language, work_dir, policy, cancel,
                         speeds if mode == "keep" else None, timeline,
                         threading.Semaphore(2 * concurrency + 2 * audio_workers), on_ready,
                         judge, voices or {})
        self._output = output
        self._mode = mode
        self._on_placed = on_placed
        self._placed = 0
        self._finished = False
        self._speakers = Jobs(concurrency, self._run.fail)
        self._preparers = Jobs(audio_workers, self._run.fail)
        self._checkers = Jobs(checks, self._run.fail) if judge is not None else None

    def add(self, index: int, segment: Segment) -> None:
        """Hand in the translation's line ``index`` (lines with no text are skipped)."""
        if not segment.text.strip():
            return
        run = self._run
        with run.changed:
            position = len(run.lines)
            run.lines.append(segment)
            run.indexes.append(index)
            run.timeline.add(index, segment)
            run.signal()
        self._speakers.submit(position, lambda: _first_take(run, self._preparers, self._checkers,
                                                            position))

    def close(self, total_s: float | None = None) -> None:
        """No more lines will be added; ``total_s`` is the input's length when it was not
        known at the start."""
        with self._run.changed:
            if total_s is not None:
                self._run.timeline.total_s = total_s
            self._run.timeline.close()
            self._run.signal()

    def ready(self) -> bool:
        """Whether :meth:`pump` has something to do (a line to place, or a failure)."""
        run = self._run
        with run.changed:
            return run.error is not None or self._placed in run.done

    @property
    def lines(self) -> int:
        """How many lines were handed in so far."""
        return len(self._run.lines)

    def pump(self) -> bool:
        """Place every line that is ready; True once the dub is complete and closed.

        Raises:
            AppError: a vendor or processing error (after retries).
            TaskCanceledError: the task was canceled.
        """
        run = self._run
        if self._finished:
            return True
        with run.changed:
            if run.error is not None:
                raise run.error
            if run.cancel is not None and run.cancel.is_set():
                raise TaskCanceledError()
            ready: list[_Fitted] = []
            while self._placed + len(ready) in run.done:
                ready.append(run.done.pop(self._placed + len(ready)))
            complete = run.timeline.closed and self._placed + len(ready) == len(run.lines)
        for fitted in ready:
            _place(run, self._output, self._placed, fitted)
            self._placed += 1
        if ready:
            self._output.flush()
            if self._on_placed is not None:
                self._on_placed(self._placed, len(run.lines))
        if complete:
            if not run.lines:
                raise InputError("There is no text to speak after translation.")
            self._output.finish(run.timeline.duration_s if self._mode == "keep" else None)
            self._finished = True
        return self._finished

    def wait(self) -> DubbedTrack:
        """Pump until the dub is complete (after :meth:`close`) and return it."""
        while not self.pump():
            with self._run.changed:  # a later line done first is no reason to wake
                if self._placed not in self._run.done and self._run.error is None:
                    self._run.changed.wait(timeout=0.2)
        return self.track

    @property
    def track(self) -> DubbedTrack:
        """The finished dub, its timing report and the vendor usage."""
        run = self._run
        quality = run.judge.report(len(run.lines)) if run.judge is not None else None
        return DubbedTrack(self._output.path, run.timeline.report(), run.usage, quality)

    def stop(self) -> None:
        """Stop the workers (and the output, unless it is finished)."""
        with self._run.changed:
            if self._run.error is None and not self._finished:
                self._run.error = TaskCanceledError()
            self._run.signal()
        self._speakers.close()
        self._preparers.close()
        if self._checkers is not None:
            self._checkers.close()
        if not self._finished:
            self._output.abort()


def synthesize(
    synthesizer: Synthesizer,
    voice: Voice,
    segments: Sequence[Segment],
    language: str,
    work_dir: Path,
    output: audio.TrackWriter,
    **options,
) -> DubbedTrack:
    """Speak all ``segments`` at once with a :class:`Dubber` (same options) and return the dub.

    Raises:
        AppError: a vendor or processing error (after retries); TaskCanceledError on cancel.
    """
    dubber = Dubber(synthesizer, voice, language, work_dir, output, **options)
    try:
        for index, segment in enumerate(segments):
            dubber.add(index, segment)
        dubber.close()
        return dubber.wait()
    finally:
        dubber.stop()


def _place(run: _Run, output: audio.TrackWriter, position: int, fitted: _Fitted) -> None:
    timeline = run.timeline
    needed = timeline.factor(position, fitted.natural_s)
    if needed > fitted.speed + 0.01:  # pushed by the line before: fit again from here
        if fitted.clip.path != fitted.clean.path:
            fitted.clip.path.unlink(missing_ok=True)
        fitted = run.fit(position, fitted.clean, fitted.natural_s, needed, fitted.vendor_speed)
    start_s = timeline.start_s(position)
    crosstalk = start_s < timeline.sound_end_s - 1e-3  # over another speaker's line
    timeline.place(position, fitted.natural_s, fitted.clip.duration_s, speed=fitted.speed,
                   vendor_speed=fitted.vendor_speed)
    held = timeline.settled_s < timeline.sound_end_s  # a later line may be mixed into it
    output.place(fitted.clip.path, start_s, mix=crosstalk,
                 final_s=timeline.settled_s if held else None)
    for path in {fitted.clip.path, fitted.clean.path}:
        path.unlink(missing_ok=True)
