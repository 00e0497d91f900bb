"""What a browser session keeps of its last run, and how the page words a finished run.

:class:`SessionRun` lives in the page's ``gr.State`` (in memory, never any key) so that
/translate can reuse what still holds and /resynthesize can speak edited lines again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline.options import TaskRequest
from pipeline.results import Checkpoint, TaskResult
from pipeline.types import Transcript
from pipeline.view import report_view

__all__ = ["SessionRun", "page_report"]


@dataclass(frozen=True)
class SessionRun:
    """The last run of a browser session, kept in memory for re-synthesis (never any key).

    ``original`` is the transcript as first heard, before any line was edited;
    ``speakers`` the names in the speakers' table, in its row order, and ``voices`` their
    Voice cells as shown.
    """

    request: TaskRequest
    checkpoint: Checkpoint
    original: Transcript | None = None
    speakers: tuple[str, ...] = ()
    voices: tuple[str, ...] = ()


def page_report(result: TaskResult) -> dict[str, Any]:
    """The JSON report without server file paths (the page serves the files themselves)."""
    return report_view(result)

