"""Every dub measures itself: the offline chain honestly, a cloud chain against fakes."""

from __future__ import annotations

import pytest

from pipeline.options import TaskRequest
from pipeline.quality.similarity import available
from pipeline.runner import Pipeline
from pipeline.settings import Settings
from pipeline.types import TaskStatus
from pipeline.view import result_to_dict
from tests.pipeline.fake_pipeline import fake_request
from vendors.registry import default_registry

pytestmark = pytest.mark.skipif(not available(), reason="resemblyzer is not installed")


def test_the_offline_dub_of_jfk_reports_its_real_similarity_and_what_was_heard(tmp_path,
                                                                               jfk_flac):
    pipeline = Pipeline(default_registry(), Settings.from_env({"APP_DATA_DIR": str(tmp_path)}))
    result = pipeline.run(TaskRequest.of(jfk_flac, target_language="en", source_language="en",
                                         stt_model="sphinx", voice_vendor="espeak"))
    assert result.status is TaskStatus.SUCCEEDED, result.error
    quality = result.quality
    assert quality.checker == "sphinx/en-us"
    assert all(line.similarity is not None and line.error_rate is not None
               for line in quality.lines)
    assert quality.median_similarity < 0.75  # espeak is tone-matched, not a clone
    assert all(line.takes == 1 for line in quality.lines)  # espeak says every take the same
    report = result_to_dict(result)["quality"]
    assert report["summary"]["median_similarity"] == round(quality.median_similarity, 3)
    assert report["lines"][0]["heard"] == quality.lines[0].heard


def test_a_cloud_chain_against_fakes_reports_the_fake_voices_similarity(runner, fake, speech):
    result = runner.run(fake_request(speech, quality="auto"))
    assert result.status is TaskStatus.SUCCEEDED, result.error
    assert len(result.quality.lines) == len(result.translation.segments)
    assert all(line.similarity is not None for line in result.quality.lines)
    assert result.quality.overall_similarity is not None
    assert runner.plan(fake_request(speech, quality="auto").options).quality.similarity


def test_quality_off_scores_nothing(runner, fake, speech):
    result = runner.run(fake_request(speech, quality="off"))
    assert result.quality is None
    assert runner.plan(fake_request(speech, quality="off").options).quality.note.startswith("off")
