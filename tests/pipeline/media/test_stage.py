"""When the Demucs weights are fetched: on first use for a video or background=keep, never
for an audio file under background=auto, never with APP_MODEL_DOWNLOADS off."""

from __future__ import annotations

import pytest

from pipeline.errors import ConfigurationError
from pipeline.media import stage
from pipeline.settings import Settings


def no_download(*args, **kwargs):
    raise AssertionError("nothing may be downloaded here")


def test_audio_under_auto_never_fetches_the_weights(tmp_path, monkeypatch):
    monkeypatch.setattr(stage, "download_weights", no_download)
    settings = Settings.from_env({"APP_DATA_DIR": str(tmp_path)})
    weights, why = stage._weights(settings, lambda f, m: None, fetch=False)
    assert weights is None and "not for audio under background=auto" in why


def test_with_downloads_off_nothing_is_fetched_and_the_reason_names_the_setting(tmp_path,
                                                                                 monkeypatch):
    monkeypatch.setattr(stage, "download_weights", no_download)
    settings = Settings.from_env({"APP_DATA_DIR": str(tmp_path), "APP_MODEL_DOWNLOADS": "off"})
    weights, why = stage._weights(settings, lambda f, m: None, fetch=True)
    assert weights is None and "APP_MODEL_DOWNLOADS is off" in why


def test_a_video_fetches_the_weights_on_first_use_and_a_failed_fetch_is_said(tmp_path,
                                                                            monkeypatch):
    asked = []

    def fetched(data_dir, url, on_progress):
        asked.append(url)
        on_progress(1.0, "Downloading the Demucs weights: 80.0 of 80.0 MB")
        path = data_dir / "models" / "demucs" / url.rsplit("/", 1)[-1]
        path.parent.mkdir(parents=True)
        path.write_bytes(b"weights")
        return path

    monkeypatch.setattr(stage, "download_weights", fetched)
    settings = Settings.from_env({"APP_DATA_DIR": str(tmp_path)})
    lines = []
    weights, _ = stage._weights(settings, lambda f, m: lines.append(m), fetch=True)
    assert weights is not None and weights.name == "955717e8-8726e21a.th"
    assert asked == [stage.HTDEMUCS_URL] and lines[-1].endswith("80.0 of 80.0 MB")
    again, _ = stage._weights(settings, lambda f, m: None, fetch=True)
    assert again == weights and len(asked) == 1  # cached: fetched once


def test_mix_levels_come_from_the_settings_and_a_bad_one_names_its_variable():
    levels = stage.mix_levels(Settings.from_env({"APP_BACKGROUND_DB": "-3",
                                                 "APP_DUCK_RATIO": "4"}))
    assert levels.background_db == -3.0 and levels.duck_ratio == 4.0
    with pytest.raises(ConfigurationError, match="APP_DUCK_THRESHOLD must be a number"):
        stage.mix_levels(Settings.from_env({"APP_DUCK_THRESHOLD": "loud"}))
