"""Reading the page's values into a request, and handing files back to the page."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.runner import Pipeline
from pipeline.settings import Settings
from tests import fakes
from vendors.registry import default_registry
from web.ui_request import RequestReader, publish, session_of, table_rows

PAGE = dict(audio="/tmp/x.wav", audio_url="", clone_audio=None, source_language="auto",
            target_language="ja", stt_model="", llm_model="", voice_vendor="", output_format="WAV")


@pytest.fixture
def reader(tmp_path) -> RequestReader:
    pipeline = Pipeline(default_registry(fakes.FAKE_VENDORS),
                        Settings.from_env({"APP_DATA_DIR": str(tmp_path)}))
    return RequestReader(pipeline)


def test_page_values_become_a_request_with_auto_and_defaults_spelled_out(reader):
    task = reader.task(**PAGE, keys={"FISH_API_KEY": " fk ", "OPENAI_API_KEY": "",
                                     "NOT_A_KEY": "x"})
    assert task.input_path == Path("/tmp/x.wav") and task.options.target_language == "ja"
    assert task.options.source_language is None and task.options.stt_model is None and task.options.llm_model is None
    assert task.options.voice_vendor == "auto" and task.options.output_format == "wav"
    assert dict(task.keys) == {"FISH_API_KEY": "fk"}, "only known, non-empty keys"


def test_missing_speech_or_target_is_said_plainly(reader):
    with pytest.raises(InputError, match="Pick a target language"):
        reader.task(**{**PAGE, "target_language": " "}, keys={})
    with pytest.raises(InputError, match="Upload or record some speech first"):
        reader.task(**{**PAGE, "audio": None}, keys={})


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

