"""Speakers corrected by hand: renamed, merged, lines reassigned; only the voice steps re-run."""

from __future__ import annotations

import pytest

from pipeline.errors import InputError
from pipeline.quality.similarity import available
from pipeline.results import Checkpoint
from pipeline.speakers.editing import reassign_speakers
from pipeline.types import Segment, StepName, Transcript, Translation
from tests.pipeline.fake_pipeline import fake_request
from tests.pipeline.speakers.dialogue import write_dialogue


def checkpoint() -> Checkpoint:
    heard = (Segment(0, 1, "Hi.", "Speaker 1"), Segment(1, 2, "Hello.", "Speaker 2"))
    said = (Segment(0, 1, "Hola.", "Speaker 1"), Segment(1, 2, "Buenas.", "Speaker 2"))
    return Checkpoint(transcript=Transcript("Hi. Hello.", "en", heard, "x", "y"),
                      translation=Translation(said, "en", "es", "x", "y"))


def test_a_rename_changes_the_speaker_in_the_transcript_and_the_translation():
    edited = reassign_speakers(checkpoint(), renames={"Speaker 1": "Ana"})
    assert [s.speaker for s in edited.transcript.segments] == ["Ana", "Speaker 2"]
    assert [s.speaker for s in edited.translation.segments] == ["Ana", "Speaker 2"]


def test_a_line_given_to_another_speaker_moves_in_both_texts():
    edited = reassign_speakers(checkpoint(), lines={2: "Speaker 1"})
    assert {s.speaker for s in edited.translation.segments} == {"Speaker 1"}


def test_a_line_may_name_a_renamed_speaker_by_either_name():
    edited = reassign_speakers(checkpoint(), renames={"Speaker 1": "Ana"},
                               lines={2: "Speaker 1"})
    assert [s.speaker for s in edited.translation.segments] == ["Ana", "Ana"]


@pytest.mark.parametrize(("renames", "lines", "said", "param"), [
    ({"Nobody": "Ana"}, None, "There is no speaker 'Nobody'", "renames"),
    (None, {3: "Speaker 1"}, "There is no line 3", "lines"),
    (None, {0: "Speaker 1"}, "There is no line 0", "lines"),
    (None, {1: "Bob"}, "cannot go to 'Bob'", "lines"),
    ({"Speaker 1": "<b>"}, None, "without <, > or &", "renames"),
    ({"Speaker 1": "  "}, None, "a name of 1 to 60 characters", "renames"),
    (None, None, "Give renames", "renames"),
])
def test_a_bad_correction_is_refused_with_a_sentence_naming_its_field(renames, lines, said,
                                                                      param):
    with pytest.raises(InputError, match=said) as caught:
        reassign_speakers(checkpoint(), renames=renames, lines=lines)
    assert caught.value.param == param


@pytest.mark.skipif(not available(), reason="resemblyzer is not installed")
def test_merging_the_speakers_re_runs_only_the_voice_steps_with_one_voice(runner, fake,
                                                                          tmp_path):
    wav, truth = write_dialogue(tmp_path / "dialogue.wav")
    fake[0].segments = [Segment(round(a, 2), round(b, 2), text) for a, b, _, text in truth]
    first = runner.run(fake_request(wav, speakers="auto"))
    assert len(fake[2].cloned) == 2
    merged = reassign_speakers(first.checkpoint, renames={"Speaker 2": "Speaker 1"})
    fake[2].cloned.clear()
    again = runner.run(fake_request(wav, speakers="auto"), checkpoint=merged)
    assert again.status.value == "succeeded", again.error
    reused = {s.name for s in again.steps if s.reused}
    assert {StepName.SPEECH_TO_TEXT, StepName.TRANSLATION} <= reused
    assert StepName.VOICE_CLONE not in reused and StepName.TEXT_TO_SPEECH not in reused
    assert len(fake[2].cloned) == 1
    assert {s.speaker for s in again.translation.segments} == {"Speaker 1"}
