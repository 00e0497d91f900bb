"""The five steps over fake vendors: statuses, skips, retries, cancel, cleanup, cost."""

from __future__ import annotations

import threading
import wave
from pathlib import Path

import numpy as np
import pytest

from pipeline import audio
from pipeline.errors import (
    InputError,
    MissingKeyError,
    VendorAuthError,
    VendorRateLimitError,
    VendorServerError,
)
from pipeline.retry import RetryPolicy
from pipeline.runner import Pipeline
from pipeline.settings import Settings
from pipeline.types import STEP_ORDER, StepName, StepStatus, TaskRequest, TaskStatus
from tests import fakes
from vendors.registry import default_registry


def write_speechlike_wav(path: Path, duration_s: float = 6.0, rate_hz: int = 16000) -> Path:
    """Voiced bursts (harmonics, amplitude-modulated) separated by short pauses."""
    t = np.arange(int(duration_s * rate_hz)) / rate_hz
    voice = sum(np.sin(2 * np.pi * 140 * k * t) / k for k in range(1, 6))
    syllables = 0.5 * (1 + np.sin(2 * np.pi * 4 * t))
    pauses = (np.floor(t / 1.5) % 2 == 0) | (t % 1.5 > 0.4)
    samples = 0.25 * voice * syllables * pauses
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate_hz)
        out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return path


@pytest.fixture
def vendors():
    stt, llm, voice = fakes.FakeTranscriber(), fakes.FakeTranslator(), fakes.FakeVoice()
    fakes.INSTANCES.update(stt=stt, llm=llm, voice=voice)
    yield stt, llm, voice
    fakes.INSTANCES.clear()


@pytest.fixture
def pipeline(tmp_path):
    settings = Settings.from_env({"APP_DATA_DIR": str(tmp_path / "data"), "FAKE_LLM_KEY": "k"})
    waits: list[float] = []
    runner = Pipeline(default_registry(fakes.FAKE_VENDORS), settings,
                      retry=RetryPolicy(sleep=waits.append))
    runner.waits = waits
    return runner


@pytest.fixture
def speech(tmp_path) -> Path:
    return write_speechlike_wav(tmp_path / "speech.wav")


def _request(path: Path, **changes) -> TaskRequest:
    values = dict(input_path=path, target_language="es", stt="fake_stt", llm="fake_llm",
                  voice_vendor="fake_voice")
    values.update(changes)
    return TaskRequest(**values)


def _statuses(result) -> dict[str, str]:
    return {s.name.value: s.status.value for s in result.steps}


def test_all_five_steps_succeed_in_order_and_produce_an_mp3(pipeline, vendors, speech):
    events = []
    result = pipeline.run(_request(speech), on_progress=events.append)
    assert result.status is TaskStatus.SUCCEEDED, result.error
    assert [s.name for s in result.steps] == list(STEP_ORDER)
    assert all(s.status is StepStatus.SUCCEEDED for s in result.steps)
    assert all(s.duration_s is not None and s.duration_s >= 0 for s in result.steps)
    assert [s.text for s in result.translation.segments] == ["[es] Hello there.", "[es] Goodbye."]
    assert result.output_path.suffix == ".mp3"
    assert audio.probe(result.output_path).duration_s > 1.0
    fractions = [e.fraction for e in events]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert [e.step for e in events][0] is StepName.INITIALIZATION
    assert {e.step for e in events} == set(STEP_ORDER)


def test_the_result_says_which_vendors_ran_and_what_they_cost(pipeline, vendors, speech):
    result = pipeline.run(_request(speech))
    assert [c.vendor for c in result.choices] == ["fake_stt", "fake_llm", "fake_voice"]
    assert all(c.reason for c in result.choices)
    actual = {line.vendor: line.usd for line in result.actual_cost.lines}
    assert set(actual) == {"fake_stt", "fake_llm", "fake_voice"}
    assert actual["fake_llm"] == pytest.approx(100 / 1e6)
    assert result.cost.total_usd > 0


def test_same_language_skips_translation_with_the_reason(pipeline, vendors, speech):
    result = pipeline.run(_request(speech, target_language="en"))
    assert result.status is TaskStatus.SUCCEEDED
    step = result.steps[2]
    assert step.status is StepStatus.SKIPPED
    assert "same language" in step.detail and "English" in step.detail
    assert vendors[1].calls == []
    assert [t for t, _ in vendors[2].spoken] == ["Hello there.", "Goodbye."]


def test_a_rate_limit_is_retried_once_then_succeeds(pipeline, vendors, speech):
    vendors[0].errors.append(VendorRateLimitError("fake_stt", "busy", retry_after_s=0.5))
    result = pipeline.run(_request(speech))
    assert result.status is TaskStatus.SUCCEEDED
    assert len(vendors[0].calls) == 2
    assert pipeline.waits == [0.5]


def test_an_auth_error_fails_its_step_at_once_and_later_steps_stay_pending(pipeline, vendors, speech):
    vendors[0].errors.append(VendorAuthError("fake_stt", "the key was rejected; check FAKE_KEY."))
    result = pipeline.run(_request(speech))
    assert result.status is TaskStatus.FAILED
    assert _statuses(result) == {"initialization": "succeeded", "speech_to_text": "failed",
                                 "translation": "pending", "voice_clone": "pending",
                                 "text_to_speech": "pending"}
    assert "FAKE_KEY" in result.steps[1].error
    assert len(vendors[0].calls) == 1
    assert isinstance(result.failure, VendorAuthError)


def test_a_speech_failure_after_cloning_still_releases_the_voice(pipeline, vendors, speech):
    vendors[2].errors.extend(VendorServerError("fake_voice", "down") for _ in range(5))
    result = pipeline.run(_request(speech))
    assert result.status is TaskStatus.FAILED
    assert result.steps[4].status is StepStatus.FAILED
    assert len(vendors[2].released) == 1


def test_cancel_stops_before_the_next_step(pipeline, vendors, speech):
    cancel = threading.Event()

    def on_progress(event):
        if event.step is StepName.TRANSLATION:
            cancel.set()

    result = pipeline.run(_request(speech), on_progress=on_progress, cancel=cancel)
    assert result.status is TaskStatus.CANCELED
    assert _statuses(result)["voice_clone"] == "pending"
    assert vendors[2].spoken == []


def test_text_renamed_mp3_fails_initialization_cleanly(pipeline, vendors, tmp_path):
    fake = tmp_path / "notes.mp3"
    fake.write_text("this is not audio at all\n" * 20)
    result = pipeline.run(_request(fake))
    assert result.status is TaskStatus.FAILED
    assert result.steps[0].status is StepStatus.FAILED
    assert isinstance(result.failure, InputError)
    assert vendors[0].calls == []


def test_a_missing_key_fails_before_any_audio_work(tmp_path, vendors, speech):
    settings = Settings.from_env({"APP_DATA_DIR": str(tmp_path / "d")})
    result = Pipeline(default_registry(fakes.FAKE_VENDORS), settings).run(_request(speech))
    assert isinstance(result.failure, MissingKeyError)
    assert "FAKE_LLM_KEY" in result.error
    assert vendors[0].calls == []


def test_a_translator_that_drops_a_segment_fails_clearly(pipeline, vendors, speech):
    vendors[1].drop_one = True
    result = pipeline.run(_request(speech))
    assert result.status is TaskStatus.FAILED
    assert "returned 1 segments for 2" in result.error


def test_the_reference_transcript_is_the_speech_inside_the_reference_window(pipeline, vendors, speech):
    pipeline.run(_request(speech))
    reference, said = vendors[2].cloned[0]
    assert reference.source == "input"
    assert reference.duration_s <= 30
    assert "Hello there." in said


def test_a_separate_clone_clip_is_used_for_the_voice(pipeline, vendors, speech, tmp_path):
    clip = write_speechlike_wav(tmp_path / "clip.wav", duration_s=4.0)
    result = pipeline.run(_request(speech, clone_path=clip))
    assert result.status is TaskStatus.SUCCEEDED
    assert vendors[2].cloned[0][0].source == "clone_clip"
    assert result.reference.source == "clone_clip"


def test_wav_output_is_offered(pipeline, vendors, speech):
    result = pipeline.run(_request(speech, output_format="wav"))
    assert result.output_path.suffix == ".wav"
    with wave.open(str(result.output_path)) as out:
        assert out.getnframes() > 0


def test_an_edited_translation_reruns_only_the_voice_steps(pipeline, vendors, speech):
    from dataclasses import replace

    from pipeline.types import Segment

    first = pipeline.run(_request(speech))
    edited = replace(first.translation, segments=(
        Segment(0.0, 2.0, "Hola, ¿qué tal?"), first.translation.segments[1]))
    checkpoint = replace(first.checkpoint, translation=edited)
    calls_before = (len(vendors[0].calls), len(vendors[1].calls))
    second = pipeline.run(_request(speech), checkpoint=checkpoint)
    assert second.status is TaskStatus.SUCCEEDED
    assert [s.reused for s in second.steps] == [True, True, True, False, False]
    assert (len(vendors[0].calls), len(vendors[1].calls)) == calls_before
    assert vendors[2].spoken[-2][0] == "Hola, ¿qué tal?"


def test_a_checkpoint_is_reported_after_every_finished_step(pipeline, vendors, speech):
    seen = []
    pipeline.run(_request(speech), on_checkpoint=lambda cp, steps: seen.append(
        (cp, [s.status.value for s in steps])))
    assert len(seen) == 5
    assert seen[0][0].decoded is not None and seen[0][0].transcript is None
    assert seen[1][0].transcript is not None
    assert seen[-1][1] == ["succeeded"] * 5


def test_a_changed_target_language_translates_again(pipeline, vendors, speech):
    first = pipeline.run(_request(speech))
    second = pipeline.run(_request(speech, target_language="fr"), checkpoint=first.checkpoint)
    assert second.steps[2].reused is False
    assert second.translation.target_language == "fr"


def test_speech_already_in_the_target_language_is_not_translated_even_if_unlabelled(
        pipeline, vendors, speech):
    vendors[0].language = ""
    from pipeline.types import Segment
    vendors[0].segments = (Segment(0.0, 3.0, "And so my fellow Americans, ask not what your "
                                             "country can do for you."),)
    result = pipeline.run(_request(speech, target_language="en"))
    assert result.steps[2].status is StepStatus.SKIPPED
    assert vendors[1].calls == []
