"""The one options schema: parsed once, normalised, field-named errors."""

from __future__ import annotations

import pytest

from pipeline.errors import InputError, UnknownVendorError
from pipeline.options import (
    TaskOptions,
    option_fields,
    options_from_dict,
    options_to_dict,
    parse_options,
)
from vendors.registry import default_registry

REGISTRY = default_registry()


def test_languages_and_models_are_normalised_once():
    options = parse_options({"target_language": "Japanese", "source_language": "English",
                             "stt_model": "openai", "llm_model": "anthropic",
                             "voice_vendor": "Fish", "timing": "KEEP"}, REGISTRY)
    assert (options.target_language, options.source_language) == ("ja", "en")
    assert options.stt_model == "openai/gpt-4o-transcribe"
    assert options.llm_model == "anthropic/claude-haiku-4-5-20251001"
    assert (options.voice_vendor, options.timing) == ("fish", "keep")


def test_a_voice_model_can_be_named_with_its_vendor():
    options = parse_options({"target_language": "es", "voice_vendor": "fish/s1"}, REGISTRY)
    assert options.voice_vendor == "fish/s1"
    with pytest.raises(UnknownVendorError) as error:
        parse_options({"target_language": "es", "voice_vendor": "fish/s9"}, REGISTRY)
    assert error.value.param == "voice_vendor"


@pytest.mark.parametrize("raw, param", [
    ({"target_language": "klingon"}, "target_language"),
    ({"target_language": ""}, "target_language"),
    ({"target_language": "es", "source_language": "elvish"}, "source_language"),
    ({"target_language": "es", "timing": "fast"}, "timing"),
    ({"target_language": "es", "glossary": "[1, 2]"}, "glossary"),
    ({"target_language": "es", "text_only": "maybe"}, "text_only"),
    ({"target_language": "es", "voice_vendor": "nobody"}, "voice_vendor"),
    ({"target_language": "es", "colour": "blue"}, "colour"),
])
def test_a_bad_value_names_its_option(raw, param):
    with pytest.raises(InputError) as error:
        parse_options(raw, REGISTRY)
    assert error.value.param == param


def test_every_option_is_described_for_every_surface():
    names = [name for name, _ in option_fields()]
    assert names == list(TaskOptions.__dataclass_fields__)
    assert all(spec.help and spec.label for _, spec in option_fields())


def test_options_round_trip_through_plain_data():
    options = parse_options({"target_language": "de", "glossary": '{"JFK": "JFK"}',
                             "text_only": "true"}, REGISTRY)
    assert options_from_dict(options_to_dict(options)) == options
