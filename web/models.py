"""Typed answers of the REST API: the shapes of :mod:`pipeline.view` (and of the
OpenAI-shaped speech-to-text routes) as pydantic models.

Routes declare these as their ``response_model``, so the OpenAPI document at ``/docs``
describes exactly what they send. Models allow extra fields, so a field added to the view
passes through until it is described here.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pipeline.types import Role, StepName, StepStatus, TaskStatus
from web.errors import error_responses
from web.fields import TaskOptionsView
from web.media_models import MediaView

__all__ = [
    "Cost",
    "Health",
    "LanguageList",
    "SPEECH_TEXT_ANSWERS",
    "PlanView",
    "SpeechJson",
    "SpeechVerboseJson",
    "StepView",
    "TaskAccepted",
    "TaskCanceling",
    "TaskDeleted",
    "TaskError",
    "TaskPage",
    "TaskSummary",
    "TaskView",
    "VendorChoiceView",
    "VendorList",
]


class _View(BaseModel):
    model_config = ConfigDict(extra="allow")


class Health(_View):
    """The process is up."""

    status: Literal["ok"]


class Language(_View):
    """One language: our code, its English name and its own name."""

    code: str
    name: str
    native_name: str


class LanguageList(_View):
    """Every language a task may name."""

    languages: list[Language]


class VendorRow(_View):
    """One vendor: what it does, its models and languages, and whether it can run here."""

    id: str
    name: str
    label: str
    roles: list[Role]
    models: dict[str, list[str]]
    languages: dict[str, list[str] | Literal["any"]]
    key_variable: str | None
    runnable: bool
    why_not: str = Field(description="why it cannot run here (empty when it can)")


class VendorList(_View):
    """Every vendor in the registry."""

    vendors: list[VendorRow]


class VendorChoiceView(_View):
    """Which vendor and model a role uses, why, and whether it can run here."""

    role: Role
    vendor: str
    model: str
    reason: str
    runnable: bool
    missing: str | None = Field(description="the variable that would make it runnable")
    fallback_from: str | None = None
    fallback_missing: str | None = None


class CostLine(_View):
    """The spend of one step."""

    step: StepName
    vendor: str
    model: str
    usd: float
    basis: str


class Cost(_View):
    """Spend in USD, step by step."""

    total_usd: float
    lines: list[CostLine]


class StepView(_View):
    """One of the five steps: status, times (Unix seconds), error or skip reason."""

    name: StepName
    status: StepStatus
    started_at: float | None
    finished_at: float | None
    duration_s: float | None
    detail: str | None
    error: str | None
    reused: bool = Field(description="its output came from an earlier run")


class SegmentView(_View):
    """One timed line."""

    start_s: float
    end_s: float
    text: str
    speaker: str | None = None


class TranscriptView(_View):
    """What was said."""

    language: str
    language_name: str | None
    vendor: str
    model: str
    text: str
    segments: list[SegmentView]


class TranslationView(_View):
    """The translation, line for line with the transcript."""

    source_language: str
    target_language: str
    vendor: str
    model: str
    text: str
    segments: list[SegmentView]


class VoiceReferenceView(_View):
    """The window of speech the voice was cloned from."""

    source: str = Field(description="clone_clip or input")
    start_s: float
    end_s: float
    duration_s: float


class TimingLine(_View):
    """Where one dubbed line landed against its original slot."""

    index: int
    start_s: float
    end_s: float
    placed_start_s: float
    start_offset_s: float
    natural_s: float
    dubbed_s: float
    speed_factor: float
    vendor_speed: float
    overflow_s: float
    onset_s: float | None = Field(None, description="the speaker's onset the line starts on")
    starts_on_onset: bool | None = Field(
        None, description="whether the dubbed line starts within 150 ms of that onset")


class TimingView(_View):
    """How the dub fits the original's timeline."""

    mode: str
    original_duration_s: float
    dubbed_duration_s: float
    summary: dict[str, Any]
    segments: list[TimingLine]


class SubtitleView(_View):
    """One subtitle file, timed on the dub."""

    kind: Literal["transcript", "translation"]
    language: str
    format: Literal["srt", "vtt"]
    url: str


class TaskError(_View):
    """Why a task failed (or was canceled)."""

    message: str
    code: str | None
    retryable: bool = Field(description="whether a retry (POST .../retry) may succeed")
    param: str | None
    step: StepName | None


class Progress(_View):
    """How far the task is (0..1) and what it is doing."""

    fraction: float
    message: str


class LineQualityView(_View):
    """How one dubbed line came out."""

    index: int
    similarity: float | None = Field(description="voice similarity to the reference (cosine)")
    error_rate: float | None = Field(description="character error rate heard back")
    understood: bool | None
    heard: str
    takes: int
    kept_take: int
    retake_reason: str | None


class QualityView(_View):
    """The dub's quality report: per line and overall."""

    summary: dict[str, float | int | None]
    checker: str | None
    notes: list[str]
    thresholds: dict[str, float | int]
    lines: list[LineQualityView]


class SpeakerView(_View):
    """One speaker: seconds of speech, whose voice speaks them, their reference, the vendor,
    and the median voice similarity of their lines to their own reference (null: not
    measured)."""

    name: str
    seconds: float
    voice_of: str
    reference_s: float
    vendor: str
    similarity: float | None = None


class TaskView(_View):
    """Everything about a task (``GET /v1/tasks/{task_id}``)."""

    task_id: str
    status: TaskStatus
    created_at: float
    updated_at: float
    finished_at: float | None
    progress: Progress
    request: TaskOptionsView
    steps: list[StepView]
    target_language: str
    vendors: list[VendorChoiceView]
    input_duration_s: float | None
    transcript: TranscriptView | None
    translation: TranslationView | None
    voice_reference: VoiceReferenceView | None
    timing: TimingView | None
    quality: QualityView | None = None
    speakers: list[SpeakerView] = []
    media: MediaView | None = None
    subtitles: list[SubtitleView]
    warnings: list[str]
    cost_estimate: Cost | None
    cost_actual: Cost | None
    error: TaskError | None
    links: dict[str, str] = Field(description="self, audio, video, background, subtitles_*, "
                                  "retry (relative URLs)")
    project: dict[str, Any] | None = Field(None, description="once finished: the lines' revision, "
                                           "languages, stale outputs, next render's cost, links")


class TaskSummary(_View):
    """One line of the task list."""

    task_id: str
    status: TaskStatus
    created_at: float
    finished_at: float | None
    target_language: str
    progress: float
    error: TaskError | None
    links: dict[str, str]


class TaskPage(_View):
    """One page of tasks, newest first."""

    tasks: list[TaskSummary]
    total: int
    limit: int
    offset: int
    next_offset: int | None


class TaskAccepted(_View):
    """A queued task and where to poll it (also in ``Location``)."""

    task_id: str
    status: TaskStatus
    links: dict[str, str]


class TaskCanceling(_View):
    """A cancel was asked; a running task stops at its next safe point."""

    task_id: str
    status: TaskStatus
    canceling: bool


class TaskDeleted(_View):
    """The finished task and its files are gone."""

    task_id: str
    deleted: bool


class PlanView(_View):
    """What a task would run, why, what is missing, and what it would cost."""

    target_language: str
    source_language: str
    runnable: bool
    missing_variables: list[str]
    vendors: list[VendorChoiceView]
    translation: str
    quality: str = Field(description="what the quality check will measure, and why")
    speakers: str = Field(description="the speakers option: 1, auto or a count")
    speakers_note: str = Field(description="what it does, e.g. '2 (each gets a voice of "
                                           "their own)' or 'one voice for everyone'")
    estimate_for_duration_s: float
    cost_estimate: Cost


class Usage(_View):
    """How much audio was billed."""

    type: Literal["duration"]
    seconds: float


class SpeechJson(_View):
    """``response_format=json``: the text."""

    text: str
    usage: Usage


class VerboseSegment(_View):
    """One timed line of ``verbose_json``."""

    id: int
    start: float
    end: float
    text: str


class SpeechVerboseJson(_View):
    """``response_format=verbose_json``: the text, its segments, languages and models."""

    task: Literal["translate", "transcribe"]
    language: str
    duration: float
    text: str
    segments: list[VerboseSegment]
    source_language: str
    target_language: str
    models: list[str]
    usage: Usage


_TEXT = {"schema": {"type": "string"}}
SPEECH_TEXT_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"model": SpeechJson | SpeechVerboseJson,
          "description": "json or verbose_json; text and srt as text/plain; vtt as text/vtt; "
                         "stream=true as server-sent events",
          "content": {"text/plain": _TEXT, "text/vtt": _TEXT, "text/event-stream": _TEXT}},
    **error_responses(400, 413, 415, 422, 429, 502, 504),
}
