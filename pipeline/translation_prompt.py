"""How every LLM translator asks for a translation and checks the answer.

Segments go to the model as a JSON object of numbered lines (``{"1": "...", "2": "..."}``)
and must come back as a JSON object with the same ids, each mapped to its text. Long
transcripts are sent in batches, each with a few neighbouring lines as read-only context.
A reply that drops, empties or garbles ids, or gives a value that is not text (a number,
a list, null), is retried once with a corrective note; a reply cut off at the
output limit makes the batch smaller. Vendors supply only ``call(system, user)``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from pipeline.errors import VendorResponseError
from pipeline.languages import AUTO, language_name
from pipeline.types import Segment, Translation, TranslationContext, Usage

__all__ = [
    "CONTEXT_SEGMENTS",
    "DEFAULT_SPEAKING_RATE_CPS",
    "MAX_BATCH_CHARACTERS",
    "MAX_BATCH_SEGMENTS",
    "SPEAKING_RATE_CPS",
    "ChatCall",
    "ChatReply",
    "build_system_prompt",
    "max_characters",
    "parse_reply",
    "translate_segments",
    "translation_of",
]

MAX_BATCH_SEGMENTS = 40
MAX_BATCH_CHARACTERS = 6000
CONTEXT_SEGMENTS = 3

# Characters per second of natural speech, counted the way len() counts them.
# Scripts without spaces and with dense characters are spoken at far fewer per second.
SPEAKING_RATE_CPS: dict[str, float] = {
    "zh": 5.0, "yue": 5.0, "ja": 7.5, "ko": 7.0, "th": 11.0, "bo": 8.0,
    "en": 14.0, "es": 15.0, "it": 15.0, "pt": 15.0, "fr": 14.5, "de": 14.0, "nl": 14.0,
    "ru": 13.5, "uk": 13.5, "pl": 13.5, "tr": 13.5, "ar": 12.5, "he": 12.5, "fa": 12.5,
    "hi": 12.5, "vi": 12.0,
}
DEFAULT_SPEAKING_RATE_CPS = 13.5


@dataclass(frozen=True, slots=True)
class ChatReply:
    """What one LLM request returned.

    Attributes:
        text: the model's answer (text blocks only, joined).
        usage: tokens the vendor reported for this request.
        truncated: the model stopped at its output limit before finishing.
    """

    text: str
    usage: Usage = field(default_factory=Usage)
    truncated: bool = False


ChatCall = Callable[[str, str], ChatReply]


@dataclass(frozen=True, slots=True)
class _Line:
    id: str
    text: str
    max_characters: int | None
    speaker: str | None = None


def max_characters(duration_s: float, language: str) -> int:
    """Longest translation, in characters, that fits a slot of ``duration_s`` when spoken.

    Args:
        duration_s: length of the original segment.
        language: target language code; CJK languages get far fewer characters.
    """
    rate = SPEAKING_RATE_CPS.get(language, DEFAULT_SPEAKING_RATE_CPS)
    return max(2, int(duration_s * rate))


def build_system_prompt(
    source_language: str, target_language: str, context: TranslationContext
) -> str:
    """The instructions shared by every batch: languages, rules, glossary, user style.

    Args:
        source_language: language code, or "" / "auto" to let the model detect it.
        target_language: language code to translate into.
        context: glossary and free-text instructions from the user.
    """
    target = language_name(target_language)
    source = language_name(source_language) if source_language not in ("", AUTO) else ""
    direction = f"from {source} into {target}" if source else f"into {target} (detect the source language)"
    lines = [
        "You translate speech transcripts for dubbing: each translated segment will be spoken "
        "in the original speaker's voice, in the same time slot as the original.",
        f"Translate {direction}.",
        "",
        "Rules:",
        f"- Translate the meaning naturally, as a native {target} speaker would say it, not word for word.",
        "- Preserve names, numbers, units and the speaker's tone and register.",
        "- Keep every id. Translate each segment on its own: never merge, split, drop or reorder segments.",
        "- Lines given as context are only there to help you understand; never translate or return them.",
        "- When a length limit is given for an id, keep that translation within it: "
        "choose shorter wording rather than dropping meaning.",
        '- Output ONLY one JSON object mapping each id to its translation, like {"1": "...", "2": "..."}: '
        "no notes, no explanations, no transliteration, no markdown.",
    ]
    if context.glossary:
        lines += ["", "Glossary (always use these target terms for these source terms):"]
        lines += [f"- {src} -> {dst}" for src, dst in context.glossary.items()]
    if context.instructions.strip():
        lines += [
            "",
            "Instructions from the user (follow them unless they conflict with the output format):",
            context.instructions.strip(),
        ]
    return "\n".join(lines)


def _as_json(mapping: Mapping[str, object]) -> str:
    return json.dumps(mapping, ensure_ascii=False, indent=0)


def _user_message(batch: Sequence[_Line], before: Sequence[_Line], after: Sequence[_Line]) -> str:
    parts: list[str] = []
    for where, lines in (("before", before), ("after", after)):
        if lines:
            text = _as_json({x.id: x.text for x in lines})
            parts += [f"Context {where} (read-only, do not translate):", text, ""]
    limits = {x.id: x.max_characters for x in batch if x.max_characters is not None}
    if limits:
        parts += [
            "Length limits (maximum characters of each translation, so it can be spoken in its time slot):",
            _as_json(limits),
            "",
        ]
    speakers = {x.id: x.speaker for x in (*before, *batch, *after) if x.speaker}
    if len(set(speakers.values())) > 1:
        parts += [
            "Speakers (who says each id: keep each speaker's gender agreement and the way the "
            "speakers address each other consistent):",
            _as_json(speakers),
            "",
        ]
    ids = ", ".join(x.id for x in batch)
    parts += [
        f"Segments to translate (answer with exactly these ids: {ids}):",
        _as_json({x.id: x.text for x in batch}),
    ]
    return "\n".join(parts)


_THINK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)


def parse_reply(text: str) -> dict[str, str] | None:
    """Read the id -> translation object from a model's answer.

    Tolerates markdown fences, prose around the JSON, ``<think>`` sections and one
    wrapping key (``{"translations": {...}}``). Only text values count as translations:
    an id mapped to a number, a list, an object or null is left out. Returns ``None``
    when there is no object.
    """
    found = _reply_object(text)
    if found is None:
        return None
    return {key: value.strip() for key, value in found.items() if isinstance(value, str)}


def _reply_object(text: str) -> dict[str, object] | None:
    """The first JSON object in the answer (unwrapped), with its ids stripped."""
    cleaned = _THINK.sub("", text or "")
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\{", cleaned):
        try:
            value, _ = decoder.raw_decode(cleaned, match.start())
        except ValueError:
            continue
        if isinstance(value, dict):
            if len(value) == 1:
                (only,) = value.values()
                if isinstance(only, dict):
                    value = only
            return {str(key).strip(): item for key, item in value.items()}
    return None


def _problem(
    found: dict[str, object] | None, merged: dict[str, str], batch: Sequence[_Line]
) -> str:
    if found is None and not merged:
        return "it was not a JSON object"
    lacking = [x.id for x in batch if x.id not in merged]
    given = found or {}
    missing = [i for i in lacking if i not in given]
    not_text = [i for i in lacking if i in given and not isinstance(given[i], str)]
    empty = [i for i in lacking if isinstance(given.get(i), str)]
    problems = []
    if missing:
        problems.append(f"ids missing: {', '.join(missing)}")
    if not_text:
        problems.append(f"translations that are not text for ids: {', '.join(not_text)}")
    if empty:
        problems.append(f"empty translations for ids: {', '.join(empty)}")
    return "; ".join(problems)


def _correction(problem: str, batch: Sequence[_Line]) -> str:
    ids = ", ".join(x.id for x in batch)
    return (
        f"\n\nYour previous answer could not be used ({problem}). Answer again with ONLY one JSON "
        f"object that has exactly these ids: {ids}, each mapped to its own non-empty translation."
    )


def _batches(lines: Sequence[_Line]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start, characters = 0, 0
    for index, line in enumerate(lines):
        full = index - start >= MAX_BATCH_SEGMENTS or characters + len(line.text) > MAX_BATCH_CHARACTERS
        if index > start and full:
            spans.append((start, index))
            start, characters = index, 0
        characters += len(line.text)
    if lines:
        spans.append((start, len(lines)))
    return spans


@dataclass
class _Run:
    call: ChatCall
    system: str
    lines: Sequence[_Line]
    vendor: str
    model: str
    usage: Usage = field(default_factory=Usage)

    def translate(self, start: int, end: int) -> dict[str, str]:
        batch = self.lines[start:end]
        before = self.lines[max(0, start - CONTEXT_SEGMENTS):start]
        after = self.lines[end:end + CONTEXT_SEGMENTS]
        user = _user_message(batch, before, after)
        merged: dict[str, str] = {}
        for attempt in range(2):
            reply = self.call(self.system, user)
            self.usage = self.usage + reply.usage
            if reply.truncated:
                return self._split(start, end)
            found = _reply_object(reply.text)
            merged.update({k: v.strip() for k, v in (found or {}).items()
                           if isinstance(v, str) and v.strip()})
            problem = _problem(found, merged, batch)
            if not problem:
                return {x.id: merged[x.id] for x in batch}
            if attempt == 0:
                user += _correction(problem, batch)
        got = sum(1 for x in batch if merged.get(x.id))
        name = self.model or "the model"
        raise VendorResponseError(
            self.vendor,
            f"{name} returned {got} of {len(batch)} segments; try again or pick another model.",
        )

    def _split(self, start: int, end: int) -> dict[str, str]:
        if end - start < 2:
            raise VendorResponseError(
                self.vendor,
                f"{self.model or 'the model'} stopped at its output limit before finishing one "
                "segment; shorten the segment or pick another model.",
            )
        middle = (start + end) // 2
        return {**self.translate(start, middle), **self.translate(middle, end)}


def translate_segments(
    call: ChatCall,
    segments: Sequence[Segment],
    source_language: str,
    target_language: str,
    context: TranslationContext,
    *,
    vendor: str = "llm",
    model: str = "",
) -> tuple[list[str], Usage]:
    """Translate ``segments`` with an LLM, keeping them 1:1.

    Args:
        call: performs one LLM request, ``call(system, user) -> ChatReply``.
        segments: the transcript's segments; only their text is sent.
        source_language: language code, or "" / "auto" to detect.
        target_language: language code to translate into.
        context: glossary, user instructions and per-segment slot lengths.
        vendor: vendor id, named in errors.
        model: model id, named in errors.

    Returns:
        One translated text per segment, in order (empty segments stay empty), and the
        usage summed over every request made.

    Raises:
        VendorResponseError: a batch still lacked segments after one corrective retry.
    """
    lines: list[_Line] = []
    for index, segment in enumerate(segments):
        text = segment.text.strip()
        if not text:
            continue
        limit = None
        if index < len(context.max_duration_s) and context.max_duration_s[index] > 0:
            limit = max_characters(context.max_duration_s[index], target_language)
        lines.append(_Line(str(index + 1), text, limit, segment.speaker))
    run = _Run(call, build_system_prompt(source_language, target_language, context), lines, vendor, model)
    translated: dict[str, str] = {}
    for start, end in _batches(lines):
        translated.update(run.translate(start, end))
    texts = [translated.get(str(i + 1), "") for i in range(len(segments))]
    return texts, run.usage


def translation_of(
    call: ChatCall,
    segments: Sequence[Segment],
    source_language: str,
    target_language: str,
    context: TranslationContext,
    *,
    vendor: str,
    model: str,
) -> Translation:
    """Translate ``segments`` through ``call`` and keep each segment's times.

    The shared body of every LLM translator: adapters supply only ``call``.
    """
    texts, usage = translate_segments(
        call, segments, source_language, target_language, context, vendor=vendor, model=model
    )
    return Translation(
        segments=tuple(replace(s, text=t) for s, t in zip(segments, texts, strict=True)),
        source_language=source_language,
        target_language=target_language,
        vendor=vendor,
        model=model,
        usage=usage,
    )
