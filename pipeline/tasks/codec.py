"""JSON-ready dicts for the values a task keeps between runs, and back.

The store persists these: a task's request (never its keys), its step reports and its
:class:`Checkpoint` (decoded audio, voice reference, transcript, translation), so a task
can resume after a restart. Every ``*_from_dict`` accepts what the matching ``*_to_dict``
wrote.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pipeline.options import TaskRequest, options_from_dict, options_to_dict
from pipeline.results import Checkpoint, StepReport
from pipeline.types import (
    DecodedAudio,
    Segment,
    StepName,
    StepStatus,
    Transcript,
    Translation,
    Usage,
    VoiceReference,
)

__all__ = [
    "checkpoint_from_dict",
    "checkpoint_to_dict",
    "request_from_dict",
    "request_to_dict",
    "step_from_dict",
    "step_to_dict",
]

Json = dict[str, Any]


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None


def _usage_to_dict(usage: Usage) -> Json:
    return {"input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens,
            "audio_s": usage.audio_s, "characters": usage.characters,
            "utf8_bytes": usage.utf8_bytes}


def _usage_from_dict(data: Mapping[str, Any] | None) -> Usage:
    return Usage(**dict(data)) if data else Usage()


def _segments_to_list(segments: tuple[Segment, ...]) -> list[Json]:
    return [{"start_s": s.start_s, "end_s": s.end_s, "text": s.text, "speaker": s.speaker}
            for s in segments]


def _segments_from_list(items: list[Mapping[str, Any]]) -> tuple[Segment, ...]:
    return tuple(Segment(float(i["start_s"]), float(i["end_s"]), str(i["text"]),
                         i.get("speaker")) for i in items)


def _decoded_to_dict(decoded: DecodedAudio | None) -> Json | None:
    if decoded is None:
        return None
    return {"path": str(decoded.path), "duration_s": decoded.duration_s,
            "sample_rate_hz": decoded.sample_rate_hz, "channels": decoded.channels}


def _decoded_from_dict(data: Mapping[str, Any] | None) -> DecodedAudio | None:
    if not data:
        return None
    return DecodedAudio(Path(data["path"]), float(data["duration_s"]),
                        int(data["sample_rate_hz"]), int(data.get("channels", 1)))


def _reference_to_dict(reference: VoiceReference | None) -> Json | None:
    if reference is None:
        return None
    return {"path": str(reference.path), "source": reference.source,
            "start_s": reference.start_s, "end_s": reference.end_s,
            "warnings": list(reference.warnings)}


def _reference_from_dict(data: Mapping[str, Any] | None) -> VoiceReference | None:
    if not data:
        return None
    return VoiceReference(Path(data["path"]), str(data["source"]), float(data["start_s"]),
                          float(data["end_s"]), tuple(data.get("warnings", ())))


def _transcript_to_dict(transcript: Transcript | None) -> Json | None:
    if transcript is None:
        return None
    return {"text": transcript.text, "language": transcript.language,
            "segments": _segments_to_list(transcript.segments), "vendor": transcript.vendor,
            "model": transcript.model, "usage": _usage_to_dict(transcript.usage)}


def _transcript_from_dict(data: Mapping[str, Any] | None) -> Transcript | None:
    if not data:
        return None
    return Transcript(str(data["text"]), str(data["language"]),
                      _segments_from_list(data["segments"]), str(data["vendor"]),
                      str(data["model"]), _usage_from_dict(data.get("usage")))


def _translation_to_dict(translation: Translation | None) -> Json | None:
    if translation is None:
        return None
    return {"segments": _segments_to_list(translation.segments),
            "source_language": translation.source_language,
            "target_language": translation.target_language, "vendor": translation.vendor,
            "model": translation.model, "usage": _usage_to_dict(translation.usage)}


def _translation_from_dict(data: Mapping[str, Any] | None) -> Translation | None:
    if not data:
        return None
    return Translation(_segments_from_list(data["segments"]), str(data["source_language"]),
                       str(data["target_language"]), str(data["vendor"]), str(data["model"]),
                       _usage_from_dict(data.get("usage")))


def checkpoint_to_dict(checkpoint: Checkpoint) -> Json:
    """What the finished steps produced, as plain data."""
    return {
        "decoded": _decoded_to_dict(checkpoint.decoded),
        "reference": _reference_to_dict(checkpoint.reference),
        "transcript": _transcript_to_dict(checkpoint.transcript),
        "source_language": checkpoint.source_language,
        "translation": _translation_to_dict(checkpoint.translation),
    }


def checkpoint_from_dict(data: Mapping[str, Any]) -> Checkpoint:
    """Rebuild a :class:`Checkpoint` written by :func:`checkpoint_to_dict`."""
    return Checkpoint(
        decoded=_decoded_from_dict(data.get("decoded")),
        reference=_reference_from_dict(data.get("reference")),
        transcript=_transcript_from_dict(data.get("transcript")),
        source_language=str(data.get("source_language") or ""),
        translation=_translation_from_dict(data.get("translation")),
    )


def step_to_dict(report: StepReport) -> Json:
    """One step report as plain data."""
    return {"name": report.name.value, "status": report.status.value,
            "started_at": report.started_at, "finished_at": report.finished_at,
            "error": report.error, "detail": report.detail, "reused": report.reused}


def step_from_dict(data: Mapping[str, Any]) -> StepReport:
    """Rebuild a :class:`StepReport` written by :func:`step_to_dict`."""
    return StepReport(StepName(data["name"]), StepStatus(data["status"]),
                      data.get("started_at"), data.get("finished_at"), data.get("error"),
                      data.get("detail"), bool(data.get("reused", False)))


def request_to_dict(request: TaskRequest) -> Json:
    """A task's request as plain data, without its per-request keys (never stored).

    Whether the server's keys may serve it is kept, so a resumed task keeps that policy.
    """
    return {
        "input_path": str(request.input_path),
        "clone_path": str(request.clone_path) if request.clone_path else None,
        "input_name": request.input_name,
        "options": options_to_dict(request.options),
        "server_keys": request.server_keys,
    }


_OLD_NAMES = {"stt": "stt_model", "llm": "llm_model"}


def request_from_dict(data: Mapping[str, Any]) -> TaskRequest:
    """Rebuild a :class:`TaskRequest` (with no keys) written by :func:`request_to_dict`
    (or by earlier versions, which kept the options beside the paths)."""
    options = data.get("options")
    if options is None:
        skip = {"input_path", "clone_path", "input_name", "server_keys"}
        options = {_OLD_NAMES.get(k, k): v for k, v in data.items() if k not in skip}
    return TaskRequest(Path(data["input_path"]), options_from_dict(options),
                       _path(data.get("clone_path")), input_name=str(data.get("input_name") or ""),
                       server_keys=bool(data.get("server_keys", True)))
