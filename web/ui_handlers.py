"""Event handlers of the page: parse the inputs, make one pipeline call, format the result.

Every public method is an API endpoint (``/translate``, ``/resynthesize``, ``/plan``...),
so its docstring describes inputs and outputs for ``gradio_client`` and MCP users.
``/translate`` takes every :class:`~pipeline.options.TaskOptions` field as a parameter of
the same name; the page wires each control to the parameter of its option's name. Keys
arrive as keyword arguments named by their environment variable; they go into the
request and nowhere else. A visitor signed in with Hugging Face arrives as ``oauth_token``
(Gradio fills it from the session; it is not an API parameter): their token serves their
runs as ``HF_TOKEN`` and decides whether the server's keys may (see :mod:`web.ui_signin`).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import gradio as gr

from pipeline.editing import reusable_checkpoint, reuse_summary
from pipeline.errors import AppError
from pipeline.languages import AUTO
from pipeline.options import TaskRequest, options_to_dict
from pipeline.results import Checkpoint, TaskResult
from pipeline.runner import Pipeline
from pipeline.timeline import timeline_for
from pipeline.types import Role, TaskStatus, Transcript
from web.ui_choices import model_choices, speech_translation_choices, voice_choices
from web.ui_format import (
    canceled_banner,
    details_markdown,
    error_text,
    failure_text,
    language_markdown,
    plain,
    result_summary,
    steps_html,
    transcript_rows,
    translation_rows,
    voice_name,
)
from web.ui_live import CancelBoard, LiveRun, StepBoard
from web.ui_plan import plan_markdown, upload_duration_s
from web.ui_quality import quality_markdown
from web.ui_request import RequestReader, publish, session_of
from web.ui_session import SessionRun, page_report
from web.ui_speakers import (
    SPEAKER_OUTPUTS,
    blank_speakers,
    corrected,
    panel_speakers,
    speaker_outputs,
    voice_cell,
)
from web.ui_timeline import timeline_svg

__all__ = ["RUN_OUTPUTS", "SessionRun", "UiHandlers", "failure_text", "page_report"]

log = logging.getLogger(__name__)

# What /translate and /resynthesize return, in order (the session state is not in the API).
RUN_OUTPUTS = ("audio", "download", "steps", "language", "transcript", "translation", "timeline",
               "details", "report", "subtitles", "reuse", "summary", "quality", *SPEAKER_OUTPUTS,
               "session")
_STEPS = RUN_OUTPUTS.index("steps")


class UiHandlers:
    """The page's event handlers over one pipeline.

    Args:
        pipeline: the task runner (registry and settings come with it).
        fetcher: downloads an audio URL (default: the safe fetcher of ``web.inputs``).
    """

    def __init__(self, pipeline: Pipeline, fetcher: Any = None) -> None:
        self.pipeline = pipeline
        self.cancels = CancelBoard()
        self.boards: dict[str, StepBoard] = {}  # the live step list of each session's run
        self.reader = RequestReader(pipeline, fetcher)
        self.on_result: Callable[[TaskRequest, TaskResult, str], None] | None = None

    # --- helpers --------------------------------------------------------------------

    def _blank(self, banner: str = "", tone: str = "info") -> tuple:
        return (None, gr.DownloadButton(value=None, visible=False),
                steps_html(None, banner=banner, tone=tone, ended=tone == "error"), "", [], [],
                "", "", {},
                gr.File(value=None, visible=False), "", "", "", *blank_speakers(), gr.skip())

    def _steps_only(self, view: str) -> tuple:
        """Outputs that change only the step list (the results on the page stay)."""
        skip = (gr.skip(),) * len(RUN_OUTPUTS)
        return skip[:_STEPS] + (view,) + skip[_STEPS + 1:]

    def _failed(self, message: str) -> gr.Error:
        """The error for API callers (plain text); the page shows ``message`` in the step
        list only."""
        return gr.Error(plain(message), visible=False, print_exception=False)

    def _finished(self, result: TaskResult, request: TaskRequest, reuse: str,
                  original: Transcript | None) -> tuple:
        audio_path = publish(result.output_path)
        fmt = request.options.output_format.upper()
        banner, tone, error = reuse, "info", None
        if result.status is TaskStatus.CANCELED:
            banner, tone = canceled_banner(result.steps), "canceled"
        elif result.status is TaskStatus.FAILED:
            error = result.error
            banner, tone = failure_text(result), "error"
        subtitles = [p for p in (publish(s.path) for s in result.subtitles) if p]
        heard = original or result.transcript
        panel = speaker_outputs(result)
        listed = panel_speakers(result)
        session = (SessionRun(replace(request, keys={}), result.checkpoint, heard,
                              tuple(s.name for s in listed), tuple(map(voice_cell, listed)))
                   if result.checkpoint is not None and result.checkpoint.transcript is not None
                   else gr.skip())
        return (
            audio_path,
            gr.DownloadButton(value=audio_path, label=f"Download {fmt}", visible=bool(audio_path)),
            steps_html(result.steps, banner=banner, tone=tone, error=error, ended=True,
                       fraction=1.0 if result.status is TaskStatus.SUCCEEDED else None),
            language_markdown(result),
            transcript_rows(heard, result.transcript),
            translation_rows(result, heard),
            timeline_svg(timeline_for(result)),
            details_markdown(result, quality=quality_markdown(
                result, request.options.quality, heard=True, title="### Quality")),
            page_report(result),
            gr.File(value=subtitles or None, visible=bool(subtitles)),
            reuse,
            result_summary(result, voice_name(self.pipeline.registry, result)),
            quality_markdown(result, request.options.quality),
            *panel,
            session,
        )

    def _view(self, board: StepBoard, banner: str) -> str:
        if board.stopping:
            return steps_html(board.reports, notes=board.notes, banner="Stopping…",
                              tone="canceled", fraction=board.fraction)
        return steps_html(board.reports, notes=board.notes, banner=banner,
                          fraction=board.fraction)

    def _stream(self, task: TaskRequest, checkpoint: Checkpoint | None, session: str,
                progress: gr.Progress, reused: bool,
                original: Transcript | None = None, note: str = "") -> Iterator[tuple]:
        """Run ``task`` live: step updates while it runs, then every output (a re-run's
        reuse note starts with ``note``)."""
        cancel = self.cancels.open(session)
        board = StepBoard()
        self.boards[session] = board
        result: TaskResult | None = None
        preview = ""
        try:
            live = LiveRun(lambda emit: self.pipeline.run(
                task, cancel=cancel, checkpoint=checkpoint, task_id=uuid.uuid4().hex,
                on_progress=lambda event: emit("progress", event),
                on_checkpoint=lambda _cp, reports: emit("reports", reports),
                on_partial_audio=lambda path, ready_s: emit("partial", (path, ready_s))))
            for kind, payload in live.events():
                if kind == "done":
                    result = payload
                    break
                if kind == "partial" and not preview:
                    # The first finished lines play at once; the player is not swapped again
                    # until the whole dub is ready, so listening is never cut off.
                    path, ready_s = payload
                    preview = (f"The first {ready_s:.1f} s of the dub can be played below "
                               "while the rest is spoken.")
                    yield (publish(path),) + self._steps_only(self._view(board, preview))[1:]
                elif board.apply(kind, payload):
                    if kind == "progress":
                        progress(board.fraction, desc=payload.message)
                    yield self._steps_only(self._view(board, preview))
        except Exception:  # a bug: logged, and the visitor gets a sentence, not a trace
            log.exception("live run crashed")
            message = "Internal error while running the task; it has been logged."
            yield self._steps_only(steps_html(board.reports, banner=message, tone="error",
                                              ended=True))
            raise self._failed(message) from None
        finally:
            if result is None:
                cancel.set()
            self.cancels.close(session, cancel)
            if self.boards.get(session) is board:
                del self.boards[session]
        assert result is not None  # the events end only with "done" or by raising
        if self.on_result is not None:
            self.on_result(task, result, session)
        summary = " ".join(filter(None, [note, reuse_summary(result).sentence])) if reused else ""
        yield self._finished(result, task, summary, original)
        if result.status is TaskStatus.FAILED:
            raise self._failed(failure_text(result))

    # --- endpoints ------------------------------------------------------------------

    def translate(self, audio: str | None, audio_url: str = "", clone_audio: str | None = None,
                  source_language: str = AUTO, target_language: str = "es", stt_model: str = "",
                  llm_model: str = "", voice_vendor: str = "auto", output_format: str = "mp3",
                  timing: str = "auto", glossary: Any = None, instructions: str = "",
                  text_only: bool = False, speech_translation_model: str = "",
                  quality: str = "auto", quality_stt_model: str = "", max_retakes: int = 2,
                  background: str = "auto", ducking: str = "-18", video_out: str = "auto",
                  burn_subtitles: bool = False, keep_original_audio: bool = False,
                  target_languages: Any = None, speakers: str = "1",
                  speaker_voices: Any = None, subtitle_speakers: bool = False,
                  video: str | None = None,
                  last: SessionRun | None = None, request: gr.Request | None = None,
                  progress: gr.Progress = gr.Progress(),
                  oauth_token: gr.OAuthToken | None = None, **keys: str) -> Iterator[tuple]:
        """Translate speech and speak it in the same voice (all five steps).

        Within one session, running the same input again reuses what still holds: with only
        the voice vendor (or format) changed, just voice_clone and text_to_speech run.

        Args:
            audio: the recording (MP3, WAV, FLAC, M4A, OGG, WebM or MP4 audio).
            audio_url: a public http(s) URL of a recording, used when no file is given.
            clone_audio: optional separate clip whose voice is cloned instead.
            source_language: spoken language code, or "auto" to detect it.
            target_language: language code to speak, e.g. "es" or "ja".
            stt_model: "vendor/model" for speech to text, "" for the default.
            llm_model: "vendor/model" for translation, "" for the default.
            voice_vendor: voice vendor id, or "auto" for the selection rule.
            output_format: "mp3" or "wav".
            timing: "auto", "natural" (natural pauses) or "keep" (lines at their original times).
            glossary: terms to use, as {"headers": [...], "data": [[term, translation], ...]}.
            instructions: notes for the translator (tone, audience, names).
            text_only: true to stop after the translation (texts and subtitles, no voice).
            speech_translation_model: "vendor/model" translating the speech in one call, or "".
            quality: "off", "auto" or "full": score each dubbed line and speak weak ones again.
            quality_stt_model: "vendor/model" that hears the dub back, or "" for the default.
            max_retakes: more takes a weak line may get (0-5).
            background: "keep", "drop" or "auto" (keep music and effects when there are some).
            ducking: the original's level under dubbed lines without separation ("-18", "mute").
            video_out: "auto", "off", "mp4", "mkv" or "webm" (the dubbed video's container).
            burn_subtitles: draw the translated subtitles into the picture.
            keep_original_audio: keep the original sound as the video's second track.
            target_languages: more languages to dub the same speech into (e.g. ["ja"]).
            speakers: "1" (one voice), "auto" (found offline) or a number of speakers.
            speaker_voices: a voice per speaker, {"Speaker 2": "elevenlabs", ...} or rows.
            subtitle_speakers: true to start each SRT cue with the speaker's name.
            video: a video to dub instead of ``audio`` (its picture comes back dubbed).

        Returns:
            The dubbed audio, its download, the step list (HTML), the detected language,
            the transcript rows, the translation rows, the timeline (SVG), the details
            (Markdown, with the quality section), the full JSON report, subtitle files, a
            reuse note (empty here), the one-line summary shown over the dub and the
            quality (Markdown: summary, legend and one row per line, weak lines flagged),
            then the speakers: a sentence, their table (name, speech, voice used,
            reference, vendor, similarity) and each one's reference clip (8 slots).
        """
        yield self._blank(banner="Starting…")
        options = {"source_language": source_language, "target_language": target_language,
                   "stt_model": stt_model, "llm_model": llm_model, "voice_vendor": voice_vendor,
                   "output_format": output_format, "timing": timing, "glossary": glossary,
                   "instructions": instructions, "text_only": text_only,
                   "speech_translation_model": speech_translation_model, "quality": quality,
                   "quality_stt_model": quality_stt_model, "max_retakes": max_retakes,
                   "background": background, "ducking": ducking, "video_out": video_out,
                   "burn_subtitles": burn_subtitles, "keep_original_audio": keep_original_audio,
                   "target_languages": target_languages, "speakers": speakers,
                   "speaker_voices": speaker_voices, "subtitle_speakers": subtitle_speakers}
        try:
            task = self.reader.task(audio=video or audio, audio_url=audio_url, clone_audio=clone_audio,
                                    options=self.reader.options(options), keys=keys,
                                    oauth=oauth_token)
        except AppError as exc:  # said once, in the step list; API callers get the error
            message = error_text(exc)
            yield self._blank(banner=message, tone="error")
            raise self._failed(message) from None
        earlier = reusable_checkpoint(last.request, last.checkpoint, task) if last else None
        original = last.original if last is not None and earlier is not None else None
        yield from self._stream(task, earlier, session_of(request), progress,
                                reused=earlier is not None, original=original)

    def resynthesize(self, translation_table: Any, voice_vendor: str = "auto",
                     output_format: str = "mp3", last: SessionRun | None = None,
                     speakers_table: Any = None, request: gr.Request | None = None,
                     progress: gr.Progress = gr.Progress(),
                     oauth_token: gr.OAuthToken | None = None, **keys: str) -> Iterator[tuple]:
        """Speak the (edited) translation again, with any speaker corrections; only
        voice_clone and text_to_speech run.

        Needs a /translate earlier in the same session (one ``gradio_client.Client`` keeps
        one session).

        Args:
            translation_table: the translation rows; the last column holds the text to speak,
                the third (of five) the line's speaker: another speaker's name gives them it.
            voice_vendor: voice vendor id, or "auto"; changing only this also reuses the rest.
            output_format: "mp3" or "wav".
            speakers_table: the speakers' rows as returned; a new first cell renames one.

        Returns:
            The same outputs as /translate; the reuse note names the steps that were reused.
        """
        if last is None:
            message = "Translate something first, then edit the translation and re-synthesise."
            yield self._steps_only(steps_html(banner=message, tone="error"))
            raise self._failed(message)
        try:
            checkpoint, edits = corrected(last.checkpoint, last.speakers, last.voices,
                                          speakers_table, translation_table)
            options = self.reader.options({**options_to_dict(last.request.options),
                                           "voice_vendor": voice_vendor,
                                           "output_format": output_format,
                                           "speaker_voices": edits.speaker_voices(
                                               last.request.options.speaker_voices)})
        except AppError as exc:  # the results stay; the step list says what is wrong
            message = error_text(exc)
            yield self._steps_only(steps_html(banner=message, tone="error"))
            raise self._failed(message) from None
        task = replace(last.request, options=options, keys=self.reader.keys(keys, oauth_token),
                       server_keys=self.reader.server_keys(oauth_token))
        yield from self._stream(task, checkpoint, session_of(request), progress, reused=True,
                                original=last.original, note=edits.sentence)

    def plan(self, source_language: str = AUTO, target_language: str = "es", stt_model: str = "",
             llm_model: str = "", voice_vendor: str = "auto", text_only: bool = False,
             speech_translation_model: str = "", audio: str | None = None,
             speakers: str = "1", speaker_voices: Any = None,
             oauth_token: gr.OAuthToken | None = None, **keys: str) -> str:
        """Which vendors would run for these choices, and why; no vendor is called.

        Args:
            source_language: spoken language code, or "auto".
            target_language: language code to speak.
            stt_model: "vendor/model" for speech to text, "" for the default.
            llm_model: "vendor/model" for translation, "" for the default.
            voice_vendor: voice vendor id, or "auto" (shown as "Auto → fish (...)").
            text_only: true to stop after the translation (no voice).
            speech_translation_model: "vendor/model" translating the speech in one call, or "".
            quality: "off", "auto" or "full": score each dubbed line and speak weak ones again.
            quality_stt_model: "vendor/model" that hears the dub back, or "" for the default.
            max_retakes: more takes a weak line may get (0-5).
            audio: the recording, if one is chosen: the estimate is for its length.
            speakers: "1", "auto" or a number of speakers (the plan says what it does).
            speaker_voices: a voice per speaker (the plan lists each one).

        Returns:
            Markdown: one line per step with the vendor, what is missing (in words), the
            cost estimate, and the reasons behind each choice.
        """
        try:
            options = self.reader.options({
                "source_language": source_language, "target_language": target_language,
                "stt_model": stt_model, "llm_model": llm_model, "voice_vendor": voice_vendor,
                "text_only": text_only, "speech_translation_model": speech_translation_model,
                "speakers": speakers, "speaker_voices": speaker_voices})
        except AppError as exc:
            return f"⚠️ {error_text(exc)}"
        return plan_markdown(self.pipeline, options, self.reader.keys(keys, oauth_token),
                             duration_s=upload_duration_s(audio),
                             server_keys=self.reader.server_keys(oauth_token))

    def options(self, source_language: str, target_language: str,
                oauth_token: gr.OAuthToken | None = None, **keys: str) -> tuple:
        """Dropdown choices with their readiness for these languages and keys.

        Returns:
            Updated choices for speech to text, translation, voice, direct speech
            translation, and the Compare pickers.
        """
        lent = self.reader.server_keys(oauth_token)
        keys = self.reader.keys(keys, oauth_token)
        source = None if (source_language or AUTO) == AUTO else source_language
        voices = voice_choices(self.pipeline, keys, target_language, server_keys=lent)
        short = voice_choices(self.pipeline, keys, target_language, short=True, server_keys=lent)
        llms = model_choices(self.pipeline, Role.TRANSLATE, keys, server_keys=lent)
        direct = speech_translation_choices(self.pipeline, keys, target_language,
                                            server_keys=lent)
        stt = model_choices(self.pipeline, Role.TRANSCRIBE, keys, source, server_keys=lent)
        return (gr.Dropdown(choices=stt),
                gr.Dropdown(choices=llms), gr.Dropdown(choices=voices),
                gr.Dropdown(choices=direct), gr.Dropdown(choices=llms[1:]),
                gr.Dropdown(choices=short[1:]))

    def cancel(self, request: gr.Request | None = None) -> Any:
        """Stop this session's running translation or comparison at its next safe point.

        Returns:
            The step list saying "Stopping…" at once when a translation was running (the
            run then ends as "Canceled at <step>"); nothing changes when nothing runs.
        """
        session = session_of(request)
        count = self.cancels.cancel(session)
        board = self.boards.get(session)
        if not count or board is None:
            return gr.skip()
        board.stopping = True
        return self._view(board, "")
