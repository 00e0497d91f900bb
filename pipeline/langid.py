"""Tell the language of a transcript when the transcriber did not say.

Some transcription models (e.g. gpt-4o-transcribe) return text without a language.
Without one, the pipeline cannot skip translating speech that is already in the target
language. This is a small, dependency-free identifier: the writing system settles most
languages at once; Latin-script text is scored by each language's most frequent short
words. It answers only when the evidence is clear, and ``""`` otherwise.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

__all__ = ["detect_language"]

# Frequent words that are rare in the other languages listed (lower case).
_COMMON_WORDS: dict[str, frozenset[str]] = {
    code: frozenset(words.split())
    for code, words in {
        "en": "the and of to is that it was for you with on are this be have not what your "
              "can we they he she do at by from but or an will my all would there their",
        "es": "el la los las de que y en un una es por con para no se lo como más pero sus "
              "le ya muy también porque cuando está son del al",
        "fr": "le la les de des et est un une que qui en pour pas dans ce il elle sur au avec "
              "ne se vous nous sont mais ou du aux cette",
        "de": "der die das und ist nicht ein eine zu den mit sich auf für von dem ich es sie "
              "wir auch auch aber wie oder noch nach bei",
        "it": "il la di che e è un una per non con sono del della le gli lo si ma anche come "
              "più questo nel alla",
        "pt": "o a os as de que e do da em um uma para com não se por mais como mas dos das "
              "ao é foi está isso",
        "nl": "de het een en van is dat niet te op zijn voor met die maar ook als er aan bij "
              "nog wel dit",
        "sv": "och att det som är en på för med inte den av till har jag de om ett var men",
        "pl": "i w nie na się z że do to jest jak ale po co tak za od już",
        "tr": "ve bir bu da de için ile çok ne değil daha gibi ama var ben sen o",
        "id": "yang dan di itu ini dengan untuk tidak dari dalam akan ada saya kami mereka",
    }.items()
}

_SCRIPT_LANGUAGE = (
    ("HANGUL", "ko"), ("HIRAGANA", "ja"), ("KATAKANA", "ja"), ("CJK", "zh"),
    ("ARABIC", "ar"), ("DEVANAGARI", "hi"), ("THAI", "th"), ("GREEK", "el"),
    ("HEBREW", "he"), ("BENGALI", "bn"), ("TAMIL", "ta"), ("GEORGIAN", "ka"),
    ("ARMENIAN", "hy"), ("CYRILLIC", "ru"),
)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def _script_counts(text: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for char in text:
        if not char.isalpha():
            continue
        name = unicodedata.name(char, "")
        for marker, code in _SCRIPT_LANGUAGE:
            if marker in name:
                counts[code] += 1
                break
        else:
            counts["latin"] += 1
    return counts


def detect_language(text: str) -> str:
    """Return our code for the language of ``text``, or ``""`` when unsure.

    Kana anywhere means Japanese (kanji alone reads as Chinese); Cyrillic reads as
    Russian unless Ukrainian letters appear. Latin text needs at least four frequent
    words and a clear lead over the runner-up.
    """
    counts = _script_counts(text)
    letters = sum(counts.values())
    if letters < 3:
        return ""
    if counts["ja"]:
        return "ja"
    script, count = counts.most_common(1)[0]
    if script != "latin":
        if count / letters < 0.5:
            return ""
        if script == "ru" and re.search(r"[їієґ]", text.lower()):
            return "uk"
        return script
    words = [w.lower() for w in _WORD.findall(text)]
    scores = Counter({code: sum(w in common for w in words) for code, common in _COMMON_WORDS.items()})
    ranked = scores.most_common(2)
    best, best_score = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0
    if best_score >= 4 and best_score >= 1.5 * runner_up and best_score / max(1, len(words)) >= 0.12:
        return best
    return ""
