"""Connect the page's controls to its handlers, each event with an explicit ``api_name``.

Options reach a handler by name: each control goes to the parameter of its option's name,
so /translate takes every option and /plan only those its signature lists. Runs show their
progress, errors and cancel in the step list alone (Gradio's own overlay, toasts and error
badges stay hidden), so each is said once, in one place.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gradio as gr

from web.ui_compare import CompareHandler
from web.ui_handlers import UiHandlers
from web.ui_media import wire_media

__all__ = ["Page", "wire"]

# Bring the step list into view when a run starts (the result follows right under it).
_SHOW_STEPS = ("() => { const box = document.getElementById('steps'); "
               "if (box) box.scrollIntoView({behavior: 'smooth', block: 'start'}); }")
_SHOW_KEYS = ("() => { setTimeout(() => { const box = document.getElementById('keys'); "
              "if (box) box.scrollIntoView({behavior: 'smooth', block: 'center'}); }, 150); }")


@dataclass(frozen=True)
class Page:
    """The page's parts, by area, as the builders return them."""

    first: dict[str, Any]
    inputs: dict[str, Any]
    choices: dict[str, Any]
    steps: Any
    results: dict[str, Any]
    compare: dict[str, Any]
    session: Any


def _named_inputs(handler: Callable, controls: dict[str, Any]) -> dict[str, Any]:
    """The controls ``handler`` takes, by parameter name, in its parameters' order."""
    names = inspect.signature(handler).parameters
    return {name: controls[name] for name in names if name in controls}


def _run_outputs(page: Page) -> list[Any]:
    res = page.results
    return [res["audio"], res["download"], page.steps, res["language"], res["transcript"],
            res["translation"], res["timeline"], res["details"], res["report"],
            res["subtitles"], res["reuse"], res["summary"], res["quality"],
            res["speakers_note"], res["speakers"], *res["speaker_clips"], page.session]


def wire(demo: gr.Blocks, handlers: UiHandlers, comparer: CompareHandler, page: Page) -> None:
    """Connect every event of ``page`` to its handler."""
    _wire_runs(handlers, page)
    _wire_first_screen(handlers, page)
    _wire_choices(demo, handlers, comparer, page)


def _wire_runs(handlers: UiHandlers, page: Page) -> None:
    ch, res, inp = page.choices, page.results, page.inputs
    keys, options = ch["keys"], ch["options"]
    speech = [inp["audio"], inp["url"], inp["clone"]]
    translate_inputs = {**_named_inputs(handlers.translate, options), "last": page.session,
                        "video": inp["video"], **keys}
    run = ch["go"].click(handlers.translate, speech, _run_outputs(page),
                         inputs_kwargs=translate_inputs, api_name="translate",
                         show_progress="hidden")
    wire_media(run, handlers.pipeline, res["report"], res)
    ch["go"].click(None, js=_SHOW_STEPS, api_name="show_steps", api_visibility="private")
    res["resynth"].click(handlers.resynthesize,
                         [res["translation"], options["voice_vendor"], options["output_format"],
                          page.session], _run_outputs(page),
                         inputs_kwargs={"speakers_table": res["speakers"], **keys},
                         api_name="resynthesize", show_progress="hidden")
    ch["stop"].click(handlers.cancel, None, page.steps, api_name="cancel",
                     concurrency_limit=None, api_visibility="undocumented",
                     show_progress="hidden")


def _wire_first_screen(handlers: UiHandlers, page: Page) -> None:
    """Try it offline: fill in the offline example and run it; Use your own key: open the
    keys. (The sign-in action wires itself.)"""
    first, ch, inp = page.first, page.choices, page.inputs
    first["own_key"].click(lambda: gr.Accordion(open=True), None, ch["keys_box"],
                           js=_SHOW_KEYS, api_name="open_keys", api_visibility="private",
                           show_progress="hidden")
    if first["offline"] is None:
        return
    options = ch["options"]
    example = first["example"]
    filled = [inp["audio"], options["source_language"], options["target_language"],
              options["stt_model"], options["voice_vendor"]]
    first["offline"].click(
        lambda: tuple(example.row()), None, filled, api_name="try_offline",
        api_visibility="private", show_progress="hidden",
    ).then(
        handlers.translate, [inp["audio"], inp["url"], inp["clone"]], _run_outputs(page),
        inputs_kwargs={**_named_inputs(handlers.translate, options), "last": page.session,
                       **ch["keys"]},
        api_name="translate_offline_example", api_visibility="private", show_progress="hidden")
    first["offline"].click(None, js=_SHOW_STEPS, api_name="show_offline_steps",
                           api_visibility="private")


def _wire_choices(demo: gr.Blocks, handlers: UiHandlers, comparer: CompareHandler,
                  page: Page) -> None:
    ch, inp, cmp = page.choices, page.inputs, page.compare
    keys, options = ch["keys"], ch["options"]
    cmp["button"].click(comparer.compare, [inp["audio"], inp["url"], inp["clone"]],
                        [cmp["summary"], *cmp["slots"], cmp["report"]],
                        inputs_kwargs={**_named_inputs(comparer.compare, options),
                                       "compare_llms": cmp["llms"],
                                       "compare_voices": cmp["voices"], **keys},
                        api_name="compare", show_progress="hidden")
    blur = [box.blur for box in keys.values()]
    planned = _named_inputs(handlers.plan, options)
    gr.on([demo.load, inp["audio"].change, *(control.change for control in planned.values()),
           *blur], handlers.plan, None, ch["plan"],
          inputs_kwargs={**planned, "audio": inp["audio"], **keys}, api_name="plan",
          concurrency_limit=None, show_progress="hidden", trigger_mode="always_last")
    languages = [options["source_language"], options["target_language"]]
    gr.on([*(control.change for control in languages), *blur], handlers.options, languages,
          [options["stt_model"], options["llm_model"], options["voice_vendor"],
           options["speech_translation_model"], cmp["llms"], cmp["voices"]],
          inputs_kwargs=keys, api_name="options", concurrency_limit=None,
          api_visibility="undocumented", show_progress="hidden", trigger_mode="always_last")
