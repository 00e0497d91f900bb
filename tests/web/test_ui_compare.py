"""The Compare handler reads the same options as /translate and checks them before running."""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr
import pytest

from pipeline.errors import InputError
from pipeline.options import option_fields
from pipeline.runner import Pipeline
from pipeline.settings import Settings
from tests import fakes
from vendors.registry import default_registry
from web.ui_compare import CompareHandler
from web.ui_handlers import UiHandlers


@pytest.fixture
def fetched():
    return []


@pytest.fixture
def comparer(tmp_path, fetched):
    def fetcher(url, destination, **limits):
        fetched.append(url)
        raise InputError("no downloads in this test")

    settings = Settings.from_env({"APP_DATA_DIR": str(tmp_path / "data")})
    pipeline = Pipeline(default_registry(fakes.FAKE_VENDORS), settings)
    return CompareHandler(UiHandlers(pipeline, fetcher))


def test_compare_takes_every_task_option_by_name_and_hands_each_to_the_parser(comparer,
                                                                            monkeypatch):
    given = {"source_language": "en", "target_language": "fr", "stt_model": "fake_stt",
             "llm_model": "fake_llm", "voice_vendor": "fake_voice", "output_format": "wav",
             "timing": "natural", "glossary": [["Hello", "Salut"]], "instructions": "Warm.",
             "text_only": False, "speech_translation_model": "", "quality": "full",
             "quality_stt_model": "fake_stt", "max_retakes": 1, "speakers": "2"}
    assert set(given) == {name for name, _ in option_fields()}
    seen = []

    def parse(values):
        seen.append(dict(values))
        raise InputError("stop here", param="timing")

    monkeypatch.setattr(comparer.handlers.reader, "options", parse)
    with pytest.raises(gr.Error):
        list(comparer.compare(None, "", None, compare_voices=["fake_voice", "espeak"],
                              request=SimpleNamespace(session_hash="s"), **given))
    assert seen == [given]


def test_a_bad_option_stops_the_comparison_before_any_download_naming_its_control(comparer,
                                                                                 fetched):
    with pytest.raises(gr.Error) as caught:
        list(comparer.compare(None, "https://example.org/talk.mp3", None,
                              source_language="klingon",
                              compare_voices=["fake_voice", "espeak"]))
    assert caught.value.message.startswith("Spoken language: Unknown language 'klingon'")
    assert fetched == []
