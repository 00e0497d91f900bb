"""Two speakers, two voices, through every cloning vendor (fakes on loopback).

One generated dialogue (two espeak voices far apart; its last two lines are the same words
said by each speaker) is diarized offline with ``speakers=auto``, then dubbed by the real
ElevenLabs, Fish, IndexTTS2 and Chatterbox adapters against fakes that keep the reference
each line was sent with. Every line must go with its own speaker's reference (checked by
the clip's hash, and the references by their pitch), and the per-line cache must not
serve one speaker's take for the other's identical words.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.quality.similarity import available
from pipeline.retry import RetryPolicy
from pipeline.runner import Pipeline
from pipeline.settings import Settings
from pipeline.types import Segment, StepName, StepStatus, TaskStatus
from tests import fakes
from tests.e2e.fake_vendor_server import (
    TTS,
    FakeVendorServer,
    launch_index_tts2_webui,
    loopback_only,
)
from tests.e2e.speaker_fakes import ELEVENLABS_KEY, FakeElevenLabs, digest, launch_chatterbox_app
from tests.pipeline.fake_pipeline import fake_request
from tests.pipeline.speakers.dialogue import LINES, write_dialogue
from vendors.registry import default_registry

pytestmark = pytest.mark.skipif(not available(), reason="resemblyzer is not installed")
parselmouth = pytest.importorskip("parselmouth")

SAME_WORDS = "Thank you, see you tomorrow."
DIALOGUE = (*LINES[:4], ("A", SAME_WORDS), ("B", SAME_WORDS))


@pytest.fixture(scope="module", autouse=True)
def no_network_beyond_loopback():
    with loopback_only():
        yield


@pytest.fixture(scope="module")
def dialogue(tmp_path_factory) -> tuple[Path, list[tuple[float, float, str, str]]]:
    return write_dialogue(tmp_path_factory.mktemp("dialogue") / "dialogue.wav", DIALOGUE)


@pytest.fixture(scope="module")
def fish_server(no_network_beyond_loopback):
    with FakeVendorServer() as running:
        yield running


@pytest.fixture
def elevenlabs(no_network_beyond_loopback):
    with FakeElevenLabs() as running:
        yield running


def dub(tmp_path: Path, dialogue, vendor: str, target: str = "es", **environ: str):
    """Dub the dialogue with ``vendor`` (the fake transcriber gives the true lines, unlabelled)."""
    wav, truth = dialogue
    stt = fakes.FakeTranscriber(segments=[Segment(round(a, 2), round(b, 2), text)
                                          for a, b, _, text in truth])
    fakes.INSTANCES.update(stt=stt, llm=fakes.FakeTranslator(), voice=fakes.FakeVoice())
    settings = Settings.from_env({"APP_DATA_DIR": str(tmp_path / "data"), "FAKE_LLM_KEY": "k",
                                  **environ})
    pipeline = Pipeline(default_registry(fakes.FAKE_VENDORS), settings,
                        retry=RetryPolicy(sleep=lambda _s: None))
    try:
        return pipeline.run(fake_request(wav, voice_vendor=vendor, speakers="auto",
                                         target_language=target))
    finally:
        fakes.INSTANCES.clear()


def median_pitch_hz(path: Path) -> float:
    pitch = parselmouth.Sound(str(path)).to_pitch(pitch_floor=60, pitch_ceiling=500)
    f0 = pitch.selected_array["frequency"]
    return float(np.median(f0[f0 > 0]))


def references_by_speaker(result, dialogue) -> dict[str, str]:
    """The true speaker ("A"/"B") -> the hash of the reference their lines should carry.

    Also checks the run found the two true speakers and that A's reference is A's voice
    (the lower one) and B's is B's.
    """
    _, truth = dialogue
    assert result.status is TaskStatus.SUCCEEDED, result.error
    named = {s.text.split("] ", 1)[-1]: s.speaker for s in result.translation.segments}
    names = {who: {named[text] for _, _, w, text in truth if w == who and text != SAME_WORDS}
             for who in ("A", "B")}
    assert all(len(found) == 1 for found in names.values()) and names["A"] != names["B"]
    paths = {s.name: Path(s.reference_path) for s in result.speakers if s.reference_path}
    own = {who: paths[next(iter(names[who]))] for who in ("A", "B")}
    assert median_pitch_hz(own["A"]) * 1.5 < median_pitch_hz(own["B"])
    return {who: digest(path.read_bytes()) for who, path in own.items()}


def assert_each_line_went_with_its_own_reference(result, dialogue,
                                                 sent: list[tuple[str, str]]) -> None:
    """``sent`` holds ``(text, reference hash)`` per speech request the vendor received."""
    expected = references_by_speaker(result, dialogue)
    _, truth = dialogue
    for _, _, who, text in truth:
        got = {ref for said, ref in sent if said.endswith(text)}
        if text == SAME_WORDS:  # once per speaker: the cache keeps their takes apart
            assert got == set(expected.values()), got
        else:
            assert got == {expected[who]}, (text, got)


# --- ElevenLabs: one stored voice per speaker, every one deleted ----------------------


def test_elevenlabs_clones_each_speaker_once_speaks_their_lines_with_it_and_deletes_both(
        tmp_path, dialogue, elevenlabs):
    result = dub(tmp_path, dialogue, "elevenlabs", ELEVENLABS_API_KEY=ELEVENLABS_KEY,
                 ELEVENLABS_BASE_URL=elevenlabs.url)

    assert len(elevenlabs.clips) == 2 and len(set(elevenlabs.clips.values())) == 2
    sent = [(text, elevenlabs.clips[voice_id]) for voice_id, text in elevenlabs.spoken]
    assert_each_line_went_with_its_own_reference(result, dialogue, sent)
    assert sorted(elevenlabs.deleted) == sorted(elevenlabs.clips)


def test_elevenlabs_deletes_the_first_voice_when_the_second_clone_is_refused(
        tmp_path, dialogue, elevenlabs):
    elevenlabs.refuse_clone = 2
    result = dub(tmp_path, dialogue, "elevenlabs", ELEVENLABS_API_KEY=ELEVENLABS_KEY,
                 ELEVENLABS_BASE_URL=elevenlabs.url)

    assert result.status is TaskStatus.FAILED
    clone = next(s for s in result.steps if s.name is StepName.VOICE_CLONE)
    assert clone.status is StepStatus.FAILED and "voice slot" in (clone.error or "")
    assert list(elevenlabs.clips) == ["voice1"] and elevenlabs.deleted == ["voice1"]
    assert elevenlabs.spoken == []


def test_elevenlabs_deletes_every_voice_when_the_task_fails_while_speaking(
        tmp_path, dialogue, elevenlabs):
    elevenlabs.refuse_speech = True
    result = dub(tmp_path, dialogue, "elevenlabs", ELEVENLABS_API_KEY=ELEVENLABS_KEY,
                 ELEVENLABS_BASE_URL=elevenlabs.url)

    assert result.status is TaskStatus.FAILED
    tts = next(s for s in result.steps if s.name is StepName.TEXT_TO_SPEECH)
    assert tts.status is StepStatus.FAILED
    assert len(elevenlabs.clips) == 2
    assert sorted(elevenlabs.deleted) == sorted(elevenlabs.clips)


# --- zero-shot vendors: the reference travels with every line --------------------------


def test_fish_sends_each_line_with_its_own_speakers_reference(tmp_path, dialogue, fish_server):
    fish_server.reset()
    result = dub(tmp_path, dialogue, "fish", **fish_server.environ())

    sent = [(r.payload["text"], digest(r.payload["references"][0]["audio"]))
            for r in fish_server.requests(TTS) if r.status == 200]
    assert_each_line_went_with_its_own_reference(result, dialogue, sent)
    said = {r.payload["references"][0]["text"] for r in fish_server.requests(TTS)}
    assert len(said) == 2 and not any("Saturday" in s and "mountains" in s for s in said)


def test_index_tts2_sends_each_line_with_its_own_speakers_reference(tmp_path, dialogue,
                                                                     tmp_path_factory):
    url, calls, close = launch_index_tts2_webui(tmp_path_factory.mktemp("index_tts2"))
    try:
        result = dub(tmp_path, dialogue, "index_tts2", "zh", INDEXTTS2_URL=url)
    finally:
        close()
    sent = [(text, digest(reference)) for _, reference, text, _, _ in calls]
    assert_each_line_went_with_its_own_reference(result, dialogue, sent)


def test_chatterbox_sends_each_line_with_its_own_speakers_reference(tmp_path, dialogue,
                                                                     tmp_path_factory):
    url, calls, close = launch_chatterbox_app(tmp_path_factory.mktemp("chatterbox"))
    try:
        result = dub(tmp_path, dialogue, "chatterbox", CHATTERBOX_URL=url)
    finally:
        close()
    assert {language for _, language, _ in calls} == {"es"}
    assert_each_line_went_with_its_own_reference(result, dialogue,
                                                  [(text, ref) for text, _, ref in calls])

