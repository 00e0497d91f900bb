"""OpenAI/SambaNova-shaped ``/v1/audio/translations`` and ``/v1/audio/transcriptions``.

The official ``openai`` client works unchanged against these (only ``base_url`` differs):
``client.audio.translations.create(model="auto", file=f)``. They run the pipeline's text
steps (transcription, then translation), no voice. ``model`` is described in
:mod:`web.speech_text`; ``language`` is the target of a translation (default ``en``, as
OpenAI's endpoint translates into English) and the spoken language of a transcription.
``prompt`` becomes the translator's instructions; ``temperature`` (0..1) is accepted for
compatibility and the models run at their own settings.

``stream=true`` answers server-sent events, one per segment, each carrying the text both
as OpenAI's ``transcript.text.delta`` (``delta``) and as SambaNova's chat chunk
(``choices[0].delta.content``), then ``transcript.text.done`` and ``[DONE]``.
"""

from __future__ import annotations

import json
import logging
import queue
import shutil
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse

from pipeline.errors import AppError
from pipeline.languages import language_name
from pipeline.options import TaskRequest
from pipeline.runner import Pipeline
from pipeline.subtitles import Cue, to_srt, to_vtt
from web.auth import key_header_parameters, request_keys
from web.errors import ApiError, message_for, status_for
from web.inputs import store_upload
from web.models import SPEECH_TEXT_ANSWERS
from web.speech_text import SpeechText, speech_request, speech_text_of

__all__ = ["build_openai_router", "render", "sse_events"]

log = logging.getLogger(__name__)
Format = Literal["json", "text", "srt", "vtt", "verbose_json"]
AudioFile = Annotated[UploadFile, File(description="the audio (MP3, WAV, FLAC, M4A, OGG, WebM, MP4)")]
Temperature = Annotated[float | None, Form(ge=0, le=1, description="accepted for compatibility")]
_KEEPALIVE_S = 5.0
_BUSY_RETRY_S = 10


def render(result: SpeechText, response_format: str, task: str) -> Response:
    """The answer in OpenAI's ``response_format``."""
    segments = result.segments
    cues = [Cue(s.start_s, s.end_s, s.text.strip()) for s in segments if s.text.strip()]
    if response_format == "text":
        return PlainTextResponse(result.text + "\n")
    if response_format == "srt":
        return PlainTextResponse(to_srt(cues))
    if response_format == "vtt":
        return PlainTextResponse(to_vtt(cues), media_type="text/vtt")
    usage = {"type": "duration", "seconds": round(result.duration_s, 3)}
    if response_format == "json":
        return JSONResponse({"text": result.text, "usage": usage})
    return JSONResponse({
        "task": task,
        "language": language_name(result.target_language).lower(),
        "duration": round(result.duration_s, 3),
        "text": result.text,
        "segments": [{"id": i, "start": round(s.start_s, 3), "end": round(s.end_s, 3),
                      "text": s.text} for i, s in enumerate(segments)],
        "source_language": result.source_language,
        "target_language": result.target_language,
        "models": [f"{c.vendor}/{c.model}" for c in result.choices],
        "usage": usage,
    })


def _event(payload: dict[str, Any]) -> str:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"


def sse_events(result: SpeechText, model: str) -> Iterator[str]:
    """One event per segment, then the whole text, then ``[DONE]``."""
    pieces = [s.text.strip() for s in result.segments if s.text.strip()]
    for number, piece in enumerate(pieces):
        delta = piece if number == 0 else f" {piece}"
        yield _event({"type": "transcript.text.delta", "delta": delta, "segment_id": number,
                      "object": "chat.completion.chunk", "model": model,
                      "choices": [{"index": 0, "delta": {"content": delta},
                                   "finish_reason": None}]})
    yield _event({"type": "transcript.text.done", "text": " ".join(pieces),
                  "object": "chat.completion.chunk", "model": model,
                  "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    yield "data: [DONE]\n\n"


def _error_event(error: AppError) -> str:
    return _event({"error": {"message": message_for(error, {"stt_model": "model"}), "type": "server_error"
                             if status_for(error) >= 500 else "invalid_request_error",
                             "param": None, "code": error.kind}})


@dataclass(frozen=True)
class _Call:
    """One checked request: what to run and whether to translate."""

    request: TaskRequest
    translate: bool
    folder: Path


class _Runner:
    """Runs the text steps for one request, bounded across requests."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.slots = threading.BoundedSemaphore(pipeline.settings.queue_size)

    def scratch(self) -> Path:
        return self.pipeline.settings.data_dir / "scratch" / uuid.uuid4().hex

    def acquire(self) -> None:
        if not self.slots.acquire(blocking=False):
            running = self.pipeline.settings.queue_size
            counted = (f"{running} speech-to-text requests are" if running != 1
                       else "1 speech-to-text request is")
            raise ApiError(429, f"{counted} already in progress, the most this server runs at "
                           f"once; retry after {_BUSY_RETRY_S} s.",
                           headers={"Retry-After": str(_BUSY_RETRY_S)})

    def prepare(self, upload: UploadFile, folder: Path, *, translate: bool,
                **options: Any) -> _Call:
        """Store the upload and check the request (no vendor is called, nothing decoded).

        Raises:
            AppError: a bad field, a missing key, or a file that is not audio.
        """
        path = store_upload(upload.file, folder, "upload", self.pipeline.settings)
        request = speech_request(self.pipeline, path, input_name=upload.filename or "",
                                 **options)
        self.pipeline.check(request, translate=translate)
        return _Call(request, translate, folder)

    def answer(self, call: _Call, cancel: threading.Event | None = None) -> SpeechText:
        """Run the text steps; the text view of the result.

        Raises:
            AppError: the run failed, with the reason.
        """
        result = self.pipeline.speech_text(call.request, translate=call.translate, cancel=cancel)
        return speech_text_of(result, call.translate)

    def stream(self, call: _Call, model: str) -> Iterator[str]:
        """Start the work now (it cleans up after itself), and return its event stream."""
        done: queue.Queue[SpeechText | AppError] = queue.Queue()
        cancel = threading.Event()

        def work() -> None:
            outcome: SpeechText | AppError
            try:
                outcome = self.answer(call, cancel)
            except AppError as exc:
                outcome = exc
            except Exception:  # a bug must still end the stream cleanly
                log.exception("speech to text crashed")
                outcome = AppError("Internal error while translating; it has been logged.")
            finally:
                self.release(call.folder)
            done.put(outcome)

        threading.Thread(target=work, name="speech-text", daemon=True).start()
        return _events(done, cancel, model)

    def release(self, folder: Path) -> None:
        shutil.rmtree(folder, ignore_errors=True)
        self.slots.release()


def _events(done: queue.Queue, cancel: threading.Event, model: str) -> Iterator[str]:
    """Keep-alive comments while the work runs, then its events; a client that leaves
    early cancels the work at its next safe point."""
    try:
        yield ": processing\n\n"
        while True:
            try:
                outcome = done.get(timeout=_KEEPALIVE_S)
                break
            except queue.Empty:
                yield ": processing\n\n"
        if isinstance(outcome, AppError):
            yield _error_event(outcome)
            yield "data: [DONE]\n\n"
        else:
            yield from sse_events(outcome, model)
    finally:
        cancel.set()


def build_openai_router(pipeline: Pipeline) -> APIRouter:
    """The two OpenAI-shaped audio routes over ``pipeline``."""
    router = APIRouter(prefix="/v1/audio", tags=["OpenAI-compatible"])
    runner = _Runner(pipeline)

    async def answer(request: Request, upload: UploadFile, model: str, response_format: str,
                     stream: bool, task: str, **options: Any) -> Response:
        keys = request_keys(request)
        runner.acquire()
        folder = runner.scratch()
        try:
            call = await run_in_threadpool(runner.prepare, upload, folder, model=model,
                                           translate=task == "translate", keys=keys, **options)
        except BaseException:
            runner.release(folder)
            raise
        if stream:
            return StreamingResponse(runner.stream(call, model),
                                     media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache"})
        try:
            result = await run_in_threadpool(runner.answer, call)
        finally:
            runner.release(folder)
        return render(result, response_format, task)

    @router.post("/translations", response_model=None, responses=SPEECH_TEXT_ANSWERS,
                 openapi_extra={"parameters": key_header_parameters()})
    async def translations(
        request: Request,
        file: AudioFile,
        model: Annotated[str, Form(description="auto, an STT model, vendor/model, or STT+LLM")] = "auto",
        prompt: Annotated[str, Form(max_length=4000, description="instructions for the translator")] = "",
        temperature: Temperature = None,
        response_format: Annotated[Format, Form()] = "json",
        language: Annotated[str, Form(description="target language (code or name)")] = "en",
        stream: Annotated[bool, Form(description="server-sent events of translated text")] = False,
    ) -> Response:
        """Translate speech into text in ``language`` (English by default)."""
        return await answer(request, file, model, response_format, stream, "translate",
                            target_language=language or "en", instructions=prompt)

    @router.post("/transcriptions", response_model=None, responses=SPEECH_TEXT_ANSWERS,
                 openapi_extra={"parameters": key_header_parameters()})
    async def transcriptions(
        request: Request,
        file: AudioFile,
        model: Annotated[str, Form(description="auto, an STT model, or vendor/model")] = "auto",
        prompt: Annotated[str, Form(max_length=4000, description="accepted for compatibility")] = "",
        temperature: Temperature = None,
        response_format: Annotated[Format, Form()] = "json",
        language: Annotated[str | None, Form(description="the spoken language (default: detect)")] = None,
        stream: Annotated[bool, Form(description="server-sent events of the transcript")] = False,
    ) -> Response:
        """Transcribe speech into text in its own language."""
        return await answer(request, file, model, response_format, stream, "transcribe",
                            target_language=None, source_language=language or None)

    return router
