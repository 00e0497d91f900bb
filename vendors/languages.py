"""Language lists that several vendors share (data, checked against vendor docs)."""

from __future__ import annotations

from pipeline.languages import LANGUAGES

__all__ = ["WHISPER_LANGUAGES", "known"]


def known(codes: str) -> frozenset[str]:
    """The codes in a space-separated list that our language table knows."""
    return frozenset(c for c in codes.split() if c in LANGUAGES)


# Whisper's language list (whisper-1, gpt-4o-transcribe, whisper-large-v3 on every host).
WHISPER_LANGUAGES = known(
    "af am ar as az be bg bn bo br bs ca cs cy da de el en es et eu fa fi fo fr gl gu ha he "
    "hi hr ht hu hy id is it ja jv ka kk km kn ko la lb lo lt lv mi mk ml mn mr ms mt my ne "
    "nl nn no oc pa pl ps pt ro ru sa sd si sk sl sn so sq sr su sv sw ta te tg th tk tl tr "
    "tt uk ur uz vi yi yo yue zh"
)
