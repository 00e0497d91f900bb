"""Compare LLMs and voice vendors on one input: one transcription, variants in parallel.

The first variant runs all five steps. Its checkpoint (checked audio, voice reference,
transcript) is then handed to every other variant, which runs in parallel and re-does only
what differs: translation when its LLM differs (once per LLM), and always voice_clone and
text_to_speech. Each outcome carries the time and cost of the work that variant needs on
top of the shared transcription. :attr:`Comparison.ranked` orders the outcomes by the
quality each dub measured (see :data:`RANKING`), next to their time and cost.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from pipeline.errors import InputError
from pipeline.options import TaskRequest
from pipeline.results import Checkpoint, TaskResult
from pipeline.types import ProgressEvent, StepName, StepStatus, TaskStatus

if TYPE_CHECKING:
    from pipeline.runner import Pipeline

__all__ = ["MAX_VARIANTS", "RANKING", "Comparison", "Variant", "VariantOutcome", "compare",
           "make_variants"]

MAX_VARIANTS = 6
RANKING = ("runs that produced a dub first, then by median voice similarity, share of lines "
           "understood and share of lines within the timing bounds (higher first, unmeasured "
           "last); lower cost, then shorter time, break ties")
_SHARED_STEPS = (StepName.INITIALIZATION, StepName.SPEECH_TO_TEXT)
_VOICE_STEPS = (StepName.VOICE_CLONE, StepName.TEXT_TO_SPEECH)

VariantProgress = Callable[["Variant", ProgressEvent], None]


@dataclass(frozen=True, slots=True)
class Variant:
    """One combination to try: an LLM ("vendor/model", "" = the default) and a voice vendor."""

    llm: str
    voice_vendor: str

    @property
    def label(self) -> str:
        """Short name, e.g. "anthropic/claude-haiku-4-5-20251001 + fish"."""
        return f"{self.llm or 'default LLM'} + {self.voice_vendor}"


def make_variants(
    llms: Sequence[str], voice_vendors: Sequence[str], *, default_llm: str = "",
    default_voice: str = "auto", max_variants: int = MAX_VARIANTS,
) -> tuple[Variant, ...]:
    """Every pairing of the picked LLMs and voice vendors (the defaults stand in for none).

    Raises:
        InputError: fewer than two variants, or more than ``max_variants``.
    """
    picked_llms = list(dict.fromkeys(s.strip() for s in llms if s and s.strip())) or [default_llm]
    picked_voices = (list(dict.fromkeys(v.strip() for v in voice_vendors if v and v.strip()))
                     or [default_voice or "auto"])
    variants = tuple(Variant(llm, voice) for llm, voice in
                     itertools.product(picked_llms, picked_voices))
    if len(variants) < 2:
        raise InputError("Pick at least two LLMs or two voice vendors to compare.")
    if len(variants) > max_variants:
        raise InputError(
            f"That makes {len(variants)} combinations; compare at most {max_variants} at once."
        )
    return variants


@dataclass(frozen=True)
class VariantOutcome:
    """One variant's run, and what it costs on top of the shared transcription."""

    variant: Variant
    result: TaskResult
    duration_s: float
    cost_usd: float

    @property
    def succeeded(self) -> bool:
        """Whether the variant produced audio."""
        return self.result.status is TaskStatus.SUCCEEDED

    @property
    def median_similarity(self) -> float | None:
        """The dub's median line voice similarity (None: not measured)."""
        quality = self.result.quality
        return quality.median_similarity if quality is not None else None

    @property
    def share_understood(self) -> float | None:
        """The share of checked lines understood when heard back (None: not checked)."""
        quality = self.result.quality
        return quality.share_understood if quality is not None else None

    @property
    def share_within_bounds(self) -> float | None:
        """The share of lines within the timing bounds (None: no dub was placed)."""
        timing = self.result.timing
        return timing.share_within_bounds if timing is not None else None


def _higher_first(value: float | None) -> tuple[bool, float]:
    return value is None, -(value or 0.0)


def _rank_key(outcome: VariantOutcome) -> tuple:
    return (not outcome.succeeded, _higher_first(outcome.median_similarity),
            _higher_first(outcome.share_understood), _higher_first(outcome.share_within_bounds),
            outcome.cost_usd, outcome.duration_s)


@dataclass(frozen=True)
class Comparison:
    """All variants of one input, with the shared transcription's time and cost."""

    outcomes: tuple[VariantOutcome, ...]
    shared_duration_s: float
    shared_cost_usd: float

    @property
    def first(self) -> TaskResult:
        """The run that produced the shared transcript."""
        return self.outcomes[0].result

    @property
    def ranked(self) -> tuple[VariantOutcome, ...]:
        """The outcomes best first, as :data:`RANKING` says."""
        return tuple(sorted(self.outcomes, key=_rank_key))


def _step_time(result: TaskResult, names: Sequence[StepName]) -> float:
    total = 0.0
    for step in result.steps:
        if step.name in names and not step.reused and step.duration_s is not None:
            total += step.duration_s
    return total


def _step_cost(result: TaskResult, names: Sequence[StepName]) -> float:
    return sum(line.usd for line in result.actual_cost.lines if line.step in names)


def _translated(result: TaskResult) -> bool:
    step = next(s for s in result.steps if s.name is StepName.TRANSLATION)
    return step.status is StepStatus.SUCCEEDED and not step.reused


def compare(
    pipeline: Pipeline,
    request: TaskRequest,
    variants: Sequence[Variant],
    *,
    cancel: threading.Event | None = None,
    on_progress: VariantProgress | None = None,
) -> Comparison:
    """Run every variant of ``request``, sharing one transcription (and one translation per LLM).

    Args:
        pipeline: the task runner.
        request: the input and the choices all variants share (target language, STT...).
        variants: the combinations; the first one also produces the shared steps.
        cancel: set it to stop every run at its next safe point.
        on_progress: receives (variant, event) from every run.

    Returns:
        The outcomes in the order of ``variants``; when the shared steps fail, only the
        first outcome is present and its result says why.
    """
    if not variants:
        raise InputError("Nothing to compare: no variant was given.")

    def run(variant: Variant, checkpoint: Checkpoint | None) -> TaskResult:
        options = replace(request.options, llm_model=variant.llm or request.options.llm_model,
                          voice_vendor=variant.voice_vendor)
        wanted = replace(request, options=options)
        listener = None if on_progress is None else (lambda e: on_progress(variant, e))
        return pipeline.run(wanted, on_progress=listener, cancel=cancel, checkpoint=checkpoint)

    first = run(variants[0], None)
    shared = first.checkpoint or Checkpoint()
    results: dict[int, TaskResult] = {0: first}
    translators: dict[str, TaskResult] = {}
    if _translated(first):
        translators[variants[0].llm] = first
    if shared.transcript is not None and not (cancel is not None and cancel.is_set()):
        _run_rest(variants, shared, results, translators, run)
    outcomes = tuple(
        _outcome(variants[i], results[i], translators.get(variants[i].llm)) for i in sorted(results)
    )
    return Comparison(outcomes, _step_time(first, _SHARED_STEPS),
                      _step_cost(first, _SHARED_STEPS))


Runner = Callable[[Variant, Checkpoint], TaskResult]


def _run_rest(variants: Sequence[Variant], shared: Checkpoint, results: dict[int, TaskResult],
              translators: dict[str, TaskResult], run: Runner) -> None:
    """Leaders (all sharing the first LLM, one per new LLM) first, then the others with the
    translation their LLM's leader made."""
    first_llm = variants[0].llm
    leaders: dict[int, Checkpoint] = {}
    followers: list[int] = []
    seen_llms = {first_llm}
    for index, variant in enumerate(variants[1:], start=1):
        if variant.llm == first_llm:
            leaders[index] = shared
        elif variant.llm not in seen_llms:
            seen_llms.add(variant.llm)
            leaders[index] = replace(shared, translation=None)
        else:
            followers.append(index)
    _run_batch(leaders, variants, results, translators, run)
    later = {}
    for index in followers:
        leader = translators.get(variants[index].llm)
        made = leader.checkpoint.translation if leader and leader.checkpoint else None
        later[index] = replace(shared, translation=made)
    _run_batch(later, variants, results, translators, run)


def _run_batch(jobs: dict[int, Checkpoint], variants: Sequence[Variant],
               results: dict[int, TaskResult], translators: dict[str, TaskResult],
               run: Runner) -> None:
    """Run ``jobs`` (variant index -> checkpoint) in parallel; note who translated."""
    if not jobs:
        return
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = {index: pool.submit(run, variants[index], cp) for index, cp in jobs.items()}
        for index, future in futures.items():
            results[index] = future.result()
            if _translated(results[index]):
                translators.setdefault(variants[index].llm, results[index])


def _outcome(variant: Variant, result: TaskResult, translator: TaskResult | None) -> VariantOutcome:
    """Time and cost of translation (wherever it ran) plus this variant's voice steps."""
    translation_from = translator or result
    duration_s = (_step_time(translation_from, (StepName.TRANSLATION,))
                  + _step_time(result, _VOICE_STEPS))
    cost_usd = (_step_cost(translation_from, (StepName.TRANSLATION,))
                + _step_cost(result, _VOICE_STEPS))
    return VariantOutcome(variant, result, duration_s, cost_usd)
