"""The speakers on the page: the panel of a two-speaker dub, its clips, and corrections
(renames, lines given to another speaker) applied by re-synthesis with only the voice steps."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import numpy as np
import pytest

from pipeline.errors import InputError
from pipeline.quality.similarity import available
from pipeline.results import Checkpoint, TaskResult
from pipeline.speakers.summary import SpeakerSummary
from pipeline.types import Segment, TaskStatus, Transcript
from tests import fakes
from tests.pipeline.speakers.dialogue import median_pitch_hz, write_dialogue
from tests.web.support import install_fakes, make_pipeline
from web.ui_handlers import RUN_OUTPUTS, UiHandlers
from web.ui_speakers import ONE_VOICE, speaker_edits, speaker_outputs, speaker_rows

DIALOGUE = dict(audio_url="", clone_audio=None, source_language="en", target_language="en",
                stt_model="fake_stt", llm_model="", voice_vendor="espeak", output_format="wav",
                timing="keep", speakers="2")


def named(outputs: tuple) -> dict:
    assert len(outputs) == len(RUN_OUTPUTS)
    return dict(zip(RUN_OUTPUTS, outputs, strict=True))


def last(generator) -> dict:
    return named(list(generator)[-1])


def request():
    return SimpleNamespace(session_hash="speakers")


@pytest.fixture(scope="module")
def dialogue(tmp_path_factory):
    """Handlers over the fake transcriber (the dialogue's true lines) and espeak, and the
    first two-speaker dub of the dialogue."""
    if not available():
        pytest.skip("resemblyzer is not installed")
    pytest.importorskip("parselmouth")
    folder = tmp_path_factory.mktemp("speakers")
    wav, truth = write_dialogue(folder / "dialogue.wav")
    vendors = install_fakes()
    vendors.stt.segments = [Segment(round(a, 2), round(b, 2), text) for a, b, _, text in truth]
    handlers = UiHandlers(make_pipeline(folder / "data"))
    first = last(handlers.translate(str(wav), request=request(), **DIALOGUE))
    yield SimpleNamespace(handlers=handlers, wav=wav, truth=truth, first=first, stt=vendors.stt)
    fakes.INSTANCES.clear()


def own_pitch_hz(dialogue, who: str) -> float:
    return float(np.median([median_pitch_hz(dialogue.wav, a, b)
                            for a, b, w, _ in dialogue.truth if w == who]))


def test_a_two_speaker_dub_lists_each_speaker_with_their_voice_and_reference_clip(dialogue):
    out = dialogue.first
    assert out["report"]["status"] == "succeeded"
    assert out["speakers_note"].startswith("**2 speakers**, each in a voice of their own.")
    table = out["speakers"]
    assert table.visible is True
    rows = table.value["data"]
    assert [row[0] for row in rows] == ["Speaker 1", "Speaker 2"]
    assert all(row[2] == "their own" and row[4] == "espeak" for row in rows)
    assert all(row[1].endswith(" s") and row[3].endswith(" s") for row in rows)
    clips = [out[f"speaker_clip_{n}"] for n in range(1, 9)]
    assert [clip.visible for clip in clips] == [True, True] + [False] * 6
    assert clips[0].label.startswith("Speaker 1: reference (")
    assert all(Path(clip.value["path"]).is_file() for clip in clips[:2])
    assert out["session"].speakers == ("Speaker 1", "Speaker 2")
    assert [row[2] for row in out["translation"]] == ["Speaker 1", "Speaker 2"] * 3
    assert [row[2] for row in out["transcript"]] == ["Speaker 1", "Speaker 2"] * 3
    assert 'aria-label="Speakers"' in out["timeline"] and ">Speaker 2</li>" in out["timeline"]


def test_a_line_given_to_the_other_speaker_is_spoken_in_their_voice_and_a_rename_sticks(
        dialogue):
    first = dialogue.first
    heard = len(dialogue.stt.calls)
    table = [list(row) for row in first["translation"]]
    table[2][2] = "speaker 2"  # line 3 was Speaker 1's; any case names a speaker
    names = [list(row) for row in first["speakers"].value["data"]]
    names[1][0] = "Bea"
    again = last(dialogue.handlers.resynthesize(table, "espeak", "wav", first["session"],
                                                speakers_table=names, request=request()))
    assert again["report"]["status"] == "succeeded"
    assert again["reuse"] == ("Speakers corrected: Speaker 2 → Bea; line 3 → Bea. Reused "
                              "initialization, speech_to_text; ran again voice_clone, "
                              "text_to_speech; skipped translation.")
    assert len(dialogue.stt.calls) == heard, "the speech was not transcribed again"
    assert [row[2] for row in again["translation"]] == [
        "Speaker 1", "Bea", "Bea", "Bea", "Speaker 1", "Bea"]
    assert [row[0] for row in again["speakers"].value["data"]] == ["Speaker 1", "Bea"]
    assert again["session"].speakers == ("Speaker 1", "Bea")
    start_s, end_s, _, _ = dialogue.truth[2]  # lines keep their times ("keep" timing)
    moved = median_pitch_hz(again["audio"], start_s, end_s)
    before = median_pitch_hz(first["audio"], start_s, end_s)
    theirs = own_pitch_hz(dialogue, "B")
    assert abs(before - own_pitch_hz(dialogue, "A")) <= 0.15 * own_pitch_hz(dialogue, "A")
    assert abs(moved - theirs) <= 0.15 * theirs, (before, moved, theirs)


def test_a_one_voice_run_says_how_to_give_each_speaker_a_voice(tmp_path):
    result = TaskResult("t", TaskStatus.SUCCEEDED, (), transcript=Transcript(
        "Hi.", "en", (Segment(0, 1, "Hi."),), "x", "y"))
    note, table, *clips = speaker_outputs(result)
    assert note == ONE_VOICE and "under Advanced" in note
    assert table.visible is False and not any(clip.visible for clip in clips)
    assert speaker_outputs(TaskResult("t", TaskStatus.FAILED, ()))[0] == ""


def test_a_speaker_sharing_a_voice_and_an_unmeasured_similarity_are_said_in_words():
    rows = speaker_rows([SpeakerSummary("Speaker 1", 20.0, "Speaker 1", 18.0, "espeak",
                                        similarity=0.81),
                         SpeakerSummary("Speaker 2", 2.0, "Speaker 1", 0.0, "espeak")])
    assert rows[0] == ["Speaker 1", "20.0 s", "their own", "18.0 s", "espeak", "0.81"]
    assert rows[1][2].startswith("Speaker 1's (under 3 s of their own speech")
    assert rows[1][3] == "none" and rows[1][5] == "not measured"


def _labelled() -> Checkpoint:
    lines = (Segment(0, 1, "Hi.", "Speaker 1"), Segment(1, 2, "Hello.", "Speaker 2"))
    return Checkpoint(transcript=Transcript("Hi. Hello.", "en", lines, "x", "y"))


NAMES = ("Speaker 1", "Speaker 2")
ROWS = [[1, "", "Speaker 1", "Hi.", "Hi."], [2, "", "Speaker 2", "Hello.", "Hello."]]


def test_unchanged_tables_correct_nothing_and_old_four_column_tables_reassign_nothing():
    assert speaker_edits(_labelled(), NAMES, None, ROWS).sentence == ""
    old = [[1, "", "Hi.", "Hi."], [2, "", "Hello.", "Hello."]]
    assert speaker_edits(_labelled(), NAMES, [], old).lines == {}


def test_a_line_keeping_the_old_name_of_a_renamed_speaker_is_not_moved():
    edits = speaker_edits(_labelled(), NAMES, [["Ana"], ["Speaker 2"]], ROWS)
    assert edits.renames == {"Speaker 1": "Ana"} and edits.lines == {}
    moved = speaker_edits(_labelled(), NAMES, [["Ana"], ["Speaker 2"]],
                          [ROWS[0], [2, "", "ana", "Hello.", "Hello."]])
    assert moved.lines == {2: "Ana"}


@pytest.mark.parametrize(("names", "speakers_table", "rows", "said"), [
    (NAMES, [["Ana"]], ROWS, "keep one row per speaker"),
    ((), None, ROWS, "This run speaks in one voice"),
])
def test_a_correction_that_cannot_apply_is_refused_with_a_sentence(names, speakers_table, rows,
                                                                   said):
    with pytest.raises(InputError, match=said):
        speaker_edits(_labelled(), names, speakers_table, rows)


def test_typing_a_speaker_into_a_one_voice_run_stops_before_anything_runs(tmp_path):
    install_fakes()
    try:
        handlers = UiHandlers(make_pipeline(tmp_path / "data"))
        from tests.pipeline.test_runner import write_speechlike_wav

        speech = write_speechlike_wav(tmp_path / "speech.wav")
        first = last(handlers.translate(str(speech), request=request(),
                                        **{**DIALOGUE, "voice_vendor": "fake_voice",
                                           "speakers": "1"}))
        assert first["speakers_note"] == ONE_VOICE
        table = [list(row) for row in first["translation"]]
        table[0][2] = "Ana"
        with pytest.raises(gr.Error, match="speaks in one voice"):
            list(handlers.resynthesize(table, "fake_voice", "wav", first["session"],
                                       request=request()))
    finally:
        fakes.INSTANCES.clear()


def test_another_voice_typed_for_a_speaker_speaks_them_with_it_and_no_one_else(dialogue):
    fakes.INSTANCES["voice"] = voice = fakes.FakeVoice()
    first = dialogue.first
    table = [list(row) for row in first["translation"]]
    names = [list(row) for row in first["speakers"].value["data"]]
    names[1][4] = "fake_voice"
    again = last(dialogue.handlers.resynthesize(table, "espeak", "wav", first["session"],
                                                speakers_table=names, request=request()))
    assert again["report"]["status"] == "succeeded"
    assert again["reuse"].startswith("Speakers corrected: Speaker 2 speaks with fake_voice. "
                                     "Reused initialization, speech_to_text;")
    rows = again["speakers"].value["data"]
    assert [(row[0], row[4]) for row in rows] == [("Speaker 1", "espeak"),
                                                 ("Speaker 2", "fake_voice")]
    assert dict(again["session"].request.options.speaker_voices) == {"Speaker 2": "fake_voice"}
    assert len(voice.cloned) == 1, "only Speaker 2 is cloned by the vendor typed for them"
    assert sorted(text for text, _ in voice.spoken) == sorted(
        row[-1] for row in table if row[2] == "Speaker 2"), "and only their lines go to it"
    assert len(voice.released) == 1


def test_a_voice_cell_left_as_shown_changes_nothing_and_follows_a_rename():
    shown = ("espeak", "espeak")
    same = speaker_edits(_labelled(), NAMES, [["Speaker 1", "", "", "", "espeak"],
                                              ["Speaker 2", "", "", "", "espeak"]], ROWS, shown)
    assert same.voices == {} and same.sentence == ""
    edits = speaker_edits(_labelled(), NAMES, [["Ana", "", "", "", "openai:onyx"],
                                               ["Speaker 2", "", "", "", "espeak"]], ROWS, shown)
    assert edits.voices == {"Ana": "openai:onyx"}
    assert edits.speaker_voices({"Speaker 1": "fish", "Speaker 2": "elevenlabs"}) == {
        "Ana": "openai:onyx", "Speaker 2": "elevenlabs"}
