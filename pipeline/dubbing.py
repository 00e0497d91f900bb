"""voice_clone and text_to_speech of one task: the voice, then the dub written in order.

The voice is cloned once the first lines are translated and the words of the reference
window are known; lines are spoken as they are translated.
"""

from __future__ import annotations

from pipeline import audio, timing
from pipeline.languages import language_name
from pipeline.pricing import cost_line
from pipeline.subtitles import write_task_subtitles
from pipeline.synthesis import OUTPUT_RATE_HZ, Dubber, speed_range
from pipeline.types import Role, StepName, Voice

__all__ = ["DubbingSteps"]


class DubbingSteps:
    """The voice_clone and text_to_speech part of :class:`pipeline.flow.Flow`."""

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
        fmt = work.request.options.output_format
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
            f"({work.request.options.output_format}); {work.mode} timing, fastest line "
            f"{report.max_speed_factor:.2f}x",
        )
        self._checkpoint()
