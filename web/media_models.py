"""The REST shape of a task's media report (see :mod:`pipeline.media.report`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["MediaView"]


class MediaView(BaseModel):
    """What was done with the picture and the background sound."""

    model_config = ConfigDict(extra="allow")

    input_kind: str = Field(description="video or audio")
    background: str = Field(description="separated (Demucs, remixed), original_ducked (the "
                            "original kept under the dub) or dropped")
    note: str = Field(description="one sentence: which background path was taken and why")
    separation_device: str | None = None
    video: bool = Field(description="a dubbed video is at links.video")
    video_container: str | None = None
    background_stem: bool = Field(description="the separated background is at links.background")
    burned_subtitles: bool = False
    original_track: bool = False
