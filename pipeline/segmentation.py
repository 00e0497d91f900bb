"""Cut a transcript into segments of a few seconds to about 20 s, timed on the speech.

Vendors that time their segments (whisper-1 ``verbose_json``, diarized segments, Hugging
Face chunks, PocketSphinx's word-pause segments) are trusted for what they say, not to the
millisecond: their segments are kept, except that one longer than 20 s, or one that runs
over a pause of 0.6 s or more, is cut (at its sentence ends when its text has several,
as below; at those pauses when its text has no sentence marks at all, as PocketSphinx's,
sharing the words by speech time). A vendor that gives no times (``gpt-4o-transcribe``
returns one segment spanning the whole request) is re-timed from the audio:

1. The energy VAD gives the speech spans inside the untimed segment.
2. Its text is cut into sentences (and sentences longer than 20 s of speech at clause
   marks, then between words).
3. Sentence by sentence, the speech time not yet assigned is shared among the sentences
   left by their share of the characters; walking that share along the speech spans
   (skipping the pauses) gives where the sentence should end.
4. That boundary snaps to the nearest pause between spans when one is close (within a
   second, or a quarter of the sentence), since sentences end where speakers pause; a
   boundary with no pause near it stays where the character share put it. The next
   estimate starts from the boundary chosen, so one slow or fast sentence does not
   shift every boundary after it.
5. Each piece is tightened to the speech it covers.

Then, for both:

6. Each line's start moves onto the speaker's own onset: the start of the speech the VAD
   finds at or near its timestamp (:mod:`pipeline.onsets`), so the dub starts neither in
   a breath nor late. The line's end stays; the line before it ends no later than the
   new start.
7. Fragments merge into a neighbour: a line under a second across a pause of at most
   0.5 s, and one under half a second (a lone word the recogniser cut off) into its
   nearer neighbour across any pause. A line that took a fragment in front of it moves
   onto the onset again.

Segments never cross a speaker change, and every step keeps the text's order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from itertools import accumulate, pairwise

from pipeline.onsets import snap_to_onsets
from pipeline.types import Segment

__all__ = [
    "FRAGMENT_S",
    "MAX_SEGMENT_S",
    "MIN_SEGMENT_S",
    "SPLIT_PAUSE_S",
    "distribute",
    "segment_transcript",
    "split_at_pauses",
    "split_sentences",
    "split_text",
    "untimed",
]

MIN_SEGMENT_S = 1.0  # shorter segments merge into a neighbour across a short pause
FRAGMENT_S = 0.5  # shorter segments merge into their nearer neighbour across any pause
MAX_SEGMENT_S = 20.0  # longer segments are split
MERGE_GAP_S = 0.5  # a short segment merges only across a pause this short or shorter
SPLIT_PAUSE_S = 0.6  # a timed segment is cut at a pause in its speech this long or longer
SNAP_S = 1.0  # a boundary moves to a pause at most this far away (or a quarter sentence)
EDGE_S = 0.05  # speech edges are kept this much before the first and after the last sound
_ENDERS = ".!?…。！？"
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)|[。！？]+[”’」』）]*")
_ABBREVIATIONS = frozenset({"mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "vs", "etc", "e.g",
                            "i.e", "fig", "approx"})
_CLAUSE = re.compile(r"(?<=[,;:，；：、])\s*")

Span = tuple[float, float]


def split_sentences(text: str) -> list[str]:
    """Split ``text`` after sentence marks (. ! ? … and the CJK ones), keeping every word."""
    text = text.strip()
    parts, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        word = text[:match.start()].rsplit(maxsplit=1)[-1:] or [""]
        if match.group() == "." and word[0].lower().rstrip(".") in _ABBREVIATIONS:
            continue
        parts.append(text[start:match.end()])
        start = match.end()
    parts.append(text[start:])
    return [part.strip() for part in parts if part.strip()]


def _speech_inside(speech: Sequence[Span], start_s: float, end_s: float) -> list[Span]:
    return [(max(a, start_s), min(b, end_s)) for a, b in speech if b > start_s and a < end_s]


def untimed(segment: Segment, chunks: Sequence[Span], tolerance_s: float = 0.05) -> bool:
    """Whether ``segment`` spans a whole transcription request (the vendor gave no times)."""
    return any(abs(segment.start_s - a) <= tolerance_s and abs(segment.end_s - b) <= tolerance_s
               for a, b in chunks)


def _tighten(segment: Segment, spans: Sequence[Span]) -> Segment:
    if not spans:
        return segment
    start_s = max(segment.start_s, spans[0][0] - EDGE_S)
    end_s = min(segment.end_s, spans[-1][1] + EDGE_S)
    return replace(segment, start_s=round(start_s, 3), end_s=round(max(start_s, end_s), 3))


def _clock_at(spans: Sequence[Span], speech_s: float) -> float:
    """The time at which ``speech_s`` seconds of speech have been spoken along ``spans``."""
    for start_s, end_s in spans:
        if speech_s <= end_s - start_s:
            return start_s + speech_s
        speech_s -= end_s - start_s
    return spans[-1][1]


def split_text(text: str, max_characters: int) -> list[str]:
    """Split ``text`` into sentences, cutting sentences longer than ``max_characters`` at
    clause marks, then between words (or anywhere in scripts written without spaces)."""
    limit = max(1, max_characters)
    return [piece for sentence in split_sentences(text) for piece in _bounded(sentence, limit)]


def _speech_after(spans: Sequence[Span], time_s: float) -> float:
    return sum(end_s - max(start_s, time_s) for start_s, end_s in spans if end_s > time_s)


def _pieces(text: str, speech_per_char_s: float) -> list[str]:
    """Sentences, with sentences longer than MAX_SEGMENT_S of speech cut at clauses, then words."""
    return split_text(text, int(MAX_SEGMENT_S / max(speech_per_char_s, 1e-6)))


def _bounded(text: str, limit: int) -> list[str]:
    if len(text) <= limit:
        return [text]
    joiner = " " if re.search(r"\s", text) else ""
    for splitter in (_CLAUSE, re.compile(r"\s+")):
        parts = [p for p in splitter.split(text) if p.strip()]
        if len(parts) > 1:
            return _pack(parts, limit, joiner)
    return [text[i:i + limit] for i in range(0, len(text), limit)]  # unbroken script (no spaces)


def _pack(parts: list[str], limit: int, joiner: str) -> list[str]:
    out: list[str] = []
    for part in parts:
        part = part.strip()
        if out and len(out[-1]) + len(joiner) + len(part) <= limit:
            out[-1] = f"{out[-1]}{joiner}{part}"
        else:
            out.append(part)
    return [piece for chunk in out for piece in (_bounded(chunk, limit) if len(chunk) > limit else [chunk])]


def distribute(segment: Segment, spans: Sequence[Span]) -> list[Segment]:
    """Split an untimed (or too long) segment over the speech spans inside it.

    Args:
        segment: one segment whose text may hold many sentences.
        spans: the speech spans inside it, in order (from the energy VAD).

    Returns:
        One segment per sentence (or shorter piece), timed as described in the module
        docstring; the texts joined with spaces give back the original text's words.
    """
    if not spans:
        return [segment]
    speech_s = sum(b - a for a, b in spans)
    characters = max(1, len(segment.text.strip()))
    pieces = _pieces(segment.text, speech_s / characters)
    if len(pieces) <= 1:
        return [_tighten(segment, spans)]
    pauses = [(a_end, b_start) for (_, a_end), (b_start, _) in pairwise(spans)]
    weights = [len(p) for p in pieces]
    bounds: list[Span] = []  # (end of piece k, start of piece k+1)
    last_s, used = spans[0][0], -1
    for k, weight in enumerate(weights[:-1]):
        # Share the speech left after the last boundary among the pieces left, so a
        # boundary that snapped to a pause re-anchors every later estimate.
        left_s = _speech_after(spans, last_s)
        share = weight / sum(weights[k:])
        target_s = _clock_at(spans, speech_s - left_s + left_s * share)
        reach_s = max(SNAP_S, 0.25 * left_s * share)
        snapped = _nearest_pause(pauses, target_s, reach_s, after_s=last_s, first=used + 1)
        if snapped is None:
            bounds.append((target_s, target_s))
        else:
            used = snapped
            bounds.append(pauses[snapped])
        last_s = bounds[-1][1]
    starts = [segment.start_s] + [b for _, b in bounds]
    ends = [a for a, _ in bounds] + [segment.end_s]
    out = []
    for text, start_s, end_s in zip(pieces, starts, ends, strict=True):
        piece = Segment(start_s, max(start_s, end_s), text, segment.speaker)
        out.append(_tighten(piece, _speech_inside(spans, start_s, end_s)))
    return out


def _nearest_pause(pauses: Sequence[Span], target_s: float, reach_s: float, *, after_s: float,
                   first: int) -> int | None:
    best, best_distance = None, reach_s
    for index in range(first, len(pauses)):
        start_s, end_s = pauses[index]
        if start_s < after_s:
            continue
        distance = 0.0 if start_s <= target_s <= end_s else min(abs(start_s - target_s),
                                                                  abs(end_s - target_s))
        if distance <= best_distance:
            best, best_distance = index, distance
        if start_s > target_s + reach_s:
            break
    return best


def _long_pauses(spans: Sequence[Span]) -> list[list[Span]]:
    """The speech spans grouped between pauses of SPLIT_PAUSE_S or more."""
    groups: list[list[Span]] = []
    for span in spans:
        if groups and span[0] - groups[-1][-1][1] < SPLIT_PAUSE_S:
            groups[-1].append(span)
        else:
            groups.append([span])
    return groups


def split_at_pauses(segment: Segment, spans: Sequence[Span]) -> list[Segment]:
    """Cut a timed segment that runs over long pauses in its speech.

    Text with several sentences is cut at its sentence ends (:func:`distribute`); text
    with no sentence marks at all (PocketSphinx) at each pause of SPLIT_PAUSE_S or more,
    its words shared among the stretches of speech by their length. One sentence stays
    whole.

    Args:
        segment: a timed segment.
        spans: the speech spans inside it, in order.
    """
    groups = _long_pauses(spans)
    words = segment.text.split()
    if len(groups) < 2 or len(words) < 2:
        return [segment]
    if any(mark in segment.text for mark in _ENDERS):
        return distribute(segment, spans) if len(split_sentences(segment.text)) > 1 else [segment]
    ends = _word_cuts([len(w) + 1 for w in words], [sum(b - a for a, b in g) for g in groups])
    pieces: list[tuple[int, int, int]] = []  # (first stretch, last stretch, end word)
    for index, end in enumerate(ends):
        if pieces and end == pieces[-1][2]:  # no words of its own: it ends the piece before
            pieces[-1] = (pieces[-1][0], index, end)
        else:
            pieces.append((index, index, end))
    out, first_word = [], 0
    for number, (first, last, end) in enumerate(pieces):
        start_s = segment.start_s if number == 0 else groups[first][0][0]
        end_s = segment.end_s if number == len(pieces) - 1 else groups[last][-1][1]
        out.append(Segment(round(start_s, 3), round(max(start_s, end_s), 3),
                           " ".join(words[first_word:end]), segment.speaker))
        first_word = end
    return out


def _word_cuts(sizes: Sequence[int], speech: Sequence[float]) -> list[int]:
    """Where each stretch's words end: the word counts whose characters best follow the
    stretches' shares of the speech (the first stretch gets at least one word)."""
    cumulative = list(accumulate(sizes, initial=0))
    ends: list[int] = []
    spoken_s = 0.0
    for length_s in speech[:-1]:
        spoken_s += length_s
        target = cumulative[-1] * spoken_s / sum(speech)
        low = ends[-1] if ends else 1
        ends.append(min(range(low, len(sizes) + 1), key=lambda k: abs(cumulative[k] - target)))
    return [*ends, len(sizes)]


def _join(first: Segment, second: Segment) -> Segment:
    return Segment(first.start_s, max(first.end_s, second.end_s),
                   f"{first.text.strip()} {second.text.strip()}", first.speaker)


def _merge(segments: list[Segment]) -> list[Segment]:
    """Merge segments under MIN_SEGMENT_S into a neighbour across a short pause, then
    fragments under FRAGMENT_S into their nearer neighbour across any pause."""
    out: list[Segment] = []
    for segment in segments:
        if out and _joinable(out[-1], segment):
            out[-1] = _join(out[-1], segment)
        else:
            out.append(segment)
    index = 0
    while index < len(out):
        if out[index].duration_s >= FRAGMENT_S:
            index += 1
            continue
        pairs = [p for p in (index - 1, index) if 0 <= p < len(out) - 1 and _fits(*out[p:p + 2])]
        if not pairs:
            index += 1
            continue
        first = min(pairs, key=lambda p: out[p + 1].start_s - out[p].end_s)  # the nearer one
        out[first:first + 2] = [_join(out[first], out[first + 1])]
        index = first
    return out


def _fits(first: Segment, second: Segment) -> bool:
    return first.speaker == second.speaker and second.end_s - first.start_s <= MAX_SEGMENT_S


def _joinable(first: Segment, second: Segment) -> bool:
    short = first.duration_s < MIN_SEGMENT_S or second.duration_s < MIN_SEGMENT_S
    return short and _fits(first, second) and second.start_s - first.end_s <= MERGE_GAP_S


def segment_transcript(
    segments: Sequence[Segment],
    speech: Sequence[Span],
    chunks: Sequence[Span] = (),
) -> tuple[Segment, ...]:
    """Refine a transcript's segments for dubbing (see the module docstring).

    Args:
        segments: the transcript's segments, absolute times, in order.
        speech: the speech spans of the whole input (energy VAD), in order.
        chunks: the ``(start_s, end_s)`` of each transcription request, to recognise a
            vendor that returned one untimed segment per request (and so that no line
            starts before its request).

    Returns:
        Segments of a few seconds to about 20 s, in order, none empty, each starting on
        the speech onset near it when there is one.
    """
    refined: list[Segment] = []
    for segment in segments:
        if not segment.text.strip():
            continue
        spans = _speech_inside(speech, segment.start_s, segment.end_s)
        if untimed(segment, chunks) or segment.duration_s > MAX_SEGMENT_S:
            refined.extend(distribute(segment, spans))
        else:
            refined.extend(split_at_pauses(segment, spans))
    # Lines are put on their onsets before their lengths decide what is a fragment, and
    # again once fragments have merged into the line after them.
    floor_s = min((a for a, _ in chunks), default=float("-inf"))
    merged = _merge(snap_to_onsets(refined, speech, floor_s))
    return tuple(snap_to_onsets(merged, speech, floor_s))
