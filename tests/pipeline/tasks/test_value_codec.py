"""A run's whole result and plan as JSON, for a run that ends on another machine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.errors import AppError
from pipeline.options import TaskRequest
from pipeline.runner import Pipeline
from pipeline.settings import Settings
from pipeline.tasks.live import LiveOrder, mover
from pipeline.tasks.value_codec import dumps_value, loads_value
from pipeline.types import TaskStatus
from tests import fakes
from tests.pipeline.test_runner import write_speechlike_wav
from vendors.registry import default_registry


@pytest.fixture
def finished(tmp_path):
    fakes.INSTANCES.update(stt=fakes.FakeTranscriber(), llm=fakes.FakeTranslator(),
                           voice=fakes.FakeVoice())
    settings = Settings.from_env({"APP_DATA_DIR": str(tmp_path / "data"), "FAKE_LLM_KEY": "k"})
    pipeline = Pipeline(default_registry(fakes.FAKE_VENDORS), settings)
    request = TaskRequest.of(write_speechlike_wav(tmp_path / "speech.wav"), target_language="es",
                             stt_model="fake_stt", llm_model="fake_llm",
                             voice_vendor="fake_voice", quality="off")
    yield pipeline, request, pipeline.run(request, task_id="a" * 32)
    fakes.INSTANCES.clear()


def test_a_finished_result_reads_back_equal_with_its_checkpoint(finished):
    _pipeline, _request, result = finished
    assert result.status is TaskStatus.SUCCEEDED
    back = loads_value(dumps_value(result))
    assert back == result
    assert back.checkpoint == result.checkpoint
    assert all(type(step.status) is type(sent.status)
               for step, sent in zip(back.steps, result.steps, strict=True))
    assert back.timing == result.timing and back.subtitles == result.subtitles


def test_paths_read_back_moved_into_this_machines_folder_of_the_task(finished, tmp_path):
    _pipeline, _request, result = finished
    here = tmp_path / "web" / "tasks" / ("a" * 32)
    back = loads_value(dumps_value(result), mover("a" * 32, here))
    assert back.output_path == here / result.output_path.name
    assert back.subtitles and all(item.path.is_relative_to(here) for item in back.subtitles)


def test_a_failure_reads_back_as_the_same_error_with_its_parameter():
    error = AppError("The voice vendor refused the clip.", param="clone_audio")
    back = loads_value(dumps_value(error))
    assert type(back) is AppError and back.message == error.message
    assert back.param == "clone_audio" and back.retryable is False


def test_an_error_of_another_package_reads_back_as_an_app_error_with_its_words():
    back = loads_value(dumps_value(ValueError("bad sample rate")))
    assert isinstance(back, AppError) and str(back) == "bad sample rate"


def test_a_plan_and_a_checkpoint_travel_in_a_live_order(finished, tmp_path):
    pipeline, request, result = finished
    plan = pipeline.check(request, translate=False)
    folder = tmp_path / "worker" / "tasks" / ("a" * 32)
    LiveOrder(plan, result.checkpoint, partial_audio=True).write(folder)
    order = LiveOrder.read("a" * 32, folder)
    assert order is not None and order.partial_audio
    assert order.plan == plan and order.plan.translator is None
    assert order.checkpoint.transcript == result.checkpoint.transcript
    assert order.checkpoint.decoded.path.parent == folder


def test_a_stored_value_naming_a_class_outside_the_pipeline_is_refused():
    evil = json.dumps({"$data": "subprocess:Popen", "fields": {"args": ["true"]}})
    with pytest.raises(ValueError, match="outside pipeline"):
        loads_value(evil)
    assert loads_value(json.dumps({"$path": "/x/y"})) == Path("/x/y")
