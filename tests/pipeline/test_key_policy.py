"""The server's keys serve a request only when it allows them (``TaskRequest.server_keys``):
a visitor signed in with Hugging Face runs on their own token, never on the owner's keys,
unless the owner sets ``APP_SIGNED_IN_USES_SERVER_KEYS``."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from pipeline.errors import MissingKeyError
from pipeline.options import TaskRequest
from pipeline.planning import make_plan
from pipeline.runner import Pipeline
from pipeline.settings import Settings
from pipeline.tasks.codec import request_from_dict, request_to_dict
from pipeline.tasks.isolation import IsolatedPipeline
from pipeline.types import TaskStatus
from tests.pipeline.tasks.child_vendors import CHILD_VENDORS, key_digest
from tests.pipeline.test_runner import write_speechlike_wav
from tests.web.support import TASK_FIELDS
from vendors.registry import default_registry

SERVER, VISITOR = "server-owner-key-1", "visitor-own-key-2"
PAID = {"OPENAI_API_KEY": "sk-server", "ANTHROPIC_API_KEY": "ant-server",
        "FISH_API_KEY": "fish-server", "ELEVENLABS_API_KEY": "el-server", "HF_TOKEN": SERVER}


@pytest.fixture
def speech(tmp_path) -> Path:
    return write_speechlike_wav(tmp_path / "speech.wav")


def key(vendor: str, keys: dict, environ: dict, **policy):
    registry = default_registry()
    return registry.key_for(registry.get(vendor), keys, Settings.from_env(environ), **policy)


def test_a_signed_in_request_never_resolves_the_servers_key():
    with pytest.raises(MissingKeyError) as caught:
        key("huggingface", {}, {"HF_TOKEN": SERVER}, server_keys=False)
    assert caught.value.variable == "HF_TOKEN"


def test_the_servers_key_serves_a_request_that_allows_it_and_the_requests_own_key_wins():
    assert key("huggingface", {}, {"HF_TOKEN": SERVER}).reveal() == SERVER
    for lent in (True, False):
        assert key("huggingface", {"HF_TOKEN": VISITOR}, {"HF_TOKEN": SERVER},
                   server_keys=lent).reveal() == VISITOR


def test_availability_says_the_servers_key_is_not_lent_to_a_signed_in_visitor():
    registry = default_registry()
    state = registry.availability(registry.get("fish"), {}, Settings.from_env(PAID),
                                  server_keys=False)

    assert (state.runnable, state.missing_variable) == (False, "FISH_API_KEY")
    assert "not lent to signed-in visitors" in state.reason


def test_a_self_hosted_voice_server_still_serves_a_signed_in_visitor():
    environ = {"HF_TOKEN": SERVER, "INDEXTTS2_URL": "http://gpu-box.local:7860"}

    assert key("index_tts2", {}, environ, server_keys=False) is None


def test_the_owner_can_lend_the_servers_keys_to_signed_in_visitors():
    assert Settings.from_env({}).signed_in_uses_server_keys is False
    on = Settings.from_env({"APP_SIGNED_IN_USES_SERVER_KEYS": "1"})
    assert on.signed_in_uses_server_keys is True


def plan(target: str, keys: dict, *, server_keys: bool, **options):
    return make_plan(default_registry(), Settings.from_env(PAID), target_language=target,
                     keys=keys, server_keys=server_keys, **options)


def test_a_signed_in_visitors_plan_runs_on_their_token_where_the_server_has_paid_keys():
    chinese = plan("zh", {"HF_TOKEN": VISITOR}, server_keys=False)
    japanese = plan("ja", {"HF_TOKEN": VISITOR}, server_keys=False)
    anonymous = plan("ja", {}, server_keys=True)

    assert [(c.vendor, c.runnable) for c in chinese.choices] == [
        ("huggingface", True), ("huggingface", True), ("index_tts2", True)]
    assert chinese.transcriber is not None and chinese.transcriber.model == "openai/whisper-large-v3"
    assert "not lent to signed-in visitors" in chinese.transcriber.reason
    assert japanese.voice is not None and japanese.voice.vendor == "chatterbox"
    assert [c.vendor for c in anonymous.choices] == ["openai", "anthropic", "fish"]


def test_a_signed_in_visitor_without_a_token_still_has_the_keyless_offline_path():
    offline = plan("en", {}, server_keys=False, source_language="en", stt="sphinx")

    assert offline.runnable
    assert [c.vendor for c in offline.choices] == ["sphinx", "espeak"]
    assert offline.translator is None


@pytest.fixture
def keyed_runner(tmp_path) -> Pipeline:
    """Fakes whose translator tags each line with the digest of the key it was given."""
    settings = Settings.from_env({"APP_DATA_DIR": str(tmp_path / "data"), "FAKE_LLM_KEY": SERVER})
    return Pipeline(default_registry(CHILD_VENDORS), settings)


def test_a_signed_in_run_translates_with_the_visitors_key_never_the_servers(keyed_runner, speech):
    request = TaskRequest.of(speech, keys={"FAKE_LLM_KEY": VISITOR}, server_keys=False,
                             **TASK_FIELDS)

    result = keyed_runner.run(request)

    assert result.status is TaskStatus.SUCCEEDED, result.error
    assert result.translation is not None
    assert result.translation.segments[0].text.startswith(f"[{key_digest(VISITOR)} ")


def test_a_signed_in_run_without_its_own_key_is_refused_instead_of_spending_the_servers(
        keyed_runner, speech):
    request = TaskRequest.of(speech, server_keys=False, **TASK_FIELDS)

    refused = keyed_runner.run(request)
    lent = keyed_runner.run(replace(request, server_keys=True))

    assert refused.status is TaskStatus.FAILED and refused.translation is None
    assert "FAKE_LLM_KEY" in (refused.error or "")
    with pytest.raises(MissingKeyError):
        keyed_runner.check(request)
    assert lent.status is TaskStatus.SUCCEEDED, lent.error
    assert lent.translation is not None
    assert lent.translation.segments[0].text.startswith(f"[{key_digest(SERVER)} ")


def test_a_worker_process_keeps_the_policy_it_was_sent(tmp_path, speech):
    settings = Settings.from_env({"APP_DATA_DIR": str(tmp_path / "data"), "FAKE_LLM_KEY": SERVER,
                                  "APP_WORKERS": "1"})
    pipeline = IsolatedPipeline(default_registry(CHILD_VENDORS), settings, idle_children=1)
    try:
        refused = pipeline.run(TaskRequest.of(speech, server_keys=False, **TASK_FIELDS))
        visitor = pipeline.run(TaskRequest.of(speech, keys={"FAKE_LLM_KEY": VISITOR},
                                              server_keys=False, **TASK_FIELDS))
    finally:
        pipeline.close()

    assert refused.status is TaskStatus.FAILED and "FAKE_LLM_KEY" in (refused.error or "")
    assert visitor.status is TaskStatus.SUCCEEDED, visitor.error
    assert visitor.translation is not None
    assert visitor.translation.segments[0].text.startswith(f"[{key_digest(VISITOR)} environ=no]")
    assert VISITOR not in os.environ.values()


def test_a_stored_request_keeps_its_policy_and_older_ones_read_as_lent(speech):
    request = TaskRequest.of(speech, keys={"HF_TOKEN": VISITOR}, server_keys=False,
                             target_language="es")

    stored = request_to_dict(request)
    older = {k: v for k, v in stored.items() if k != "server_keys"}

    assert VISITOR not in str(stored)
    assert request_from_dict(stored).server_keys is False
    assert request_from_dict(older).server_keys is True
