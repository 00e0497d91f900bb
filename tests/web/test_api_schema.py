"""The API against its own OpenAPI document: schemathesis sends a few hundred generated
requests, valid and invalid, to every route in process; no answer may be a 5xx or differ
from what the document says (status, media type, body)."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")

from fastapi.testclient import TestClient  # noqa: E402
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import (  # noqa: E402
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import GenerationConfig  # noqa: E402

from pipeline.errors import VendorAuthError  # noqa: E402
from pipeline.fetch import UrlFetchError  # noqa: E402
from tests import fakes  # noqa: E402
from tests.web.support import TASK_FIELDS, install_fakes, make_pipeline, wait_until  # noqa: E402
from web.api import build_api  # noqa: E402

# Every vendor base URL points at a closed loopback port: nothing can leave the machine.
NOWHERE = "http://127.0.0.1:9"
CLOSED_ENDPOINTS = {f"{name}_BASE_URL": NOWHERE for name in (
    "OPENAI", "ANTHROPIC", "FISH", "ELEVENLABS", "GROQ", "SAMBANOVA")}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
FUZZED_PER_OPERATION = {GenerationMode.POSITIVE: 10, GenerationMode.NEGATIVE: 6}
COVERAGE_PER_OPERATION = 15


def _no_downloads(url, destination, *, max_bytes, allow_private):
    raise UrlFetchError("URLs are not fetched in this test.")


@pytest.fixture
def api(tmp_path, speech_wav):
    """The REST app over the fakes, with a succeeded and a failed task already stored."""
    install_fakes()
    app = build_api(make_pipeline(tmp_path / "data", **CLOSED_ENDPOINTS), fetcher=_no_downloads)
    tasks = app.state.tasks
    tasks.start()
    try:
        client = TestClient(app)
        fakes.INSTANCES["llm"].errors.append(VendorAuthError("fake_llm", "key rejected."))
        made = [client.post("/v1/tasks", files={"file": ("a.wav", speech_wav)},
                            data={**TASK_FIELDS, **extra}).json()["task_id"]
                for extra in ({}, {"glossary": '{"Goodbye": "Adiós"}'})]
        wait_until(lambda: all(tasks.get(t).finished for t in made))
        assert {tasks.get(t).status.value for t in made} == {"succeeded", "failed"}
        yield app, made
    finally:
        tasks.stop()
        fakes.INSTANCES.clear()


def _checks(mode: GenerationMode) -> list:
    return CHECKS + ([negative_data_rejection] if mode is GenerationMode.NEGATIVE else [])


def _fuzz(operation, mode: GenerationMode) -> int:
    """Hypothesis-generated requests (deterministic)."""
    sent = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=FUZZED_PER_OPERATION[mode], deadline=None, database=None,
              derandomize=True, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    def run(case):
        sent.append(case)
        case.call_and_validate(checks=_checks(mode))

    try:
        run()
    except Unsatisfiable:
        assert mode is GenerationMode.NEGATIVE  # nothing in the request can be made invalid
    return len(sent)


def _cover(schema, operation, mode: GenerationMode) -> int:
    """An even sample of schemathesis's coverage cases: each field at its bounds, or invalid."""
    cases = list(schema.iter_coverage_cases(operation, generation_modes=[mode],
                                            generation_config=GenerationConfig()))
    picked = [cases[i * len(cases) // COVERAGE_PER_OPERATION]
              for i in range(min(len(cases), COVERAGE_PER_OPERATION))]
    for case in picked:
        case.call_and_validate(checks=_checks(mode))
    return len(picked)


def test_generated_requests_get_documented_answers_and_never_a_server_error(api):
    app, task_ids = api
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    sent = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in FUZZED_PER_OPERATION:
            sent += _fuzz(operation, mode) + _cover(schema, operation, mode)
    view = schema["/v1/tasks/{task_id}"]["GET"]
    for task_id in task_ids:
        response = view.Case(path_parameters={"task_id": task_id}).call_and_validate(
            checks=CHECKS)
        assert response.status_code == 200
    assert sent >= 400
