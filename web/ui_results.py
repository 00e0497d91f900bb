"""Where a run's results show: the dub on top, then the Translation (its speakers first),
Transcript, Timeline, Details and Compare tabs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import gradio as gr

from pipeline.compare import MAX_VARIANTS
from pipeline.types import Role
from web.ui_choices import model_choices, voice_choices
from web.ui_format import TRANSCRIPT_HEADERS, TRANSLATION_HEADERS
from web.ui_speakers import speakers_panel

if TYPE_CHECKING:
    from pipeline.runner import Pipeline

__all__ = ["compare_tab", "result_card", "result_tabs"]


def result_card() -> dict[str, Any]:
    """The dub, first thing under the steps: its summary, player, download and subtitles."""
    out: dict[str, Any] = {}
    with gr.Column(elem_id="result", elem_classes="st-result"):
        out["summary"] = gr.Markdown(elem_id="result-summary")
        out["audio"] = gr.Audio(label="Your dub", type="filepath", interactive=False,
                                buttons=["download"], elem_id="dubbed-audio")
        with gr.Row(equal_height=False):
            out["download"] = gr.DownloadButton("Download", visible=False, size="md",
                                                variant="primary", elem_id="download-button",
                                                scale=0, min_width=180)
            out["subtitles"] = gr.File(label="Subtitles (SRT and WebVTT)", file_count="multiple",
                                       interactive=False, visible=False, elem_id="subtitles",
                                       scale=1, min_width=240)
    return out


def result_tabs() -> dict[str, Any]:
    """Translation (speakers, then the editable lines), Transcript, Timeline and Details;
    Compare is added after."""
    out: dict[str, Any] = {}
    with gr.Tab("Translation", id="translation"):
        out.update(speakers_panel())
        out["translation"] = gr.Dataframe(
            headers=TRANSLATION_HEADERS, value=[], interactive=True, wrap=True, type="array",
            static_columns=[0, 1, 3], label="Edit any line or its speaker, then re-synthesise",
            elem_id="translation-table", column_widths=["48px", "118px", "104px", "39%", "39%"])
        out["resynth"] = gr.Button("Re-synthesise", variant="primary", elem_id="resynth-button")
        gr.Markdown("Speaks the lines above again with the voice vendor picked above, each in "
                    "its speaker's voice, with the names and speakers as corrected; the "
                    "transcript and translation are reused, not redone.",
                    elem_classes="st-note-small")
        out["reuse"] = gr.Markdown(elem_id="reuse-note")
        out["quality"] = gr.Markdown(elem_id="translation-quality")
    with gr.Tab("Transcript", id="transcript"):
        out["language"] = gr.Markdown("No transcript yet.")
        out["transcript"] = gr.Dataframe(headers=TRANSCRIPT_HEADERS, value=[], interactive=False,
                                         wrap=True, label="Segments", elem_id="transcript-table",
                                         column_widths=["48px", "118px", "104px", "78%"])
    with gr.Tab("Timeline", id="timeline"):
        out["timeline"] = gr.HTML(elem_id="timeline")
    with gr.Tab("Details", id="details-tab"):
        out["details"] = gr.Markdown("Run a translation to see the vendors, times and cost.",
                                     elem_id="details")
        with gr.Accordion("Full report (JSON)", open=False):
            out["report"] = gr.JSON(label="Report")
    return out


def compare_tab(pipeline: Pipeline, default_target: str) -> dict[str, Any]:
    """The Compare tab: pickers (voices ready for ``default_target``), a button, a summary
    and a grid of cards."""
    with gr.Tab("Compare", id="compare"):
        gr.Markdown("Pick several LLMs and/or voice vendors: the speech is transcribed once, "
                    "then every combination runs in parallel. Uses the speech and languages above.")
        with gr.Row():
            llms = gr.Dropdown(model_choices(pipeline, Role.TRANSLATE, {})[1:], value=[],
                               multiselect=True, label="LLMs to compare", min_width=280)
            voices = gr.Dropdown(voice_choices(pipeline, {}, default_target, short=True)[1:],
                                 value=[], multiselect=True, label="Voice vendors to compare",
                                 min_width=280)
        button = gr.Button("Compare", variant="primary", elem_id="compare-button")
        summary = gr.Markdown(elem_id="compare-summary")
        slots: list[Any] = []
        with gr.Row(equal_height=False):
            for _ in range(MAX_VARIANTS):
                with gr.Column(visible=False, min_width=280, elem_classes="st-card") as column:
                    slots += [column, gr.Markdown(), gr.Textbox(label="Translation", lines=3,
                                                                interactive=False),
                              gr.Audio(type="filepath", interactive=False, label="Audio")]
        report = gr.JSON(label="Comparison report", visible=False)
    return {"llms": llms, "voices": voices, "button": button, "summary": summary,
            "slots": slots, "report": report}
