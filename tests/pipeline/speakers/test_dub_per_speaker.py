"""A two-speaker dialogue dubbed offline with espeak: each line in its own speaker's pitch."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.quality.similarity import available
from pipeline.types import Segment, StepName, StepStatus
from tests.pipeline.fake_pipeline import fake_request
from tests.pipeline.speakers.dialogue import median_pitch_hz, write_dialogue

pytestmark = pytest.mark.skipif(not available(), reason="resemblyzer is not installed")
pytest.importorskip("parselmouth")


@pytest.fixture
def dialogue(tmp_path, fake):
    wav, truth = write_dialogue(tmp_path / "dialogue.wav")
    fake[0].segments = [Segment(round(a, 2), round(b, 2), text) for a, b, _, text in truth]
    return wav, truth


def test_each_line_of_a_dialogue_is_dubbed_within_a_tenth_of_its_own_speakers_pitch(
        runner, dialogue):
    wav, truth = dialogue
    result = runner.run(fake_request(wav, voice_vendor="espeak", timing="keep", speakers="auto",
                                     output_format="wav"))
    assert result.status.value == "succeeded", result.error
    lines = result.translation.segments
    assert [s.speaker for s in lines] == ["Speaker 1", "Speaker 2"] * 3
    own = {who: np.median([median_pitch_hz(wav, a, b) for a, b, w, _ in truth if w == who])
           for who in ("A", "B")}
    assert own["B"] > 1.5 * own["A"]
    for line, (_, _, who, _) in zip(lines, truth, strict=True):
        dubbed = median_pitch_hz(result.output_path, line.start_s, line.end_s)
        assert abs(dubbed - own[who]) <= 0.1 * own[who], (line, dubbed, own[who])
    listed = {s.name: s for s in result.speakers}
    assert set(listed) == {"Speaker 1", "Speaker 2"}
    assert all(s.voice_of == s.name and 5 < s.reference_s <= 30 and s.vendor == "espeak"
               for s in listed.values())
    clone = next(s for s in result.steps if s.name is StepName.VOICE_CLONE)
    assert clone.status is StepStatus.SUCCEEDED and "2 voices for 2 speakers" in clone.detail


def test_one_speaker_asked_for_keeps_one_voice_and_no_labels(runner, dialogue):
    wav, _ = dialogue
    result = runner.run(fake_request(wav, voice_vendor="espeak", speakers="1"))
    assert result.status.value == "succeeded", result.error
    assert {s.speaker for s in result.translation.segments} == {None}


def test_fake_cloning_vendor_clones_once_per_speaker_and_releases_every_voice(runner, dialogue,
                                                                               fake):
    wav, _ = dialogue
    result = runner.run(fake_request(wav, speakers="auto"))
    assert result.status.value == "succeeded", result.error
    voice = fake[2]
    assert len(voice.cloned) == 2
    assert len({v.reference_path for v in voice.released}) == 2
    first, second = (said for _, said in voice.cloned)
    assert "mountains" in first and "Saturday" not in first
    assert "Saturday" in second and "mountains" not in second


def _srt_texts(result, kind: str = "translation") -> list[str]:
    path = next(f.path for f in result.subtitles if f.kind == kind and f.format == "srt")
    return [block.split("\n", 2)[2] for block in path.read_text("utf-8").strip().split("\n\n")]


def test_srt_cues_start_with_the_speakers_name_only_when_subtitle_speakers_is_on(runner,
                                                                                 dialogue):
    wav, _ = dialogue
    named = runner.run(fake_request(wav, speakers="2", subtitle_speakers=True))
    assert named.status.value == "succeeded", named.error
    texts = _srt_texts(named)
    assert texts[0].startswith("Speaker 1: ") and texts[1].startswith("Speaker 2: ")
    assert all(t.startswith(("Speaker 1: ", "Speaker 2: ")) for t in texts)
    assert _srt_texts(named, "transcript")[0].startswith("Speaker 1: ")
    plain = runner.run(fake_request(wav, speakers="2"), checkpoint=named.checkpoint)
    assert not any(t.startswith("Speaker") for t in _srt_texts(plain))
    vtt = next(f.path for f in plain.subtitles if f.format == "vtt" and f.kind == "translation")
    assert "<v Speaker 1>" in vtt.read_text("utf-8")
    text_only = runner.run(fake_request(wav, speakers="2", subtitle_speakers=True,
                                        text_only=True), checkpoint=named.checkpoint)
    assert _srt_texts(text_only)[0].startswith("Speaker 1: ")
