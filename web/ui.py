"""The browser page: upload or record speech, pick languages and vendors, hear it back.

``build_ui`` lays the page out: a first line saying what runs here with its actions (try it
offline, sign in, use your own key), the speech and the choices with the plan, the steps,
the dub, then the tabs. :mod:`web.ui_wiring` connects the events to
:class:`web.ui_handlers.UiHandlers` (thin handlers: parse, one pipeline call, format).
Every event has an explicit
``api_name`` (``/translate``, ``/plan``, ``/resynthesize``, ``/compare``...), so
``gradio_client`` and MCP users get stable endpoints. ``mount_ui`` mounts the page on the
FastAPI app with its theme, CSS and, when the ``mcp`` package is installed, the MCP server.
"""

from __future__ import annotations

import importlib.util
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import gradio as gr

from pipeline.languages import language_name
from pipeline.options import MAX_RETAKES, OptionSpec, option_fields
from pipeline.projects.service import ProjectService
from pipeline.runner import Pipeline
from pipeline.types import Role
from web.examples import Example, ensure_examples
from web.ui_choices import (
    key_fields,
    language_choices,
    model_choices,
    source_choices,
    speech_translation_choices,
    voice_choices,
)
from web.ui_compare import CompareHandler
from web.ui_format import steps_html
from web.ui_handlers import UiHandlers
from web.ui_media import MEDIA_CONTROLS, media_card, video_input
from web.ui_plan import reach, welcome_text
from web.ui_projects import ProjectPage, projects_tab, wire_projects
from web.ui_request import GLOSSARY_HEADERS, SPEAKER_VOICE_HEADERS
from web.ui_results import compare_tab, result_card, result_tabs
from web.ui_signin import login_button, signin_available, signin_note, wire_signin
from web.ui_style import CSS, theme
from web.ui_wiring import Page, wire

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["DEFAULT_TARGET", "TITLE", "build_ui", "mcp_available", "mount_ui", "option_controls"]

TITLE = "Speech translation that keeps your voice"
DEFAULT_TARGET = "es"
_INTRO = (f"# {TITLE}\nUpload or record speech, pick a language, and hear the same words in "
          "that language **in your own voice**, with the transcript and translation beside it.")
_FORMATS = ("**Formats:** MP3, WAV, FLAC, M4A, OGG, WebM or the audio of an MP4. **Limits:** "
            "{mb} MB and {minutes} min per file. 10–30 s of clear speech is enough to clone a "
            "voice.")
_KEYS_NOTE = ("Keys you paste here are used for this browser session only: they are never "
              "stored, logged or sent back. Leave a field empty to use the server's own key, if "
              "it has one.")
_DEFAULT_INFO = "Default: the app's default model, or the next one that can run here."
_FOOTER = ("REST API and its docs: [/docs](/docs) · these page actions are also an API for "
           "`gradio_client` and MCP (see *Use via API* below) · open source, Apache-2.0")


def mcp_available() -> bool:
    """Whether Gradio's MCP server can run here (it needs the ``mcp`` package)."""
    return importlib.util.find_spec("mcp") is not None


def _inputs(pipeline: Pipeline) -> dict[str, Any]:
    """The left column: speech, URL, clone clip."""
    settings = pipeline.settings
    gr.Markdown("### 1 · Your speech")
    audio = gr.Audio(sources=["upload", "microphone"], type="filepath", label="Speech",
                     elem_id="speech-input")
    gr.Markdown(_FORMATS.format(mb=settings.max_upload_mb, minutes=settings.max_duration_s // 60),
                elem_classes="st-note-small")
    video = video_input(pipeline)
    url = gr.Textbox(label="…or an audio or video URL", value="", max_lines=1,
                     placeholder="https://example.com/talk.mp3")
    with gr.Accordion("Clone this voice instead (optional)", open=False):
        clone = gr.Audio(sources=["upload", "microphone"], type="filepath",
                         label="Voice to clone", elem_id="clone-input")
        gr.Markdown("The dub speaks with this voice instead of the speaker's. 10–30 s of clean "
                    "speech works best; under 10 s is accepted with a warning.",
                    elem_classes="st-note-small")
    return {"audio": audio, "video": video, "url": url, "clone": clone}


# Every dropdown takes any text (allow_custom_value: API callers may send "Japanese" or
# "openai"): the one parser checks it and names the option when it is wrong.
_Control = Callable[[Pipeline, OptionSpec], Any]
_GLOSSARY_INFO = ("Terms the translator must use, one per row. Add rows from a cell's ⋮ menu, "
                  "or drop a two-column CSV file on the table.")
_SPEAKER_VOICES_INFO = ("A voice vendor of their own for a speaker (with Speakers auto or 2+), "
                        "one per row: e.g. Speaker 2 | elevenlabs, or a preset voice such as "
                        "openai:onyx. Everyone else keeps the voice vendor.")


def _language_controls(pipeline: Pipeline, specs: dict[str, OptionSpec]) -> dict[str, Any]:
    with gr.Row():
        return {
            "source_language": gr.Dropdown(source_choices(), value="auto", min_width=200,
                                           label=specs["source_language"].label,
                                           allow_custom_value=True),
            "target_language": gr.Dropdown(language_choices(), value=DEFAULT_TARGET,
                                           filterable=True, min_width=200,
                                           label=specs["target_language"].label,
                                           allow_custom_value=True),
        }


def _speaker_voices(spec: OptionSpec) -> gr.Dataframe:
    table = gr.Dataframe(headers=SPEAKER_VOICE_HEADERS, value=[["", ""]], type="array",
                         interactive=True,
                         column_count=(len(SPEAKER_VOICE_HEADERS),  # type: ignore[arg-type]
                                       "fixed"),
                         label=spec.label, elem_id="speaker-voices-table")
    gr.Markdown(_SPEAKER_VOICES_INFO, elem_classes="st-note-small")
    return table


def _glossary(spec: OptionSpec) -> gr.Dataframe:
    table = gr.Dataframe(headers=GLOSSARY_HEADERS, value=[["", ""]], type="array",
                         interactive=True,
                         # Gradio reads (count, "fixed") as columns that cannot be added or
                         # removed; its annotation names only the count.
                         column_count=(len(GLOSSARY_HEADERS), "fixed"),  # type: ignore[arg-type]
                         wrap=True, label=spec.label, elem_id="glossary-table")
    gr.Markdown(_GLOSSARY_INFO, elem_classes="st-note-small")
    return table


# One control per option besides the languages (they share a row), common ones in page
# order: its label, and for the advanced ones its info text, come from the option's spec.
_CONTROLS: dict[str, _Control] = {
    "voice_vendor": lambda pipeline, spec: gr.Dropdown(
        voice_choices(pipeline, {}, DEFAULT_TARGET), value="auto", label=spec.label,
        allow_custom_value=True),
    "stt_model": lambda pipeline, spec: gr.Dropdown(
        model_choices(pipeline, Role.TRANSCRIBE, {}), value="", label=spec.label,
        info=_DEFAULT_INFO, allow_custom_value=True),
    "llm_model": lambda pipeline, spec: gr.Dropdown(
        model_choices(pipeline, Role.TRANSLATE, {}), value="", label=spec.label,
        info=_DEFAULT_INFO, allow_custom_value=True),
    "output_format": lambda pipeline, spec: gr.Radio(
        [(choice.upper(), choice) for choice in spec.choices], value=spec.choices[0],
        label=spec.label),
    "timing": lambda pipeline, spec: gr.Radio(
        [(choice.capitalize(), choice) for choice in spec.choices], value=spec.choices[0],
        label=spec.label, info=spec.help, elem_id="timing"),
    "glossary": lambda pipeline, spec: _glossary(spec),
    "instructions": lambda pipeline, spec: gr.Textbox(
        label=spec.label, info=spec.help, value="", lines=2, max_lines=8,
        placeholder="e.g. Friendly tone for teenagers; keep brand names in English.",
        elem_id="instructions"),
    "text_only": lambda pipeline, spec: gr.Checkbox(
        value=False, label=spec.label, info=spec.help, elem_id="text-only"),
    "speech_translation_model": lambda pipeline, spec: gr.Dropdown(
        speech_translation_choices(pipeline, {}, DEFAULT_TARGET), value="", label=spec.label,
        info=spec.help, elem_id="speech-translation", allow_custom_value=True),
    "quality": lambda pipeline, spec: gr.Radio(
        [(choice.capitalize(), choice) for choice in spec.choices], value=spec.choices[0],
        label=spec.label, info=spec.help, elem_id="quality"),
    "quality_stt_model": lambda pipeline, spec: gr.Dropdown(
        model_choices(pipeline, Role.TRANSCRIBE, {}), value="", label=spec.label,
        info=spec.help, elem_id="quality-stt", allow_custom_value=True),
    "max_retakes": lambda pipeline, spec: gr.Slider(
        0, MAX_RETAKES, value=2, step=1, label=spec.label, info=spec.help,
        elem_id="max-retakes"),
    "speakers": lambda pipeline, spec: gr.Dropdown(
        ["auto", *map(str, range(1, 9))], value="1", label=spec.label, info=spec.help,
        elem_id="speakers-count", allow_custom_value=True),
    "speaker_voices": lambda pipeline, spec: _speaker_voices(spec),
    "subtitle_speakers": lambda pipeline, spec: gr.Checkbox(
        value=False, label=spec.label, info=spec.help, elem_id="subtitle-speakers"),
    **MEDIA_CONTROLS,
    "target_languages": lambda pipeline, spec: gr.Dropdown(
        language_choices(), value=[], multiselect=True, label=spec.label, info=spec.help,
        elem_id="more-languages"),
}


def option_controls(pipeline: Pipeline) -> dict[str, Any]:
    """A control for every task option: the common ones first, the rest under "Advanced".

    Returns:
        Option name -> control, for every :class:`~pipeline.options.TaskOptions` field.
    """
    specs = dict(option_fields())
    lacking = sorted(set(specs) - set(_CONTROLS) - {"source_language", "target_language"})
    if lacking:
        raise LookupError(f"The page has no control for the options {', '.join(lacking)}.")
    controls = _language_controls(pipeline, specs)
    for name, build in _CONTROLS.items():
        if not specs[name].advanced:
            controls[name] = build(pipeline, specs[name])
    with gr.Accordion("Advanced", open=False, elem_id="advanced"):
        for name, spec in specs.items():
            if spec.advanced:
                controls[name] = _CONTROLS[name](pipeline, spec)
    return controls


def _choices(pipeline: Pipeline) -> dict[str, Any]:
    """The right column: every option, the plan, keys and the buttons."""
    gr.Markdown("### 2 · Languages, models and voice")
    options = option_controls(pipeline)
    plan = gr.Markdown(elem_id="plan")
    with gr.Accordion("Settings: your own keys (optional)", open=False,
                      elem_id="keys") as keys_box:
        gr.Markdown(_KEYS_NOTE, elem_classes="st-note-small")
        keys = {field.variable: gr.Textbox(label=field.label, type="password", value="",
                                           max_lines=1, placeholder="empty: the server's key")
                for field in key_fields(pipeline)}
    with gr.Row():
        go = gr.Button("Translate", variant="primary", scale=3, elem_id="translate-button")
        stop = gr.Button("Cancel", variant="stop", scale=1, elem_id="cancel-button")
    return {"options": options, "plan": plan, "keys": keys, "keys_box": keys_box, "go": go,
            "stop": stop}


def _signin_action(pipeline: Pipeline) -> Any | None:
    """The first screen's "Sign in with Hugging Face" action, not rendered yet (the action
    row renders it), or None where this page offers no sign-in (off a Space)."""
    if not signin_available(pipeline.settings):
        return None
    return login_button(pipeline.settings, min_width=260).unrender()


def _welcome(pipeline: Pipeline, offline: Example | None) -> dict[str, Any]:
    """The first screen's line and its actions: try it offline, sign in, use your own key."""
    signin = _signin_action(pipeline)
    with gr.Column(elem_id="welcome", elem_classes="st-welcome"):
        gr.Markdown(welcome_text(reach(pipeline), signin=signin is not None),
                    elem_id="welcome-line")
        with gr.Row(elem_id="welcome-actions", elem_classes="st-actions"):
            try_offline = None
            if offline is not None:
                spoken = language_name(offline.source_language)
                try_offline = gr.Button(f"Try it offline ({spoken}, robotic voice)",
                                        variant="primary", elem_id="try-offline")
            if signin is not None:
                signin.render()
            own_key = gr.Button("Use your own key", variant="secondary", elem_id="use-own-key")
        note = signin_note(pipeline.settings) if signin is not None else None
    return {"offline": try_offline, "example": offline, "signin": signin, "own_key": own_key,
            "signin_note": note}


def build_ui(pipeline: Pipeline, *, fetcher: Any = None,
             projects: ProjectService | None = None) -> gr.Blocks:
    """Build the page around ``pipeline`` (nothing runs until a button is pressed).

    Args:
        pipeline: the task runner; its registry feeds every dropdown.
        fetcher: downloads audio URLs (tests inject one; default: the safe fetcher).
        projects: the API's project service: with it, runs are kept as tasks and the
            "Edit & render" tab edits them.
    """
    handlers = UiHandlers(pipeline, fetcher)
    comparer = CompareHandler(handlers)
    examples = ensure_examples(pipeline)
    with gr.Blocks(title=TITLE, delete_cache=(3600, 24 * 3600)) as demo:
        gr.Markdown(_INTRO, elem_classes="st-header")
        first = _welcome(pipeline, next((e for e in examples if e.stt), None))
        if first["signin_note"] is not None:
            wire_signin(demo, first["signin_note"], pipeline.settings)
        with gr.Row(equal_height=False):
            with gr.Column(min_width=300):
                inp = _inputs(pipeline)
            with gr.Column(min_width=300):
                ch = _choices(pipeline)
        _examples(examples, inp, ch)
        steps = gr.HTML(steps_html(), elem_id="steps")
        res = result_card()
        res.update(media_card())
        with gr.Tabs(elem_id="result-tabs", elem_classes="st-tabs", overflow_behavior="wrap"):
            res.update(result_tabs())
            cmp = compare_tab(pipeline, DEFAULT_TARGET)
            edits = projects_tab() if projects is not None else None
        gr.Markdown(_FOOTER, elem_classes="st-footer")
        session = gr.State(None)
        wire(demo, handlers, comparer, Page(first, inp, ch, steps, res, cmp, session))
        if projects is not None and edits is not None:
            keeper = ProjectPage(projects)
            handlers.on_result = keeper.keep
            wire_projects(demo, keeper, edits, res["summary"])
    return demo


def _examples(examples: list[Example], inp: dict[str, Any], ch: dict[str, Any]) -> None:
    """One-click examples that fill the speech, languages, model and voice."""
    if examples:
        options = ch["options"]
        gr.Examples([e.row() for e in examples],
                    [inp["audio"], options["source_language"], options["target_language"],
                     options["stt_model"], options["voice_vendor"]],
                    example_labels=[e.title for e in examples], cache_examples=False,
                    label="Examples, spoken by this app's own offline voice")


def mount_ui(api: FastAPI, pipeline: Pipeline, *, path: str = "/", fetcher: Any = None) -> FastAPI:
    """Mount the page on ``api`` at ``path`` with the queue, theme, CSS and MCP server.

    The MCP server (at ``/gradio_api/mcp/``) is on when the ``mcp`` package is installed.
    """
    settings = pipeline.settings
    blocks = build_ui(pipeline, fetcher=fetcher, projects=getattr(api.state, "projects", None))
    blocks.queue(default_concurrency_limit=settings.workers)
    with warnings.catch_warnings():
        # The session state only carries a page's last run for re-use; MCP calls start
        # without it by design (/translate runs in full, /resynthesize says what to do).
        warnings.filterwarnings("ignore", message="This MCP server includes a tool that has a "
                                "gr.State input")
        return gr.mount_gradio_app(api, blocks, path=path,
                                   max_file_size=f"{max(settings.max_upload_mb, settings.max_video_mb)}mb",
                                   css=CSS,
                                   theme=theme(), mcp_server=mcp_available())
