"""Comparing LLMs and voice vendors: one transcription, one translation per LLM, in parallel."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from pipeline.compare import (
    MAX_VARIANTS,
    Comparison,
    Variant,
    VariantOutcome,
    compare,
    make_variants,
)
from pipeline.errors import InputError
from pipeline.quality.report import LineQuality, QualityReport
from pipeline.results import SegmentTiming, TaskResult, TimingReport
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


def _outcome(name: str, similarities=(), error_rates=(), *, cost_usd: float = 0.01,
             status: TaskStatus = TaskStatus.SUCCEEDED, late: int = 0) -> VariantOutcome:
    lines = tuple(LineQuality(i, similarity=s, error_rate=e)
                  for i, (s, e) in enumerate(zip(similarities, error_rates, strict=True)))
    timing = TimingReport("keep", tuple(
        SegmentTiming(i, 2.0 * i, 2.0 * i + 2, 2.0 * i, 2.0, 2.0,
                      speed_factor=1.4 if i < late else 1.0) for i in range(len(lines))),
        2.0 * len(lines), 2.0 * len(lines))
    result = TaskResult(name, status, (), quality=QualityReport(lines) if lines else None,
                        timing=timing if lines else None)
    return VariantOutcome(Variant("", name), result, 1.0, cost_usd)


def _ranked(*outcomes: VariantOutcome) -> list[str]:
    return [o.variant.voice_vendor for o in Comparison(outcomes, 0.0, 0.0).ranked]


def test_compare_ranks_the_voice_closest_to_the_speaker_first_even_when_it_costs_more():
    cheap = _outcome("cheap", (0.55, 0.6, 0.5), (0.0, 0.0, 0.0), cost_usd=0.001)
    close = _outcome("close", (0.8, 0.85, 0.75), (0.0, 0.1, 0.0), cost_usd=0.05)
    assert _ranked(cheap, close) == ["close", "cheap"]


def test_equal_similarity_is_decided_by_lines_understood_then_timing_then_cost():
    mumbles = _outcome("mumbles", (0.8, 0.8), (0.9, 0.0))
    clear = _outcome("clear", (0.8, 0.8), (0.0, 0.0), late=1)
    on_time = _outcome("on_time", (0.8, 0.8), (0.0, 0.0), cost_usd=0.02)
    cheaper = _outcome("cheaper", (0.8, 0.8), (0.0, 0.0), cost_usd=0.01)
    assert _ranked(mumbles, clear, on_time, cheaper) == ["cheaper", "on_time", "clear",
                                                         "mumbles"]


def test_unmeasured_dubs_rank_after_measured_ones_and_failed_runs_last():
    failed = _outcome("failed", (0.9,), (0.0,), status=TaskStatus.FAILED)
    unmeasured = _outcome("unmeasured")
    measured = _outcome("measured", (0.4,), (0.8,))
    assert _ranked(failed, unmeasured, measured) == ["measured", "unmeasured", "failed"]
