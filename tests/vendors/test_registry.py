"""The shipped vendor list: factories that import, and capabilities that are consistent data."""

from __future__ import annotations

import importlib

import pytest

from pipeline.types import Role
from pipeline.vendor_api import VendorInfo
from vendors.registry import DEFAULT_VENDORS, default_registry


@pytest.mark.parametrize("info", DEFAULT_VENDORS, ids=lambda info: info.id)
def test_every_factory_string_names_a_function_that_exists(info: VendorInfo):
    module_name, _, attr = info.factory.partition(":")
    assert callable(getattr(importlib.import_module(module_name), attr))


@pytest.mark.parametrize("info", DEFAULT_VENDORS, ids=lambda info: info.id)
def test_every_role_offers_models_and_every_per_model_entry_is_offered(info: VendorInfo):
    for role in info.roles:
        assert info.models.get(role) or info.extra.get("any_model"), role
        assert set(info.model_languages.get(role, {})) <= set(info.models.get(role, ()))
    offered = {m for models in info.models.values() for m in models}
    assert set(info.model_limits) <= offered


def test_per_model_languages_beyond_the_roles_are_refused():
    with pytest.raises(ValueError, match="outside the role's"):
        VendorInfo(
            id="odd", display_name="Odd", roles=frozenset({Role.SPEAK}),
            languages={Role.SPEAK: frozenset({"en"})}, key_variable=None,
            models={Role.SPEAK: ("a",)}, factory="x:y",
            model_languages={Role.SPEAK: {"a": frozenset({"en", "fr"})}},
        )


def test_speech_translation_is_offered_by_openai_groq_and_sambanova():
    registry = default_registry()
    assert [v.id for v in registry.for_role(Role.SPEECH_TRANSLATE)] == [
        "openai", "groq", "sambanova"]
    assert [v.id for v in registry.for_role(Role.SPEECH_TRANSLATE, "ja")] == ["sambanova"]
    sambanova = registry.get("sambanova")
    assert sambanova.models_for(Role.SPEECH_TRANSLATE, "en") == (
        "Whisper-Large-v3", "Qwen2-Audio-7B-Instruct")
    assert sambanova.limits_for("Qwen2-Audio-7B-Instruct").max_audio_s == 30.0
