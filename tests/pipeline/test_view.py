"""The one JSON view: results, stored tasks and their failures look the same everywhere."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from pipeline.errors import InputError, VendorTimeoutError
from pipeline.options import TaskRequest, option_fields
from pipeline.results import SegmentTiming, StepReport, SubtitleFile, TaskResult, TimingReport
from pipeline.tasks.store import TaskRecord
from pipeline.types import STEP_ORDER, StepName, StepStatus, TaskStatus
from pipeline.view import report_view, result_to_dict, task_summary, task_view, timing_to_dict

TASK_ID = "a" * 32


def _steps(failed: StepName | None = None) -> tuple[StepReport, ...]:
    return tuple(StepReport(name, StepStatus.FAILED if name is failed else StepStatus.PENDING)
                 for name in STEP_ORDER)


def _record(**changes) -> TaskRecord:
    record = TaskRecord(id=TASK_ID, status=TaskStatus.QUEUED, created_at=1.0, updated_at=2.0,
                        request=TaskRequest.of(Path("in.wav"), target_language="ja"))
    return replace(record, **changes)


def test_a_failure_carries_its_code_the_field_at_fault_and_whether_a_retry_may_help():
    failure = InputError("Pick a target language.", param="target_language")
    result = TaskResult(TASK_ID, TaskStatus.FAILED, _steps(StepName.INITIALIZATION),
                        error=failure.message, failure=failure)
    assert result_to_dict(result)["error"] == {
        "message": "Pick a target language.", "code": "invalid_input", "retryable": False,
        "param": "target_language", "step": "initialization"}
    timeout = VendorTimeoutError("fish", "no answer in 60 s.")
    later = replace(result, steps=_steps(StepName.TEXT_TO_SPEECH), error=timeout.message,
                    failure=timeout)
    assert result_to_dict(later)["error"]["retryable"] is True
    assert result_to_dict(replace(result, error=None, failure=None))["error"] is None


def test_the_report_view_names_no_server_file(tmp_path):
    result = TaskResult(TASK_ID, TaskStatus.SUCCEEDED, _steps(),
                        output_path=tmp_path / "out.mp3",
                        subtitles=(SubtitleFile("translation", "es", "srt", tmp_path / "t.srt"),))
    report = report_view(result)
    assert "output_path" not in report and str(tmp_path) not in str(report)
    assert report["subtitles"] == [{"kind": "translation", "language": "es", "format": "srt"}]


def test_a_stored_failure_reads_whether_a_retry_may_help_from_its_kind():
    def error(kind):
        return task_view(_record(status=TaskStatus.FAILED, error="It failed.", error_kind=kind,
                                 steps=_steps(StepName.SPEECH_TO_TEXT)))["error"]

    assert error("vendor_timeout") == {"message": "It failed.", "code": "vendor_timeout",
                                       "retryable": True, "param": None,
                                       "step": "speech_to_text"}
    assert error("vendor_rate_limited")["retryable"] is True
    assert error("vendor_auth_error")["retryable"] is False
    assert error("interrupted")["retryable"] is False


def test_a_stored_result_keeps_the_field_at_fault():
    failure = InputError("Unknown language 'xx'.", param="source_language")
    result = TaskResult(TASK_ID, TaskStatus.FAILED, _steps(StepName.INITIALIZATION),
                        error=failure.message, failure=failure)
    record = _record(status=TaskStatus.FAILED, error=failure.message, error_kind=failure.kind,
                     steps=result.steps, result=report_view(result))
    assert task_view(record)["error"]["param"] == "source_language"
    assert task_summary(record)["error"] == task_view(record)["error"]


def test_the_task_view_echoes_every_option_normalised_and_links_the_task():
    view = task_view(_record())
    assert {name for name, _ in option_fields()} <= set(view["request"])
    assert view["request"]["target_language"] == "ja"
    assert view["request"]["source_language"] == "auto"
    assert view["target_language"] == "ja" and view["error"] is None
    assert view["links"] == {"self": f"/v1/tasks/{TASK_ID}"}
    assert [s["name"] for s in view["steps"]] == [n.value for n in STEP_ORDER]


def test_the_timing_view_says_per_line_whether_the_dub_starts_on_the_speakers_onset():
    lines = (SegmentTiming(0, 0.5, 2.0, 0.5, 1.4, 1.4, onset_s=0.5, starts_on_onset=True),
             SegmentTiming(1, 2.1, 4.0, 2.42, 1.5, 1.5, onset_s=2.1, starts_on_onset=False))
    view = timing_to_dict(TimingReport("keep", lines, 5.0, 5.0))
    assert [(s["onset_s"], s["starts_on_onset"]) for s in view["segments"]] == [
        (0.5, True), (2.1, False)]
    assert view["segments"][1]["start_offset_s"] == 0.32  # the fields before stay
    assert view["summary"]["share_on_onset"] == 0.5
    assert view["summary"]["onset_tolerance_s"] == 0.15


def test_the_timing_summary_gives_the_share_of_lines_within_the_timing_bounds():
    lines = (SegmentTiming(0, 0.0, 2.0, 0.0, 1.8, 1.8, speed_factor=1.1),
             SegmentTiming(1, 2.0, 4.0, 2.0, 2.6, 2.3, speed_factor=1.3),
             SegmentTiming(2, 4.0, 6.0, 4.0, 2.5, 2.9, overflow_s=0.9),
             SegmentTiming(3, 6.0, 8.0, 6.0, 1.5, 1.5))
    view = timing_to_dict(TimingReport("keep", lines, 8.0, 8.0))
    assert view["summary"]["share_within_bounds"] == 0.5
