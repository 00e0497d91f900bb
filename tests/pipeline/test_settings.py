"""Settings come from an environment mapping; keys never show themselves."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeline.errors import ConfigurationError
from pipeline.settings import Secret, Settings


def test_defaults_match_the_documented_values():
    settings = Settings.from_env({})
    assert settings.data_dir == Path("data")
    assert settings.max_upload_mb == 200
    assert settings.max_duration_s == 3600
    assert settings.allow_private_urls is False
    assert settings.default_stt == "openai/gpt-4o-transcribe"
    assert settings.default_llm == "anthropic/claude-haiku-4-5-20251001"
    assert settings.workers == 2
    assert settings.api_key is None


def test_every_app_variable_is_read():
    settings = Settings.from_env({
        "APP_DATA_DIR": "/tmp/x", "APP_API_KEY": "secret", "APP_MAX_UPLOAD_MB": "10",
        "APP_MAX_DURATION_S": "60", "APP_ALLOW_PRIVATE_URLS": "1", "APP_DEFAULT_STT": "sphinx",
        "APP_DEFAULT_LLM": "openai/gpt-4.1", "APP_WORKERS": "4",
    })
    assert settings.data_dir == Path("/tmp/x")
    assert settings.api_key.reveal() == "secret"
    assert settings.max_upload_bytes == 10 * 1024 * 1024
    assert settings.max_duration_s == 60
    assert settings.allow_private_urls
    assert (settings.default_stt, settings.default_llm, settings.workers) == ("sphinx", "openai/gpt-4.1", 4)


def test_a_bad_number_is_a_clear_configuration_error():
    with pytest.raises(ConfigurationError, match="APP_MAX_DURATION_S must be a number"):
        Settings.from_env({"APP_MAX_DURATION_S": "an hour"})
    with pytest.raises(ConfigurationError, match="at least 1"):
        Settings.from_env({"APP_WORKERS": "0"})


def test_secrets_never_print_their_value():
    secret = Secret("sk-very-secret")
    assert "sk-very-secret" not in repr(secret)
    assert "sk-very-secret" not in str(secret)
    assert "sk-very-secret" not in repr(Settings.from_env({"APP_API_KEY": "sk-very-secret"}))
    assert secret.reveal() == "sk-very-secret"


def test_reading_settings_never_writes_the_environment():
    before = dict(os.environ)
    Settings.from_env({"OPENAI_API_KEY": "sk-x", "APP_WORKERS": "3"})
    assert dict(os.environ) == before
