"""Helpers for tests that run the pipeline over the fake vendors (fixtures: conftest.py)."""

from __future__ import annotations

from pathlib import Path

from pipeline.options import TaskRequest
from tests import fakes


def install_fakes() -> tuple[fakes.FakeTranscriber, fakes.FakeTranslator, fakes.FakeVoice]:
    """Fresh fake vendors, registered where the fake factory finds them."""
    stt, llm, voice = fakes.FakeTranscriber(), fakes.FakeTranslator(), fakes.FakeVoice()
    fakes.INSTANCES.update(stt=stt, llm=llm, voice=voice)
    return stt, llm, voice


def fake_request(path: Path, **changes) -> TaskRequest:
    """A request naming the fake vendors explicitly (Spanish unless changed)."""
    values = {"target_language": "es", "stt_model": "fake_stt", "llm_model": "fake_llm",
              "voice_vendor": "fake_voice", "quality": "off", **changes}
    return TaskRequest.of(path, **values)
