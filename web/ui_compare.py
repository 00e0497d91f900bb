"""The Compare tab's handler: several LLMs and/or voice vendors on one input, side by side."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

import gradio as gr

from pipeline.compare import (
    MAX_VARIANTS,
    RANKING,
    Comparison,
    VariantOutcome,
    compare,
    make_variants,
)
from pipeline.errors import AppError
from pipeline.languages import AUTO, language_name
from pipeline.types import Role, TaskStatus
from web.ui_format import error_text, seconds
from web.ui_handlers import UiHandlers, failure_text
from web.ui_live import LiveRun
from web.ui_request import publish, session_of

__all__ = ["SLOT_OUTPUTS", "CompareHandler"]

log = logging.getLogger(__name__)

# Each grid slot is a column (not in the API) holding a title, the translation and the audio.
SLOT_OUTPUTS = ("column", "title", "translation", "audio")


def _name(outcome: VariantOutcome) -> str:
    result = outcome.result
    voice = next((c for c in result.choices if c.role is Role.SPEAK), None)
    llm = next((c for c in result.choices if c.role is Role.TRANSLATE), None)
    llm_name = f"{llm.vendor}/{llm.model}" if llm else "no translation needed"
    voice_name = voice.vendor if voice else outcome.variant.voice_vendor
    return f"{voice_name} · {llm_name}"


def _share(value: float | None) -> str:
    return f"{value:.0%}" if value is not None else "–"


def _similarity(outcome: VariantOutcome) -> str:
    quality = outcome.result.quality
    if quality is None or quality.median_similarity is None:
        return "–"
    return f"{quality.median_similarity:.2f} ({quality.worst_similarity:.2f} worst)"


def _title(rank: int, outcome: VariantOutcome) -> str:
    status = "✓" if outcome.succeeded else f"⚠️ {outcome.result.status.value}"
    scores = ""
    if outcome.succeeded:
        understood = (f"{outcome.share_understood:.0%} understood"
                      if outcome.share_understood is not None else "words not checked")
        scores = (f"\n\nvoice {_similarity(outcome)} · {understood} · "
                  f"{_share(outcome.share_within_bounds)} in time")
    return (f"#### {rank}. {_name(outcome)}\n"
            f"{status} · {seconds(outcome.duration_s)} · ${outcome.cost_usd:.4f}{scores}")


def _ranking(comparison: Comparison) -> str:
    """The variants best first, their quality next to their time and cost (Markdown)."""
    rows = ["| Rank | Voice · LLM | Voice similarity | Understood | In time | Time | Cost |",
            "|---|---|---|---|---|---|---|"]
    for rank, outcome in enumerate(comparison.ranked, start=1):
        status = "" if outcome.succeeded else f" ⚠️ {outcome.result.status.value}"
        rows.append(f"| {rank} | {_name(outcome)}{status} | {_similarity(outcome)} | "
                    f"{_share(outcome.share_understood)} | "
                    f"{_share(outcome.share_within_bounds)} | {seconds(outcome.duration_s)} | "
                    f"${outcome.cost_usd:.4f} |")
    return "\n".join(rows) + f"\n\n<sub>Ranked {RANKING}; – not measured.</sub>"


def _scores(outcome: VariantOutcome) -> dict[str, Any]:
    quality = outcome.result.quality

    def rounded(value: float | None, digits: int = 3) -> float | None:
        return round(value, digits) if value is not None else None

    return {
        "median_similarity": rounded(outcome.median_similarity),
        "worst_similarity": rounded(quality.worst_similarity if quality else None),
        "share_understood": rounded(outcome.share_understood, 4),
        "share_within_bounds": rounded(outcome.share_within_bounds, 4),
        "lines_retaken": len(quality.retaken) if quality else 0,
    }


def _text(outcome: VariantOutcome) -> str:
    result = outcome.result
    if not outcome.succeeded:
        if result.status is TaskStatus.FAILED:
            return failure_text(result)
        return result.error or f"The run {result.status.value}."
    spoken = result.translation or result.transcript
    return spoken.text if spoken is not None else ""


def _report(comparison: Comparison) -> dict[str, Any]:
    first = comparison.first
    ranks = {id(outcome): rank for rank, outcome in enumerate(comparison.ranked, start=1)}
    return {
        "transcript": first.transcript.text if first.transcript else None,
        "source_language": first.transcript.language if first.transcript else None,
        "shared_duration_s": round(comparison.shared_duration_s, 3),
        "shared_cost_usd": round(comparison.shared_cost_usd, 6),
        "ranking": RANKING,
        "variants": [{
            "rank": ranks[id(o)],
            "llm": o.variant.llm or "default", "voice_vendor": o.variant.voice_vendor,
            "status": o.result.status.value, "error": o.result.error,
            "vendors": {c.role.value: f"{c.vendor}/{c.model}" for c in o.result.choices},
            "translation": _text(o) if o.succeeded else None,
            "duration_s": round(o.duration_s, 3), "cost_usd": round(o.cost_usd, 6),
            "quality": _scores(o),
        } for o in comparison.outcomes],
    }


def _summary(comparison: Comparison) -> str:
    first = comparison.first
    if first.transcript is None:
        return f"⚠️ The shared steps failed: {failure_text(first)}"
    language = first.transcript.language
    count = len(first.transcript.segments)
    lines = f"{count} segment{'' if count == 1 else 's'}"
    return (f"**One transcription shared by all:** {language_name(language)} ({language}), "
            f"{lines}, {seconds(comparison.shared_duration_s)}, "
            f"${comparison.shared_cost_usd:.4f}. Best first, each with the time and cost of its "
            f"own translation and voice:\n\n{_ranking(comparison)}")


class CompareHandler:
    """Runs :func:`pipeline.compare.compare` for the page, with live status and Cancel."""

    def __init__(self, handlers: UiHandlers) -> None:
        self.handlers = handlers

    def _slots(self, comparison: Comparison | None) -> list[Any]:
        values: list[Any] = []
        outcomes = comparison.ranked if comparison else ()
        for index in range(MAX_VARIANTS):
            if index < len(outcomes):
                outcome = outcomes[index]
                values += [gr.Column(visible=True), _title(index + 1, outcome), _text(outcome),
                           publish(outcome.result.output_path)]
            else:
                values += [gr.Column(visible=False), "", "", None]
        return values

    def compare(self, audio: str | None, audio_url: str = "", clone_audio: str | None = None,
                source_language: str = AUTO, target_language: str = "es", stt_model: str = "",
                llm_model: str = "", voice_vendor: str = "auto", output_format: str = "mp3",
                timing: str = "auto", glossary: Any = None, instructions: str = "",
                text_only: bool = False, speech_translation_model: str = "",
                quality: str = "auto", quality_stt_model: str = "", max_retakes: int = 2,
                background: str = "auto", ducking: str = "-18", video_out: str = "auto",
                burn_subtitles: bool = False, keep_original_audio: bool = False,
                target_languages: Any = None, speakers: str = "1", speaker_voices: Any = None,
                subtitle_speakers: bool = False, compare_llms: Sequence[str] | None = None,
                compare_voices: Sequence[str] | None = None, request: gr.Request | None = None,
                progress: gr.Progress = gr.Progress(),
                oauth_token: gr.OAuthToken | None = None, **keys: str) -> Iterator[tuple]:
        """Run several LLMs and/or voice vendors on one input, sharing one transcription.

        Takes the options of /translate; each combination runs with them, its own LLM and
        its own voice vendor.

        Args:
            audio: the recording.
            audio_url: a public http(s) URL of a recording, used when no file is given.
            clone_audio: optional separate clip whose voice is cloned instead.
            source_language: spoken language code, or "auto".
            target_language: language code to speak.
            stt_model: "vendor/model" for speech to text, "" for the default.
            llm_model: the LLM used when no LLM is picked for comparison.
            voice_vendor: the voice vendor used when none is picked for comparison.
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
            video_out: "auto", "off", "mp4", "mkv" or "webm".
            burn_subtitles: draw the translated subtitles into the picture.
            keep_original_audio: keep the original sound as the video's second track.
            target_languages: more target languages (a comparison is made in the first).
            speakers: "1" (one voice), "auto" (found offline) or a number of speakers.
            speaker_voices: a voice per speaker, {"Speaker 2": "elevenlabs", ...} or rows.
            subtitle_speakers: true to start each SRT cue with the speaker's name.
            compare_llms: "vendor/model" LLMs to compare.
            compare_voices: voice vendor ids to compare.

        Returns:
            A summary (Markdown, with the variants ranked by quality next to time and
            cost), then per card, best first, a title, the translation and the audio (six
            cards; unused ones are empty), then the JSON report (each variant's rank and
            quality scores).
        """
        handlers = self.handlers
        try:
            options = handlers.reader.options({
                "source_language": source_language, "target_language": target_language,
                "stt_model": stt_model, "llm_model": llm_model, "voice_vendor": voice_vendor,
                "output_format": output_format, "timing": timing, "glossary": glossary,
                "instructions": instructions, "text_only": text_only,
                "speech_translation_model": speech_translation_model, "quality": quality,
                "quality_stt_model": quality_stt_model, "max_retakes": max_retakes,
                "background": background, "ducking": ducking, "video_out": video_out,
                "burn_subtitles": burn_subtitles, "keep_original_audio": keep_original_audio,
                "target_languages": target_languages, "speakers": speakers,
                "speaker_voices": speaker_voices, "subtitle_speakers": subtitle_speakers})
            variants = make_variants(compare_llms or [], compare_voices or [],
                                     default_llm=options.llm_model or "",
                                     default_voice=options.voice_vendor)
            task = handlers.reader.task(  # the variants pick the LLM and the voice
                audio=audio, audio_url=audio_url, clone_audio=clone_audio,
                options=replace(options, llm_model=None, voice_vendor=AUTO), keys=keys,
                oauth=oauth_token)
        except AppError as exc:  # said once, in the summary; API callers get the error
            message = error_text(exc)
            yield (f"⚠️ {message}", *self._slots(None), gr.skip())
            raise gr.Error(message, visible=False, print_exception=False) from None
        session = session_of(request)
        cancel = handlers.cancels.open(session)
        status = {v.label: "waiting" for v in variants}
        comparison = None
        skip = (gr.skip(),) * (len(SLOT_OUTPUTS) * MAX_VARIANTS + 1)
        try:
            live = LiveRun(lambda emit: compare(
                handlers.pipeline, task, variants, cancel=cancel,
                on_progress=lambda variant, event: emit("progress", (variant, event))))
            for kind, payload in live.events():
                if kind == "done":
                    comparison = payload
                    break
                if kind == "progress":
                    variant, event = payload
                    status[variant.label] = f"{event.step.value}: {event.message}"
                    progress(None, desc=f"{variant.label}: {event.message}")
                    lines = "\n".join(f"- **{label}** — {note}" for label, note in status.items())
                    yield (f"Running {len(variants)} combinations…\n\n{lines}", *skip)
        except Exception:  # a bug: logged, and the visitor gets a sentence, not a trace
            log.exception("comparison crashed")
            message = "Internal error while comparing; it has been logged."
            yield (f"⚠️ {message}", *skip)
            raise gr.Error(message, visible=False, print_exception=False) from None
        finally:
            if comparison is None:
                cancel.set()
            handlers.cancels.close(session, cancel)
        assert comparison is not None  # the events end only with "done" or by raising
        yield (_summary(comparison), *self._slots(comparison), _report(comparison))
