"""Language identification for transcripts that came without a language."""

from __future__ import annotations

import pytest

from pipeline.langid import detect_language


@pytest.mark.parametrize(("text", "code"), [
    ("And so, my fellow Americans, ask not what your country can do for you, ask what you can "
     "do for your country.", "en"),
    ("Y así, mis compatriotas, no pregunten qué puede hacer su país por ustedes, pregunten qué "
     "pueden hacer ustedes por su país.", "es"),
    ("Et donc, mes chers compatriotes, ne vous demandez pas ce que votre pays peut faire pour vous.", "fr"),
    ("Und so, meine Mitbürger, fragt nicht, was euer Land für euch tun kann, sondern was ihr für "
     "euer Land tun könnt.", "de"),
    ("希望你以后能够做的比我还好呦。", "zh"),
    ("国があなたのために何ができるかではなく、あなたが国のために何ができるかを問うてください。", "ja"),
    ("조국이 여러분을 위해 무엇을 할 수 있는지 묻지 마십시오.", "ko"),
    ("Не спрашивайте, что ваша страна может сделать для вас.", "ru"),
    ("Не питайте, що ваша країна може зробити для вас.", "uk"),
    ("لا تسأل ماذا يمكن أن يقدم لك وطنك", "ar"),
])
def test_common_languages_are_recognised(text, code):
    assert detect_language(text) == code


@pytest.mark.parametrize("text", ["", "ok", "Hello!", "12 34 56", "Tokyo Paris Berlin Madrid"])
def test_too_little_evidence_gives_no_answer(text):
    assert detect_language(text) == ""
