"""Intelligibility: did the dubbed line say what it was meant to say?

The dub is transcribed back and compared with the text that was meant to be spoken, as a
character error rate (edits per character of the meant text, ``jiwer``) after both are
normalised the same way: lower case, no punctuation, one space between words, and in
English the numbers written out in words ("3" and "three" are the same thing said). A
character rate works for every script, including those without spaces between words.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["error_rate", "normalise", "number_words"]

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
         "fourteen fifteen sixteen seventeen eighteen nineteen").split()
_TENS = "  twenty thirty forty fifty sixty seventy eighty ninety".split(" ")
_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"\s+")


def number_words(number: int) -> str:
    """An English number in words ("42" -> "forty two"); four-digit numbers that read as
    years the way years are said ("1961" -> "nineteen sixty one"); very large numbers digit
    by digit."""
    if 1100 <= number <= 1999 or 2010 <= number <= 2099:
        century, rest = divmod(number, 100)
        tail = "hundred" if rest == 0 else (f"oh {_ONES[rest]}" if rest < 10 else number_words(rest))
        return f"{number_words(century)} {tail}"
    if number < 20:
        return _ONES[number]
    if number < 100:
        tens, ones = divmod(number, 10)
        return _TENS[tens] + ("" if ones == 0 else f" {_ONES[ones]}")
    if number < 1000:
        hundreds, rest = divmod(number, 100)
        return f"{_ONES[hundreds]} hundred" + ("" if rest == 0 else f" {number_words(rest)}")
    if number < 1_000_000:
        thousands, rest = divmod(number, 1000)
        words = f"{number_words(thousands)} thousand"
        return words + ("" if rest == 0 else f" {number_words(rest)}")
    return " ".join(_ONES[int(d)] for d in str(number))


def normalise(text: str, language: str) -> str:
    """``text`` as compared: lower case, letters and digits only, numbers in words in
    English, single spaces."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if language == "en":
        text = _DIGITS.sub(lambda m: f" {number_words(int(m.group()))} ", text)
    kept = "".join(c if (unicodedata.category(c)[0] in "LNM") else " " for c in text)
    return _SPACES.sub(" ", kept).strip()


def error_rate(meant: str, heard: str, language: str) -> float:
    """Character error rate of ``heard`` against ``meant`` (0 = the same words; above 1
    when far more was heard than meant). Nothing meant and nothing heard is 0."""
    import jiwer

    reference, hypothesis = normalise(meant, language), normalise(heard, language)
    if not reference:
        return 0.0 if not hypothesis else 1.0
    if not hypothesis:
        return 1.0
    return float(jiwer.cer(reference, hypothesis))
