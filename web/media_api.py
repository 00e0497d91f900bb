"""``/v1/tasks/{id}/video`` and ``/v1/tasks/{id}/stems/background``: a task's dubbed video
and its separated background sound.

Both files are renamed into place only once complete, so a route serves a whole file or
answers 404 (never a half-written one).
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from pipeline.media.report import media_files
from pipeline.tasks.service import TaskService
from web.errors import ApiError, error_responses

__all__ = ["build_media_router"]

_VIDEO = {"mp4": "video/mp4", "mkv": "video/x-matroska", "webm": "video/webm"}


def _binary(types: list[str], description: str) -> dict[int | str, dict[str, object]]:
    return {200: {"content": {t: {"schema": {"type": "string", "format": "binary"}}
                              for t in types}, "description": description},
            **error_responses(404)}


def build_media_router(service: TaskService) -> APIRouter:
    """The media routes over ``service``."""
    router = APIRouter(prefix="/v1", tags=["tasks"])

    @router.get("/tasks/{task_id}/video", response_class=FileResponse,
                responses=_binary(list(_VIDEO.values()), "the dubbed video"))
    def get_video(task_id: str) -> Response:
        """The dubbed video (the same picture with the dubbed audio and a subtitle track)."""
        service.get(task_id)  # 404 for an unknown task
        path = media_files(service.folder(task_id)).get("video")
        if path is None:
            raise ApiError(404, f"Task {task_id} has no dubbed video (yet): its input is audio, "
                           "video_out is off, or the video is still being written.",
                           param="task_id", code="not_found")
        fmt = path.suffix.lstrip(".")
        return FileResponse(path, media_type=_VIDEO.get(fmt, "application/octet-stream"),
                            filename=f"{task_id}.{fmt}")

    @router.get("/tasks/{task_id}/stems/background", response_class=FileResponse,
                responses=_binary(["audio/wav"], "the music and effects without the voice"))
    def get_background(task_id: str) -> Response:
        """The background separated from the voice by Demucs (WAV, 44.1 kHz stereo)."""
        service.get(task_id)
        path = media_files(service.folder(task_id)).get("background")
        if path is None:
            raise ApiError(404, f"Task {task_id} has no separated background: background was "
                           "drop, nothing besides speech was found, or no separation ran.",
                           param="task_id", code="not_found")
        return FileResponse(path, media_type="audio/wav", filename=f"{task_id}.background.wav")

    return router
