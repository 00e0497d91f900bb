"""Reading the page's values into a request, and handing files back to the page."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeline.errors import AppError, InputError
from pipeline.runner import Pipeline
from pipeline.settings import Settings
from tests import fakes
from vendors.registry import default_registry
from web.ui_request import (
    RequestReader,
    glossary_of,
    page_message,
    publish,
    session_of,
    speaker_voices_of,
    table_rows,
)

PAGE = dict(source_language="auto", target_language="ja", stt_model="", llm_model="",
            voice_vendor="", output_format="WAV", timing="keep", glossary=[["", ""]],
            instructions=" Formal. ", text_only=False, speech_translation_model="")


@pytest.fixture
def reader(tmp_path) -> RequestReader:
    pipeline = Pipeline(default_registry(fakes.FAKE_VENDORS),
                        Settings.from_env({"APP_DATA_DIR": str(tmp_path)}))
    return RequestReader(pipeline)


def test_page_values_become_options_with_auto_and_defaults_spelled_out(reader):
    options = reader.options(PAGE)
    assert options.target_language == "ja" and options.source_language is None
    assert options.stt_model is None and options.llm_model is None
    assert options.speech_translation_model is None
    assert options.voice_vendor == "auto" and options.output_format == "wav"
    assert options.timing == "keep" and options.instructions == "Formal."
    assert dict(options.glossary) == {} and options.text_only is False


def test_models_are_written_as_canonical_vendor_model_specs(reader):
    options = reader.options({**PAGE, "stt_model": "sphinx", "llm_model": "fake_llm"})
    assert options.stt_model == "sphinx/en-us" and options.llm_model == "fake_llm/fake-llm-1"


def test_the_request_names_the_upload_and_keeps_only_known_non_empty_keys(reader):
    task = reader.task(audio="/tmp/up/x.wav", audio_url="", clone_audio=None,
                       options=reader.options(PAGE),
                       keys={"FISH_API_KEY": " fk ", "OPENAI_API_KEY": "", "NOT_A_KEY": "x"})
    assert task.input_path == Path("/tmp/up/x.wav") and task.input_name == "x.wav"
    assert task.options.target_language == "ja" and task.clone_path is None
    assert dict(task.keys) == {"FISH_API_KEY": "fk"}, "only known, non-empty keys"


def test_missing_speech_or_target_is_said_plainly(reader):
    with pytest.raises(InputError, match="Pick a target language") as caught:
        reader.options({**PAGE, "target_language": " "})
    assert caught.value.param == "target_language"
    with pytest.raises(InputError, match="Upload or record some speech first"):
        reader.task(audio=None, audio_url="", clone_audio=None, options=reader.options(PAGE),
                    keys={})


def test_the_glossary_table_becomes_term_translation_pairs():
    rows = [["Ask", "Pregunta"], ["", ""], [" CEO ", " director general "], [None, None]]
    assert glossary_of(rows) == {"Ask": "Pregunta", "CEO": "director general"}
    assert glossary_of({"headers": ["Term", "Translation"], "data": rows[:1]}) == {
        "Ask": "Pregunta"}
    assert glossary_of({"Ask": "Pregunta"}) == {"Ask": "Pregunta"}, "API callers may send one"
    assert glossary_of('{"Ask": "Pregunta"}') == '{"Ask": "Pregunta"}'
    with pytest.raises(InputError, match="give both the term and its translation") as caught:
        glossary_of([["Ask", ""]])
    assert caught.value.param == "glossary"


@pytest.mark.parametrize("change,expected", [
    ({"source_language": "klingon"}, "Spoken language: Unknown language 'klingon'"),
    ({"stt_model": "nope"}, "Speech-to-text model: Unknown vendor 'nope'"),
    ({"timing": "sloppy"}, "timing must be one of auto, natural, keep"),
    ({"instructions": "x" * 4001}, "instructions may be at most 4000 characters"),
    ({"speech_translation_model": "nope/x"}, "Direct speech translation: Unknown vendor"),
])
def test_a_bad_value_is_one_sentence_that_names_its_control(reader, change, expected):
    with pytest.raises(AppError) as caught:
        reader.options({**PAGE, **change})
    assert page_message(caught.value).startswith(expected)


def test_table_values_arrive_in_every_shape_gradio_uses():
    rows = [[1, "0:00.0–0:01.0", "a", "b"]]
    assert table_rows(rows) == rows
    assert table_rows({"headers": [], "data": rows}) == rows
    assert table_rows('{"data": [[1, "t", "a", "b"]]}') == [[1, "t", "a", "b"]]
    assert table_rows(None) == []


def test_a_request_without_a_session_still_has_a_name():
    assert session_of(None) == "anonymous"


def test_publish_copies_files_outside_the_served_folders(tmp_path, monkeypatch):
    inside = tmp_path / "out.mp3"
    inside.write_bytes(b"ID3")
    assert publish(inside) == str(inside.resolve())
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    monkeypatch.setattr("tempfile.gettempdir", lambda: str(tmp_path / "served"))
    stale = tmp_path / "served" / "speech-translate" / "old"
    stale.mkdir(parents=True)
    os.utime(stale, (1, 1))
    copied = publish(inside)
    assert copied != str(inside) and Path(copied).read_bytes() == b"ID3"
    assert not stale.exists(), "copies older than a day are cleared"
    assert publish(None) is None



def test_the_voice_per_speaker_table_becomes_checked_specs_and_empty_rows_are_left_out(reader):
    table = {"headers": ["Speaker", "Voice"], "data": [["Speaker 2", "ESPEAK"], ["", ""]]}
    options = reader.options({**PAGE, "speaker_voices": table})
    assert dict(options.speaker_voices) == {"Speaker 2": "espeak"}
    assert speaker_voices_of('{"Ana": "espeak"}') == '{"Ana": "espeak"}'  # API callers' JSON


def test_a_half_filled_voice_per_speaker_row_is_refused_naming_the_option(reader):
    with pytest.raises(InputError, match="give both the speaker and their voice") as caught:
        reader.options({**PAGE, "speaker_voices": [["Speaker 2", ""]]})
    assert caught.value.param == "speaker_voices"
