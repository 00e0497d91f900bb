"""Comparing LLMs and voice vendors: one transcription, one translation per LLM, in parallel."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from pipeline.compare import MAX_VARIANTS, Variant, compare, make_variants
from pipeline.errors import InputError
from pipeline.runner import Pipeline
from pipeline.types import StepName, TaskStatus
from tests import fakes
from tests.pipeline.fake_pipeline import fake_request
from vendors.registry import default_registry

SECOND_LLM = replace(fakes.FAKE_LLM, id="fake_llm_b", display_name="Fake LLM B",
                     key_variable=None)



def test_variants_pair_every_picked_llm_with_every_picked_voice():
    variants = make_variants(["a/1", "b/2"], ["fish", "espeak"])
    assert [(v.llm, v.voice_vendor) for v in variants] == [
        ("a/1", "fish"), ("a/1", "espeak"), ("b/2", "fish"), ("b/2", "espeak")]


def test_the_defaults_stand_in_for_a_side_nothing_was_picked_on():
    variants = make_variants([], ["fish", "espeak", "fish"], default_llm="x/y")
    assert variants == (Variant("x/y", "fish"), Variant("x/y", "espeak"))


@pytest.mark.parametrize("llms,voices,message", [
    ([], ["fish"], "at least two"),
    (["a", "b", "c"], ["v1", "v2", "v3"], f"at most {MAX_VARIANTS}"),
])
def test_too_few_or_too_many_combinations_are_refused(llms, voices, message):
    with pytest.raises(InputError, match=message):
        make_variants(llms, voices)


def test_two_voices_share_one_transcription_and_one_translation(runner, fake, speech):
    stt, llm, _voice = fake
    seen = []
    lock = threading.Lock()

    def progress(variant, event):
        with lock:
            seen.append(variant.voice_vendor)

    variants = make_variants([], ["fake_voice", "espeak"], default_llm="fake_llm")
    result = compare(runner, fake_request(speech), variants, on_progress=progress)
    assert [o.result.status for o in result.outcomes] == [TaskStatus.SUCCEEDED] * 2
    assert len(stt.calls) == 1 and len(llm.calls) == 1
    second = result.outcomes[1].result
    reused = {s.name for s in second.steps if s.reused}
    assert reused == {StepName.INITIALIZATION, StepName.SPEECH_TO_TEXT, StepName.TRANSLATION}
    assert [c.vendor for c in second.choices if c.role.value == "speak"] == ["espeak"]
    assert result.outcomes[0].result.output_path != second.output_path
    assert {"fake_voice", "espeak"} <= set(seen)
    translation_cost = result.outcomes[0].result.actual_cost.lines[1].usd
    assert result.outcomes[1].cost_usd == pytest.approx(translation_cost)
    assert result.shared_cost_usd > 0


def test_each_llm_translates_once_even_when_paired_with_several_voices(runner, fake, speech):
    stt, llm, voice = fake
    registry = default_registry((*fakes.FAKE_VENDORS, SECOND_LLM))
    two_llms = Pipeline(registry, runner.settings, retry=runner.retry)
    variants = make_variants(["fake_llm", "fake_llm_b"], ["fake_voice", "espeak"])
    result = compare(two_llms, fake_request(speech), variants)
    assert all(o.succeeded for o in result.outcomes), [o.result.error for o in result.outcomes]
    assert len(stt.calls) == 1
    assert len(llm.calls) == 2  # one per LLM: the same fake object stands behind both ids
    translators = [next(c.vendor for c in o.result.choices if c.role.value == "translate")
                   for o in result.outcomes]
    assert translators == ["fake_llm", "fake_llm", "fake_llm_b", "fake_llm_b"]
    assert len(voice.spoken) == 2 * 2  # two segments for each fake_voice variant


def test_when_the_shared_steps_fail_only_the_first_outcome_is_reported(runner, fake, speech):
    stt, _, _ = fake
    stt.errors.append(InputError("No speech was recognised."))
    variants = make_variants([], ["fake_voice", "espeak"], default_llm="fake_llm")
    result = compare(runner, fake_request(speech), variants)
    assert len(result.outcomes) == 1
    assert result.first.status is TaskStatus.FAILED
    assert "No speech" in result.first.error


def test_a_set_cancel_event_stops_the_comparison(runner, fake, speech):
    cancel = threading.Event()
    cancel.set()
    variants = make_variants([], ["fake_voice", "espeak"], default_llm="fake_llm")
    result = compare(runner, fake_request(speech), variants, cancel=cancel)
    assert [o.result.status for o in result.outcomes] == [TaskStatus.CANCELED]
