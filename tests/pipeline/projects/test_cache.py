"""The per-line cache: a render speaks again only the lines whose key changed."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from pipeline.editing import edit_checkpoint, spoken_segments
from pipeline.projects.cache import CachingCloner, LineCache, last_render
from pipeline.types import Segment, StepName, TaskStatus, Voice, VoiceReference
from tests.fakes import tone_wav_bytes
from tests.pipeline.fake_pipeline import fake_request
from tests.pipeline.test_runner import write_speechlike_wav

LINES = tuple(Segment(2.0 * i, 2.0 * i + 1.6, f"Line number {i} is here.") for i in range(20))


@pytest.fixture
def speech(tmp_path) -> Path:
    """Forty-one seconds of speech-like audio (room for twenty lines)."""
    return write_speechlike_wav(tmp_path / "speech.wav", duration_s=41.0)


def _samples(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path)) as clip:
        rate = clip.getframerate()
        return np.frombuffer(clip.readframes(clip.getnframes()), "<i2"), rate


def _speech_cost(result) -> float:
    return sum(c.usd for c in result.actual_cost.lines if c.step is StepName.TEXT_TO_SPEECH)


def test_editing_one_line_of_twenty_respeaks_only_that_line(runner, fake, speech):
    stt, _llm, voice = fake
    stt.segments = LINES
    request = fake_request(speech, output_format="wav", timing="keep")
    first = runner.run(request, task_id="project1")
    assert first.status is TaskStatus.SUCCEEDED, first.error
    assert len(voice.spoken) == 20 and len(voice.cloned) == 1
    before, rate = _samples(first.output_path)
    before = before.copy()

    texts = [s.text for s in spoken_segments(first.checkpoint)]
    texts[7] = "Una frase nueva, bastante más larga que antes."
    again = runner.run(request, task_id="project1",
                       checkpoint=edit_checkpoint(first.checkpoint, texts))

    assert again.status is TaskStatus.SUCCEEDED, again.error
    assert voice.spoken[20:] == [("Una frase nueva, bastante más larga que antes.", "es")]
    assert len(voice.cloned) == 2  # the fake stores and releases its voices: cloned again
    after, _ = _samples(again.output_path)
    slot = next(t for t in again.timing.segments if t.index == 7)
    start = int(slot.start_s * rate)
    end = int((slot.placed_start_s + slot.dubbed_s) * rate) + 1
    assert len(after) == len(before)
    assert np.array_equal(after[:start], before[:start])
    assert np.array_equal(after[end:], before[end:])
    assert not np.array_equal(after[start:end], before[start:end])
    assert _speech_cost(again) == pytest.approx(10.0 / 1e6 * len("Una frase nueva, bastante más larga que antes."))
    summary = last_render(runner.settings.data_dir / "tasks" / "project1" / "lines")
    assert (summary.respoken, summary.reused, summary.respoken_lines) == (1, 19, (8,))
    assert summary.sentence.startswith("1 line re-spoken, 19 reused, $0.000")


def test_a_render_with_nothing_changed_speaks_nothing_and_costs_nothing(runner, fake, speech):
    stt, _llm, voice = fake
    stt.segments = LINES[:3]
    request = fake_request(speech, output_format="wav")
    first = runner.run(request, task_id="project2")
    again = runner.run(request, task_id="project2", checkpoint=first.checkpoint)
    assert len(voice.spoken) == 3
    assert _speech_cost(again) == 0
    assert again.output_path.read_bytes() == first.output_path.read_bytes()
    speech_step = next(s for s in again.steps if s.name is StepName.TEXT_TO_SPEECH)
    assert "0 lines re-spoken, 3 reused" in speech_step.detail


def test_a_new_task_folder_starts_with_an_empty_cache(runner, fake, speech):
    _stt, _llm, voice = fake
    runner.run(fake_request(speech), task_id="one")
    runner.run(fake_request(speech), task_id="two")
    assert len(voice.spoken) == 4 and len(voice.cloned) == 2


class _KeepingCloner:
    """A cloner whose voices need no release (zero-shot engines)."""

    def __init__(self) -> None:
        self.calls = 0

    def clone(self, reference, transcript):
        self.calls += 1
        return Voice("keeper", reference_path=reference.path, reference_text=transcript)


def test_a_voice_is_cloned_again_only_when_its_reference_changed(tmp_path):
    clip = tmp_path / "ref.wav"
    clip.write_bytes(tone_wav_bytes(1.0))
    reference = VoiceReference(clip, "input", 0.0, 1.0)
    inner, cache = _KeepingCloner(), LineCache(tmp_path / "lines")
    first = CachingCloner(inner, cache, "keeper", "m1").clone(reference, "hello")
    again = CachingCloner(inner, cache, "keeper", "m1")
    assert again.clone(reference, "hello") == first and again.reused and inner.calls == 1
    clip.write_bytes(tone_wav_bytes(1.2))
    CachingCloner(inner, cache, "keeper", "m1").clone(reference, "hello")
    assert inner.calls == 2
    CachingCloner(inner, cache, "keeper", "m2").clone(reference, "hello")
    assert inner.calls == 3
