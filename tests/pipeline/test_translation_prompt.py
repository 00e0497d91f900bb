"""The shared LLM translation prompt: ids, batching, context, length hints and retries."""

from __future__ import annotations

import json
import re

import pytest

from pipeline.errors import VendorResponseError
from pipeline.translation_prompt import (
    MAX_BATCH_SEGMENTS,
    ChatReply,
    max_characters,
    parse_reply,
    translate_segments,
)
from pipeline.types import Segment, TranslationContext, Usage


def segments(*texts: str) -> list[Segment]:
    return [Segment(float(i), float(i) + 1.0, text) for i, text in enumerate(texts)]


def sent_segments(user: str) -> dict[str, str]:
    """The JSON object of segments to translate, as the model sees it."""
    tail = user.split("Segments to translate", 1)[1]
    return json.loads(tail[tail.index("{"):])


class FakeLLM:
    """Answers each request by upper-casing the requested segments (or with canned replies)."""

    def __init__(self, replies: list[str] | None = None, usage: Usage = Usage(10, 5)) -> None:
        self.replies = list(replies or [])
        self.usage = usage
        self.calls: list[tuple[str, str]] = []

    def __call__(self, system: str, user: str) -> ChatReply:
        self.calls.append((system, user))
        if self.replies:
            return ChatReply(self.replies.pop(0), self.usage)
        answer = {k: v.upper() for k, v in sent_segments(user).items()}
        return ChatReply(json.dumps(answer, ensure_ascii=False), self.usage)


def test_every_segment_comes_back_in_order_with_usage_summed() -> None:
    llm = FakeLLM()
    texts, usage = translate_segments(
        llm, segments("hello", "good morning", "bye"), "en", "es", TranslationContext()
    )
    assert texts == ["HELLO", "GOOD MORNING", "BYE"]
    assert usage == Usage(10, 5)
    assert sent_segments(llm.calls[0][1]) == {"1": "hello", "2": "good morning", "3": "bye"}


def test_empty_segments_pass_through_without_a_request() -> None:
    llm = FakeLLM()
    texts, _ = translate_segments(llm, segments("  ", "hi", ""), "en", "fr", TranslationContext())
    assert texts == ["", "HI", ""]
    assert sent_segments(llm.calls[0][1]) == {"2": "hi"}

    nothing = FakeLLM()
    texts, usage = translate_segments(nothing, segments("", " "), "en", "fr", TranslationContext())
    assert texts == ["", ""] and nothing.calls == [] and usage == Usage()


def test_the_prompt_names_both_languages_and_the_rules() -> None:
    llm = FakeLLM()
    translate_segments(llm, segments("hi"), "en", "ja", TranslationContext())
    system = llm.calls[0][0]
    assert "from English into Japanese" in system
    for rule in ("names, numbers, units", "tone", "not word for word", "never merge, split",
                 "ONLY one JSON object", "no transliteration"):
        assert rule in system


def test_an_unknown_source_language_asks_the_model_to_detect_it() -> None:
    for source in ("", "auto"):
        llm = FakeLLM()
        translate_segments(llm, segments("hi"), source, "de", TranslationContext())
        assert "into German (detect the source language)" in llm.calls[0][0]


def test_glossary_and_user_instructions_reach_the_model() -> None:
    llm = FakeLLM()
    context = TranslationContext(
        glossary={"Acme Cloud": "Acme Nube"}, instructions="Use the informal tú form."
    )
    translate_segments(llm, segments("Welcome to Acme Cloud"), "en", "es", context)
    system = llm.calls[0][0]
    assert "Acme Cloud -> Acme Nube" in system
    assert "Use the informal tú form." in system


def test_slot_lengths_become_character_limits_smaller_for_chinese_than_english() -> None:
    context = TranslationContext(max_duration_s=(2.0, 4.0))

    def limits(target: str) -> dict[str, int]:
        llm = FakeLLM()
        translate_segments(llm, segments("one two", "three four"), "en", target, context)
        user = llm.calls[0][1]
        block = user.split("Length limits", 1)[1]
        return json.loads(block[block.index("{"):block.index("}") + 1])

    english, chinese = limits("en"), limits("zh")
    assert english == {"1": max_characters(2.0, "en"), "2": max_characters(4.0, "en")}
    assert chinese["1"] < english["1"] and chinese["2"] < english["2"]
    assert english["2"] > english["1"]


def test_no_length_limits_are_sent_without_slot_lengths() -> None:
    llm = FakeLLM()
    translate_segments(llm, segments("hi"), "en", "fr", TranslationContext())
    assert "Length limits" not in llm.calls[0][1]


def test_long_transcripts_are_batched_and_reassembled_in_order() -> None:
    count = MAX_BATCH_SEGMENTS * 2 + 5
    llm = FakeLLM()
    texts, usage = translate_segments(
        llm, segments(*(f"line {i}" for i in range(count))), "en", "fr", TranslationContext()
    )
    assert texts == [f"LINE {i}" for i in range(count)]
    assert len(llm.calls) == 3
    assert usage == Usage(30, 15)
    sizes = [len(sent_segments(user)) for _, user in llm.calls]
    assert sizes == [MAX_BATCH_SEGMENTS, MAX_BATCH_SEGMENTS, 5]


def test_batches_also_respect_the_character_budget() -> None:
    llm = FakeLLM()
    long_line = "x" * 2500
    texts, _ = translate_segments(
        llm, segments(long_line, long_line, long_line), "en", "fr", TranslationContext()
    )
    assert texts == [long_line.upper()] * 3
    assert [list(sent_segments(u)) for _, u in llm.calls] == [["1", "2"], ["3"]]


def test_neighbouring_lines_are_marked_as_read_only_context() -> None:
    count = MAX_BATCH_SEGMENTS + 10
    llm = FakeLLM()
    translate_segments(
        llm, segments(*(f"line {i}" for i in range(count))), "en", "fr", TranslationContext()
    )
    first, second = llm.calls[0][1], llm.calls[1][1]
    assert "Context after (read-only, do not translate)" in first
    assert "Context before" not in first
    assert f'"{MAX_BATCH_SEGMENTS + 1}": "line {MAX_BATCH_SEGMENTS}"' in first
    assert "Context before (read-only, do not translate)" in second
    assert f'"{MAX_BATCH_SEGMENTS}": "line {MAX_BATCH_SEGMENTS - 1}"' in second
    assert str(MAX_BATCH_SEGMENTS) not in sent_segments(second)


def test_a_reply_missing_one_id_is_retried_once_with_a_correction() -> None:
    llm = FakeLLM(replies=['{"1": "uno"}', '{"1": "uno", "2": "dos"}'])
    texts, usage = translate_segments(llm, segments("one", "two"), "en", "es", TranslationContext())
    assert texts == ["uno", "dos"]
    assert len(llm.calls) == 2
    correction = llm.calls[1][1]
    assert "could not be used" in correction and "ids missing: 2" in correction
    assert usage == Usage(20, 10)


def test_an_empty_translation_counts_as_a_problem() -> None:
    llm = FakeLLM(replies=['{"1": "uno", "2": ""}', '{"2": "dos"}'])
    texts, _ = translate_segments(llm, segments("one", "two"), "en", "es", TranslationContext())
    assert texts == ["uno", "dos"]
    assert "empty translations for ids: 2" in llm.calls[1][1]


def test_a_number_for_an_id_is_not_a_translation_and_is_corrected() -> None:
    llm = FakeLLM(replies=['{"1": 160, "2": "dos"}', '{"1": "ciento sesenta", "2": "dos"}'])
    texts, _ = translate_segments(llm, segments("a hundred and sixty", "two"), "en", "es",
                                  TranslationContext())
    assert texts == ["ciento sesenta", "dos"]
    assert len(llm.calls) == 2
    assert "translations that are not text for ids: 1" in llm.calls[1][1]


@pytest.mark.parametrize("value", ["160", "null", "[\"uno\"]", '{"text": "uno"}', "true", '"  "'])
def test_a_value_that_is_not_non_empty_text_never_becomes_the_translation(value: str) -> None:
    llm = FakeLLM(replies=[f'{{"1": {value}, "2": "dos"}}', f'{{"1": {value}, "2": "dos"}}'])
    with pytest.raises(VendorResponseError, match="returned 1 of 2 segments"):
        translate_segments(llm, segments("one", "two"), "en", "es", TranslationContext())
    assert len(llm.calls) == 2


def test_two_unusable_replies_raise_a_clear_error() -> None:
    llm = FakeLLM(replies=['{"1": "uno"}', "Sorry, I cannot help with that."])
    with pytest.raises(VendorResponseError) as caught:
        translate_segments(
            llm, segments("one", "two", "three"), "en", "es", TranslationContext(),
            vendor="acme", model="acme-large",
        )
    assert len(llm.calls) == 2
    assert str(caught.value) == (
        "acme: acme-large returned 1 of 3 segments; try again or pick another model."
    )
    assert caught.value.retryable is False


def test_fenced_json_with_prose_around_it_is_accepted() -> None:
    reply = 'Here you go:\n```json\n{"1": "Hallo", "2": "Welt"}\n```\nLet me know!'
    llm = FakeLLM(replies=[reply])
    texts, _ = translate_segments(llm, segments("hello", "world"), "en", "de", TranslationContext())
    assert texts == ["Hallo", "Welt"]
    assert len(llm.calls) == 1


def test_parse_reply_reads_wrapped_objects_and_skips_thinking() -> None:
    assert parse_reply('<think>{"draft": 1}</think>{"translations": {"1": "a"}}') == {"1": "a"}
    assert parse_reply('{"1": 42, "2": "b"}') == {"2": "b"}
    assert parse_reply("no json here") is None


def test_extra_ids_from_the_context_are_ignored() -> None:
    llm = FakeLLM(replies=['{"1": "uno", "2": "dos", "99": "noise"}'])
    texts, _ = translate_segments(llm, segments("one", "two"), "en", "es", TranslationContext())
    assert texts == ["uno", "dos"]


def test_a_reply_cut_off_at_the_output_limit_splits_the_batch() -> None:
    calls: list[dict[str, str]] = []

    def llm(system: str, user: str) -> ChatReply:
        wanted = sent_segments(user)
        calls.append(wanted)
        if len(wanted) > 2:
            return ChatReply('{"1": "trunc', Usage(5, 100), truncated=True)
        return ChatReply(json.dumps({k: v.upper() for k, v in wanted.items()}), Usage(1, 1))

    texts, usage = translate_segments(llm, segments("a", "b", "c", "d"), "en", "fr", TranslationContext())
    assert texts == ["A", "B", "C", "D"]
    assert [list(c) for c in calls] == [["1", "2", "3", "4"], ["1", "2"], ["3", "4"]]
    assert usage == Usage(7, 102)


def test_one_segment_that_cannot_fit_the_output_limit_fails_clearly() -> None:
    def llm(system: str, user: str) -> ChatReply:
        return ChatReply('{"1": "', truncated=True)

    with pytest.raises(VendorResponseError, match="output limit"):
        translate_segments(llm, segments("long"), "en", "fr", TranslationContext(), model="m")


def test_the_model_never_sees_segment_times() -> None:
    llm = FakeLLM()
    translate_segments(llm, [Segment(12.5, 17.25, "hi")], "en", "fr", TranslationContext())
    assert not re.search(r"12\.5|17\.25", llm.calls[0][0] + llm.calls[0][1])


def test_the_llm_is_told_who_says_each_line_when_several_people_speak():
    from pipeline.translation_prompt import ChatReply, translate_segments
    from pipeline.types import Segment, TranslationContext

    sent = []

    def call(system, user):
        sent.append(user)
        return ChatReply('{"1": "Hola.", "2": "Adiós."}')

    segments = [Segment(0, 1, "Hello.", "Ana"), Segment(1, 2, "Bye.", "Ben")]
    translate_segments(call, segments, "en", "es", TranslationContext())
    assert "Speakers (who says each id" in sent[0]
    assert '"1": "Ana"' in sent[0] and '"2": "Ben"' in sent[0]


def test_one_speaker_adds_no_speaker_note():
    from pipeline.translation_prompt import ChatReply, translate_segments
    from pipeline.types import Segment, TranslationContext

    sent = []

    def call(system, user):
        sent.append(user)
        return ChatReply('{"1": "Hola."}')

    translate_segments(call, [Segment(0, 1, "Hello.", "Ana")], "en", "es", TranslationContext())
    assert "Speakers" not in sent[0]
