"""Fixtures for tests that run the pipeline over the fake vendors (import them by name)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.options import TaskRequest
from pipeline.retry import RetryPolicy
from pipeline.runner import Pipeline
from pipeline.settings import Settings
from tests import fakes
from tests.pipeline.test_runner import write_speechlike_wav
from vendors.registry import default_registry


def install_fakes() -> tuple[fakes.FakeTranscriber, fakes.FakeTranslator, fakes.FakeVoice]:
    """Fresh fake vendors, registered where the fake factory finds them."""
    stt, llm, voice = fakes.FakeTranscriber(), fakes.FakeTranslator(), fakes.FakeVoice()
    fakes.INSTANCES.update(stt=stt, llm=llm, voice=voice)
    return stt, llm, voice


def fake_request(path: Path, **changes) -> TaskRequest:
    """A request naming the fake vendors explicitly (Spanish unless changed)."""
    values = {"target_language": "es", "stt_model": "fake_stt", "llm_model": "fake_llm",
              "voice_vendor": "fake_voice", **changes}
    return TaskRequest.of(path, **values)


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
