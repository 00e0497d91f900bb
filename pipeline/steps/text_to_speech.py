"""``text_to_speech``: speak the lines in the voice, fit them to the timeline, write the dub.

Lines are spoken as they are translated (:class:`~pipeline.dub.dubber.Dubber`: in
parallel, fitted, levelled, written in order, the first seconds handed on as soon as they
are final), then the dub is encoded and subtitles of the transcript and the translation
are written, timed where each line is heard.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from pipeline import audio
from pipeline.dub import timing
from pipeline.dub.clips import OUTPUT_RATE_HZ, speed_range
from pipeline.dub.dubber import DubbedTrack, Dubber
from pipeline.dub.routing import VoiceRouter
from pipeline.dub.takes import TakeJudge
from pipeline.languages import language_name
from pipeline.media import stage as media
from pipeline.media.report import MediaReport
from pipeline.pricing import cost_line
from pipeline.projects.cache import CachingSynthesizer, LineCache, RenderSummary
from pipeline.quality.report import QualityReport, QualityThresholds
from pipeline.quality.similarity import SpeakerEncoder
from pipeline.results import CostLine, SubtitleFile, TimingReport, VendorChoice
from pipeline.speakers.run import RunSpeakers
from pipeline.speakers.voice_plan import choice_for
from pipeline.steps.channels import Slot, Stream
from pipeline.steps.context import RunContext
from pipeline.subtitles import write_task_subtitles
from pipeline.types import (
    DecodedAudio,
    Role,
    Segment,
    StepName,
    Transcript,
    Translation,
    Voice,
    VoiceReference,
)
from pipeline.vendor_api import VendorInfo

__all__ = ["PartialAudioCallback", "TextToSpeech"]

PartialAudioCallback = Callable[[Path, float], None]
_STEP = StepName.TEXT_TO_SPEECH


class TextToSpeech:
    """Speaks ``spoken`` in ``voice`` and writes the dub, its timing report and subtitles.

    Args:
        ctx: the run.
        voice: the voice ``voice_clone`` makes.
        spoken: the lines to speak, in order.
        decoded: the decoded input (its length ends the dub's timeline).
        mode: the timing mode.
        transcript: the whole transcript, for its subtitles (None after direct speech
            translation).
        translation: the whole translation (None when nothing was translated).
        reference: the voice reference (each line's voice is compared with it).
        on_partial_audio: ``(piece_path, ready_s)`` each time the dub's first seconds are
            final (called on the task's thread).
        speakers: the run's speakers (each line is spoken in its speaker's voice).
    """

    def __init__(self, ctx: RunContext, voice: Slot[Voice], spoken: Stream[Segment],
                 decoded: Slot[DecodedAudio], mode: Slot[str],
                 transcript: Slot[Transcript | None],
                 translation: Slot[Translation | None], reference: Slot[VoiceReference],
                 on_partial_audio: PartialAudioCallback | None = None,
                 speakers: RunSpeakers | None = None) -> None:
        self.speakers = speakers
        self.ctx, self.voice, self.spoken, self.decoded, self.mode = ctx, voice, spoken, decoded, mode
        self.transcript, self.translation, self.reference = transcript, translation, reference
        self.quality: QualityReport | None = None
        self.check_cost: CostLine | None = None
        self.on_partial_audio = on_partial_audio
        self.output: Path | None = None
        self.timing: TimingReport | None = None
        self.subtitles: tuple[SubtitleFile, ...] = ()
        self.warnings: list[str] = []
        self.cost: CostLine | None = None  # the run's voice vendor's
        self.costs: tuple[CostLine, ...] = ()  # every voice vendor's, the run's first
        self._synthesizers: dict[tuple[str, str], CachingSynthesizer] = {}
        self._choices: dict[tuple[str, str], VendorChoice] = {}
        self.media: MediaReport | None = None
        self.render: RenderSummary | None = None

    def run(self) -> None:
        """Run the step (on its own thread)."""
        voice = self.voice.get()
        ctx, choice = self.ctx, self.ctx.voice_choice
        mode = self.mode.get()
        ctx.check()
        ctx.tracker.start(_STEP, f"Speaking with {choice.vendor} ({mode} timing)")
        dubber = self._dubber(voice, mode)
        try:
            track = self._speak(dubber)
        finally:
            dubber.stop()
        self._finish(track, mode)

    def _dubber(self, voice: Voice, mode: str) -> Dubber:
        ctx = self.ctx
        fmt = ctx.request.options.output_format
        writer = audio.TrackWriter(ctx.folder / f"output.{fmt}", fmt, sample_rate_hz=OUTPUT_RATE_HZ,
                                   pieces_dir=ctx.folder / "partial", on_piece=self._piece)
        router = self._router = self._routes()
        infos = [ctx.adapters.info(self._choice_of(s)) for s in router.synthesizers]
        self._judge = self._take_judge(any(i.takes_vary for i in infos))
        return Dubber(
            router, voice, ctx.plan.target_language, ctx.folder / "tts", writer, mode=mode,
            policy=ctx.retry,
            concurrency=min(ctx.tts_concurrency, sum(i.max_concurrency for i in infos)),
            audio_workers=ctx.audio_workers, speeds=_common_speeds(infos), cancel=ctx.stop,
            on_ready=self.spoken.poke, on_placed=self._placed, judge=self._judge,
            checks=self._checks(),
            voices=self.speakers.by_speaker() if self.speakers is not None else None)

    def _synthesizer(self, choice: VendorChoice) -> CachingSynthesizer:
        """The (caching) synthesizer of ``choice``, built once per vendor and model."""
        tag = (choice.vendor, choice.model)
        if tag not in self._synthesizers:
            self._synthesizers[tag] = CachingSynthesizer(
                self.ctx.adapters.get(choice, Role.SPEAK), LineCache(self.ctx.folder / "lines"),
                choice.vendor, choice.model)
            self._choices[tag] = choice
        return self._synthesizers[tag]

    def _choice_of(self, synthesizer: CachingSynthesizer) -> VendorChoice:
        return self._choices[(synthesizer.vendor, synthesizer.model)]

    def _routes(self) -> VoiceRouter:
        """The run's vendor for every voice, but each speaker given a vendor of their own
        (``speaker_voices``) is spoken by that vendor."""
        router = VoiceRouter(self._synthesizer(self.ctx.voice_choice))
        planned = self.ctx.plan.speaker_voices
        for speaker, voice in (self.speakers.voices.items() if self.speakers else ()):
            own = choice_for(planned, speaker)
            if own is not None:
                router.route(voice, self._synthesizer(own.choice))
        return router

    def _take_judge(self, takes_vary: bool) -> TakeJudge | None:
        """What scores each line, as the plan's quality check says (None: no check)."""
        ctx, plan = self.ctx, self.ctx.plan.quality
        if plan is None or not plan.on:
            return None
        checker = (ctx.adapters.get(plan.checker, Role.TRANSCRIBE)
                   if plan.checker is not None else None)
        name = f"{plan.checker.vendor}/{plan.checker.model}" if plan.checker else ""
        notes = () if plan.checker is not None else (plan.note,)
        return TakeJudge(
            language=ctx.plan.target_language, reference=self.reference.get().path,
            encoder=SpeakerEncoder() if plan.similarity else None, checker=checker,
            checker_name=name, call=ctx.call, work_dir=ctx.folder / "tts",
            takes_vary=takes_vary, notes=notes,
            thresholds=QualityThresholds(max_retakes=ctx.request.options.max_retakes),
            references=self.speakers.reference_for if self.speakers is not None else None)

    def _checks(self) -> int:
        checker = self.ctx.plan.quality.checker if self.ctx.plan.quality else None
        return self.ctx.adapters.info(checker).max_concurrency if checker else 2

    def _piece(self, path: Path, ready_s: float) -> None:
        if self.on_partial_audio is not None:
            callback = self.on_partial_audio
            self.ctx.post(lambda: callback(path, ready_s))

    def _placed(self, done: int, total: int) -> None:
        lines = max(total, len(self.spoken.items()), 1)
        self.ctx.tracker.progress(_STEP, 0.95 * done / lines, f"Dubbed line {done} of {lines}")

    def _speak(self, dubber: Dubber) -> DubbedTrack:
        """Hand lines in as they come and place the finished ones until the dub is done."""
        fed = 0
        while True:
            lines = self.spoken.items()
            for index in range(fed, len(lines)):
                dubber.add(index, lines[index])
            fed = len(lines)
            if self.spoken.closed and fed == len(self.spoken.items()):
                dubber.close(total_s=self.decoded.get().duration_s)
                return dubber.wait()
            dubber.pump()
            self.spoken.wait_until(partial(self._wakes, fed, dubber))

    def _wakes(self, fed: int, dubber: Dubber) -> bool:
        """Whether a line came past ``fed``, the lines ended, or a dubbed line is ready."""
        return len(self.spoken.items()) > fed or self.spoken.closed or dubber.ready()

    def _finish(self, track: DubbedTrack, mode: str) -> None:
        ctx, router = self.ctx, self._router
        self.output, self.timing = track.output, track.timing
        self.costs = tuple(cost_line(ctx.adapters.info(self._choice_of(s)), Role.SPEAK, s.model,
                                     router.usage_of(s)) for s in router.synthesizers)
        self.cost = self.costs[0]
        spent = sum(c.usd for c in self.costs)
        self.quality = track.quality
        checker = ctx.plan.quality.checker if ctx.plan.quality else None
        if checker is not None and self._judge is not None:
            line = cost_line(ctx.adapters.info(checker), Role.TRANSCRIBE, checker.model,
                             self._judge.usage)
            self.check_cost = CostLine(_STEP, line.vendor, line.model, line.usd,
                                       f"quality check; {line.basis}")
        transcript, translation = self.transcript.get(), self.translation.get()
        self.subtitles = write_task_subtitles(
            ctx.folder / "subtitles", track.timing.segments, transcript,
            translation.segments if translation is not None else None, ctx.plan.target_language,
            speaker_prefix=ctx.request.options.subtitle_speakers)
        self.warnings.extend(timing.overflow_warnings(track.timing))
        self.media = media.finish(ctx, track.output, track.timing, self.subtitles, lambda done,
                                  message: ctx.tracker.progress(_STEP, 0.95 + 0.05 * done, message))
        self.warnings.extend(self.media.warnings if self.media else ())
        self.render = router.summary(self.spoken.items(), spent)
        router.default.cache.write_summary(self.render)
        ctx.tracker.succeed(
            _STEP, f"{track.timing.dubbed_duration_s:.1f} s of "
            f"{language_name(ctx.plan.target_language)} speech "
            f"({ctx.request.options.output_format}); {mode} timing, fastest line "
            f"{track.timing.max_speed_factor:.2f}x; {self.render.sentence}"
            + (f"; background: {self.media.background.replace('_', ' ')}" if self.media
               else ""))


def _common_speeds(infos: list[VendorInfo]) -> tuple[float, float] | None:
    """The speed range every vendor of the dub takes (None when one takes none)."""
    ranges = [speed_range(i.extra) for i in infos]
    if any(r is None for r in ranges):
        return None
    low, high = max(r[0] for r in ranges if r), min(r[1] for r in ranges if r)
    return (low, high) if low <= 1.0 < high else None
