"""A two-speaker dialogue where one speaker has a voice vendor (or a preset) of their own.

The dialogue is generated offline and diarized with ``speakers=2``; the run's voice
vendor is the fake cloner, and the other speaker goes to ElevenLabs on loopback (its
request log says which lines it spoke and which voices it stored and deleted) or to a
fake vendor of preset voices.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from pipeline.quality.similarity import available
from pipeline.retry import RetryPolicy
from pipeline.runner import Pipeline
from pipeline.settings import Settings
from pipeline.types import Segment, StepName, TaskStatus
from tests import fakes
from tests.e2e.fake_vendor_server import loopback_only
from tests.e2e.speaker_fakes import ELEVENLABS_KEY, FakeElevenLabs
from tests.pipeline.fake_pipeline import fake_request
from tests.pipeline.speakers.dialogue import write_dialogue
from vendors.registry import default_registry

pytestmark = pytest.mark.skipif(not available(), reason="resemblyzer is not installed")


@pytest.fixture(scope="module", autouse=True)
def no_network_beyond_loopback():
    with loopback_only():
        yield


@pytest.fixture(scope="module")
def dialogue(tmp_path_factory) -> tuple[Path, list[tuple[float, float, str, str]]]:
    return write_dialogue(tmp_path_factory.mktemp("dialogue") / "dialogue.wav")


@pytest.fixture
def vendors():
    """The fake cloner (the run's vendor) and the fake preset-voice vendor."""
    voice, preset = fakes.FakeVoice(), fakes.FakePresetVoice()
    yield voice, preset
    fakes.INSTANCES.clear()


def dub(tmp_path: Path, dialogue, vendors, speaker_voices, speakers="2", **environ: str):
    wav, truth = dialogue
    stt = fakes.FakeTranscriber(segments=[Segment(round(a, 2), round(b, 2), text)
                                          for a, b, _, text in truth])
    voice, preset = vendors
    fakes.INSTANCES.update(stt=stt, llm=fakes.FakeTranslator(), voice=voice, preset=preset)
    settings = Settings.from_env({"APP_DATA_DIR": str(tmp_path / "data"), "FAKE_LLM_KEY": "k",
                                  **environ})
    pipeline = Pipeline(default_registry((*fakes.FAKE_VENDORS, fakes.FAKE_PRESET)), settings,
                        retry=RetryPolicy(sleep=lambda _s: None))
    return pipeline.run(fake_request(wav, speakers=speakers, speaker_voices=speaker_voices))


def lines_by_speaker(result) -> dict[str | None, list[str]]:
    said = defaultdict(list)
    for line in result.translation.segments:
        said[line.speaker].append(line.text)
    return dict(said)


def voice_costs(result) -> dict[str, float]:
    return {c.vendor: c.usd for c in result.actual_cost.lines if c.step is StepName.TEXT_TO_SPEECH}


def test_speaker_two_is_cloned_and_spoken_by_their_own_vendor_and_speaker_one_by_the_runs(
        tmp_path, dialogue, vendors):
    voice, _ = vendors
    with FakeElevenLabs() as elevenlabs:
        result = dub(tmp_path, dialogue, vendors, {"Speaker 2": "elevenlabs"},
                     ELEVENLABS_API_KEY=ELEVENLABS_KEY, ELEVENLABS_BASE_URL=elevenlabs.url)
    assert result.status is TaskStatus.SUCCEEDED, result.error
    said = lines_by_speaker(result)
    assert [s.speaker for s in result.translation.segments] == ["Speaker 1", "Speaker 2"] * 3
    assert sorted(text for text, _ in voice.spoken) == sorted(said["Speaker 1"])
    assert sorted(text for _, text in elevenlabs.spoken) == sorted(said["Speaker 2"])
    assert len(voice.cloned) == 1 and len(elevenlabs.clips) == 1  # each cloned once
    assert len(voice.released) == 1 and elevenlabs.deleted == list(elevenlabs.clips)
    costs = voice_costs(result)
    assert list(costs) == ["fake_voice", "elevenlabs"] and all(usd > 0 for usd in costs.values())
    assert {s.name: s.vendor for s in result.speakers} == {"Speaker 1": "fake_voice",
                                                           "Speaker 2": "elevenlabs"}
    clone = next(s for s in result.steps if s.name is StepName.VOICE_CLONE)
    assert "Speaker 2: elevenlabs/" in clone.detail


def test_every_voice_is_deleted_when_the_own_vendor_fails_while_speaking(
        tmp_path, dialogue, vendors):
    voice, _ = vendors
    with FakeElevenLabs(refuse_speech=True) as elevenlabs:
        result = dub(tmp_path, dialogue, vendors, {"Speaker 2": "elevenlabs"},
                     ELEVENLABS_API_KEY=ELEVENLABS_KEY, ELEVENLABS_BASE_URL=elevenlabs.url)
    assert result.status is TaskStatus.FAILED
    assert len(elevenlabs.clips) == 1 and elevenlabs.deleted == list(elevenlabs.clips)
    assert len(voice.released) == len(voice.cloned) == 1


def test_a_preset_voice_speaks_its_speaker_without_cloning_and_an_unknown_name_is_a_warning(
        tmp_path, dialogue, vendors):
    voice, preset = vendors
    result = dub(tmp_path, dialogue, vendors,
                 {"Speaker 1": "fake_preset:deep", "Ana": "fake_preset:bright"})
    assert result.status is TaskStatus.SUCCEEDED, result.error
    said = lines_by_speaker(result)
    assert preset.cloned == [] and set(preset.voices) == {"deep"}
    assert sorted(text for text, _ in preset.spoken) == sorted(said["Speaker 1"])
    assert sorted(text for text, _ in voice.spoken) == sorted(said["Speaker 2"])
    assert len(voice.cloned) == 1
    listed = {s.name: (s.vendor, s.voice) for s in result.speakers}
    assert listed == {"Speaker 1": ("fake_preset", "deep"), "Speaker 2": ("fake_voice", None)}
    assert list(voice_costs(result)) == ["fake_voice", "fake_preset"]
    assert any("No speaker named Ana" in w for w in result.warnings), result.warnings


def test_overrides_with_one_voice_for_everyone_are_a_warning_and_the_runs_vendor_speaks(
        tmp_path, dialogue, vendors):
    voice, preset = vendors
    result = dub(tmp_path, dialogue, vendors, {"Speaker 2": "fake_preset:deep"}, speakers="1")
    assert result.status is TaskStatus.SUCCEEDED, result.error
    assert preset.spoken == [] and len(voice.spoken) == 6
    assert any("two or more speakers" in w for w in result.warnings), result.warnings
