"""The one options schema of a task: every choice a user can make, parsed once at each edge.

:class:`TaskOptions` lists the choices. Each field carries an :class:`OptionSpec` (its help
text, its fixed choices, its extra command-line flags, and whether the page shows it under
"Advanced"), so the CLI flags, the REST schema and the page's controls are all built from
this one list. :func:`parse_options` turns raw values (form fields, JSON, argv strings) into
normalised options: language codes, canonical ``vendor/model`` specs, known values only,
and an :class:`~pipeline.errors.InputError` naming the field when one is wrong. Adding an
option is one field here plus its use.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.errors import AppError, InputError, UnknownVendorError
from pipeline.languages import AUTO, normalize_language
from pipeline.media.choices import BACKGROUND_MODES, DEFAULT_DUCKING, VIDEO_OUTS, parse_ducking
from pipeline.projects.languages import parse_more_languages, split_language_list
from pipeline.speakers.choice import parse_speakers
from pipeline.speakers.overrides import parse_speaker_voices
from pipeline.translation_options import MAX_INSTRUCTIONS, parse_glossary, parse_instructions
from pipeline.types import Role

if TYPE_CHECKING:
    from pipeline.registry import Registry

__all__ = [
    "MAX_INSTRUCTIONS",
    "OUTPUT_FORMATS",
    "QUALITY_MODES",
    "TIMING_MODES",
    "OptionSpec",
    "TaskOptions",
    "TaskRequest",
    "option_fields",
    "options_from_dict",
    "options_to_dict",
    "parse_options",
]

TIMING_MODES = ("auto", "natural", "keep")
OUTPUT_FORMATS = ("mp3", "wav")
MAX_RETAKES = 5
QUALITY_MODES = ("auto", "off", "full")  # the first is the default


@dataclass(frozen=True, slots=True)
class OptionSpec:
    """How one option is offered on every surface.

    Attributes:
        help: one line saying what the option does (CLI help, REST description, page info).
        label: the page's label for the control.
        flags: extra command-line flags besides ``--field-name`` (e.g. ``--to``).
        choices: the fixed values it takes (empty when the registry or free text decides).
        advanced: the page shows it inside the "Advanced" accordion.
        bounds: the smallest and largest value of a whole-number option.
    """

    help: str
    label: str
    flags: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    advanced: bool = False
    bounds: tuple[int, int] | None = None


def _spec(default: Any = dataclasses.MISSING, **spec: Any) -> Any:
    metadata = {"spec": OptionSpec(**spec)}
    if isinstance(default, dict):
        return field(default_factory=dict, metadata=metadata)
    if default is dataclasses.MISSING:
        return field(metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True, slots=True)
class TaskOptions:
    """Everything a user chooses about a task (normalised: codes, canonical specs).

    Attributes:
        target_language: the language to speak, as our code ("es").
        source_language: the spoken language's code, or None to detect it.
        stt_model: speech to text as "vendor/model", or None for ``APP_DEFAULT_STT``.
        llm_model: translation as "vendor/model", or None for ``APP_DEFAULT_LLM``.
        voice_vendor: a voice vendor id (or "vendor/model"), or "auto" for the selection
            rule.
        timing: "auto", "natural" (lines follow with natural pauses) or "keep" (each line
            at its original time).
        output_format: "mp3" or "wav".
        glossary: term -> translation the translator must use.
        instructions: notes for the translator (tone, audience, names).
        text_only: stop after the translation (voice_clone and text_to_speech are skipped).
        speech_translation_model: a direct speech translation model as "vendor/model"
            (speech in, translated text out); None transcribes, then translates.
        quality: "off", "auto" or "full" (see :mod:`pipeline.quality.checking`).
        quality_stt_model: the recogniser that hears the dub back, "vendor/model".
        max_retakes: more takes one weak line may get.
        background: keep, drop or auto (keep the music and effects when there are some).
        ducking: the original sound's level under dubbed lines when it cannot be
            separated, in dB ("-18") or "mute".
        video_out: the dubbed video's container: auto (a video input's own), off, mp4,
            mkv or webm.
        burn_subtitles: draw the translated subtitles into the picture (re-encodes it).
        keep_original_audio: keep the original sound as a second audio track.
        target_languages: more languages to dub into after the first, as codes ("ja,de").
        speakers: "1" (one voice, the default), "auto" (diarize offline) or a count of
            speakers.
        speaker_voices: speaker name -> ``vendor[/model][:voice]``, a voice vendor (or a
            preset voice) of their own (see :mod:`pipeline.speakers.overrides`).
        subtitle_speakers: SRT cues start with the speaker's name ("Ana: ..."); WebVTT
            always carries voice spans.
    """

    target_language: str = _spec(
        help="language to speak, as a code or a name (e.g. es, Japanese)",
        label="Target language", flags=("--to",))
    source_language: str | None = _spec(
        None, help="spoken language, as a code or a name (default: detect it)",
        label="Spoken language", flags=("--from",))
    stt_model: str | None = _spec(
        None, help="speech to text as VENDOR[/MODEL] (default: APP_DEFAULT_STT)",
        label="Speech-to-text model", flags=("--stt",))
    llm_model: str | None = _spec(
        None, help="translation LLM as VENDOR[/MODEL] (default: APP_DEFAULT_LLM)",
        label="Translation model (LLM)", flags=("--llm",))
    voice_vendor: str = _spec(
        "auto", help="voice vendor id (or VENDOR/MODEL), or auto for the selection rule",
        label="Voice vendor",
        flags=("--voice",))
    timing: str = _spec(
        "auto", help="auto, natural (lines follow with natural pauses) or keep (each line at "
        "its original time; auto keeps it above 30 s)", label="Timing", choices=TIMING_MODES,
        advanced=True)
    output_format: str = _spec(
        "mp3", help="format of the dubbed audio", label="Audio format", choices=OUTPUT_FORMATS)
    glossary: Mapping[str, str] = _spec(
        {}, help='terms the translator must use, as JSON: {"term": "translation"}',
        label="Glossary", advanced=True)
    instructions: str = _spec(
        "", help="notes for the translator (tone, audience, names)",
        label="Instructions for the translator", advanced=True)
    text_only: bool = _spec(
        False, help="stop after the translation: transcript, translation and subtitles, "
        "no voice", label="Text only (no voice)", advanced=True)
    speech_translation_model: str | None = _spec(
        None, help="translate the speech directly with this VENDOR[/MODEL] (one call, no "
        "separate transcript), e.g. openai/whisper-1 (into English)",
        label="Direct speech translation", advanced=True)
    quality: str = _spec(
        "auto", help="score every dubbed line (voice similarity, and intelligibility heard "
        "back) and speak weak lines again: off, auto (hear it back when that is offline or "
        "cheap) or full", label="Quality check", choices=QUALITY_MODES, advanced=True)
    quality_stt_model: str | None = _spec(
        None, help="speech to text that hears the dub back, VENDOR[/MODEL] (default: the "
        "task's own, else an offline one for the language)", label="Quality check: heard by",
        advanced=True)
    max_retakes: int = _spec(
        2, help="more takes a weak line may get (0-5; 0: never speak a line again)",
        label="Retakes of a weak line", advanced=True, bounds=(0, MAX_RETAKES))
    background: str = _spec(
        "auto", help="music and effects under the dub: keep, drop, or auto (keep them when "
        "the input has sound besides speech)", label="Background sound", choices=BACKGROUND_MODES)
    ducking: str = _spec(
        DEFAULT_DUCKING, help="level in dB of the original sound under dubbed lines when the "
        "voice cannot be separated (e.g. -18), or mute", label="Original under the dub",
        advanced=True)
    video_out: str = _spec(
        "auto", help="dubbed video container: auto (a video input's own), off, mp4, mkv or "
        "webm", label="Video output", choices=VIDEO_OUTS, advanced=True)
    burn_subtitles: bool = _spec(
        False, help="draw the translated subtitles into the picture (re-encodes the video)",
        label="Burn in subtitles", advanced=True)
    keep_original_audio: bool = _spec(
        False, help="keep the original sound as a second audio track of the video",
        label="Keep the original audio track", advanced=True)
    target_languages: str = _spec(
        "", help="more languages to dub the same upload into, e.g. ja,de (one transcript "
        "and voice shared)", label="More target languages", advanced=True)
    speakers: str = _spec(
        "1", help="how many people speak: 1 (one voice for all), auto (found offline) or "
        "a number up to 8; each speaker gets a voice of their own", label="Speakers",
        advanced=True)
    speaker_voices: Mapping[str, str] = _spec(
        {}, help='a voice per speaker, as JSON: {"Speaker 2": "elevenlabs", "Ana": '
        '"openai:onyx"} (VENDOR[/MODEL], or VENDOR:VOICE for a preset voice; others keep '
        'the voice vendor)', label="Voice per speaker", advanced=True)
    subtitle_speakers: bool = _spec(
        False, help="SRT cues start with the speaker's name, e.g. 'Ana: ...' (WebVTT always "
        "carries voice spans)", label="Speaker names in SRT subtitles", advanced=True)


@dataclass(frozen=True, slots=True)
class TaskRequest:
    """One task: its input, its options, and the keys given for this request only.

    ``keys`` maps an environment variable name (e.g. ``FISH_API_KEY``) to a key that
    serves this task's run only; it is never stored. ``input_name`` is the name the user
    knows the input by (the uploaded file's name, or the URL's last part): messages about
    the input use it, never the stored file's name. ``server_keys`` says whether the
    server's own keys (its environment variables) may serve this request where ``keys``
    has none: False for a visitor signed in with Hugging Face (unless the owner allows it
    with ``APP_SIGNED_IN_USES_SERVER_KEYS``), whose runs use their own token only.
    """

    input_path: Path
    options: TaskOptions
    clone_path: Path | None = None
    keys: Mapping[str, str] = field(default_factory=dict, repr=False)
    input_name: str = ""
    server_keys: bool = True

    @classmethod
    def of(cls, input_path: Path, *, clone_path: Path | None = None,
           keys: Mapping[str, str] | None = None, input_name: str = "",
           server_keys: bool = True, **options: Any) -> TaskRequest:
        """A request with options given by name (already normalised; see :func:`parse_options`)."""
        return cls(Path(input_path), TaskOptions(**options), clone_path, dict(keys or {}),
                   input_name, server_keys)


def option_fields() -> tuple[tuple[str, OptionSpec], ...]:
    """Every option's name and spec, in schema order."""
    return tuple((f.name, f.metadata["spec"]) for f in dataclasses.fields(TaskOptions))


def _text(value: Any, name: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str | int | float):
        raise InputError(f"{name} must be text.", param=name)
    return str(value).strip()


def _language(value: Any, name: str, registry: Registry | None) -> str | None:
    code = normalize_language(_text(value, name), allow_auto=name == "source_language")
    return None if code == AUTO else code


def _model(role: Role) -> Callable[[Any, str, Registry | None], str | None]:
    def parse(value: Any, name: str, registry: Registry | None) -> str | None:
        spec = _text(value, name)
        if spec.lower() in ("", AUTO, "default"):
            return None
        if registry is None:
            return spec
        info, model = registry.parse_spec(spec, role)
        return f"{info.id}/{model}"
    return parse


def _voice(value: Any, name: str, registry: Registry | None) -> str:
    spec = _text(value, name) or AUTO
    vendor, slash, model = spec.partition("/")
    vendor = vendor.strip().lower()
    if vendor == AUTO or registry is None:
        return AUTO if vendor == AUTO else f"{vendor}{slash}{model.strip()}"
    voices = [v.id for v in registry.voice_vendors()]
    if vendor not in voices:
        raise UnknownVendorError(f"Unknown voice vendor {vendor!r}. Valid: auto, "
                                 f"{', '.join(voices)}.")
    if not model.strip():
        return vendor
    info, model = registry.parse_spec(f"{vendor}/{model}", Role.SPEAK)
    return f"{info.id}/{model}"


def _choice(choices: tuple[str, ...]) -> Callable[[Any, str, Registry | None], str]:
    def parse(value: Any, name: str, registry: Registry | None) -> str:
        picked = _text(value, name).lower() or choices[0]
        if picked not in choices:
            raise InputError(f"{name} must be one of {', '.join(choices)}; got {picked!r}.")
        return picked
    return parse


def _flag(value: Any, name: str, registry: Registry | None) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value, name).lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("", "0", "false", "no", "off"):
        return False
    raise InputError(f"{name} must be true or false; got {text!r}.")


def _retakes(value: Any, name: str, registry: Registry | None) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a slider sends 2.0
    text = _text(value, name)
    if not text.isdigit() or not 0 <= int(text) <= MAX_RETAKES:
        raise InputError(f"{name} must be a whole number from 0 to {MAX_RETAKES}; got {text!r}.")
    return int(text)


_PARSERS: dict[str, Callable[[Any, str, Registry | None], Any]] = {
    "target_language": _language,
    "source_language": _language,
    "stt_model": _model(Role.TRANSCRIBE),
    "llm_model": _model(Role.TRANSLATE),
    "voice_vendor": _voice,
    "timing": _choice(TIMING_MODES),
    "output_format": _choice(OUTPUT_FORMATS),
    "glossary": parse_glossary,
    "instructions": parse_instructions,
    "text_only": _flag,
    "speech_translation_model": _model(Role.SPEECH_TRANSLATE),
    "quality": _choice(QUALITY_MODES),
    "quality_stt_model": _model(Role.TRANSCRIBE),
    "max_retakes": _retakes,
    "background": _choice(BACKGROUND_MODES),
    "ducking": parse_ducking,
    "video_out": _choice(VIDEO_OUTS),
    "burn_subtitles": _flag,
    "keep_original_audio": _flag,
    "target_languages": parse_more_languages,
    "speakers": parse_speakers,
    "speaker_voices": parse_speaker_voices,
    "subtitle_speakers": _flag,
}


def parse_options(raw: Mapping[str, Any], registry: Registry | None = None) -> TaskOptions:
    """Read raw option values into normalised :class:`TaskOptions`.

    Args:
        raw: option name -> value as given (strings from forms and argv, or JSON values);
            missing names take their defaults, ``None`` counts as missing.
        registry: when given, vendor and model names are checked against it and written
            as canonical ``vendor/model`` specs.

    Raises:
        InputError: an unknown option, a missing target language, or a bad value; its
            ``param`` names the option.
    """
    names = {name for name, _ in option_fields()}
    raw = split_language_list(raw)
    unknown = sorted(set(raw) - names)
    if unknown:
        raise InputError(f"Unknown option {unknown[0]!r}. Options: {', '.join(sorted(names))}.",
                         param=unknown[0])
    if not _text(raw.get("target_language"), "target_language"):
        raise InputError("Pick a target language (a code such as 'es' or a name).",
                         param="target_language")
    values: dict[str, Any] = {}
    for name, parse in _PARSERS.items():
        if raw.get(name) is None:
            continue
        try:
            values[name] = parse(raw[name], name, registry)
        except AppError as exc:
            exc.param = exc.param or name
            raise
    return TaskOptions(**values)


def options_to_dict(options: TaskOptions) -> dict[str, Any]:
    """The options as JSON-ready data (what stores keep and responses echo)."""
    data = {f.name: getattr(options, f.name) for f in dataclasses.fields(TaskOptions)}
    data["glossary"] = dict(options.glossary)
    data["speaker_voices"] = dict(options.speaker_voices)
    return data


def options_from_dict(data: Mapping[str, Any]) -> TaskOptions:
    """Options written by :func:`options_to_dict` (unknown names from newer versions are
    ignored; missing ones take their defaults)."""
    names = {f.name for f in dataclasses.fields(TaskOptions)}
    return TaskOptions(**{k: v for k, v in data.items() if k in names})
