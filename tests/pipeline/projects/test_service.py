"""Projects over the task service: edits with revisions, renders, languages added later."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.options import TaskRequest
from pipeline.projects.model import Edit
from pipeline.projects.service import ProjectService, RevisionConflictError
from pipeline.tasks.service import TaskService
from pipeline.types import Segment, TaskStatus
from tests import fakes
from tests.pipeline.test_runner import write_speechlike_wav
from tests.web.support import install_fakes, make_pipeline, wait_until

LINES = tuple(Segment(2.0 * i, 2.0 * i + 1.6, f"Sentence {i}.") for i in range(1, 5))


@pytest.fixture
def vendors():
    found = install_fakes()
    found.stt.segments = LINES
    yield found.stt, found.llm, found.voice
    fakes.INSTANCES.clear()


@pytest.fixture
def projects(tmp_path, vendors):
    tasks = TaskService(make_pipeline(tmp_path / "data"))
    tasks.start()
    service = ProjectService(tasks, keep_renders=2)
    service.start()
    yield service
    service.stop()
    tasks.stop()


def _done_task(projects: ProjectService, tmp_path: Path, **changes) -> str:
    tasks = projects.tasks
    task_id = tasks.new_task_id()
    inbox = tasks.folder(task_id) / "inbox"
    inbox.mkdir(parents=True)
    speech = write_speechlike_wav(inbox / "source.wav", duration_s=11.0)
    values = dict(target_language="es", stt_model="fake_stt", llm_model="fake_llm",
                  voice_vendor="fake_voice", quality="off", output_format="wav", **changes)
    tasks.submit(task_id, TaskRequest.of(speech, **values), source={"upload": "s.wav"})
    record = wait_until(lambda: (r := tasks.get(task_id)).finished and r)
    assert record.status is TaskStatus.SUCCEEDED, record.error
    return task_id


def _rendered(projects: ProjectService, task_id: str):
    projects.drain()
    return projects.open(task_id)


def test_a_finished_task_opens_as_revision_one_with_numbered_lines(projects, tmp_path):
    task_id = _done_task(projects, tmp_path)
    project = projects.open(task_id)
    assert project.revision == 1 and [x.n for x in project.lines] == [1, 2, 3, 4]
    assert project.lines[0].translations == {"es": "[es] Sentence 1."}
    assert not project.outputs["es"].is_stale


def test_two_edits_from_the_same_revision_the_second_is_refused_and_nothing_is_lost(
        projects, tmp_path):
    task_id = _done_task(projects, tmp_path)
    first = projects.edit(task_id, 2, Edit(text="Hola uno.", language="es"), if_match=1)
    with pytest.raises(RevisionConflictError) as refused:
        projects.edit(task_id, 3, Edit(text="Hola dos.", language="es"), if_match=1)
    assert refused.value.current == 2
    project = projects.open(task_id)
    assert first.revision == project.revision == 2
    assert project.line(2).translations["es"] == "Hola uno."
    assert project.line(3).translations["es"] == "[es] Sentence 3."
    assert project.outputs["es"].stale == (2,)


def test_a_render_respeaks_only_the_edited_line_and_clears_it_from_stale(
        projects, tmp_path, vendors):
    _stt, _llm, voice = vendors
    task_id = _done_task(projects, tmp_path)
    projects.edit(task_id, 2, Edit(text="Una línea nueva.", language="es"))
    projects.render(task_id)
    project = _rendered(projects, task_id)
    output = project.outputs["es"]
    assert voice.spoken[4:] == [("Una línea nueva.", "es")]
    assert output.status == "succeeded" and output.stale == () and output.revision == 2
    assert output.summary["respoken"] == 1 and output.summary["reused"] == 3
    assert [h["revision"] for h in output.history] == [2]
    assert Path(output.history[0]["path"]).is_file()


def test_an_edited_transcript_line_is_translated_again_alone_with_its_neighbours(
        projects, tmp_path, vendors):
    _stt, llm, voice = vendors
    task_id = _done_task(projects, tmp_path)
    projects.edit(task_id, 3, Edit(text="A corrected sentence."))
    assert projects.open(task_id).line(3).untranslated == frozenset({"es"})
    projects.render(task_id)
    project = _rendered(projects, task_id)
    segments, _source, target, context = llm.calls[-1]
    assert [s.text for s in segments] == ["A corrected sentence."] and target == "es"
    assert "Sentence 2." in context.instructions and "Sentence 4." in context.instructions
    assert project.line(3).translations["es"] == "[es] A corrected sentence."
    assert ("[es] A corrected sentence.", "es") in voice.spoken[4:]


def test_rendering_given_lines_keeps_the_other_edits_waiting(projects, tmp_path, vendors):
    _stt, _llm, voice = vendors
    task_id = _done_task(projects, tmp_path)
    projects.edit(task_id, 1, Edit(text="Uno.", language="es"))
    projects.edit(task_id, 4, Edit(text="Cuatro.", language="es"))
    projects.render(task_id, numbers=[4])
    project = _rendered(projects, task_id)
    assert voice.spoken[4:] == [("Cuatro.", "es")]
    assert project.outputs["es"].stale == (1,)


def test_adding_a_language_runs_one_translation_and_one_dub(projects, tmp_path, vendors):
    stt, llm, voice = vendors
    task_id = _done_task(projects, tmp_path)
    projects.add_language(task_id, "German")
    project = _rendered(projects, task_id)
    assert len(stt.calls) == 1 and len(llm.calls) == 2
    assert [call[2] for call in llm.calls] == ["es", "de"]
    assert [lang for _t, lang in voice.spoken].count("de") == 4
    assert project.outputs["de"].status == "succeeded"
    assert project.line(1).translations["de"] == "[de] Sentence 1."
    assert Path(project.outputs["de"].audio).is_file()
    assert project.outputs["de"].audio != project.outputs["es"].audio


def test_bad_edits_name_their_field(projects, tmp_path):
    task_id = _done_task(projects, tmp_path)
    with pytest.raises(InputError, match="no line 9"):
        projects.edit(task_id, 9, Edit(text="x", language="es"))
    with pytest.raises(InputError, match="start_s"):
        projects.edit(task_id, 1, Edit(start_s=5.0, end_s=1.0))
    with pytest.raises(InputError, match="add the language first"):
        projects.edit(task_id, 1, Edit(text="x", language="fr"))


def test_earlier_renders_are_kept_up_to_the_retention_limit(projects, tmp_path):
    task_id = _done_task(projects, tmp_path)
    for text in ("Uno.", "Dos.", "Tres."):
        projects.edit(task_id, 1, Edit(text=text, language="es"))
        projects.render(task_id)
        projects.drain()
    history = projects.open(task_id).outputs["es"].history
    assert [h["revision"] for h in history] == [3, 4]  # keep_renders=2: revision 2 dropped
    renders = projects.tasks.folder(task_id) / "renders"
    assert sorted(p.name for p in renders.iterdir()) == ["es-r3.wav", "es-r4.wav"]
