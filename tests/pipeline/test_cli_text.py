"""What the command line says: a missing key the CLI way, the languages pointer, a closed
pipe that is not an error, and counts that agree with their nouns."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from pipeline.cli_text import count, error_text
from pipeline.errors import MissingKeyError, UnknownLanguageError
from tests.conftest import ROOT
from tests.pipeline.test_cli import KEY_VARIABLES, cli
from tests.pipeline.test_runner import write_speechlike_wav


def test_a_run_without_keys_names_each_variable_its_key_page_price_and_the_offline_flag(
    tmp_path,
):
    wav = write_speechlike_wav(tmp_path / "speech.wav")

    code, _, err = cli(["run", str(wav), "--stt", "openai", "--to", "es"], tmp_path=tmp_path)

    assert code == 2
    assert err.startswith("error: OpenAI needs an API key to transcribe the speech: "
                          "set OPENAI_API_KEY (get one at https://platform.openai.com/api-keys; "
                          "about $0.006 per minute of speech).")
    assert "Without a key: --stt-model sphinx (PocketSphinx (offline), English only)." in err
    assert "Anthropic Claude needs an API key to translate: set ANTHROPIC_API_KEY" in err
    assert "Settings" not in err and "header" not in err


def test_an_error_with_only_the_vendor_and_variable_still_says_what_to_set():
    said = error_text(MissingKeyError("fish", "FISH_API_KEY"), [])

    assert said == "fish needs an API key to run: set FISH_API_KEY."


def test_an_unknown_language_points_at_the_languages_command():
    code, _, err = cli(["plan", "--to", "klingon"])

    assert code == 2
    assert "`python -m pipeline languages` lists them." in err
    assert "plan --help" not in err and err.startswith("error: --to: Unknown language")


def test_an_unknown_language_names_the_flag_that_was_typed():
    error = UnknownLanguageError("Unknown language 'xx'.", param="target_language")

    assert error_text(error, ["--target-language", "xx"]).startswith("--target-language: ")


def test_a_reader_that_stops_early_is_not_an_error(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in KEY_VARIABLES}
    env["PYTHONPATH"] = str(ROOT)
    process = subprocess.Popen([sys.executable, "-m", "pipeline", "languages"], cwd=tmp_path,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # the reader is gone before a line is written, like `| head -0`
    _, err = process.communicate(timeout=120)

    assert process.returncode == 0
    assert b"Traceback" not in err and b"BrokenPipeError" not in err and err == b""


def test_vendors_count_one_language_in_the_singular():
    code, out, _ = cli(["vendors"])

    assert code == 0
    assert "(1 language)" in out and "(1 languages)" not in out
    assert "(2 languages)" in out


def test_counts_agree_with_their_nouns():
    assert [count(n, "segment") for n in (0, 1, 2)] == ["0 segments", "1 segment", "2 segments"]


def test_vendors_as_json_say_where_each_key_is_made():
    code, out, _ = cli(["vendors", "--json"])

    rows = {row["id"]: row for row in json.loads(out)}
    assert code == 0
    assert rows["openai"]["key_url"] == "https://platform.openai.com/api-keys"
    assert rows["sphinx"]["key_url"] == ""
