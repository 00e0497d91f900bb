"""A user-supplied OpenAI-compatible endpoint: settings decide the URL, the model and the key."""

from __future__ import annotations

import functools
import json

import httpx2
import openai
import pytest

from pipeline.errors import ConfigurationError
from pipeline.registry import Registry
from pipeline.settings import Secret, Settings
from pipeline.types import Role, Segment, TranslationContext
from vendors.compatible import INFO, configured_models, create

OLLAMA = "http://localhost:11434/v1"


@pytest.fixture
def requests(monkeypatch: pytest.MonkeyPatch) -> list[httpx2.Request]:
    """Every request the OpenAI client sends, answered by a fake endpoint."""
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        request.read()
        seen.append(request)
        return httpx2.Response(200, json={
            "id": "c1", "object": "chat.completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": '{"1": "Hallo"}'}}],
        })

    client = httpx2.Client(transport=httpx2.MockTransport(handler))
    monkeypatch.setattr(openai, "OpenAI", functools.partial(openai.OpenAI, http_client=client))
    return seen


def run(translator) -> str:
    result = translator.translate([Segment(0.0, 1.0, "Hello")], "en", "de", TranslationContext())
    return result.segments[0].text


def test_base_url_and_default_model_come_from_settings(requests: list[httpx2.Request]) -> None:
    settings = Settings.from_env({
        "COMPATIBLE_BASE_URL": OLLAMA, "COMPATIBLE_MODELS": "qwen2.5:7b, llama3.1:8b",
    })
    translator = create(Role.TRANSLATE, "", None, settings)

    assert run(translator) == "Hallo"
    assert str(requests[0].url) == f"{OLLAMA}/chat/completions"
    assert json.loads(requests[0].content)["model"] == "qwen2.5:7b"
    assert requests[0].headers["authorization"] == "Bearer not-needed"


def test_a_named_model_and_key_win(requests: list[httpx2.Request]) -> None:
    settings = Settings.from_env({
        "COMPATIBLE_BASE_URL": "https://openrouter.ai/api/v1", "COMPATIBLE_MODELS": "a,b",
    })
    translator = create(Role.TRANSLATE, "meta-llama/llama-3.3-70b-instruct", Secret("or-key"), settings)

    run(translator)
    assert json.loads(requests[0].content)["model"] == "meta-llama/llama-3.3-70b-instruct"
    assert requests[0].headers["authorization"] == "Bearer or-key"
    assert translator.vendor == "compatible"


def test_without_a_base_url_it_says_which_variable_to_set() -> None:
    settings = Settings.from_env({"COMPATIBLE_MODELS": "qwen2.5:7b"})
    with pytest.raises(ConfigurationError, match="COMPATIBLE_BASE_URL"):
        create(Role.TRANSLATE, "", None, settings)


def test_without_any_model_it_says_how_to_name_one() -> None:
    settings = Settings.from_env({"COMPATIBLE_BASE_URL": OLLAMA})
    with pytest.raises(ConfigurationError, match="COMPATIBLE_MODELS"):
        create(Role.TRANSLATE, "", None, settings)


def test_configured_models_keep_their_order() -> None:
    settings = Settings.from_env({"COMPATIBLE_MODELS": " mistral , ,gemma3:4b"})
    assert configured_models(settings) == ("mistral", "gemma3:4b")


def test_the_registry_accepts_any_model_name_and_runs_only_with_a_base_url() -> None:
    registry = Registry([INFO])
    info, model = registry.parse_spec("compatible/phi4:14b", Role.TRANSLATE)
    assert (info.id, model) == ("compatible", "phi4:14b")
    assert INFO.supports(Role.TRANSLATE, "sw")

    unset = registry.availability(INFO, {}, Settings.from_env({}))
    assert not unset.runnable and "COMPATIBLE_BASE_URL" in unset.reason
    local = registry.availability(INFO, {}, Settings.from_env({"COMPATIBLE_BASE_URL": OLLAMA}))
    assert local.runnable
