"""Speakers from a diarizing transcriber: one set of names across the pieces of a long input.

The fake transcriber labels the generated dialogue's lines "A"/"B" per piece, with the
letters swapped in the second piece (as a vendor may: its labels hold per request only).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from pipeline.quality.similarity import available
from pipeline.retry import RetryPolicy
from pipeline.runner import Pipeline
from pipeline.settings import Settings
from pipeline.types import DecodedAudio, Role, Segment, StepName, Transcript, Usage
from tests import fakes
from tests.pipeline.fake_pipeline import fake_request
from tests.pipeline.speakers.dialogue import write_dialogue
from vendors.registry import default_registry

pytestmark = pytest.mark.skipif(not available(), reason="resemblyzer is not installed")

MODEL = "fake-diarize-1"


@dataclass
class DiarizingTranscriber:
    """Labels each piece's lines like a diarizing vendor; the second piece swaps A and B."""

    truth: list[tuple[float, float, str, str]]
    total_s: float
    relabel: dict[tuple[int, str], str] = field(default_factory=dict)
    pieces: list[tuple[int, float, float]] = field(default_factory=list)

    def transcribe(self, audio: DecodedAudio, language: str | None = None) -> Transcript:
        index = int(audio.path.stem.rsplit("_", 1)[-1]) if audio.path.parent.name == "chunks" else 0
        offset_s = 0.0 if index == 0 else self.total_s - audio.duration_s
        self.pieces.append((index, offset_s, audio.duration_s))
        segments = []
        for start_s, end_s, who, text in self.truth:
            if offset_s <= (start_s + end_s) / 2 < offset_s + audio.duration_s:
                label = who if index == 0 else {"A": "B", "B": "A"}[who]
                label = self.relabel.get((index, text[:10]), label)
                segments.append(Segment(round(start_s - offset_s, 2), round(end_s - offset_s, 2),
                                        text, label))
        return Transcript(" ".join(s.text for s in segments), "en", tuple(segments),
                          "fake_diarizer", MODEL, Usage(audio_s=audio.duration_s))


@pytest.fixture(scope="module")
def dialogue(tmp_path_factory) -> tuple[Path, list[tuple[float, float, str, str]]]:
    return write_dialogue(tmp_path_factory.mktemp("dialogue") / "dialogue.wav")


@pytest.fixture
def diarizer(dialogue):
    wav, truth = dialogue
    total_s = truth[-1][1] + 0.6
    stt = DiarizingTranscriber(truth, total_s)
    fakes.INSTANCES.update(stt=stt, llm=fakes.FakeTranslator(), voice=fakes.FakeVoice())
    yield stt
    fakes.INSTANCES.clear()


def pipeline_for(tmp_path: Path, dialogue) -> Pipeline:
    """A pipeline whose transcriber takes the dialogue in two pieces, cut after its third
    line (so the second piece starts with the other speaker)."""
    _, truth = dialogue
    pauses = [(a[1] + b[0]) / 2 for a, b in zip(truth, truth[1:], strict=False)]
    info = replace(fakes.FAKE_STT, id="fake_diarizer", models={Role.TRANSCRIBE: (MODEL,)},
                   max_audio_s=round((pauses[2] + pauses[3]) / 2, 2))
    settings = Settings.from_env({"APP_DATA_DIR": str(tmp_path / "data"), "FAKE_LLM_KEY": "k"})
    return Pipeline(default_registry((info, fakes.FAKE_LLM, fakes.FAKE_VOICE)), settings,
                    retry=RetryPolicy(sleep=lambda _s: None))


def run(tmp_path, dialogue, speakers: str):
    wav, _ = dialogue
    result = pipeline_for(tmp_path, dialogue).run(fake_request(
        wav, stt_model=f"fake_diarizer/{MODEL}", speakers=speakers, timing="keep"))
    assert result.status.value == "succeeded", result.error
    return result


@pytest.fixture
def no_offline_diarization(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("lines the vendor labelled were diarized offline")
    monkeypatch.setattr("pipeline.speakers.run.diarize", refuse)


def test_swapped_letters_over_two_pieces_still_give_two_consistent_speakers(
        tmp_path, dialogue, diarizer, no_offline_diarization):
    result = run(tmp_path, dialogue, "auto")

    _, truth = dialogue
    assert sorted(i for i, _, _ in diarizer.pieces) == [0, 1]
    second = next(offset_s for i, offset_s, _ in diarizer.pieces if i == 1)
    assert truth[2][1] < second < truth[3][0]  # the second piece starts with speaker B
    said = {s.text: s.speaker for s in result.transcript.segments}
    names = {who: {said[text] for _, _, w, text in truth if w == who} for who in ("A", "B")}
    assert names == {"A": {"Speaker 1"}, "B": {"Speaker 2"}}
    stt = next(s for s in result.steps if s.name is StepName.SPEECH_TO_TEXT)
    assert stt.detail.endswith(f", 2 speakers from {MODEL}")
    voice = fakes.INSTANCES["voice"]
    assert len(voice.cloned) == 2
    assert {s.name for s in result.speakers} == {"Speaker 1", "Speaker 2"}


def test_one_speaker_drops_the_vendors_labels_and_keeps_one_voice(tmp_path, dialogue, diarizer,
                                                                   no_offline_diarization):
    result = run(tmp_path, dialogue, "1")

    assert {s.speaker for s in result.transcript.segments} == {None}
    assert len(fakes.INSTANCES["voice"].cloned) == 1
    stt = next(s for s in result.steps if s.name is StepName.SPEECH_TO_TEXT)
    assert "speakers from" not in stt.detail


def test_a_third_label_for_a_known_voice_is_merged_into_it_when_two_speakers_are_asked(
        tmp_path, dialogue, diarizer, no_offline_diarization):
    _, truth = dialogue
    third = truth[2][3]  # speaker A's second line, labelled "C" by the vendor
    diarizer.relabel[(0, third[:10])] = "C"
    result = run(tmp_path, dialogue, "2")

    said = {s.text: s.speaker for s in result.transcript.segments}
    assert said[third] == said[truth[0][3]] == "Speaker 1"
    assert {s.speaker for s in result.transcript.segments} == {"Speaker 1", "Speaker 2"}
