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
from pipeline.results import VendorChoice
from pipeline.speakers.overrides import override_for
from pipeline.speakers.run import SPEAKER_SEARCH_S, RunSpeakers
from pipeline.speakers.voice_plan import choice_for
from pipeline.steps.channels import Slot, Stream
from pipeline.steps.context import RunContext
from pipeline.types import Role, Segment, StepName, Voice, VoiceReference

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
        self._cloners: dict[tuple[str, str], CachingCloner] = {}
        self._made: list[tuple[Voice, CachingCloner]] = []
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
        cloner = self._cloner(choice)
        name = self.ctx.adapters.info(choice).display_name
        if self._per_speaker():
            self.voice.set(self._clone_each())
            return
        self._unused_overrides()
        voice = self._made_by(cloner, self.ctx.call(lambda: cloner.clone(reference, said),
                                                    f"{choice.vendor} voice clone"))
        self.reused = cloner.reused
        self.voice.set(voice)
        again = " (kept from the last render)" if cloner.reused else ""
        self.ctx.tracker.succeed(
            _STEP, f"{name} voice from {reference.duration_s:.1f} s of speech{again}")

    def _cloner(self, choice: VendorChoice) -> CachingCloner:
        """The (caching) cloner of ``choice``, built once per vendor and model."""
        tag = (choice.vendor, choice.model)
        if tag not in self._cloners:
            self._cloners[tag] = CachingCloner(self.ctx.adapters.get(choice, Role.CLONE),
                                               LineCache(self.ctx.folder / "lines"),
                                               choice.vendor, choice.model)
        return self._cloners[tag]

    def _made_by(self, cloner: CachingCloner, voice: Voice) -> Voice:
        """Note that ``cloner`` made ``voice`` (it releases it at the end)."""
        self._made.append((voice, cloner))
        return voice

    def _per_speaker(self) -> bool:
        """Whether every speaker gets a voice (all lines are heard first to know)."""
        speakers = self.speakers
        if speakers is None or not speakers.enabled or speakers.clone_clip:
            return False
        self.heard.wait_until(lambda: self.heard.closed or self.heard.mark_s >= SPEAKER_SEARCH_S)
        return speakers.wants_voices(self.heard.items())

    def _unused_overrides(self) -> None:
        """Say why the speakers' own voices are not used when everyone shares one voice."""
        asked = self.ctx.plan.speaker_voices
        if not asked or self.speakers is None:
            return
        names = ", ".join(p.speaker for p in asked)
        if self.ctx.request.clone_path is not None:
            why = "a separate voice clip was given, so everyone speaks in its voice"
        elif self.ctx.request.options.speakers == "1":
            why = "they need two or more speakers (set speakers to auto or a number)"
        else:
            why = "only one speaker was found"
        self.speakers.warnings.append(f"The voices given per speaker ({names}) were not "
                                      f"used: {why}.")

    def _clone_for(self, speaker: str, reference: VoiceReference, said: str) -> Voice:
        """``speaker``'s voice: their own vendor's (or preset), else the run's vendor's."""
        planned = choice_for(self.ctx.plan.speaker_voices, speaker)
        if planned is not None and planned.preset:  # a preset voice: nothing to clone
            return Voice(planned.choice.vendor, voice_id=planned.preset)
        choice = planned.choice if planned is not None else self.ctx.voice_choice
        cloner = self._cloner(choice)
        return self._made_by(cloner, self.ctx.call(lambda: cloner.clone(reference, said),
                                                   f"{choice.vendor} voice clone"))

    def _clone_each(self) -> Voice:
        speakers, ctx = self.speakers, self.ctx
        assert speakers is not None
        planned = ctx.plan.speaker_voices
        infos = [ctx.adapters.info(c) for c in (ctx.voice_choice, *(p.choice for p in planned))]
        first = speakers.clone_all(
            self.heard.items(), ctx.request.input_path, ctx.folder,
            max_s=min(30.0, *(i.reference_max_s for i in infos)), rate_hz=OUTPUT_RATE_HZ,
            clone=self._clone_for, own=lambda name: choice_for(planned, name) is not None)
        made = speakers.summary()
        found = {s.speaker for s in made}
        missing = [p.speaker for p in planned if override_for({n: n for n in found},
                                                               p.speaker) is None]
        if missing:
            speakers.warnings.append(
                f"No speaker named {', '.join(missing)} in this run (speakers: "
                f"{', '.join(sorted(found))}); their voice setting was not used.")
        own = sum(1 for s in made if s.owner == s.speaker)
        given = [f"{s.speaker}: {p.label}" for s in made
                 if (p := choice_for(planned, s.speaker)) is not None]
        name = infos[0].display_name
        ctx.tracker.succeed(_STEP, f"{name}: {own} voice{'' if own == 1 else 's'} "
                            f"for {len(made)} speakers (" + ", ".join(
                                f"{s.speaker} {s.reference.duration_s:.1f} s" if s.reference
                                else f"{s.speaker} as {s.owner}" for s in made) + ")"
                            + (f"; their own vendor: {', '.join(given)}" if given else ""))
        return first

    def release(self) -> None:
        """Delete every voice a vendor stored, each through the vendor that made it (errors
        are logged, never raised)."""
        released: list[Voice] = []
        for voice, cloner in self._made:
            if any(voice is done for done in released) or not cloner.releases:
                continue
            released.append(voice)
            try:
                cloner.release(voice)
            except Exception:  # cleanup must never hide the task's own outcome
                log.warning("could not release the %s voice", voice.vendor)
