"""The command line: plan, run, vendors; exit codes and one-line errors."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.options import option_fields
from pipeline.settings import Settings
from tests import fakes
from tests.conftest import ROOT, write_tone_wav
from tests.pipeline.fake_pipeline import install_fakes
from tests.pipeline.test_runner import write_speechlike_wav
from vendors.registry import default_registry

KEY_VARIABLES = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "FISH_API_KEY", "ELEVENLABS_API_KEY",
                 "HF_TOKEN", "GROQ_API_KEY", "SAMBANOVA_API_KEY", "INDEXTTS2_URL",
                 "COMPATIBLE_BASE_URL")


def cli(args, environ=None, tmp_path=None, registry=None):
    """Run main() in-process with an explicit environment; returns (code, stdout, stderr)."""
    env = dict(environ or {})
    if tmp_path is not None:
        env.setdefault("APP_DATA_DIR", str(tmp_path / "data"))
    out, err = io.StringIO(), io.StringIO()
    code = main(args, settings=Settings.from_env(env), out=out, err=err,
                registry=registry if registry is not None else default_registry())
    return code, out.getvalue(), err.getvalue()


def cli_process(args, tmp_path, extra_env=None):
    """Run ``python -m pipeline`` for real, with no vendor keys in its environment."""
    env = {k: v for k, v in os.environ.items() if k not in KEY_VARIABLES}
    env.update(APP_DATA_DIR=str(tmp_path / "data"), **(extra_env or {}))
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def test_plan_for_japanese_names_fish_and_the_missing_variables():
    code, out, _ = cli(["plan", "--from", "fr", "--to", "ja"])
    assert code == 0
    assert "fish would be used since target ja is not supported by index_tts2" in out
    assert "set FISH_API_KEY" in out
    assert "Missing to run: OPENAI_API_KEY, ANTHROPIC_API_KEY" in out
    assert "Estimated cost" in out


def test_plan_with_keys_picks_fish_for_japanese_and_index_tts2_for_chinese():
    keys = {"OPENAI_API_KEY": "a", "ANTHROPIC_API_KEY": "b", "FISH_API_KEY": "c", "HF_TOKEN": "d"}
    code, out, _ = cli(["plan", "--to", "ja", "--json"], keys)
    plan = json.loads(out)
    assert code == 0 and plan["runnable"]
    voice = plan["vendors"][-1]
    assert voice["vendor"] == "fish"
    assert voice["reason"] == "fish: target ja is not supported by index_tts2"
    _, out, _ = cli(["plan", "--to", "zh", "--json"], keys)
    assert json.loads(out)["vendors"][-1]["vendor"] == "index_tts2"


def test_plan_for_chinese_names_index_tts2_even_without_keys():
    code, out, _ = cli(["plan", "--to", "zh"])
    assert code == 0
    assert "index_tts2 would be used" in out
    assert "HF_TOKEN" in out


def test_picking_index_tts2_for_japanese_falls_to_fish_with_the_reason():
    code, out, _ = cli(["plan", "--to", "ja", "--voice", "index_tts2", "--json"],
                       {"FISH_API_KEY": "k"})
    voice = json.loads(out)["vendors"][-1]
    assert voice["vendor"] == "fish"
    assert "target ja is not supported by index_tts2 (your pick)" in voice["reason"]


def test_plan_of_a_file_estimates_for_its_length(jfk_flac):
    code, out, _ = cli(["plan", str(jfk_flac), "--to", "es", "--json"],
                       {"OPENAI_API_KEY": "a", "ANTHROPIC_API_KEY": "b", "FISH_API_KEY": "c"})
    assert code == 0
    assert json.loads(out)["estimate_for_duration_s"] == pytest.approx(11.0, abs=0.2)


@pytest.mark.skipif(importlib.util.find_spec("resemblyzer") is None,
                    reason="resemblyzer is not installed")
@pytest.mark.parametrize(("speakers", "said"), [
    (["--speakers", "2"], "Speakers: 2 (each gets a voice of their own)\n"),
    (["--speakers", "auto"], "Speakers: found offline (auto); each gets a voice of their own\n"),
    ([], "Speakers: one voice for everyone\n"),
])
def test_plan_says_how_many_speakers_get_a_voice(speakers, said):
    code, out, _ = cli(["plan", "--to", "es", "--stt", "sphinx", "--voice", "espeak", *speakers])
    assert code == 0 and said in out
    _, out, _ = cli(["plan", "--to", "es", "--json", *speakers])
    plan = json.loads(out)
    assert plan["speakers"] == (speakers[1] if speakers else "1")
    assert f"Speakers: {plan['speakers_note']}\n" == said


def test_usage_errors_exit_2_with_one_line():
    for args in (["plan", "--to", "klingon"], ["plan", "--to", "ja", "--voice", "nope"],
                 ["plan", "--to", "ja", "--stt", "openai/not-a-model"], ["plan"]):
        code, out, err = cli(args)
        assert code == 2, args
        assert err.count("\n") == 1 and err.startswith("error: ")


def test_vendors_lists_every_vendor_with_readiness():
    code, out, _ = cli(["vendors", "--json"])
    rows = {row["id"]: row for row in json.loads(out)}
    assert code == 0
    assert {"openai", "anthropic", "huggingface", "groq", "sambanova", "compatible",
            "index_tts2", "fish", "elevenlabs", "espeak", "sphinx"} <= set(rows)
    assert rows["espeak"]["runnable"] and rows["sphinx"]["runnable"]
    assert rows["fish"]["why_not"] == "FISH_API_KEY is not set"
    assert rows["sphinx"]["languages"]["transcribe"] == ["en"]


@pytest.fixture
def offline_args():
    return ["--to", "en", "--voice", "espeak", "--stt", "sphinx"]


@pytest.mark.parametrize("case", ["text_as_mp3", "empty", "silence", "too_long"])
def test_bad_input_exits_2_with_a_one_line_reason_and_no_traceback(case, tmp_path, offline_args):
    extra = {}
    if case == "text_as_mp3":
        path = tmp_path / "speech.mp3"
        path.write_text("Hello, this is a text file pretending to be audio.\n" * 50)
    elif case == "empty":
        path = tmp_path / "empty.wav"
        path.write_bytes(b"")
    elif case == "silence":
        path = write_tone_wav(tmp_path / "silence.wav", duration_s=5.0, amplitude=0.0)
    else:
        path = write_tone_wav(tmp_path / "long.wav", duration_s=3.0)
        extra = {"APP_MAX_DURATION_S": "2"}
    done = cli_process(["run", str(path), *offline_args], tmp_path, extra)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert not list(tmp_path.glob("*.mp3")) or case == "text_as_mp3"


def test_a_missing_input_file_is_a_usage_error(tmp_path, offline_args):
    code, _, err = cli(["run", str(tmp_path / "nope.wav"), *offline_args], tmp_path=tmp_path)
    assert code == 2 and "does not exist" in err


def test_an_unsupported_output_suffix_is_refused(tmp_path, offline_args):
    path = write_tone_wav(tmp_path / "a.wav")
    code, _, err = cli(["run", str(path), *offline_args, "--out", str(tmp_path / "x.ogg")],
                       tmp_path=tmp_path)
    assert code == 2 and ".mp3 or .wav" in err


def test_run_without_keys_says_which_variable_is_missing(tmp_path):
    path = write_tone_wav(tmp_path / "a.wav")
    code, _, err = cli(["run", str(path), "--from", "fr", "--to", "ja"], tmp_path=tmp_path)
    assert code == 2
    assert "OPENAI_API_KEY" in err and "ANTHROPIC_API_KEY" in err


def median_f0_hz(path: Path) -> float:
    import parselmouth

    pitch = parselmouth.Sound(str(path)).to_pitch(pitch_floor=60, pitch_ceiling=500)
    values = pitch.selected_array["frequency"]
    return float(sorted(v for v in values if v > 0)[len([v for v in values if v > 0]) // 2])


def test_offline_run_on_jfk_works_end_to_end_without_any_key(jfk_flac, tmp_path, offline_args):
    out_path = tmp_path / "jfk_dub.mp3"
    done = cli_process(["run", str(jfk_flac), *offline_args, "--out", str(out_path), "--json"],
                       tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    statuses = {s["name"]: s["status"] for s in result["steps"]}
    assert statuses == {"initialization": "succeeded", "speech_to_text": "succeeded",
                        "translation": "skipped", "voice_clone": "succeeded",
                        "text_to_speech": "succeeded"}
    skipped = next(s for s in result["steps"] if s["name"] == "translation")
    assert "same language" in skipped["detail"]
    words = result["transcript"]["text"].lower()
    assert "country" in words and "fellow" in words
    assert result["output_path"] == str(out_path) and out_path.stat().st_size > 1000
    assert [v["vendor"] for v in result["vendors"]] == ["sphinx", "espeak"]
    assert all(v["reason"] for v in result["vendors"])
    reference_f0 = median_f0_hz(jfk_flac)
    assert median_f0_hz(out_path) == pytest.approx(reference_f0, rel=0.10)


def test_run_help_offers_every_task_option_as_a_flag_with_its_aliases():
    code, out, _ = cli(["run", "--help"])
    assert code == 0
    for name, spec in option_fields():
        assert f"--{name.replace('_', '-')}" in out, name
        for alias in spec.flags:
            assert alias in out, alias
    assert "--timing {auto,natural,keep}" in out and "--output-format {mp3,wav}" in out
    assert "--text-only " in out, "booleans are switches, they take no value"
    _, plan_help, _ = cli(["plan", "--help"])
    assert "--speech-translation-model" in plan_help and "--timing" in plan_help


@pytest.mark.parametrize("args,flag", [
    (["--timing", "sloppy"], "--timing"),
    (["--glossary", "[1, 2]"], "--glossary"),
    (["--glossary", "@no-such-glossary.json"], "--glossary"),
    (["--from", "klingon"], "--from"),
    (["--source-language", "klingon"], "--source-language"),
    (["--voice-vendor", "nope"], "--voice-vendor"),
    (["--speech-translation-model", "nope/x"], "--speech-translation-model"),
    (["--instructions", "x" * 4001], "--instructions"),
])
def test_a_bad_option_value_exits_2_with_one_line_naming_the_flag(args, flag):
    code, _, err = cli(["plan", "--to", "es", *args])
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert flag in err


def test_out_and_output_format_must_agree_when_both_are_given(tmp_path, offline_args):
    path = write_tone_wav(tmp_path / "a.wav")
    code, _, err = cli(["run", str(path), *offline_args, "--out", str(tmp_path / "x.wav"),
                        "--output-format", "mp3"], tmp_path=tmp_path)
    assert code == 2 and "--out ends in .wav but --output-format is mp3" in err


@pytest.fixture
def fake_vendors():
    found = install_fakes()
    yield found
    fakes.INSTANCES.clear()


def test_glossary_instructions_and_format_from_flags_reach_the_translator(tmp_path,
                                                                         fake_vendors):
    _stt, llm, _voice = fake_vendors
    speech = write_speechlike_wav(tmp_path / "speech.wav")
    glossary = tmp_path / "glossary.json"
    glossary.write_text(json.dumps({"Goodbye": "Hasta luego"}), encoding="utf-8")
    out_path = tmp_path / "dub.wav"
    code, out, err = cli(["run", str(speech), "--to", "Spanish", "--stt", "fake_stt",
                          "--llm", "fake_llm", "--voice", "fake_voice", "--glossary",
                          f"@{glossary}", "--instructions", "Formal, for a keynote.",
                          "--out", str(out_path), "--json"],
                         {"FAKE_LLM_KEY": "k"}, tmp_path,
                         registry=default_registry(fakes.FAKE_VENDORS))
    assert code == 0, err
    context = llm.calls[0][3]
    assert dict(context.glossary) == {"Goodbye": "Hasta luego"}
    assert context.instructions.startswith("Formal, for a keynote.")
    assert json.loads(out)["output_path"] == str(out_path)
    assert out_path.read_bytes()[:4] == b"RIFF", "--out .wav decides the format"


def test_offline_run_with_timing_keep_reports_keep_timing(jfk_flac, tmp_path):
    done = cli_process(["run", str(jfk_flac), "--to", "en", "--voice", "espeak", "--stt",
                        "sphinx", "--timing", "keep", "--json"], tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "succeeded"
    assert result["timing"]["mode"] == "keep"
    assert (tmp_path / "jfk_en.en.mp3").is_file()


def test_run_json_carries_the_quality_report_and_the_text_ends_with_its_summary(tmp_path,
                                                                              fake_vendors):
    speech = write_speechlike_wav(tmp_path / "speech.wav")
    args = ["run", str(speech), "--to", "es", "--stt", "fake_stt", "--llm", "fake_llm",
            "--voice", "fake_voice", "--quality", "full", "--quality-stt-model", "fake_stt",
            "--max-retakes", "1", "--out", str(tmp_path / "dub.mp3")]
    registry = default_registry(fakes.FAKE_VENDORS)
    code, out, err = cli([*args, "--json"], {"FAKE_LLM_KEY": "k"}, tmp_path, registry=registry)
    assert code == 0, err
    quality = json.loads(out)["quality"]
    assert quality["checker"] == "fake_stt/fake-1"
    assert set(quality["summary"]) >= {"median_similarity", "worst_similarity",
                                       "share_understood", "lines_retaken"}
    assert quality["thresholds"]["max_retakes"] == 1
    assert [line["index"] for line in quality["lines"]] == [0, 1]
    assert all(line["similarity"] is not None and line["understood"] is not None
               for line in quality["lines"])
    assert "share_within_bounds" in json.loads(out)["timing"]["summary"]
    code, out, err = cli(args, {"FAKE_LLM_KEY": "k"}, tmp_path, registry=registry)
    assert code == 0, err
    assert out.strip().splitlines()[-1].startswith("quality: voice similarity ")
