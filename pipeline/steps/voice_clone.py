"""``voice_clone``: turn the voice reference into a voice the chosen vendor speaks with.

It starts once there is something to say (the first translated lines) and, when the
reference comes from the input, once the words spoken inside the reference window are
transcribed (zero-shot engines are given them with the clip; with direct speech
translation there is no transcript, and the clip goes alone). A vendor that stores the
voice (e.g. ElevenLabs) deletes it again when the task ends: :meth:`VoiceClone.release`.
"""

from __future__ import annotations

import logging

from pipeline.dub.clips import OUTPUT_RATE_HZ
from pipeline.projects.cache import CachingCloner, LineCache
from pipeline.speakers.run import SPEAKER_SEARCH_S, RunSpeakers
from pipeline.steps.channels import Slot, Stream
from pipeline.steps.context import RunContext
from pipeline.types import Role, Segment, StepName, Voice, VoiceReference
from pipeline.vendor_api import VoiceCloner, VoiceReleaser

__all__ = ["VoiceClone", "words_in"]

log = logging.getLogger(__name__)
_STEP = StepName.VOICE_CLONE


def words_in(lines: tuple[Segment, ...], reference: VoiceReference) -> str:
    """What is said inside the reference window (the lines that overlap it)."""
    return " ".join(s.text.strip() for s in lines
                    if s.end_s > reference.start_s and s.start_s < reference.end_s)


class VoiceClone:
    """Makes the voice once the reference and its words are known.

    Args:
        ctx: the run.
        reference: the voice reference ``initialization`` picks.
        heard: the timed lines in the spoken language (for the reference's words).
        spoken: the lines to speak (cloning waits for the first of them).
        voice: where the voice goes.
        speakers: the run's speakers (a voice per speaker when there are several).
    """

    def __init__(self, ctx: RunContext, reference: Slot[VoiceReference], heard: Stream[Segment],
                 spoken: Stream[Segment], voice: Slot[Voice],
                 speakers: RunSpeakers | None = None) -> None:
        self.ctx, self.reference, self.heard, self.spoken, self.voice = (
            ctx, reference, heard, spoken, voice)
        self.speakers = speakers
        self._adapter: object | None = None
        self.reused = False

    def run(self) -> None:
        """Run the step (on its own thread)."""
        self.spoken.wait_until(lambda: bool(self.spoken.items()) or self.spoken.closed)
        reference = self.reference.get()
        said = ""
        if reference.source == "input" and self.ctx.plan.transcriber is not None:
            self.heard.wait_until(lambda: self.heard.mark_s >= reference.end_s)
            said = words_in(self.heard.items(), reference)
        choice = self.ctx.voice_choice
        self.ctx.check()
        self.ctx.tracker.start(_STEP, f"Preparing the voice with {choice.vendor}")
        cloner = CachingCloner(self.ctx.adapters.get(choice, Role.CLONE),
                               LineCache(self.ctx.folder / "lines"), choice.vendor, choice.model)
        self._adapter = cloner
        name = self.ctx.adapters.info(choice).display_name
        if self._per_speaker():
            self.voice.set(self._clone_each(cloner))
            return
        voice = self.ctx.call(lambda: cloner.clone(reference, said), f"{choice.vendor} voice clone")
        self.reused = cloner.reused
        self.voice.set(voice)
        again = " (kept from the last render)" if cloner.reused else ""
        self.ctx.tracker.succeed(
            _STEP, f"{name} voice from {reference.duration_s:.1f} s of speech{again}")

    def _per_speaker(self) -> bool:
        """Whether every speaker gets a voice (all lines are heard first to know)."""
        speakers = self.speakers
        if speakers is None or not speakers.enabled or speakers.clone_clip:
            return False
        self.heard.wait_until(lambda: self.heard.closed or self.heard.mark_s >= SPEAKER_SEARCH_S)
        return speakers.wants_voices(self.heard.items())

    def _clone_each(self, cloner: VoiceCloner) -> Voice:
        speakers, ctx, vendor = self.speakers, self.ctx, self.ctx.voice_choice.vendor
        assert speakers is not None
        info = ctx.adapters.info(ctx.voice_choice)
        first = speakers.clone_all(
            self.heard.items(), ctx.request.input_path, ctx.folder,
            max_s=min(30.0, info.reference_max_s), rate_hz=OUTPUT_RATE_HZ,
            clone=lambda ref, said: ctx.call(lambda: cloner.clone(ref, said),
                                             f"{vendor} voice clone"))
        made = speakers.summary()
        own = sum(1 for s in made if s.owner == s.speaker)
        ctx.tracker.succeed(_STEP, f"{info.display_name}: {own} voice{'' if own == 1 else 's'} "
                            f"for {len(made)} speakers (" + ", ".join(
                                f"{s.speaker} {s.reference.duration_s:.1f} s" if s.reference
                                else f"{s.speaker} as {s.owner}" for s in made) + ")")
        return first

    def release(self) -> None:
        """Delete every voice the vendor stored (errors are logged, never raised)."""
        adapter = self._adapter
        made = [*(self.speakers.voices.values() if self.speakers else ()), self.voice.peek()]
        if not isinstance(adapter, VoiceReleaser):
            return
        released: list[Voice] = []
        for voice in made:
            if voice is None or any(voice is done for done in released):
                continue
            released.append(voice)
            try:
                adapter.release(voice)
            except Exception:  # cleanup must never hide the task's own outcome
                log.warning("could not release the %s voice", voice.vendor)
