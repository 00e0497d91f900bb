"""The voice router: each voice is spoken by its own vendor, and each vendor's spend kept apart."""

from __future__ import annotations

from pipeline.dub.routing import VoiceRouter
from pipeline.projects.cache import CachingSynthesizer, LineCache
from pipeline.types import Segment, Voice
from tests import fakes


def synthesizer(tmp_path, vendor: str, inner: fakes.FakeVoice) -> CachingSynthesizer:
    return CachingSynthesizer(inner, LineCache(tmp_path / "lines"), vendor, "m1")


def test_a_registered_voice_goes_to_its_vendor_and_every_other_to_the_runs(tmp_path):
    runs, own = fakes.FakeVoice(), fakes.FakeVoice()
    router = VoiceRouter(synthesizer(tmp_path, "runs", runs))
    theirs = Voice("own", voice_id="v2")
    router.route(theirs, synthesizer(tmp_path, "own", own))
    router.speak("Hello there.", Voice("runs", voice_id="v1"), "es")
    router.speak("Good night.", theirs, "es")
    router.speak("Good night.", Voice("own", voice_id="v2"), "es")  # equal, but not that voice
    assert [t for t, _ in runs.spoken] == ["Hello there.", "Good night."]
    assert [t for t, _ in own.spoken] == ["Good night."]


def test_each_vendors_usage_is_kept_apart_and_the_summary_counts_every_line_once(tmp_path):
    runs, own = fakes.FakeVoice(), fakes.FakeVoice()
    router = VoiceRouter(synthesizer(tmp_path, "runs", runs))
    theirs = Voice("own", voice_id="v2")
    router.route(theirs, synthesizer(tmp_path, "own", own))
    router.speak("One.", Voice("runs"), "es")
    router.speak("Three words here.", theirs, "es")
    first, second = router.synthesizers
    assert router.usage_of(first).characters == 4
    assert router.usage_of(second).characters == len("Three words here.")
    lines = [Segment(0, 1, "One."), Segment(1, 2, "Three words here."), Segment(2, 3, " ")]
    summary = router.summary(lines, 0.5)
    assert (summary.respoken, summary.reused, summary.respoken_lines) == (2, 0, (1, 2))


def test_the_same_synthesizer_for_two_voices_is_listed_once(tmp_path):
    runs = synthesizer(tmp_path, "runs", fakes.FakeVoice())
    own = synthesizer(tmp_path, "own", fakes.FakeVoice())
    router = VoiceRouter(runs)
    router.route(Voice("own", voice_id="a"), own)
    router.route(Voice("own", voice_id="b"), own)
    assert router.synthesizers == (runs, own)
