"""The speakers option: auto, one voice, or a count, and a clear message otherwise."""

from __future__ import annotations

import pytest

from pipeline.errors import InputError
from pipeline.options import parse_options
from pipeline.speakers.choice import parse_speakers, speaker_count


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
