"""Translate one edited line again, alone, with the lines around it as context."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from pipeline.errors import ConfigurationError
from pipeline.options import TaskRequest
from pipeline.pricing import cost_line
from pipeline.projects.model import Project
from pipeline.results import CostLine
from pipeline.retry import call_with_retry
from pipeline.runner import Pipeline
from pipeline.steps.context import Adapters
from pipeline.types import Role, Segment, TranslationContext
from pipeline.vendor_api import Translator

__all__ = ["neighbour_note", "retranslate_line"]


def neighbour_note(project: Project, n: int, language: str) -> str:
    """The instruction that gives the translator the line's neighbours as context."""
    parts = []
    if n > 1:
        before = project.lines[n - 2]
        parts.append(f'The line before says "{before.text}" '
                     f'(translated: "{before.spoken(language)}").')
    if n < len(project.lines):
        after = project.lines[n]
        parts.append(f'The line after says "{after.text}" '
                     f'(translated: "{after.spoken(language)}").')
    if not parts:
        return ""
    return ("Translate only the given line so that it follows on naturally. "
            + " ".join(parts))


def retranslate_line(pipeline: Pipeline, request: TaskRequest, project: Project, n: int,
                     language: str, keys: Mapping[str, str]) -> tuple[str, CostLine | None]:
    """Line ``n``'s transcript translated into ``language`` again, and what it cost.

    Raises:
        AppError: no translator can run, or it failed (after retries).
    """
    options = dataclasses.replace(request.options, target_language=language)
    plan = pipeline.plan(options, keys, server_keys=request.server_keys)
    choice = plan.translator
    if choice is None or not choice.runnable:
        raise ConfigurationError(f"No translator can run to translate line {n} again.",
                                 param="llm_model")
    line = project.line(n)
    note = "\n\n".join(p for p in (options.instructions.strip(),
                                    neighbour_note(project, n, language)) if p)
    context = TranslationContext(glossary=dict(options.glossary), instructions=note,
                                 max_duration_s=(line.end_s - line.start_s,))
    adapters = Adapters(pipeline.registry, pipeline.settings, keys, pipeline.limits,
                        server_keys=request.server_keys)
    try:
        translator: Translator = adapters.get(choice, Role.TRANSLATE)
        segment = Segment(line.start_s, line.end_s, line.text)
        result = call_with_retry(lambda: translator.translate(
            (segment,), project.source_language, language, context), pipeline.retry,
            what=f"{choice.vendor} translation")
    finally:
        adapters.close()
    cost = cost_line(adapters.info(choice), Role.TRANSLATE, choice.model, result.usage)
    text = " ".join(s.text for s in result.segments).strip()
    return text, cost
