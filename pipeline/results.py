"""What a task reports: step reports, vendor choices, cost, timing, subtitles and the result."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipeline.media.report import MediaReport
from pipeline.quality.report import QualityReport
from pipeline.speakers.summary import SpeakerSummary
from pipeline.types import (
    DecodedAudio,
    Role,
    StepName,
    StepStatus,
    TaskStatus,
    Transcript,
    Translation,
    VoiceReference,
)

__all__ = [
    "Checkpoint",
    "CostEstimate",
    "CostLine",
    "SegmentTiming",
    "StepReport",
    "SubtitleFile",
    "TaskResult",
    "TimingReport",
    "VendorChoice",
]


@dataclass(frozen=True, slots=True)
class StepReport:
    """Status of one step, with its times (Unix seconds) and error or skip reason."""

    name: StepName
    status: StepStatus = StepStatus.PENDING
    started_at: float | None = None
    finished_at: float | None = None
    error: str | None = None
    detail: str | None = None
    reused: bool = False

    @property
    def duration_s(self) -> float | None:
        """How long the step ran, once it has finished."""
        if self.started_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.started_at


@dataclass(frozen=True, slots=True)
class VendorChoice:
    """Which vendor and model a role uses, and why.

    ``missing`` names the variable that would make this choice runnable; ``fallback_from``
    is the vendor the rule preferred when it could not run here (``fallback_missing`` is
    what it lacks).
    """

    role: Role
    vendor: str
    model: str
    reason: str
    runnable: bool = True
    missing: str | None = None
    fallback_from: str | None = None
    fallback_missing: str | None = None


@dataclass(frozen=True, slots=True)
class CostLine:
    """Estimated spend of one step."""

    step: StepName
    vendor: str
    model: str
    usd: float
    basis: str


@dataclass(frozen=True, slots=True)
class CostEstimate:
    """Estimated spend of a task, line by line."""

    lines: tuple[CostLine, ...] = ()

    @property
    def total_usd(self) -> float:
        """Sum of all lines."""
        return sum(line.usd for line in self.lines)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """Outputs of finished steps, so a task can resume, or re-run only its later steps.

    A run given a checkpoint reuses every output present (and says so in the step
    report): e.g. an edited ``translation`` re-runs only ``voice_clone`` and
    ``text_to_speech``.
    """

    decoded: DecodedAudio | None = None
    reference: VoiceReference | None = None
    transcript: Transcript | None = None
    source_language: str = ""
    translation: Translation | None = None


@dataclass(frozen=True, slots=True)
class SegmentTiming:
    """Where one dubbed segment landed against its original slot.

    Attributes:
        index: position of the segment in the translation (0-based).
        start_s: original slot start (seconds into the input).
        end_s: original slot end.
        placed_start_s: where the dubbed line starts in the output.
        natural_s: length of the line as the voice first spoke it (silence trimmed).
        dubbed_s: length of the line in the output, after fitting.
        speed_factor: how much faster than first spoken the line plays (1.0 = unchanged);
            the vendor's own speed control and the time stretch together.
        overflow_s: how far the line runs past the time it may use (its slot plus up
            to 1.5 s of the pause after it); 0 when it fits.
        vendor_speed: the speed the voice vendor was asked for (1.0 = its normal pace).
        onset_s: where the speaker starts the line in the original: the line's start,
            which transcription puts on the speech onset found near the recogniser's
            timestamp (:mod:`pipeline.onsets`); None when unknown.
        starts_on_onset: whether the dubbed line starts within the report's
            ``onset_tolerance_s`` (150 ms) of ``onset_s``.
    """

    index: int
    start_s: float
    end_s: float
    placed_start_s: float
    natural_s: float
    dubbed_s: float
    speed_factor: float = 1.0
    overflow_s: float = 0.0
    vendor_speed: float = 1.0
    onset_s: float | None = None
    starts_on_onset: bool = False

    @property
    def start_offset_s(self) -> float:
        """How late (positive) or early the dubbed line starts against its original."""
        return self.placed_start_s - self.start_s


@dataclass(frozen=True, slots=True)
class TimingReport:
    """How the dub was fitted to the original's timeline, segment by segment.

    ``mode`` is ``"keep"`` (every line placed at its original start) or ``"natural"``
    (lines follow each other with natural pauses).
    """

    mode: str
    segments: tuple[SegmentTiming, ...]
    original_duration_s: float
    dubbed_duration_s: float
    accept_factor: float = 1.15
    max_overflow_s: float = 0.6
    onset_tolerance_s: float = 0.15

    @property
    def share_on_onset(self) -> float:
        """Share of lines whose dub starts on the speaker's own onset (0..1)."""
        if not self.segments:
            return 0.0
        return sum(1 for s in self.segments if s.starts_on_onset) / len(self.segments)

    @property
    def share_above_accept(self) -> float:
        """Share of lines sped up by more than ``accept_factor`` (0..1)."""
        if not self.segments:
            return 0.0
        fast = sum(1 for s in self.segments if s.speed_factor > self.accept_factor + 1e-9)
        return fast / len(self.segments)

    @property
    def share_within_bounds(self) -> float:
        """Share of lines neither sped up past ``accept_factor`` nor running more than
        ``max_overflow_s`` past their time (0..1)."""
        if not self.segments:
            return 0.0
        fitting = sum(1 for s in self.segments if s.speed_factor <= self.accept_factor + 1e-9
                      and s.overflow_s <= self.max_overflow_s)
        return fitting / len(self.segments)

    @property
    def max_speed_factor(self) -> float:
        """The largest speed factor applied to any line."""
        return max((s.speed_factor for s in self.segments), default=1.0)

    @property
    def total_drift_s(self) -> float:
        """How much longer (positive) or shorter the dub is than the original."""
        return self.dubbed_duration_s - self.original_duration_s

    @property
    def max_start_offset_s(self) -> float:
        """The largest distance between a dubbed line's start and its original start."""
        return max((abs(s.start_offset_s) for s in self.segments), default=0.0)

    @property
    def overflowing(self) -> tuple[int, ...]:
        """Indexes of lines that run more than ``max_overflow_s`` past their time."""
        return tuple(s.index for s in self.segments if s.overflow_s > self.max_overflow_s)


@dataclass(frozen=True, slots=True)
class SubtitleFile:
    """One subtitle file: the transcript's or the translation's, as SRT or WebVTT."""

    kind: str  # "transcript" or "translation"
    language: str
    format: str  # "srt" or "vtt"
    path: Path


@dataclass(frozen=True, slots=True)
class TaskResult:
    """The outcome of a task: steps, choices, texts, audio and cost."""

    task_id: str
    status: TaskStatus
    steps: tuple[StepReport, ...]
    target_language: str = ""
    choices: tuple[VendorChoice, ...] = ()
    transcript: Transcript | None = None
    translation: Translation | None = None
    output_path: Path | None = None
    reference: VoiceReference | None = None
    input_duration_s: float | None = None
    warnings: tuple[str, ...] = ()
    cost: CostEstimate = field(default_factory=CostEstimate)
    actual_cost: CostEstimate = field(default_factory=CostEstimate)
    error: str | None = None
    failure: Exception | None = field(default=None, repr=False, compare=False)
    checkpoint: Checkpoint | None = field(default=None, repr=False, compare=False)
    timing: TimingReport | None = None
    subtitles: tuple[SubtitleFile, ...] = ()
    quality: QualityReport | None = None
    speakers: tuple[SpeakerSummary, ...] = ()  # one per speaker when each has a voice
    media: MediaReport | None = None
