"""What the steps of one task hand to each other, and the callbacks a run reports to."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.planning import Plan
from pipeline.results import Checkpoint, CostLine, StepReport, SubtitleFile, TimingReport
from pipeline.types import DecodedAudio, Transcript, Translation, Voice, VoiceReference
from pipeline.options import TaskRequest

__all__ = ["CheckpointCallback", "PartialAudioCallback", "Work"]

PartialAudioCallback = Callable[[Path, float], None]
CheckpointCallback = Callable[[Checkpoint, tuple[StepReport, ...]], None]


@dataclass
class Work:
    """What the steps of one task hand to each other (internal, mutable)."""

    request: TaskRequest
    folder: Path
    reuse: Checkpoint = field(default_factory=Checkpoint)
    plan: Plan | None = None
    decoded: DecodedAudio | None = None
    reference: VoiceReference | None = None
    transcript: Transcript | None = None
    source_language: str = ""
    translation: Translation | None = None
    voice_adapter: object | None = None
    adapters: list[object] = field(default_factory=list)
    voice: Voice | None = None
    output: Path | None = None
    warnings: list[str] = field(default_factory=list)
    costs: list[CostLine] = field(default_factory=list)
    mode: str = "natural"
    speech: list[tuple[float, float]] | None = None
    timing: TimingReport | None = None
    subtitles: tuple[SubtitleFile, ...] = ()
    on_partial_audio: PartialAudioCallback | None = None

    def checkpoint(self) -> Checkpoint:
        """What the finished steps produced so far."""
        return Checkpoint(self.decoded, self.reference, self.transcript, self.source_language,
                          self.translation)
