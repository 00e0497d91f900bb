"""Language codes, names and locales all read as our codes."""

from __future__ import annotations

import pytest

from pipeline.errors import UnknownLanguageError
from pipeline.languages import AUTO, LANGUAGES, language_name, normalize_language


@pytest.mark.parametrize(
    ("given", "code"),
    [("ja", "ja"), ("JA", "ja"), ("Japanese", "ja"), ("ja-JP", "ja"), ("ja_JP", "ja"),
     ("jpn", "ja"), ("日本語", "ja"), ("zh-CN", "zh"), ("cmn", "zh"), ("Chinese", "zh"),
     ("pt-BR", "pt"), ("fil", "tl"), ("Español", "es"), ("yue", "yue")],
)
def test_codes_names_and_locales_normalise(given, code):
    assert normalize_language(given) == code


def test_auto_is_only_accepted_where_detection_makes_sense():
    assert normalize_language("auto", allow_auto=True) == AUTO
    assert normalize_language("", allow_auto=True) == AUTO
    with pytest.raises(UnknownLanguageError):
        normalize_language("auto")


def test_unknown_language_message_says_what_to_use():
    with pytest.raises(UnknownLanguageError, match="code such as 'ja'"):
        normalize_language("klingon")


def test_the_table_has_the_languages_people_ask_for_with_names():
    for code in ("en", "zh", "ja", "ko", "es", "fr", "de", "ar", "hi", "ru", "pt", "it"):
        assert code in LANGUAGES
    assert language_name("ja") == "Japanese"
    assert language_name("xx") == "xx"
