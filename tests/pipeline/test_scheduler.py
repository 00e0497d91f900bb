"""The scheduler: steps overlap, the plan decided once is what runs, callbacks stay in order."""

from __future__ import annotations

import subprocess
import threading
import time
from dataclasses import replace

from pipeline.audio.ffmpeg import ffmpeg_path
from pipeline.errors import VendorAuthError
from pipeline.options import TaskRequest
from pipeline.retry import RetryPolicy
from pipeline.runner import Pipeline
from pipeline.settings import Settings
from pipeline.types import Role, Segment, StepStatus, TaskStatus
from tests import fakes
from tests.pipeline.fake_pipeline import fake_request
from vendors.registry import default_registry

SECOND_LLM = replace(fakes.FAKE_LLM, id="fake_llm_b", display_name="Fake LLM B", key_variable=None)


def test_the_plan_made_when_the_task_was_accepted_is_the_one_that_runs(runner, fake, speech):
    accepted = runner.plan(fake_request(speech).options)
    asked_later = fake_request(speech, voice_vendor="auto", llm_model=None)
    result = runner.run(asked_later, plan=accepted)
    assert result.status is TaskStatus.SUCCEEDED, result.error
    assert result.choices == accepted.choices and fake[2].spoken
    assert not any("Planned again" in w for w in result.warnings)


def test_a_key_gone_since_the_task_was_accepted_plans_again_and_says_so(tmp_path, fake, speech):
    environ = {"APP_DATA_DIR": str(tmp_path / "data"), "APP_DEFAULT_LLM": "fake_llm/fake-llm-1"}
    pipeline = Pipeline(default_registry((*fakes.FAKE_VENDORS, SECOND_LLM)),
                        Settings.from_env(environ), retry=RetryPolicy(sleep=lambda _s: None))
    request = fake_request(speech, llm_model=None)
    accepted = pipeline.plan(request.options, {"FAKE_LLM_KEY": "a key given at submission"})
    assert accepted.translator is not None and accepted.translator.vendor == "fake_llm"
    result = pipeline.run(request, plan=accepted)  # the key is not given again
    assert result.status is TaskStatus.SUCCEEDED, result.error
    translator = next(c for c in result.choices if c.role is Role.TRANSLATE)
    assert translator.vendor == "fake_llm_b"
    assert any(w.startswith("Planned again: fake_llm (translate)") for w in result.warnings)


def test_steps_that_wait_on_a_failed_step_stop_and_the_others_keep_their_work(
        runner, fake, speech):
    stt, llm, voice = fake
    llm.errors.append(VendorAuthError("fake_llm", "the key was rejected."))
    result = runner.run(fake_request(speech))
    statuses = [s.status for s in result.steps]
    assert statuses[:3] == [StepStatus.SUCCEEDED, StepStatus.SUCCEEDED, StepStatus.FAILED]
    assert statuses[3:] == [StepStatus.PENDING, StepStatus.PENDING]
    assert result.checkpoint.transcript is not None and voice.cloned == []


def test_callbacks_arrive_on_the_callers_thread_in_order(runner, fake, speech):
    caller, threads, fractions = threading.get_ident(), set(), []

    def on_progress(event):
        threads.add(threading.get_ident())
        fractions.append(event.fraction)

    result = runner.run(fake_request(speech), on_progress=on_progress,
                        on_checkpoint=lambda *_: threads.add(threading.get_ident()),
                        on_partial_audio=lambda *_: threads.add(threading.get_ident()))
    assert result.status is TaskStatus.SUCCEEDED
    assert threads == {caller} and fractions == sorted(fractions) and fractions[-1] == 1.0


def test_a_long_recording_is_heard_before_it_has_finished_decoding(tmp_path, runner, fake):
    source = tmp_path / "half_hour.flac"
    pattern = "volume='if(lt(mod(t,5.3),4),1,0)':eval=frame"
    subprocess.run([ffmpeg_path(), "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                    "sine=f=180:r=16000:d=1800", "-af", pattern, "-c:a", "flac", "-y",
                    str(source)], check=True, timeout=120)
    fake[0].segments = [Segment(float(i * 5.3), float(i * 5.3) + 4.0, f"Sentence {i}.")
                        for i in range(5)]
    first_audio: list[float] = []
    cancel = threading.Event()

    def heard(_path, _ready_s):
        if not first_audio:
            first_audio.append(time.time())
            cancel.set()  # the point is made: stop rather than dub half an hour

    result = runner.run(TaskRequest.of(source, target_language="es", stt_model="fake_stt",
                                       llm_model="fake_llm", voice_vendor="fake_voice"),
                        on_partial_audio=heard, cancel=cancel)
    initialization = result.steps[0]
    assert first_audio, result.error
    assert initialization.status is not StepStatus.SUCCEEDED or (
        first_audio[0] < initialization.finished_at)


def test_a_text_only_task_skips_the_voice_steps_and_still_writes_subtitles(runner, fake, speech):
    result = runner.run(fake_request(speech, text_only=True))
    assert result.status is TaskStatus.SUCCEEDED, result.error
    assert [s.status for s in result.steps[3:]] == [StepStatus.SKIPPED] * 2
    assert result.output_path is None and fake[2].cloned == [] and fake[2].spoken == []
    assert {(s.kind, s.format) for s in result.subtitles} == {
        ("transcript", "srt"), ("transcript", "vtt"), ("translation", "srt"),
        ("translation", "vtt")}
    srt = next(s for s in result.subtitles if s.kind == "translation" and s.format == "srt")
    assert "00:00:00,000 --> 00:00:02,000" in srt.path.read_text()


def test_direct_speech_translation_replaces_transcription_and_translation(tmp_path, fake,
                                                                          speech):
    stt, llm, voice = fake
    direct = fakes.INSTANCES["direct"] = fakes.FakeSpeechTranslator()
    environ = {"APP_DATA_DIR": str(tmp_path / "data"), "FAKE_LLM_KEY": "k"}
    pipeline = Pipeline(default_registry((*fakes.FAKE_VENDORS, fakes.FAKE_DIRECT)),
                        Settings.from_env(environ), retry=RetryPolicy(sleep=lambda _s: None))
    result = pipeline.run(fake_request(speech, speech_translation_model="fake_direct"))
    assert result.status is TaskStatus.SUCCEEDED, result.error
    assert stt.calls == [] and llm.calls == [] and len(direct.calls) == 1
    assert result.transcript is None
    assert result.translation.text == "[es] Straight from the speech."
    assert result.steps[2].status is StepStatus.SKIPPED
    assert "translated directly by fake_direct/direct-1" in result.steps[2].detail
    assert voice.spoken == [("[es] Straight from the speech.", "es")]
    assert [c.vendor for c in result.choices] == ["fake_direct", "fake_voice"]
    assert {s.kind for s in result.subtitles} == {"translation"}
