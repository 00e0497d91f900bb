"""Which checks a dub gets, decided with the plan: voice similarity, and who hears it back.

- ``off``: no check.
- ``auto`` (the default): voice similarity always (it runs on this machine, free); the dub
  is also heard back when the recogniser runs offline or its cost is small against the
  task's (at most :data:`AUTO_COST_SHARE` of the estimate).
- ``full``: both whenever a recogniser for the dub's language can run here.

The recogniser is the one asked for (``quality_stt_model``), else the task's own when it
knows the dub's language, else an offline one that does (PocketSphinx for English), else
the first that can run here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pipeline.errors import UnsupportedLanguageError
from pipeline.languages import language_name
from pipeline.pricing import cost_line, estimate_usage
from pipeline.quality.similarity import available
from pipeline.registry import Registry
from pipeline.results import CostEstimate, CostLine, VendorChoice
from pipeline.settings import Settings
from pipeline.types import Role

__all__ = ["AUTO_COST_SHARE", "QUALITY_MODES", "QualityPlan", "plan_quality"]

QUALITY_MODES = ("off", "auto", "full")
AUTO_COST_SHARE = 0.25


@dataclass(frozen=True, slots=True)
class QualityPlan:
    """What a dub's quality check will do, and why.

    Attributes:
        similarity: voice similarity is measured.
        checker: the recogniser that hears each line back (None: intelligibility is not
            checked).
        note: one sentence saying what is checked and why.
        cost: the estimated cost of hearing the dub back (None: free or not checked).
    """

    similarity: bool
    checker: VendorChoice | None
    note: str
    cost: CostLine | None = None

    @property
    def on(self) -> bool:
        """Whether any line is scored."""
        return self.similarity or self.checker is not None


def _candidates(registry: Registry, language: str, own: VendorChoice | None,
                keys: Mapping[str, str], settings: Settings,
                server_keys: bool) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if own is not None:
        found.append((own.vendor, own.model))
    recognisers = registry.for_role(Role.TRANSCRIBE, language)
    found += [(v.id, v.models_for(Role.TRANSCRIBE, language)[0]) for v in recognisers
              if v.key_variable is None]
    found += [(v.id, v.models_for(Role.TRANSCRIBE, language)[0]) for v in recognisers]
    return [(vendor, model) for vendor, model in found
            if registry.get(vendor).supports(Role.TRANSCRIBE, language, model)
            and registry.availability(registry.get(vendor), keys, settings,
                                      server_keys=server_keys).runnable]


def _asked(registry: Registry, spec: str, language: str) -> tuple[str, str]:
    info, model = registry.parse_spec(spec, Role.TRANSCRIBE)
    if not info.supports(Role.TRANSCRIBE, language, model):
        raise UnsupportedLanguageError(
            f"{info.display_name} {model} cannot hear {language_name(language)} back; pick a "
            "recogniser for the dub's language.", param="quality_stt_model")
    return info.id, model


def plan_quality(registry: Registry, settings: Settings, *, mode: str, language: str,
                 checker_spec: str | None, own: VendorChoice | None, keys: Mapping[str, str],
                 duration_s: float, estimate: CostEstimate,
                 server_keys: bool = True) -> QualityPlan:
    """Decide the checks of a dub in ``language`` (see the module docstring).

    Args:
        registry: the vendors.
        settings: environment keys.
        mode: ``off``, ``auto`` or ``full``.
        language: the dub's language.
        checker_spec: the recogniser asked for ("vendor/model"), or None.
        own: the task's own transcriber, when it has one.
        keys: keys given with the request.
        duration_s: how long the dub will be, about (the input's length).
        estimate: the task's estimate without the check.
        server_keys: whether the server's own keys may pay for the check.

    Raises:
        UnknownVendorError, UnsupportedLanguageError: the recogniser asked for cannot be
            used (``param`` is ``quality_stt_model``).
    """
    if mode == "off":
        return QualityPlan(False, None, "off: no line is scored")
    similarity = available()
    picked = ([_asked(registry, checker_spec, language)] if checker_spec
              else _candidates(registry, language, own, keys, settings, server_keys))
    if not picked:
        return QualityPlan(similarity, None, f"voice similarity only: no recogniser for "
                           f"{language_name(language)} can run here to hear the dub back")
    vendor, model = picked[0]
    info = registry.get(vendor)
    state = registry.availability(info, keys, settings, server_keys=server_keys)
    choice = VendorChoice(Role.TRANSCRIBE, vendor, model,
                          f"{vendor}/{model}: hears the dub back for the quality check",
                          state.runnable, state.missing_variable)
    cost = cost_line(info, Role.TRANSCRIBE, model, estimate_usage(
        Role.TRANSCRIBE, duration_s, language, language))
    cost = CostLine(cost.step, cost.vendor, cost.model, cost.usd, f"quality check; {cost.basis}")
    affordable = cost.usd <= AUTO_COST_SHARE * max(estimate.total_usd, 0.0)
    if mode == "auto" and not checker_spec and cost.usd > 0 and not affordable:
        return QualityPlan(similarity, None, f"voice similarity only: hearing the dub back "
                           f"with {vendor} would cost about ${cost.usd:.4f} (set quality to "
                           "full to check anyway)")
    what = "voice similarity and " if similarity else ""
    return QualityPlan(similarity, choice, f"{what}intelligibility, heard back by "
                       f"{vendor}/{model}", cost if cost.usd > 0 else None)
