"""Fit dubbed lines to the original's timeline: timing modes, length estimates, speed factors.

Two modes, chosen per task:

- ``natural``: lines follow one another with natural pauses (the original pause, kept
  between 0.15 and 1 s). Nothing is sped up. Best for short clips.
- ``keep`` (``auto`` picks it for inputs over 30 s): every line is placed at its original
  start.

  * Before synthesis, each translated line's spoken length is estimated from a
    per-language speaking rate; lines that would need more than 1.3x to fit are sent
    back to the translator once, to be said more briefly (:func:`lines_to_shorten`).
  * After synthesis, a line may first use the pause after it (up to 1.5 s), then it is
    sped up without changing pitch by at most 1.30x. Speech is never slowed down (the
    factor stays within 0.95-1.30; lines that are short keep their pace and are
    followed by silence).
  * A line that still does not fit is never cut: it runs on and the next line starts
    right after it (that is the overflow, reported per line; more than 0.6 s is
    flagged). Every line starts at ``max(original start, end of the line before)``, so
    as soon as there is room the dub is back on the original's starts: drift never
    accumulates.
  * With speakers, a line only waits for its own speaker's line before it: where two
    speakers talk at once in the original, their lines overlap in the dub by as much
    (:mod:`pipeline.dub.overlap`) and the track mixes them.
  * The output is padded to the original's length, so when nothing overflows past the
    end the two are equally long.

Either way the report says, per line, whether the dub starts on the speaker's own onset
(the line's original start, put on the speech onset by :mod:`pipeline.onsets`): within
150 ms of it. In ``keep`` timing only a line pushed by an overflow misses it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from pipeline.dub.overlap import Tails
from pipeline.errors import InputError
from pipeline.results import SegmentTiming, TimingReport
from pipeline.translation_prompt import DEFAULT_SPEAKING_RATE_CPS, SPEAKING_RATE_CPS
from pipeline.types import Segment

__all__ = [
    "ACCEPT_SPEED",
    "KEEP_ABOVE_S",
    "MAX_BORROW_S",
    "MAX_OVERFLOW_S",
    "MAX_SPEED",
    "MIN_SPEED",
    "ONSET_TOLERANCE_S",
    "SHORTEN_ABOVE",
    "TIMING_MODES",
    "KeepTimeline",
    "NaturalTimeline",
    "SHORTEN_NOTE",
    "available_times",
    "estimate_spoken_s",
    "lines_to_shorten",
    "overflow_warnings",
    "resolve_mode",
    "speed_factor",
]

TIMING_MODES = ("auto", "natural", "keep")
KEEP_ABOVE_S = 30.0  # "auto" keeps the original timing for inputs longer than this
MAX_BORROW_S = 1.5  # how much of the following pause a line may use
MIN_SPEED = 0.95  # never slower than this (we never slow down at all)
ACCEPT_SPEED = 1.15  # faster than this is counted as noticeable in the report
MAX_SPEED = 1.30  # never faster than this
SHORTEN_ABOVE = 1.30  # estimated need above which the translator is asked for a shorter line
MAX_OVERFLOW_S = 0.6  # overflow past a line's time above this is flagged
ONSET_TOLERANCE_S = 0.15  # a dubbed line this close to the speaker's onset starts on it
SHORTEN_NOTE = (
    "These lines were translated before, but the translations run too long to be spoken in "
    "their time slots. Translate them again as briefly as natural speech allows, within the "
    "length limits, keeping the meaning."
)
STRETCH_TOLERANCE = 0.01  # a line within 1 % of its time is not stretched
NATURAL_MIN_GAP_S = 0.15
NATURAL_MAX_GAP_S = 1.0


def resolve_mode(timing: str, duration_s: float) -> str:
    """Turn the request's ``timing`` into ``"natural"`` or ``"keep"``.

    Args:
        timing: ``"auto"``, ``"natural"`` or ``"keep"``.
        duration_s: length of the input; ``auto`` keeps the timing above 30 s.

    Raises:
        InputError: ``timing`` is none of those.
    """
    mode = (timing or "auto").strip().lower()
    if mode not in TIMING_MODES:
        raise InputError(f"Timing must be one of {', '.join(TIMING_MODES)}; got {timing!r}.")
    if mode == "auto":
        return "keep" if duration_s > KEEP_ABOVE_S else "natural"
    return mode


def estimate_spoken_s(text: str, language: str) -> float:
    """Roughly how long ``text`` takes to say in ``language`` at a natural pace.

    Uses the same per-language characters-per-second rates as the translator's length
    limits, so an estimate and a limit always agree.
    """
    rate = SPEAKING_RATE_CPS.get(language, DEFAULT_SPEAKING_RATE_CPS)
    return len(text.strip()) / rate


def speed_factor(natural_s: float, available_s: float) -> float:
    """The speed-up that fits ``natural_s`` of speech into ``available_s`` (1.0 to 1.30).

    Lines that fit (within 1 %) keep their pace; lines that cannot fit even at 1.30x
    get 1.30x and overflow.
    """
    if available_s <= 0:
        return MAX_SPEED
    need = natural_s / available_s
    if need <= 1.0 + STRETCH_TOLERANCE:
        return 1.0
    return min(MAX_SPEED, need)


def _window_ends(segments: Sequence[Segment], total_s: float) -> list[float]:
    """Where each line's usable time ends: its slot plus up to 1.5 s of the next pause."""
    ends = []
    for position, segment in enumerate(segments):
        following = segments[position + 1].start_s if position + 1 < len(segments) else total_s
        pause_s = max(0.0, following - segment.end_s)
        ends.append(segment.end_s + min(MAX_BORROW_S, pause_s))
    return ends


def available_times(segments: Sequence[Segment], total_s: float) -> list[float]:
    """How long each line may last: its slot plus up to 1.5 s of the pause after it
    (up to the next line that has text; the last line may use the end of the input)."""
    spoken = [i for i, s in enumerate(segments) if s.text.strip()]
    ends = _window_ends([segments[i] for i in spoken], total_s)
    times = [s.duration_s for s in segments]
    for index, end_s in zip(spoken, ends, strict=True):
        times[index] = end_s - segments[index].start_s
    return times


def lines_to_shorten(segments: Sequence[Segment], language: str, total_s: float) -> list[int]:
    """Indexes of lines whose estimated length needs more than 1.3x to fit their time.

    Args:
        segments: the translated lines, timed on the original.
        language: the language they are in.
        total_s: the input's length (the last line may use the silence after it).
    """
    found = []
    for index, (segment, available_s) in enumerate(
            zip(segments, available_times(segments, total_s), strict=True)):
        if not segment.text.strip():
            continue
        estimate_s = estimate_spoken_s(segment.text, language)
        if available_s <= 0 or estimate_s / available_s > SHORTEN_ABOVE:
            found.append(index)
    return found


def overflow_warnings(report: TimingReport) -> list[str]:
    """A warning naming the lines that run more than 0.6 s past their time, if any."""
    late = report.overflowing
    if not late:
        return []
    lines = ", ".join(str(i + 1) for i in late[:10]) + (" ..." if len(late) > 10 else "")
    return [
        f"{len(late)} dubbed line(s) run more than {report.max_overflow_s:g} s past their time "
        f"even at {MAX_SPEED:g}x (line {lines}); the lines after them start late. "
        "Shorten those lines in the translation and synthesise again."
    ]


class _Timeline(ABC):
    """Lines added in order (more may come until :meth:`close`), placed in order."""

    mode = ""

    def __init__(self, segments: Sequence[Segment] = (), indexes: Sequence[int] = (),
                 total_s: float = 0.0, *, closed: bool = True) -> None:
        self._segments: list[Segment] = []
        self._indexes: list[int] = []
        self.total_s = total_s
        self.closed = False
        self._cursor_s = 0.0
        self._tails = Tails()
        self.settled_s = 0.0  # the dub before this is final: no later line starts earlier
        self._placed: list[SegmentTiming] = []
        for index, segment in zip(indexes, segments, strict=True):
            self.add(index, segment)
        if closed:
            self.close()

    def add(self, index: int, segment: Segment) -> None:
        """Append the next spoken line (``index``: its place in the translation)."""
        if self.closed:
            raise ValueError("no line can follow once the timeline is closed")
        self._segments.append(segment)
        self._indexes.append(index)

    def close(self) -> None:
        """No more lines will be added."""
        self.closed = True

    def __len__(self) -> int:
        return len(self._segments)

    def known(self, position: int) -> bool:
        """Whether the time line ``position`` may use is known (the next line, or the end)."""
        return position + 1 < len(self._segments) or (self.closed and position < len(self._segments))

    def window_end_s(self, position: int) -> float:
        """Where line ``position``'s usable time ends: its slot plus up to 1.5 s of the pause
        before the next line (or before the end of the input, for the last line)."""
        segment = self._segments[position]
        following = (self._segments[position + 1].start_s if position + 1 < len(self._segments)
                     else max(self.total_s, segment.end_s))
        return segment.end_s + min(MAX_BORROW_S, max(0.0, following - segment.end_s))

    def place(self, position: int, natural_s: float, dubbed_s: float, *,
              speed: float = 1.0, vendor_speed: float = 1.0) -> SegmentTiming:
        """Put the next line on the timeline and return where it landed.

        Args:
            position: the line's place among the spoken lines (placed in order).
            natural_s: its length as first spoken, at the vendor's normal pace.
            dubbed_s: its length after fitting.
            speed: the speed factor applied (vendor speed times time stretch).
            vendor_speed: the speed the vendor was asked for.
        """
        if position != len(self._placed):
            raise ValueError(f"lines are placed in order; expected {len(self._placed)}, got {position}")
        segment = self._segments[position]
        start_s = self.start_s(position)
        timing = SegmentTiming(
            index=self._indexes[position], start_s=segment.start_s, end_s=segment.end_s,
            placed_start_s=start_s, natural_s=natural_s, dubbed_s=dubbed_s,
            speed_factor=round(speed, 3), overflow_s=self._overflow_s(position, start_s + dubbed_s),
            vendor_speed=vendor_speed, onset_s=segment.start_s,
            starts_on_onset=abs(start_s - segment.start_s) <= ONSET_TOLERANCE_S + 1e-9,
        )
        self._tails.add(segment.end_s, segment.speaker, start_s + dubbed_s)
        self._cursor_s = self._tails.end_s
        self._placed.append(timing)
        self.settled_s = max(self.settled_s, self._settle(position))
        return timing

    def _settle(self, position: int) -> float:
        """Before when the dub is final once line ``position`` is placed."""
        if position + 1 < len(self._segments):
            return self._tails.settled_s(self._segments[position + 1].start_s)
        return self._tails.settled_s(None) if self.closed else self._cursor_s

    @property
    def sound_end_s(self) -> float:
        """Where the last line placed so far stops speaking."""
        return self._tails.end_s

    @abstractmethod
    def start_s(self, position: int) -> float:
        """Where line ``position`` starts, given the lines placed so far."""

    def _overflow_s(self, position: int, end_s: float) -> float:
        return 0.0

    def report(self) -> TimingReport:
        """The timing report of every line placed so far."""
        return TimingReport(self.mode, tuple(self._placed), self.total_s, self.duration_s,
                            onset_tolerance_s=ONSET_TOLERANCE_S)

    @property
    def duration_s(self) -> float:
        """Length of the dub so far."""
        return self._cursor_s


class KeepTimeline(_Timeline):
    """Places lines one by one at their original starts (pushed only by an overflow).

    Args:
        segments: the lines that are spoken, in order, timed on the original.
        indexes: each line's index in the translation (for the report).
        total_s: the input's length.
        closed: ``False`` when more lines will be added with :meth:`add`.
    """

    mode = "keep"

    def planned_factor(self, position: int, natural_s: float) -> float:
        """The speed factor line ``position`` needs if nothing before it overflows
        (needs :meth:`known`)."""
        return speed_factor(natural_s, self.window_end_s(position) - self._segments[position].start_s)

    def start_s(self, position: int) -> float:
        """Where line ``position`` starts: its original start, or later if the line
        before it (of its own speaker, with speakers) is still speaking."""
        segment = self._segments[position]
        return max(self._tails.earliest_s(segment.start_s, segment.speaker), self.settled_s)

    def factor(self, position: int, natural_s: float) -> float:
        """The speed factor line ``position`` needs from where it actually starts."""
        return speed_factor(natural_s, self.window_end_s(position) - self.start_s(position))

    def _overflow_s(self, position: int, end_s: float) -> float:
        return max(0.0, end_s - self.window_end_s(position))

    @property
    def duration_s(self) -> float:
        """Length of the dub: the original's, or longer when the last line runs past it."""
        return max(self.total_s, self._cursor_s)


class NaturalTimeline(_Timeline):
    """Places lines one after another, keeping the original pause between 0.15 and 1 s.

    Args:
        segments: the lines that are spoken, in order, timed on the original.
        indexes: each line's index in the translation (for the report).
        total_s: the input's length (reported beside the dub's).
        closed: ``False`` when more lines will be added with :meth:`add`.
    """

    mode = "natural"

    def planned_factor(self, position: int, natural_s: float) -> float:
        """Always 1.0: natural timing never changes the pace."""
        return 1.0

    def known(self, position: int) -> bool:
        """Always true once the line is added: natural timing needs nothing after it."""
        return position < len(self._segments)

    def factor(self, position: int, natural_s: float) -> float:
        """Always 1.0: natural timing never changes the pace."""
        return 1.0

    def start_s(self, position: int) -> float:
        """Where line ``position`` starts: after the previous line and a natural pause (or,
        where two speakers talk at once in the original, over the previous line)."""
        if position == 0:
            return 0.0
        segment, before = self._segments[position], self._segments[position - 1]
        pause_s = segment.start_s - before.end_s
        if pause_s < 0 and None not in (segment.speaker, before.speaker) and (
                segment.speaker != before.speaker):
            floor_s = self._placed[position - 1].placed_start_s
            return max(self._tails.earliest_s(segment.start_s, segment.speaker, floor_s),
                       self.settled_s)
        return self._cursor_s + min(NATURAL_MAX_GAP_S, max(NATURAL_MIN_GAP_S, pause_s))

    def _settle(self, position: int) -> float:
        if position + 1 < len(self._segments):
            return self._tails.settled_s(self._segments[position + 1].start_s,
                                         self._placed[position].placed_start_s)
        return self._tails.settled_s(None) if self.closed else self._cursor_s
