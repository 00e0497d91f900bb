"""OpenAI-compatible transcription (OpenAI, Groq, SambaNova).

:class:`OpenAITranscriber` sends the decoded WAV as FLAC to ``/audio/transcriptions`` and
asks each model only for what it accepts (:data:`TRANSCRIPTION_RULES`; Groq and SambaNova
keep their own).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pipeline.errors import InputError
from pipeline.languages import normalize_language
from pipeline.settings import Secret
from pipeline.types import DecodedAudio, Segment, Transcript, Usage
from vendors.openai.client import UPLOAD_LIMIT_BYTES, encode_upload, map_sdk_error, sdk_client
from vendors.openai.diarize import KnownSpeaker, known_speaker_fields

__all__ = [
    "DIARIZED",
    "PLAIN_JSON",
    "TRANSCRIPTION_RULES",
    "VERBOSE_SEGMENTS",
    "OpenAITranscriber",
    "TranscriptionRule",
    "request_fields",
    "timed_segments",
]


@dataclass(frozen=True, slots=True)
class TranscriptionRule:
    """What one transcription model accepts and returns, as data.

    Attributes:
        response_format: the one format we ask for (never one the model rejects).
        segment_times: the response carries timed segments (and we ask for them with
            ``timestamp_granularities[]=segment`` when ``granularities`` is set).
        granularities: send ``timestamp_granularities[]=segment`` (verbose_json only).
        prompt: the model accepts a ``prompt`` field.
        chunking_above_s: send ``chunking_strategy=auto`` for audio longer than this.
        known_speakers: the model takes ``known_speaker_names[]`` and
            ``known_speaker_references[]`` (and labels each segment with its speaker).
    """

    response_format: str = "json"
    segment_times: bool = False
    granularities: bool = False
    prompt: bool = True
    chunking_above_s: float | None = None
    known_speakers: bool = False


PLAIN_JSON = TranscriptionRule()
VERBOSE_SEGMENTS = TranscriptionRule("verbose_json", segment_times=True, granularities=True)
DIARIZED = TranscriptionRule(
    "diarized_json", segment_times=True, prompt=False, chunking_above_s=30.0, known_speakers=True
)

# Checked against openai 3.54.0 (the SDK docstrings) and the speech-to-text guide.
TRANSCRIPTION_RULES: Mapping[str, TranscriptionRule] = {
    "whisper-1": VERBOSE_SEGMENTS,
    "gpt-4o-transcribe": PLAIN_JSON,
    "gpt-4o-mini-transcribe": PLAIN_JSON,
    "gpt-4o-mini-transcribe-2025-12-15": PLAIN_JSON,
    "gpt-transcribe": PLAIN_JSON,
    "gpt-4o-transcribe-diarize": DIARIZED,
}


class OpenAITranscriber:
    """Speech to text through ``/audio/transcriptions`` on an OpenAI-compatible host.

    Args:
        model: the transcription model; its rule says which fields and format to send.
        key: the API key (revealed only to the SDK).
        vendor: vendor id for results and errors ("openai", "groq", "sambanova").
        base_url: the API root (``None`` = api.openai.com).
        rules: per-model rules for this host; unknown models get plain ``json``.
        variable: the key's environment variable, named in auth errors.
        prompt: optional context for the model (dropped for models that reject it).
        client: an ``openai.OpenAI`` client to use instead of building one.
        http_client: an ``httpx2.Client`` for the client built here (tests).
        timeout_s: whole-request timeout.
        max_upload_bytes: the host's upload limit.
    """

    def __init__(
        self,
        *,
        model: str = "gpt-4o-transcribe",
        key: Secret | None = None,
        vendor: str = "openai",
        base_url: str | None = None,
        rules: Mapping[str, TranscriptionRule] = TRANSCRIPTION_RULES,
        variable: str = "OPENAI_API_KEY",
        prompt: str = "",
        client: object | None = None,
        http_client: object | None = None,
        timeout_s: float = 300.0,
        max_upload_bytes: int = UPLOAD_LIMIT_BYTES,
    ) -> None:
        self.vendor = vendor
        self.model = model
        self.base_url = base_url
        self.rule = rules.get(model, PLAIN_JSON)
        self.prompt = prompt
        self.timeout_s = timeout_s
        self.max_upload_bytes = max_upload_bytes
        self._variable = variable
        self._key = key
        self._client = client
        self._http_client = http_client

    def __repr__(self) -> str:
        return f"OpenAITranscriber(vendor={self.vendor!r}, model={self.model!r})"

    def transcribe(self, audio: DecodedAudio, language: str | None = None, *,
                   known_speakers: Sequence[KnownSpeaker] = ()) -> Transcript:
        """Transcribe ``audio``; ``language=None`` (or "auto") lets the model detect it.

        Args:
            audio: the decoded input (sent as FLAC).
            language: the spoken language, or None to detect it.
            known_speakers: speakers a diarizing model should call by name (at most four,
                each with a 2-10 s clip of their voice).

        Raises:
            InputError: the encoded audio is over the host's upload limit, or known
                speakers were given to a model that does not diarize (or are malformed).
            VendorError: the call failed (see :func:`vendors.openai.client.map_sdk_error`).
        """
        import openai

        requested = None if language in (None, "", "auto") else language
        if known_speakers and not self.rule.known_speakers:
            raise InputError(f"known_speakers: {self.model} does not tell speakers apart; use "
                             "gpt-4o-transcribe-diarize.", param="known_speakers")
        named = known_speaker_fields(known_speakers)
        upload = encode_upload(audio, vendor=self.vendor, max_bytes=self.max_upload_bytes)
        fields = request_fields(self.rule, self.model, requested, self.prompt, audio.duration_s)
        fields.update(named)
        try:
            result = self._sdk().audio.transcriptions.create(file=upload, **fields)
        except openai.OpenAIError as exc:
            raise map_sdk_error(
                exc, vendor=self.vendor, variable=self._variable, key=self._key
            ) from None
        return self._transcript(result, audio, requested)

    def _sdk(self):
        if self._client is None:
            self._client = sdk_client(
                vendor=self.vendor, variable=self._variable, key=self._key,
                base_url=self.base_url, timeout_s=self.timeout_s,
                http_client=self._http_client,
            )
        return self._client

    def _transcript(self, result: object, audio: DecodedAudio, requested: str | None) -> Transcript:
        text = (result if isinstance(result, str) else _get(result, "text") or "").strip()
        segments = timed_segments(_get(result, "segments")) if self.rule.segment_times else ()
        if not segments and text:
            segments = (Segment(0.0, audio.duration_s, text),)
        return Transcript(
            text=text,
            language=_detected_language(result) or requested or "",
            segments=segments,
            vendor=self.vendor,
            model=self.model,
            usage=_usage(_get(result, "usage"), audio.duration_s),
        )


def request_fields(
    rule: TranscriptionRule, model: str, language: str | None, prompt: str, duration_s: float
) -> dict[str, object]:
    """The form fields sent with the file: only those ``rule`` says the model accepts."""
    fields: dict[str, object] = {"model": model, "response_format": rule.response_format}
    if language:
        fields["language"] = language
    if prompt and rule.prompt:
        fields["prompt"] = prompt
    if rule.granularities:
        fields["timestamp_granularities"] = ["segment"]
    if rule.chunking_above_s is not None and duration_s > rule.chunking_above_s:
        fields["chunking_strategy"] = "auto"
    return fields


def _get(item: object, name: str) -> object:
    if item is None:
        return None
    if isinstance(item, Mapping):
        return item.get(name)
    return getattr(item, name, None)


def timed_segments(raw: object) -> tuple[Segment, ...]:
    """Read verbose_json/diarized_json ``segments`` (objects or dicts) as our segments.

    Segments without text or times are skipped; times are clamped to be non-negative
    and never end before they start.
    """
    segments = []
    for item in raw or ():
        text = str(_get(item, "text") or "").strip()
        start, end = _get(item, "start"), _get(item, "end")
        if not text or start is None or end is None:
            continue
        speaker = _get(item, "speaker")
        start_s = max(0.0, float(start))
        segments.append(
            Segment(start_s, max(start_s, float(end)), text, str(speaker) if speaker else None)
        )
    return tuple(segments)


def _detected_language(result: object) -> str | None:
    """The language the model reports: a name in verbose_json, codes in ``languages``."""
    named = _get(result, "language")
    listed = _get(result, "languages") or ()
    candidates = [named] if isinstance(named, str) else []
    candidates += [_get(entry, "code") for entry in listed]
    for value in candidates:
        if isinstance(value, str) and value.strip():
            try:
                return normalize_language(value)
            except InputError:
                continue
    return None


def _usage(raw: object, duration_s: float) -> Usage:
    kind = _get(raw, "type")
    if kind == "duration":
        return Usage(audio_s=float(_get(raw, "seconds") or duration_s))
    if kind == "tokens":
        return Usage(
            input_tokens=int(_get(raw, "input_tokens") or 0),
            output_tokens=int(_get(raw, "output_tokens") or 0),
            audio_s=duration_s,
        )
    return Usage(audio_s=duration_s)
