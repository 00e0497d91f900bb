"""Examples are spoken by the app's own offline voice into APP_DATA_DIR, once."""

from __future__ import annotations

import wave

from pipeline.registry import Registry
from pipeline.runner import Pipeline
from pipeline.settings import Settings
from vendors.registry import default_registry
from web.examples import SCRIPTS, ensure_examples


def _pipeline(tmp_path, registry: Registry | None = None) -> Pipeline:
    return Pipeline(registry or default_registry(),
                    Settings.from_env({"APP_DATA_DIR": str(tmp_path / "data")}))


def test_examples_are_made_by_the_offline_voice_with_their_target_languages(tmp_path):
    examples = ensure_examples(_pipeline(tmp_path))
    titles = [e.title for e in examples]
    assert titles == ["English → Spanish", "English → Japanese", "Spanish → English",
                      "English → English, offline (no key)"]
    for example in examples:
        assert example.audio_path.parent == tmp_path / "data" / "examples"
        with wave.open(str(example.audio_path)) as clip:
            assert clip.getnframes() / clip.getframerate() > 2.0
    offline = examples[-1]
    assert offline.row()[1:] == ["en", "en", "sphinx/en-us", "espeak"]
    assert examples[0].row()[1:] == ["en", "es", "", "auto"]


def test_clips_are_made_once_and_reused(tmp_path):
    first = ensure_examples(_pipeline(tmp_path))
    stamps = {e.audio_path: e.audio_path.stat().st_mtime_ns for e in first}
    second = ensure_examples(_pipeline(tmp_path))
    assert {e.audio_path: e.audio_path.stat().st_mtime_ns for e in second} == stamps
    assert len(stamps) == len(SCRIPTS)


def test_without_an_offline_voice_there_are_no_examples(tmp_path):
    registry = Registry(v for v in default_registry() if v.id != "espeak")
    assert ensure_examples(_pipeline(tmp_path, registry)) == []
