"""Project files: README front matter and commands, CI, Dockerfile, settings documented."""

from __future__ import annotations

import re
import shlex

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()
DESIGN_SETTINGS = (
    "OPENAI_API_KEY OPENAI_BASE_URL ANTHROPIC_API_KEY ANTHROPIC_BASE_URL FISH_API_KEY FISH_BASE_URL "
    "FISH_MODEL ELEVENLABS_API_KEY ELEVENLABS_BASE_URL HF_TOKEN INDEXTTS2_SPACE INDEXTTS2_URL "
    "GROQ_API_KEY GROQ_BASE_URL SAMBANOVA_API_KEY SAMBANOVA_BASE_URL APP_DATA_DIR APP_API_KEY "
    "APP_MAX_UPLOAD_MB APP_MAX_DURATION_S APP_ALLOW_PRIVATE_URLS APP_DEFAULT_STT APP_DEFAULT_LLM "
    "APP_WORKERS COMPATIBLE_BASE_URL COMPATIBLE_API_KEY COMPATIBLE_MODELS"
).split()


def _front_matter() -> dict[str, str]:
    match = re.match(r"---\n(.*?)\n---\n", README, re.S)
    assert match, "README must start with the Space front matter"
    pairs = (line.split(":", 1) for line in match.group(1).splitlines() if ":" in line)
    return {k.strip(): v.strip().strip('"') for k, v in pairs}


def test_readme_starts_with_the_space_front_matter():
    meta = _front_matter()
    assert meta["sdk"] == "gradio"
    assert meta["python_version"] == "3.12"
    assert meta["app_file"] == "app.py"
    assert meta["license"] and meta["short_description"]
    requirement = next(line for line in (ROOT / "requirements.txt").read_text().splitlines()
                       if line.startswith("gradio"))
    low = re.search(r">=([\d.]+)", requirement).group(1)
    high = re.search(r"<([\d.]+)", requirement).group(1)
    version = tuple(int(p) for p in meta["sdk_version"].split("."))
    assert tuple(int(p) for p in low.split(".")) <= version < tuple(int(p) for p in high.split("."))


def test_readme_has_exactly_the_two_setup_commands_and_ci_runs_the_test_one():
    assert "pip install -r requirements.txt && python app.py" in README
    test_command = "pip install -r requirements-dev.txt && python -m pytest -q"
    assert test_command in README
    assert test_command in (ROOT / ".ci" / "run").read_text()


def test_ci_runs_ruff_mypy_and_import_linter_before_the_tests():
    steps = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    tests = next(i for i, line in enumerate(steps) if "python -m pytest" in line)
    for check in ("ruff check .", "mypy", "lint-imports"):
        assert check in steps[:tests], check
    dev = (ROOT / "requirements-dev.txt").read_text()
    for package in ("ruff", "mypy", "import-linter"):
        assert re.search(rf"^{package}>=[\d.]+,<[\d.]+$", dev, re.M), package


def test_every_setting_is_documented_in_readme_and_env_example():
    example = (ROOT / ".env.example").read_text()
    for name in DESIGN_SETTINGS:
        assert f"`{name}`" in README or name in README, name
        assert re.search(rf"^{name}=", example, re.M), name


def test_dockerfile_is_slim_312_with_ffmpeg_uid_1000_port_7860_and_a_data_volume():
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()
             if line.strip() and not line.strip().startswith("#")]
    instructions = [line.split()[0].upper() for line in lines if not line.startswith(("&&", "\\"))
                    and line.split()[0].isupper()]
    text = "\n".join(lines)
    assert lines[0] == "FROM python:3.12-slim"
    assert re.search(r"apt-get install[^\n]*\n?[^\n]*ffmpeg", text)
    assert "useradd -m -u 1000 user" in text
    assert re.search(r"^USER user$", text, re.M)
    assert [line for line in lines if line.startswith("USER")][-1] == "USER user"
    assert "GRADIO_SERVER_NAME=0.0.0.0" in text
    assert re.search(r"^EXPOSE 7860$", text, re.M)
    assert re.search(r"^VOLUME /data$", text, re.M) and "APP_DATA_DIR=/data" in text
    assert re.search(r"torch==[\d.]+ --index-url https://download\.pytorch\.org/whl/cpu", text)
    assert "COPY --chown=user packaging ./packaging" in text  # requirements.txt installs from it
    cmd = next(line for line in lines if line.startswith("CMD"))
    assert "app.py" in cmd
    assert {"FROM", "RUN", "USER", "ENV", "WORKDIR", "COPY", "EXPOSE", "CMD"} <= set(instructions)
    copied = [shlex.split(line)[-2] for line in lines if line.startswith("COPY")]
    assert "requirements.txt" in copied


def test_no_shared_audio_file_is_copied_into_the_project():
    shared = ROOT.parent / "shared" / "audio"
    if not shared.is_dir():
        return
    names = {p.name for p in shared.iterdir()}
    committed = {p.name for p in ROOT.rglob("*") if ".git" not in p.parts}
    assert not (names - {"SOURCES.md"}) & committed


def test_no_module_in_pipeline_web_or_vendors_is_over_400_lines():
    limit = 400  # the size guide: small modules, about 300 lines, none over 400
    sizes = {path.relative_to(ROOT).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
             for package in ("pipeline", "web", "vendors")
             for path in (ROOT / package).rglob("*.py")}
    assert len(sizes) > 50  # the packages were found
    too_long = {name: lines for name, lines in sizes.items() if lines > limit}
    assert not too_long, f"split these modules (over {limit} lines): {too_long}"
