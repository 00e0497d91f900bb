"""The page's video parts: a video input with its preview, the background choice and the
other media options, and under the dub a video player with the video and background
downloads.

The dubbed video reaches the page after a run: :func:`media_outputs` reads the run's report
(its task id and media summary) and finds the finished files in that task's folder (they
are renamed into place only once complete, so a half-written file is never shown).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from pipeline.media.choices import DEFAULT_DUCKING
from pipeline.media.report import media_files
from pipeline.options import OptionSpec
from web.ui_request import publish

if TYPE_CHECKING:
    from pipeline.runner import Pipeline

__all__ = ["MEDIA_CONTROLS", "media_card", "media_outputs", "video_input", "wire_media"]

_TASK_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_PLAYABLE = (".mp4", ".webm")  # what a browser plays; an MKV is offered as a download
_BACKGROUND_LABELS = {"auto": "Auto (keep it if there is any)", "keep": "Keep", "drop": "Drop"}
_VIDEO_NOTE = ("A video (MP4, MOV, MKV or WebM, up to {mb} MB) comes back dubbed: the same "
               "picture with the new voice, the music and effects kept under it, and a "
               "subtitle track.")
_Control = Callable[["Pipeline", OptionSpec], Any]

MEDIA_CONTROLS: dict[str, _Control] = {
    "background": lambda pipeline, spec: gr.Radio(
        [(_BACKGROUND_LABELS[c], c) for c in spec.choices], value=spec.choices[0],
        label=spec.label, info=spec.help, elem_id="background"),
    "ducking": lambda pipeline, spec: gr.Dropdown(
        [("-18 dB (default)", DEFAULT_DUCKING), ("-12 dB", "-12"), ("-24 dB", "-24"),
         ("Mute", "mute")], value=DEFAULT_DUCKING, label=spec.label, info=spec.help,
        allow_custom_value=True, elem_id="ducking"),
    "video_out": lambda pipeline, spec: gr.Radio(
        [(c if c in ("auto", "off") else c.upper(), c) for c in spec.choices],
        value=spec.choices[0], label=spec.label, info=spec.help, elem_id="video-out"),
    "burn_subtitles": lambda pipeline, spec: gr.Checkbox(
        value=False, label=spec.label, info=spec.help, elem_id="burn-subtitles"),
    "keep_original_audio": lambda pipeline, spec: gr.Checkbox(
        value=False, label=spec.label, info=spec.help, elem_id="keep-original-audio"),
}


def video_input(pipeline: Pipeline) -> gr.Video:
    """The "…or a video" input: uploading shows the video, so it can be checked first."""
    video = gr.Video(sources=["upload"], label="…or a video", elem_id="video-input",
                     include_audio=True)
    gr.Markdown(_VIDEO_NOTE.format(mb=pipeline.settings.max_video_mb),
                elem_classes="st-note-small")
    return video


def media_card() -> dict[str, Any]:
    """The dubbed video's player and the video and background downloads (hidden until a
    run makes them)."""
    with gr.Column(elem_id="video-result", elem_classes="st-result"):
        player = gr.Video(label="Your dubbed video", interactive=False, visible=False, height=360,
                          elem_id="dubbed-video", buttons=["download"])
        files = gr.File(label="Video and background", file_count="multiple",
                        interactive=False, visible=False, elem_id="media-downloads")
        note = gr.Markdown(elem_id="background-note")
    return {"video": player, "media_files": files, "background_note": note}


def media_outputs(data_dir: Path, report: Any) -> tuple[Any, Any, str]:
    """The player, downloads and background note for a run's ``report`` (its JSON)."""
    hidden = (gr.update(value=None, visible=False), gr.update(value=None, visible=False))
    if not isinstance(report, dict) or not _TASK_ID.match(str(report.get("task_id", ""))):
        return (*hidden, "")
    media = report.get("media") or {}
    note = f"**Background:** {media['note']}" if media.get("note") else ""
    found = media_files(Path(data_dir) / "tasks" / str(report["task_id"]))
    video, stem = publish(found.get("video")), publish(found.get("background"))
    downloads = [path for path in (video, stem) if path]
    playable = video is not None and video.endswith(_PLAYABLE)
    return (gr.update(value=video if playable else None, visible=playable),
            gr.update(value=downloads or None, visible=bool(downloads)), note)


def wire_media(run: Any, pipeline: Pipeline, report: Any, card: dict[str, Any]) -> None:
    """After a run (``run``: its event), show its video, downloads and background note."""
    data_dir = pipeline.settings.data_dir
    run.then(lambda value: media_outputs(data_dir, value), [report],
             [card["video"], card["media_files"], card["background_note"]],
             api_name="media", api_visibility="private", show_progress="hidden")
