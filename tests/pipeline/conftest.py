"""Fixtures for tests that run the pipeline over the fake vendors: ``fake``, ``runner``,
``speech`` (a test module's own fixture of the same name wins)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.retry import RetryPolicy
from pipeline.runner import Pipeline
from pipeline.settings import Settings
from tests import fakes
from tests.pipeline.fake_pipeline import install_fakes
from tests.pipeline.test_runner import write_speechlike_wav
from vendors.registry import default_registry


@pytest.fixture
def fake():
    """Fresh fake vendors behind the fake registry entries: (stt, llm, voice)."""
    yield install_fakes()
    fakes.INSTANCES.clear()


@pytest.fixture
def runner(tmp_path, fake) -> Pipeline:
    """A pipeline over the real registry plus the fakes, with the fake LLM's key set."""
    settings = Settings.from_env({"APP_DATA_DIR": str(tmp_path / "data"), "FAKE_LLM_KEY": "k"})
    return Pipeline(default_registry(fakes.FAKE_VENDORS), settings,
                    retry=RetryPolicy(sleep=lambda _s: None))


@pytest.fixture
def speech(tmp_path) -> Path:
    """Six seconds of speech-like audio."""
    return write_speechlike_wav(tmp_path / "speech.wav")
