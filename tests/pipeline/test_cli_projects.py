"""The command line's projects: run into several languages, edit a line, render again."""

from __future__ import annotations

import io
import re

import pytest

from pipeline.cli import main
from pipeline.settings import Settings
from tests import fakes
from tests.pipeline.fake_pipeline import install_fakes
from tests.pipeline.test_runner import write_speechlike_wav
from vendors.registry import default_registry

FAKES = ["--stt", "fake_stt", "--llm", "fake_llm", "--voice", "fake_voice",
         "--quality", "off"]


@pytest.fixture
def vendors():
    yield install_fakes()
    fakes.INSTANCES.clear()


def _cli(args, tmp_path):
    env = {"APP_DATA_DIR": str(tmp_path / "data"), "FAKE_LLM_KEY": "k"}
    out, err = io.StringIO(), io.StringIO()
    code = main(args, settings=Settings.from_env(env), out=out, err=err,
                registry=default_registry(fakes.FAKE_VENDORS))
    return code, out.getvalue(), err.getvalue()


def test_run_to_two_languages_transcribes_once_and_dubs_both(tmp_path, vendors):
    stt, llm, voice = vendors
    speech = write_speechlike_wav(tmp_path / "talk.wav")
    out_file = tmp_path / "talk.es.wav"
    code, out, err = _cli(["run", str(speech), "--to", "es,ja", "--out", str(out_file),
                           *FAKES], tmp_path)
    assert code == 0, err
    assert len(stt.calls) == 1 and [c[2] for c in llm.calls] == ["es", "ja"]
    assert {lang for _t, lang in voice.spoken} == {"es", "ja"}
    assert out_file.is_file() and (tmp_path / "talk.es.ja.wav").is_file()
    assert "Also dubbed:" in out


def test_edit_then_render_respeaks_only_the_edited_line(tmp_path, vendors, monkeypatch):
    _stt, _llm, voice = vendors
    monkeypatch.chdir(tmp_path)
    speech = write_speechlike_wav(tmp_path / "talk.wav")
    code, out, err = _cli(["run", str(speech), "--to", "es", *FAKES], tmp_path)
    assert code == 0, err
    task_id = re.search(r"Task ([0-9a-f]{32})", out).group(1)

    code, out, err = _cli(["edit", task_id, "--line", "2", "--text", "Hasta pronto."], tmp_path)
    assert code == 0, err
    assert out.strip() == "revision 2: line 2 changed; stale: es"
    code, out, err = _cli(["render", task_id], tmp_path)
    assert code == 0, err
    assert voice.spoken[2:] == [("Hasta pronto.", "es")]
    assert out.startswith("es: 1 line re-spoken, 1 reused, $0.000")
    assert (tmp_path / f"{task_id}.es.mp3").is_file()
    code, out, _ = _cli(["render", task_id], tmp_path)
    assert code == 0 and "nothing to render" in out


def test_an_edit_from_an_old_revision_is_refused(tmp_path, vendors):
    speech = write_speechlike_wav(tmp_path / "talk.wav")
    _code, out, _err = _cli(["run", str(speech), "--to", "es", "--out",
                             str(tmp_path / "o.mp3"), *FAKES], tmp_path)
    task_id = re.search(r"Task ([0-9a-f]{32})", out).group(1)
    assert _cli(["edit", task_id, "--line", "1", "--text", "Hola.", "--revision", "1"],
                tmp_path)[0] == 0
    code, _out, err = _cli(["edit", task_id, "--line", "1", "--text", "Hey.", "--revision", "1"],
                           tmp_path)
    assert code == 2 and "revision 1" in err
