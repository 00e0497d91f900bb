"""The ``speaker_voices`` option: read once, checked against the registry, canonical specs."""

from __future__ import annotations

import pytest

from pipeline.errors import InputError, UnknownVendorError
from pipeline.options import options_from_dict, options_to_dict, parse_options
from pipeline.speakers.overrides import VoiceSpec, override_for, parse_speaker_voices
from tests import fakes
from vendors.registry import default_registry

REGISTRY = default_registry((*fakes.FAKE_VENDORS, fakes.FAKE_PRESET))


def parse(value):
    return parse_speaker_voices(value, registry=REGISTRY)


def test_json_text_and_objects_give_the_same_canonical_specs():
    text = '{"Speaker 2": " ElevenLabs ", "Ana": "openai:Onyx", "B": "fish/s1"}'
    expected = {"Speaker 2": "elevenlabs", "Ana": "openai:onyx", "B": "fish/s1"}
    assert parse(text) == expected
    assert parse({"Speaker 2": "elevenlabs", "Ana": "openai:onyx", "B": "fish/s1"}) == expected


def test_an_empty_value_means_no_speaker_has_a_voice_of_their_own():
    assert parse("") == parse(None) == parse("{}") == {}


def test_a_model_and_a_preset_voice_can_be_named_together():
    assert parse({"Speaker 1": "openai/tts-1-hd:nova"}) == {"Speaker 1": "openai/tts-1-hd:nova"}
    assert VoiceSpec.read("openai/tts-1-hd:nova") == VoiceSpec("openai", "tts-1-hd", "nova")


def test_an_unknown_vendor_is_refused_naming_the_voice_vendors():
    with pytest.raises(UnknownVendorError) as caught:
        parse({"Speaker 2": "nobody"})
    assert caught.value.param == "speaker_voices"
    assert "Speaker 2" in caught.value.message and "elevenlabs" in caught.value.message


def test_a_vendor_that_does_not_speak_is_refused():
    with pytest.raises(UnknownVendorError, match="Valid:"):
        parse({"Speaker 2": "anthropic"})


def test_an_unknown_preset_is_refused_naming_the_vendors_presets():
    with pytest.raises(InputError) as caught:
        parse({"Ana": "openai:zed"})
    assert caught.value.param == "speaker_voices"
    assert "onyx" in caught.value.message and "alloy" in caught.value.message


def test_a_preset_for_a_vendor_without_presets_names_the_vendors_that_have_some():
    with pytest.raises(InputError, match="no preset voices.*openai, fake_preset"):
        parse({"Ana": "fish:deep"})


def test_an_unknown_model_is_refused():
    with pytest.raises(UnknownVendorError, match="offered"):
        parse({"Ana": "fish/s9"})


@pytest.mark.parametrize("bad", ['["elevenlabs"]', "not json", '{"A": 3}', '{"A": ""}',
                                 '{" ": "fish"}', '{"Ana": "fish", "ANA": "openai"}'])
def test_a_badly_shaped_value_is_refused_naming_the_option(bad):
    with pytest.raises(InputError) as caught:
        parse(bad)
    assert caught.value.param == "speaker_voices"


def test_at_most_eight_speakers_may_be_named():
    assert len(parse({f"Speaker {n}": "fish" for n in range(1, 9)})) == 8
    with pytest.raises(InputError, match="at most 8"):
        parse({f"Speaker {n}": "fish" for n in range(1, 10)})


def test_a_speaker_is_found_whatever_the_case_and_spacing_of_the_name():
    overrides = {"Speaker 2": "fish"}
    assert override_for(overrides, "speaker  2") == "fish"
    assert override_for(overrides, "Speaker 1") is None and override_for(overrides, None) is None


def test_the_option_round_trips_through_parse_and_the_stored_form():
    options = parse_options({"target_language": "es",
                             "speaker_voices": '{"Speaker 2": "fake_preset:deep"}'}, REGISTRY)
    assert options.speaker_voices == {"Speaker 2": "fake_preset:deep"}
    assert options_from_dict(options_to_dict(options)) == options


def test_a_bad_value_through_parse_options_names_the_option():
    with pytest.raises(InputError) as caught:
        parse_options({"target_language": "es", "speaker_voices": "[1]"}, REGISTRY)
    assert caught.value.param == "speaker_voices"
