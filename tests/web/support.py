"""Helpers for the API and task tests: a pipeline over fake vendors, a voice that can be held."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.retry import RetryPolicy
from pipeline.runner import Pipeline
from pipeline.settings import Settings
from tests import fakes
from vendors.registry import default_registry

TASK_FIELDS = {"target_language": "es", "stt_model": "fake_stt", "llm_model": "fake_llm",
               "voice_vendor": "fake_voice"}


@dataclass
class HeldVoice(fakes.FakeVoice):
    """A fake voice whose ``clone`` waits until ``gate`` opens (a task held mid-run)."""

    gate: threading.Event = field(default_factory=threading.Event)
    entered: threading.Event = field(default_factory=threading.Event)

    def clone(self, reference, transcript):
        self.entered.set()
        if not self.gate.wait(60):
            raise AssertionError("the held voice was never released")
        return super().clone(reference, transcript)


@dataclass
class Fakes:
    """The fake vendor instances the registry hands out."""

    stt: fakes.FakeTranscriber
    llm: fakes.FakeTranslator
    voice: fakes.FakeVoice


def install_fakes(voice: fakes.FakeVoice | None = None) -> Fakes:
    """Put fresh fakes where the registry's fake factory finds them."""
    found = Fakes(fakes.FakeTranscriber(), fakes.FakeTranslator(), voice or fakes.FakeVoice())
    fakes.INSTANCES.update(stt=found.stt, llm=found.llm, voice=found.voice)
    return found


def fake_environ(data_dir: Path, **extra: str) -> dict[str, str]:
    """Settings for tests: data under ``data_dir``, the fake LLM's key set."""
    return {"APP_DATA_DIR": str(data_dir), "FAKE_LLM_KEY": "k", **extra}


def make_pipeline(data_dir: Path, **extra: str) -> Pipeline:
    """A pipeline over the shipped vendors plus the fakes, retrying without waiting."""
    settings = Settings.from_env(fake_environ(data_dir, **extra))
    return Pipeline(default_registry(fakes.FAKE_VENDORS), settings,
                    retry=RetryPolicy(sleep=lambda _s: None))


def wait_until(check: Callable[[], object], timeout_s: float = 60.0) -> object:
    """Poll ``check`` until it returns something truthy (a safety bound, not a speed test)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not come true in time")
        time.sleep(0.02)
