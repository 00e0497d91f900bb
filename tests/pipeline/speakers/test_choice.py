"""The speakers option: auto, one voice, or a count, and a clear message otherwise."""

from __future__ import annotations

import pytest

from pipeline.errors import InputError
from pipeline.options import parse_options
from pipeline.speakers.choice import parse_speakers, speaker_count, speakers_sentence


@pytest.mark.parametrize(("raw", "parsed"), [(None, "1"), ("", "1"), ("AUTO", "auto"),
                                             ("1", "1"), (3, "3"), (2.0, "2"), (" 08 ", "8")])
def test_speakers_reads_auto_or_a_count(raw, parsed):
    assert parse_speakers(raw) == parsed


@pytest.mark.parametrize("raw", ["0", "9", "two", "-1", True, [2]])
def test_a_bad_speakers_value_names_the_option(raw):
    with pytest.raises(InputError, match="speakers must be auto or") as caught:
        parse_speakers(raw)
    assert caught.value.param == "speakers"


def test_speakers_is_a_task_option_defaulting_to_one_voice():
    assert parse_options({"target_language": "es"}).speakers == "1"
    assert parse_options({"target_language": "es", "speakers": "2"}).speakers == "2"
    assert speaker_count("auto") is None and speaker_count("2") == 2


@pytest.mark.parametrize(("value", "voices", "can_tell_apart", "said"), [
    ("2", True, True, "2 (each gets a voice of their own)"),
    ("auto", True, True, "found offline (auto); each gets a voice of their own"),
    ("1", True, True, "one voice for everyone"),
    ("3", False, True, "3 (lines labelled with their speaker; text only, no voices)"),
    ("auto", True, False, "one voice for everyone (telling speakers apart needs the "
                          "resemblyzer package)"),
])
def test_the_speakers_sentence_says_what_the_option_does(value, voices, can_tell_apart, said):
    assert speakers_sentence(value, voices=voices, can_tell_apart=can_tell_apart) == said
