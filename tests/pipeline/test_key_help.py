"""A missing key is one error carrying the facts: the vendor in words, where to get a key,
what a minute of speech costs, and what runs here without a key."""

from __future__ import annotations

import pickle

import pytest

from pipeline.errors import ConfigurationError, MissingKeyError, QueueFullError
from pipeline.key_help import KeyNeed, needs_of, usd_text
from pipeline.planning import make_plan
from pipeline.settings import Settings
from pipeline.tasks.child import failure_parts, rebuild_failure
from vendors.registry import default_registry

REGISTRY = default_registry()
NO_KEYS = Settings.from_env({})


def _error(**choices) -> MissingKeyError:
    plan = make_plan(REGISTRY, NO_KEYS, **choices)
    with pytest.raises(MissingKeyError) as caught:
        plan.require_runnable()
    return caught.value


def test_a_missing_openai_key_names_the_vendor_its_key_page_price_and_the_offline_recogniser():
    need = needs_of(_error(target_language="es", stt="openai", llm="openai"))[0]

    assert (need.vendor, need.display_name, need.variable) == ("openai", "OpenAI",
                                                               "OPENAI_API_KEY")
    assert need.key_url == "https://platform.openai.com/api-keys"
    assert need.roles == ("transcribe", "translate")
    # gpt-4o-transcribe lists $0.006 per audio minute; the LLM adds a little on top.
    assert 0.006 < need.minute_usd < 0.01
    assert [(o.vendor, o.option) for o in need.alternatives] == [("sphinx", "stt_model")]
    assert need.alternatives[0].name == "PocketSphinx (offline), English only"


def test_every_missing_key_of_a_plan_is_in_the_one_error_each_vendor_once():
    error = _error(target_language="es", stt="openai")

    assert [n.vendor for n in needs_of(error)] == ["openai", "anthropic"]
    assert (error.vendor, error.variable) == ("openai", "OPENAI_API_KEY")
    said = str(error)
    assert said.count("OpenAI needs") == 1 and said.count("Anthropic Claude needs") == 1
    assert "https://platform.claude.com/settings/keys" in said


def test_the_plain_message_says_no_surface_of_its_own():
    said = str(_error(target_language="es", stt="openai"))

    assert "Settings" not in said and "header" not in said and "--" not in said
    assert "OPENAI_API_KEY" in said and "per minute of speech" in said


def test_a_voice_vendor_without_its_key_offers_the_offline_voice_for_that_language():
    needs = needs_of(_error(target_language="ja", stt="sphinx", voice_vendor="fish"))
    need = next(n for n in needs if n.vendor == "fish")

    assert (need.display_name, need.key_url) == ("Fish Audio", "https://fish.audio/app/api-keys")
    assert [(o.vendor, o.option) for o in need.alternatives] == [("espeak", "voice_vendor")]
    assert need.minute_usd is not None and need.minute_usd > 0


def test_a_hugging_face_token_is_one_that_signing_in_supplies():
    need = needs_of(_error(target_language="en", stt="huggingface"))[0]

    assert need.variable == "HF_TOKEN" and need.sign_in_gives_it
    assert need.key_url == "https://huggingface.co/settings/tokens"
    assert not KeyNeed("openai", "OpenAI", "OPENAI_API_KEY").sign_in_gives_it


def test_a_missing_server_url_is_a_setting_not_a_key():
    plan = make_plan(REGISTRY, NO_KEYS, target_language="es", stt="sphinx", llm="compatible")

    with pytest.raises(ConfigurationError) as caught:
        plan.require_runnable()
    assert not isinstance(caught.value, MissingKeyError)
    assert "COMPATIBLE_BASE_URL" in str(caught.value)


def test_the_first_missing_key_alone_when_asked():
    plan = make_plan(REGISTRY, NO_KEYS, target_language="es", stt="openai")

    first = plan.missing_key_error(first_only=True)
    assert first is not None and [n.vendor for n in needs_of(first)] == ["openai"]
    assert make_plan(REGISTRY, NO_KEYS, target_language="en", stt="sphinx"
                     ).missing_key_error() is None


def test_every_vendor_that_needs_a_key_links_to_where_one_is_made():
    keyed = [info for info in REGISTRY if info.key_variable and not info.key_optional]

    assert keyed
    for info in keyed:
        assert info.key_url.startswith("https://"), info.id


def test_an_error_with_only_a_vendor_and_a_variable_still_has_one_need():
    need = needs_of(MissingKeyError("fish", "FISH_API_KEY"))

    assert need == (KeyNeed("fish", "fish", "FISH_API_KEY"),)


def test_the_facts_cross_from_a_worker_process_intact():
    error = _error(target_language="es", stt="openai")

    parts = pickle.loads(pickle.dumps(failure_parts(error)))
    rebuilt = rebuild_failure(parts)

    assert isinstance(rebuilt, MissingKeyError)
    assert needs_of(rebuilt) == needs_of(error) and str(rebuilt) == str(error)


@pytest.mark.parametrize(("usd", "shown"), [
    (0.006, "$0.006"), (0.0105, "$0.0105"), (0.12345, "$0.123"), (1.5, "$1.50"),
    (0.00001234, "$0.00001234"), (0.0, "$0"),
])
def test_prices_show_as_many_figures_as_they_need(usd, shown):
    assert usd_text(usd) == shown


def test_a_queue_of_one_task_is_said_in_the_singular():
    assert "(1 task is waiting)" in str(QueueFullError(1))
    assert "(3 tasks are waiting)" in str(QueueFullError(3))
