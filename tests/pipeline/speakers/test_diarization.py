"""Offline diarization with the real Resemblyzer encoder on generated and real speech."""

from __future__ import annotations

import pytest

from pipeline.quality.similarity import available
from pipeline.speakers.diarization import diarize
from tests.pipeline.speakers.dialogue import jfk_then_chinese, write_dialogue, write_one_voice

pytestmark = pytest.mark.skipif(not available(), reason="resemblyzer is not installed")


@pytest.fixture(scope="module")
def dialogue(tmp_path_factory):
    return write_dialogue(tmp_path_factory.mktemp("dialogue") / "dialogue.wav")


def correct_share(turns, truth) -> float:
    """Share of the true speech time given to the right speaker (speakers matched by the
    label each true speaker gets most)."""
    overlap: dict[tuple[str, str], float] = {}
    for start_s, end_s, who, _ in truth:
        for turn in turns:
            seconds = min(end_s, turn.end_s) - max(start_s, turn.start_s)
            if seconds > 0:
                overlap[(who, turn.speaker)] = overlap.get((who, turn.speaker), 0.0) + seconds
    best = {who: max((s for (w, _), s in overlap.items() if w == who), default=0.0)
            for who in {w for _, _, w, _ in truth}}
    labels = {who: max((lab for (w, lab) in overlap if w == who),
                       key=lambda lab: overlap[(who, lab)]) for who in best}
    assert len(set(labels.values())) == len(labels), "two true speakers share one label"
    return sum(best.values()) / sum(e - s for s, e, _, _ in truth)


def test_a_two_voice_dialogue_is_two_speakers_with_nine_tenths_of_its_time_right(dialogue):
    wav, truth = dialogue
    found = diarize(wav)
    assert found.speakers == ("Speaker 1", "Speaker 2")
    assert correct_share(found.turns, truth) >= 0.9


def test_a_given_count_of_two_splits_the_dialogue_the_same_way(dialogue):
    wav, truth = dialogue
    found = diarize(wav, speakers=2)
    assert len(found.speakers) == 2
    assert correct_share(found.turns, truth) >= 0.9


def test_one_speaker_asked_for_gives_one_without_running_the_encoder(dialogue):
    wav, _ = dialogue

    class Refuses:
        def embed_windows(self, *args, **kwargs):
            raise AssertionError("the encoder ran")

    found = diarize(wav, speakers=1, encoder=Refuses())  # type: ignore[arg-type]
    assert found.speakers == ("Speaker 1",)


def test_jfk_followed_by_a_chinese_speaker_is_two_speakers(tmp_path):
    found = diarize(jfk_then_chinese(tmp_path))
    assert len(found.speakers) == 2
    assert found.turns[0].speaker == "Speaker 1" and found.turns[-1].speaker == "Speaker 2"


def test_one_voice_reading_every_line_is_one_speaker(tmp_path):
    assert diarize(write_one_voice(tmp_path / "one.wav")).speakers == ("Speaker 1",)


def test_the_jfk_recording_alone_is_one_speaker(tmp_path):
    from pipeline import audio
    from tests.pipeline.speakers.dialogue import SHARED

    decoded = audio.decode(SHARED / "jfk_en.flac", tmp_path / "jfk.wav")
    assert diarize(decoded.path).speakers == ("Speaker 1",)


def test_the_closest_speaker_is_the_other_one_of_two(dialogue):
    found = diarize(dialogue[0])
    assert found.closest("Speaker 1", found.speakers) == "Speaker 2"
    assert found.seconds("Speaker 1") > 10
