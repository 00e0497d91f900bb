"""A project's speakers corrected in one revision: what becomes stale, what is refused."""

from __future__ import annotations

import pytest

from pipeline.errors import InputError
from pipeline.projects.model import Line, Output, Project
from pipeline.projects.speakers import correct_speakers, project_speakers


def project() -> Project:
    lines = tuple(Line(n, n - 1.0, float(n), f"line {n}", who, {"es": f"línea {n}"})
                  for n, who in ((1, "Speaker 1"), (2, "Speaker 2"), (3, "Speaker 1"),
                                 (4, "Speaker 2"), (5, "Speaker 3")))
    return Project("t", 4, "en", lines, {"es": Output("es", "succeeded", 4)})


def test_a_rename_changes_one_speakers_lines_in_one_revision():
    renamed = correct_speakers(project(), renames={"Speaker 1": "Ana"})
    assert renamed.revision == 5
    assert project_speakers(renamed) == ("Ana", "Speaker 2", "Speaker 3")
    assert renamed.outputs["es"].stale == (1, 3)


def test_a_moved_line_makes_both_speakers_lines_stale_and_leaves_the_others():
    moved = correct_speakers(project(), lines={3: "Speaker 2"})
    assert [x.speaker for x in moved.lines] == ["Speaker 1", "Speaker 2", "Speaker 2",
                                                "Speaker 2", "Speaker 3"]
    assert moved.outputs["es"].stale == (1, 2, 3, 4)


def test_a_merge_and_a_move_by_the_old_name_are_applied_together():
    merged = correct_speakers(project(), renames={"Speaker 3": "Speaker 2"},
                              lines={1: "Speaker 3"})
    assert [x.speaker for x in merged.lines] == ["Speaker 2", "Speaker 2", "Speaker 1",
                                                 "Speaker 2", "Speaker 2"]
    assert merged.outputs["es"].stale == (1, 2, 3, 4, 5)


def test_a_correction_naming_nobody_is_refused_naming_its_field():
    with pytest.raises(InputError, match="There is no speaker 'Bob'") as caught:
        correct_speakers(project(), renames={"Bob": "Ana"})
    assert caught.value.param == "renames"
    with pytest.raises(InputError, match="cannot go to 'Ana'") as caught:
        correct_speakers(project(), lines={2: "Ana"})
    assert caught.value.param == "lines"
