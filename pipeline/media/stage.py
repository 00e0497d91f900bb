"""The media work of one task: before the steps (probe, separate) and after (mix, mux).

:func:`prepare` runs inside ``initialization``: it probes the input, refuses what cannot
be dubbed (a file over its cap, a codec we cannot copy, a video asked of audio), decides
the background path, and separates the voice with Demucs when it can (a progress line per
window); transcription and the voice reference then use the separated voice. Its decision
is kept in the task folder (``media/source.json``), so a resumed task finds it.
:func:`finish` runs at the end of ``text_to_speech``: the dub is laid over the background
(the separated stem, or the original ducked under the lines), then written back into the
video. The dubbed audio is complete, under its final name, before the video is muxed.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.errors import ConfigurationError, EmptyAudioError, NoVideoError, ProcessingError
from pipeline.languages import language_name
from pipeline.media.background import has_background_sound, sound_besides_speech, stem_level_db
from pipeline.media.choices import ducking_gain_db
from pipeline.media.mix import MixLevels, remix, voice_over
from pipeline.media.mux import MuxRequest, check_container, mux
from pipeline.media.probe import MediaInfo, check_input_size, probe_media
from pipeline.media.report import BACKGROUND_STEM, MEDIA_DIR, VIDEO_STEM, MediaReport
from pipeline.media.separation import (
    HTDEMUCS_URL,
    Separator,
    demucs_installed,
    download_weights,
    find_weights,
)

if TYPE_CHECKING:
    from pipeline.options import TaskOptions, TaskRequest
    from pipeline.results import SubtitleFile, TimingReport
    from pipeline.settings import Settings
    from pipeline.steps.context import RunContext

__all__ = ["MediaSource", "check_media", "finish", "load_source", "mix_levels", "prepare",
           "timing_for"]

Progress = Callable[[float, str], None]
SOURCE_FILE = "source.json"
DECODED_FILE = "input.wav"  # the 16 kHz mono input ``initialization`` decodes
QUIET_STEM_DB = -50.0


@dataclass(frozen=True, slots=True)
class MediaSource:
    """What :func:`prepare` decided (see the module docstring).

    Attributes:
        input_kind: "video" or "audio".
        container: the dubbed video's container, or None when no video is written.
        video_codec: the input picture's codec (None for audio).
        background: "separated", "original_ducked" or "dropped".
        note: one sentence saying which and why.
        speech_path: what is transcribed and cloned (the separated voice, or the input).
        separation_device: where Demucs ran, when it did.
        audio_codec: the input's first audio stream's codec.
        check_at_mix: background=auto where no separation can run: whether there is sound
            besides speech is measured at mix time on the decoded input (no extra pass over
            the input before the steps start), and the original is dropped when there is none.
    """

    input_kind: str
    container: str | None
    video_codec: str | None
    background: str
    note: str
    speech_path: Path
    separation_device: str | None = None
    audio_codec: str = ""
    check_at_mix: bool = False


def mix_levels(settings: Settings) -> MixLevels:
    """The mix levels from the settings (``APP_BACKGROUND_DB``, ``APP_DUCK_THRESHOLD``,
    ``APP_DUCK_RATIO``)."""
    def number(name: str, default: float) -> float:
        raw = settings.env(name)
        try:
            return float(raw) if raw else default
        except ValueError:
            raise ConfigurationError(f"{name} must be a number, got {raw!r}.") from None
    base = MixLevels()
    return MixLevels(background_db=number("APP_BACKGROUND_DB", base.background_db),
                     duck_threshold=number("APP_DUCK_THRESHOLD", base.duck_threshold),
                     duck_ratio=number("APP_DUCK_RATIO", base.duck_ratio))


def _container(options: TaskOptions, info: MediaInfo, name: str) -> str | None:
    wanted = options.video_out
    if wanted == "off":
        return None
    if not info.is_video:
        if wanted == "auto":
            return None
        raise NoVideoError(f"{name} has no picture (it is audio only), so no {wanted} video "
                           "can be made of it; send a video (MP4, MOV, MKV or WebM) or ask "
                           "for audio only.", param="video_out")
    container = info.family if wanted == "auto" else wanted
    check_container(container, info.video_codec or "", burn=options.burn_subtitles)
    return container


def check_media(request: TaskRequest, settings: Settings) -> tuple[MediaInfo, str | None]:
    """Probe the input and refuse what cannot be dubbed as asked, before any work.

    Returns:
        What the input holds, and the dubbed video's container (None: no video out).

    Raises:
        EmptyAudioError: a video without an audio stream.
        AudioTooLargeError: over ``APP_MAX_VIDEO_MB`` (video) or ``APP_MAX_UPLOAD_MB``.
        UnsupportedVideoError: a picture codec we cannot copy.
        NoVideoError, InputError: ``video_out`` cannot be met (naming it).
    """
    name = request.input_name or request.input_path.name
    info = probe_media(request.input_path, name=name)
    if not info.has_audio:
        raise EmptyAudioError(f"{name} has no audio track; upload a video with sound.",
                              param="file")
    check_input_size(info, max_audio_mb=settings.max_upload_mb,
                     max_video_mb=settings.max_video_mb, name=name)
    return info, _container(request.options, info, name)


def prepare(ctx: RunContext, progress: Progress) -> MediaSource:
    """Probe, check and (when kept and possible) separate the input; see the module doc.

    Raises:
        AudioTooLargeError, UnsupportedVideoError, NoVideoError, InputError: the input
            or a media option cannot be used.
    """
    info, container = check_media(ctx.request, ctx.settings)
    folder = ctx.folder / MEDIA_DIR
    folder.mkdir(parents=True, exist_ok=True)
    source = _background(ctx, info, container, folder, progress)
    partial = folder / f".{SOURCE_FILE}.partial"
    data = {**asdict(source), "speech_path": str(source.speech_path)}
    partial.write_text(json.dumps(data), encoding="utf-8")
    partial.replace(folder / SOURCE_FILE)
    return source


def _background(ctx: RunContext, info: MediaInfo, container: str | None, folder: Path,
                progress: Progress) -> MediaSource:
    options, path = ctx.request.options, ctx.request.input_path
    kind = "video" if info.is_video else "audio"

    def made(background: str, note: str, speech: Path = path,
             device: str | None = None, check_at_mix: bool = False) -> MediaSource:
        return MediaSource(kind, container, info.video_codec, background, note, speech, device,
                           info.audio_codecs[0], check_at_mix)

    if options.text_only or options.background == "drop":
        why = "text only" if options.text_only else "background=drop"
        return made("dropped", f"The background sound was left out ({why}).")
    fetch = info.is_video or options.background == "keep"
    if options.background == "auto":
        why_not = _no_separation(ctx.settings, fetch=fetch)
        if why_not is not None:  # ducked or dropped: the same steps, decided at mix time
            return made("original_ducked", _ducked_note(options.ducking, why_not),
                        check_at_mix=True)
        if not has_background_sound(path, folder):
            return made("dropped", _NOTHING_BESIDES_SPEECH)
    weights, why_not = _weights(ctx.settings, progress, fetch=fetch)
    if weights is None:
        return made("original_ducked", _ducked_note(options.ducking, why_not))
    separator = _separator(str(weights))
    stems = separator.separate(path, folder, on_progress=progress, cancel=ctx.stop)
    if options.background == "auto" and stem_level_db(stems.background) < QUIET_STEM_DB:
        (folder / BACKGROUND_STEM).unlink(missing_ok=True)
        return made("dropped", "Demucs found no sound besides speech; the dub stands alone.",
                    stems.vocals, stems.device)
    note = (f"The voice was separated from the music and effects with Demucs htdemucs on the "
            f"{stems.device.upper()}; the dub is mixed over them.")
    if stem_level_db(stems.vocals) < QUIET_STEM_DB:
        return made("separated", f"{note} The separated voice was too quiet to transcribe, so "
                    "the original sound was transcribed.", path, stems.device)
    return made("separated", note, stems.vocals, stems.device)


_NOTHING_BESIDES_SPEECH = ("No sound besides speech was found (background=auto); the dub "
                           "stands alone.")


def _ducked_note(ducking: str, why_not: str) -> str:
    gain_db = ducking_gain_db(ducking)
    level = "muted" if gain_db is None else f"lowered {abs(gain_db):g} dB"
    return f"The original sound is kept under the dub, {level} under each line ({why_not})."


def _no_separation(settings: Settings, *, fetch: bool) -> str | None:
    """Why Demucs cannot run for this input without a download it may not make, or None
    when it can (its weights are here, or may be fetched)."""
    if not demucs_installed():
        return "no separation: the demucs package is not installed"
    if find_weights(settings.data_dir, settings.env("APP_DEMUCS_URL", HTDEMUCS_URL)):
        return None
    if not settings.model_downloads:
        return ("no separation: the Demucs weights are not in APP_DATA_DIR/models/demucs "
                "and APP_MODEL_DOWNLOADS is off")
    if not fetch:
        return ("no separation: the Demucs weights are fetched for a video or "
                "background=keep, not for audio under background=auto")
    return None


def _weights(settings: Settings, progress: Progress, *,
             fetch: bool) -> tuple[Path | None, str]:
    """The Demucs checkpoint, fetched on first use when downloads are allowed and ``fetch``
    (a video, or background=keep: an audio file under "auto" uses cached weights only)."""
    why_not = _no_separation(settings, fetch=fetch)
    if why_not is not None:
        return None, why_not
    url = settings.env("APP_DEMUCS_URL", HTDEMUCS_URL)
    found = find_weights(settings.data_dir, url)
    if found is not None:
        return found, ""
    try:
        return download_weights(settings.data_dir, url, on_progress=progress), ""
    except ProcessingError as exc:
        return None, f"no separation: {exc.message[0].lower()}{exc.message[1:].rstrip('.')}"


@functools.lru_cache(maxsize=2)
def _separator(weights: str) -> Separator:
    """One loaded model per checkpoint per process."""
    return Separator(Path(weights))


def load_source(folder: Path) -> MediaSource | None:
    """The decision :func:`prepare` kept in a task folder, or None."""
    path = Path(folder) / MEDIA_DIR / SOURCE_FILE
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    data["speech_path"] = Path(data["speech_path"])
    return MediaSource(**data)


def timing_for(options: TaskOptions, source: MediaSource | None) -> str:
    """The timing mode asked for; a video's dub keeps the original timing under "auto"
    (the lines must stay on the picture)."""
    if source is not None and source.container is not None and options.timing == "auto":
        return "keep"
    return options.timing


def finish(ctx: RunContext, output: Path, timing: TimingReport,
           subtitles: tuple[SubtitleFile, ...], progress: Progress) -> MediaReport | None:
    """Lay the dub at ``output`` over the background (in place), then write the video.

    A mix or a video that ffmpeg cannot write leaves the dub as it was (the voice alone)
    and says so in the report's ``warnings``: the dub itself is never lost to them.
    """
    source = load_source(ctx.folder)
    if source is None:
        return None
    options, folder = ctx.request.options, ctx.folder / MEDIA_DIR
    background, note, warnings = source.background, source.note, []
    if source.check_at_mix and not _sound_besides_speech(ctx):
        background, note = "dropped", _NOTHING_BESIDES_SPEECH
    if background != "dropped":
        progress(0.0, "Mixing the dub over the background sound")
        try:
            _mix(ctx, source, output, timing)
        except ProcessingError as exc:
            background, note = "dropped", "The background could not be mixed in; the dub is alone."
            warnings.append(f"The background was left out: {exc.message}")
    video = None
    if source.container is not None:
        progress(0.5, f"Dubbed audio ready; writing the {source.container.upper()} video")
        try:
            video = mux(_mux_request(ctx, source, output, subtitles), timeout_s=3600.0)
        except ProcessingError as exc:
            warnings.append(f"The dubbed video could not be written: {exc.message}")
    stem = folder / BACKGROUND_STEM
    return MediaReport(source.input_kind, background, note, source.separation_device, video,
                       source.container if video else None, stem if stem.is_file() else None,
                       bool(video and options.burn_subtitles),
                       bool(video and options.keep_original_audio), tuple(warnings))


def _sound_besides_speech(ctx: RunContext) -> bool:
    """Measured on the decoded input the steps made (the input itself when it is gone)."""
    decoded = ctx.folder / DECODED_FILE
    if decoded.is_file():
        return sound_besides_speech(decoded)
    return has_background_sound(ctx.request.input_path, ctx.folder / MEDIA_DIR)


def _mix(ctx: RunContext, source: MediaSource, output: Path, timing: TimingReport) -> None:
    """Replace the dub at ``output`` by its mix over the background (the voice alone is
    kept as ``media/dub_voice.*``, and put back when the mix fails)."""
    folder, fmt = ctx.folder / MEDIA_DIR, output.suffix.lstrip(".")
    voice = folder / f"dub_voice{output.suffix}"
    os.replace(output, voice)
    try:
        if source.background == "separated":
            remix(voice, folder / BACKGROUND_STEM, output, fmt, mix_levels(ctx.settings))
        else:
            lines = [(s.placed_start_s, s.placed_start_s + s.dubbed_s) for s in timing.segments]
            voice_over(voice, ctx.request.input_path, output, fmt, lines,
                       ducking_gain_db(ctx.request.options.ducking), mix_levels(ctx.settings))
    except ProcessingError:
        shutil.copyfile(voice, output)
        raise


def _mux_request(ctx: RunContext, source: MediaSource, audio: Path,
                 subtitles: tuple[SubtitleFile, ...]) -> MuxRequest:
    options, target = ctx.request.options, ctx.plan.target_language
    container = source.container or "mp4"
    wanted = "srt" if container == "mp4" else "vtt"
    kinds = [s for s in subtitles if s.kind == "translation"] or list(subtitles)
    chosen = next((s.path for s in kinds if s.format == wanted), None)
    return MuxRequest(
        video=ctx.request.input_path, audio=audio,
        out_path=ctx.folder / MEDIA_DIR / f"{VIDEO_STEM}.{container}", container=container,
        video_codec=source.video_codec or "", subtitles=chosen,
        subtitle_title=language_name(target), audio_title=f"Dubbed ({language_name(target)})",
        keep_original=options.keep_original_audio, burn=options.burn_subtitles,
        original_codec=source.audio_codec)
