"""Editing a run's texts and re-running only the voice steps."""

from __future__ import annotations

from dataclasses import replace

import pytest

from pipeline.editing import edit_checkpoint, reusable_checkpoint, reuse_summary, spoken_segments
from pipeline.errors import InputError
from pipeline.options import TaskRequest
from pipeline.results import Checkpoint
from pipeline.types import Segment, StepName, StepStatus, TaskStatus, Transcript, Translation
from tests.pipeline.fake_pipeline import fake_request

ORIGINAL = (Segment(0.0, 2.0, "Hello there."), Segment(2.5, 4.0, "Goodbye."))



def _checkpoint(translated: bool = True) -> Checkpoint:
    transcript = Transcript("Hello there. Goodbye.", "en", ORIGINAL, "fake_stt", "fake-1")
    spoken = tuple(Segment(s.start_s, s.end_s, f"[es] {s.text}") for s in ORIGINAL)
    translation = (Translation(spoken, "en", "es", "fake_llm", "fake-llm-1") if translated
                   else None)
    return Checkpoint(transcript=transcript, source_language="en", translation=translation)


def test_edited_texts_replace_the_translation_and_keep_the_times():
    edited = edit_checkpoint(_checkpoint(), ["Hola a todos.", "  Adiós,\n amigos. "])
    texts = [s.text for s in edited.translation.segments]
    assert texts == ["Hola a todos.", "Adiós, amigos."]
    assert [(s.start_s, s.end_s) for s in edited.translation.segments] == [(0.0, 2.0), (2.5, 4.0)]
    assert edited.transcript == _checkpoint().transcript


def test_when_translation_was_skipped_the_transcript_that_gets_spoken_is_edited():
    edited = edit_checkpoint(_checkpoint(translated=False), ["Hello, everyone.", "Bye."])
    assert edited.translation is None
    assert [s.text for s in spoken_segments(edited)] == ["Hello, everyone.", "Bye."]
    assert edited.transcript.text == "Hello, everyone. Bye."


@pytest.mark.parametrize("texts,message", [
    (["only one"], "keep one row per segment"),
    (["", "  "], "nothing to speak"),
])
def test_edits_that_cannot_be_spoken_are_refused_with_a_reason(texts, message):
    with pytest.raises(InputError, match=message):
        edit_checkpoint(_checkpoint(), texts)


def test_there_is_nothing_to_edit_before_a_transcript_exists():
    with pytest.raises(InputError, match="run a translation first"):
        edit_checkpoint(Checkpoint(), ["x"])


def test_resynthesising_an_edit_reruns_only_voice_clone_and_text_to_speech(runner, fake,
                                                                           speech):
    stt, llm, voice = fake
    first = runner.run(fake_request(speech))
    assert first.status is TaskStatus.SUCCEEDED
    edited = edit_checkpoint(first.checkpoint, ["Hola.", "Adiós, amigos."])
    again = runner.run(fake_request(speech), checkpoint=edited)
    assert again.status is TaskStatus.SUCCEEDED
    summary = reuse_summary(again)
    assert summary.reused == (StepName.INITIALIZATION, StepName.SPEECH_TO_TEXT,
                              StepName.TRANSLATION)
    assert summary.ran == (StepName.VOICE_CLONE, StepName.TEXT_TO_SPEECH)
    assert summary.sentence == ("Reused initialization, speech_to_text, translation; ran again "
                                "voice_clone, text_to_speech.")
    assert len(stt.calls) == 1 and len(llm.calls) == 1
    assert ("Adiós, amigos.", "es") in voice.spoken


def test_a_fresh_run_reuses_nothing(runner, fake, speech):
    result = runner.run(fake_request(speech))
    summary = reuse_summary(result)
    assert summary.reused == () and len(summary.ran) == 5
    assert all(s.status is StepStatus.SUCCEEDED for s in result.steps)


def _changed(request: TaskRequest, **options) -> TaskRequest:
    return replace(request, options=replace(request.options, **options))


def test_only_a_new_voice_vendor_reuses_everything_up_to_the_translation(tmp_path):
    earlier = _checkpoint()
    first = TaskRequest.of(tmp_path / "a.wav", target_language="es", llm_model="fake_llm",
                           voice_vendor="fish")
    assert reusable_checkpoint(first, earlier, _changed(first, voice_vendor="espeak",
                                                        output_format="wav")) == earlier


def test_a_new_target_or_llm_keeps_the_transcript_but_translates_again(tmp_path):
    earlier = _checkpoint()
    first = TaskRequest.of(tmp_path / "a.wav", target_language="es", llm_model="fake_llm")
    for changed in (_changed(first, target_language="ja"), _changed(first, llm_model="other")):
        reused = reusable_checkpoint(first, earlier, changed)
        assert reused.transcript == earlier.transcript and reused.translation is None


def test_another_input_or_transcription_model_reuses_nothing(tmp_path):
    first = TaskRequest.of(tmp_path / "a.wav", target_language="es")
    for changed in (replace(first, input_path=tmp_path / "b.wav"),
                    _changed(first, stt_model="sphinx"), _changed(first, source_language="en"),
                    replace(first, clone_path=tmp_path / "c.wav")):
        assert reusable_checkpoint(first, _checkpoint(), changed) is None
    assert reusable_checkpoint(first, None, first) is None
