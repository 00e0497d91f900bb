"""The browser page: upload speech, pick a language, hear it back in the same voice.

``build_ui`` builds everything; handlers parse the inputs, make one pipeline call and
format the result. Every event has an explicit ``api_name`` so ``gradio_client`` and MCP
users get stable endpoints.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import gradio as gr

from pipeline.errors import AppError
from pipeline.languages import LANGUAGES
from pipeline.runner import Pipeline
from pipeline.serialize import result_to_dict
from pipeline.types import Role, TaskRequest, TaskStatus

__all__ = ["build_ui"]

_FORMATS_NOTE = (
    "MP3, WAV, FLAC, M4A, OGG, WebM or MP4 audio with clear speech; up to {minutes} min and "
    "{mb} MB. 10–30 s of speech is enough to clone the voice."
)


def _language_choices() -> list[tuple[str, str]]:
    return [(f"{name} ({code})", code) for code, (name, _native) in
            sorted(LANGUAGES.items(), key=lambda item: item[1][0])]


def _vendor_choices(pipeline: Pipeline, role: Role, with_auto: bool) -> list[tuple[str, str]]:
    choices = [("Auto (by language)", "auto")] if with_auto else []
    vendors = pipeline.registry.voice_vendors() if role is Role.SPEAK else pipeline.registry.for_role(role)
    for info in vendors:
        state = pipeline.registry.availability(info, {}, pipeline.settings)
        note = "" if state.runnable else f" — not ready: {state.reason}"
        label = f" ({info.label})" if info.label else ""
        if role is Role.SPEAK:
            choices.append((f"{info.display_name}{label}{note}", info.id))
        else:
            for model in info.models.get(role, ()):
                choices.append((f"{info.id}/{model}{label}{note}", f"{info.id}/{model}"))
    return choices


def _request(audio_path: str | None, target: str, voice: str, stt: str | None) -> TaskRequest:
    if not audio_path:
        raise gr.Error("Upload or record some speech first.")
    return TaskRequest(input_path=Path(audio_path), target_language=target,
                       voice_vendor=voice or "auto", stt=stt or None)


def build_ui(pipeline: Pipeline) -> gr.Blocks:
    """Build the page around ``pipeline`` (nothing runs until a button is pressed)."""
    settings = pipeline.settings
    note = _FORMATS_NOTE.format(minutes=settings.max_duration_s // 60, mb=settings.max_upload_mb)

    def on_plan(target: str, voice: str, stt: str | None) -> str:
        """Explain which vendors would run for these choices, and why.

        Args:
            target: target language code, e.g. "ja".
            voice: voice vendor id or "auto".
            stt: transcription "vendor/model", or empty for the default.

        Returns:
            A short Markdown explanation.
        """
        try:
            plan = pipeline.plan(TaskRequest(Path("."), target, voice_vendor=voice, stt=stt or None))
        except AppError as exc:
            return f"⚠️ {exc.message}"
        lines = [f"- **{c.role.value}** → `{c.vendor}/{c.model}`: {c.reason}"
                 + ("" if c.runnable else " ⚠️") for c in plan.choices]
        if plan.missing_variables:
            lines.append(f"\nMissing to run: {', '.join(plan.missing_variables)}")
        return "\n".join(lines)

    def on_translate(audio_path: str | None, target: str, voice: str, stt: str | None,
                     progress: gr.Progress = gr.Progress()) -> tuple[Any, str, str, str]:
        """Translate speech and speak it in the same voice.

        Args:
            audio_path: the recording (file path).
            target: target language code, e.g. "es".
            voice: voice vendor id or "auto".
            stt: transcription "vendor/model", or empty for the default.

        Returns:
            The dubbed audio file, the transcript, the translation and a JSON report.
        """
        request = _request(audio_path, target, voice, stt)
        result = pipeline.run(request, on_progress=lambda e: progress(e.fraction, desc=e.message))
        report = json.dumps(result_to_dict(result), ensure_ascii=False, indent=2)
        if result.status is not TaskStatus.SUCCEEDED:
            raise gr.Error(result.error or "The task failed.")
        transcript = result.transcript.text if result.transcript else ""
        translation = result.translation.text if result.translation else "(same language: not translated)"
        return str(result.output_path), transcript, translation, report

    with gr.Blocks(title="Speech translation that keeps your voice") as demo:
        gr.Markdown("# Speech translation that keeps your voice\n"
                    "Speak or upload a recording, pick a language, and hear the same words in "
                    "that language in your own voice, with the transcript and translation beside it.")
        with gr.Row():
            with gr.Column():
                audio_in = gr.Audio(sources=["upload", "microphone"], type="filepath",
                                    label="Speech")
                gr.Markdown(note)
                target = gr.Dropdown(_language_choices(), value="es", label="Target language",
                                     filterable=True)
                voice = gr.Dropdown(_vendor_choices(pipeline, Role.SPEAK, True), value="auto",
                                    label="Voice vendor")
                stt = gr.Dropdown([("Default", "")] + _vendor_choices(pipeline, Role.TRANSCRIBE, False),
                                  value="", label="Transcription model")
                plan_md = gr.Markdown()
                go = gr.Button("Translate", variant="primary")
            with gr.Column():
                audio_out = gr.Audio(label="Translated speech", type="filepath", interactive=False)
                transcript = gr.Textbox(label="Transcript", lines=4)
                translation = gr.Textbox(label="Translation", lines=4)
                details = gr.Code(label="Details", language="json")
        gr.on([target.change, voice.change, stt.change, demo.load], on_plan,
              inputs=[target, voice, stt], outputs=plan_md, api_name="plan")
        go.click(on_translate, inputs=[audio_in, target, voice, stt],
                 outputs=[audio_out, transcript, translation, details], api_name="translate")
    return demo


