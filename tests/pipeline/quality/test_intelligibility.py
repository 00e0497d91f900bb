"""Intelligibility: the meant text against what is heard back, as a character error rate."""

from __future__ import annotations

import pytest

from pipeline.quality.intelligibility import error_rate, normalise, number_words


def test_case_punctuation_and_spacing_do_not_count():
    assert error_rate("Ask not, what your country can do!", "ask not what  your country can do",
                      "en") == 0.0


def test_numbers_said_in_words_match_their_digits_in_english():
    assert number_words(1961) == "nineteen sixty one"
    assert number_words(2005) == "two thousand five"
    assert error_rate("In 1961 he spoke for 15 minutes.",
                      "in nineteen sixty one he spoke for fifteen minutes", "en") < 0.25
    assert normalise("3 cats", "en") == "three cats"


def test_a_line_missing_half_its_words_is_far_off():
    meant = "the quick brown fox jumps over the lazy dog near the river bank"
    assert error_rate(meant, "the quick brown fox jumps", "en") > 0.5
    assert error_rate(meant, meant.upper(), "en") == 0.0


def test_scripts_without_spaces_are_compared_by_character():
    assert error_rate("我们今天很高兴。", "我们今天很高兴", "zh") == 0.0
    assert error_rate("我们今天很高兴", "我们今天", "zh") == pytest.approx(3 / 7)


def test_nothing_heard_is_a_full_error_and_nothing_meant_nothing_heard_is_none():
    assert error_rate("hello there", "", "en") == 1.0
    assert error_rate("", "", "en") == 0.0
