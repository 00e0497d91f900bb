"""OpenAI transcription, checked on the wire through a mock transport."""

from __future__ import annotations

import email.parser
import email.policy
import io
import wave
from pathlib import Path

import httpx2
import pytest

from pipeline.errors import (
    InputError,
    MissingKeyError,
    VendorAuthError,
    VendorQuotaError,
    VendorRateLimitError,
    VendorServerError,
    VendorTimeoutError,
)
from pipeline.settings import Secret
from pipeline.types import DecodedAudio, Usage
from tests.conftest import write_tone_wav
from vendors.openai.stt import OpenAITranscriber

KEY = "sk-proj-live0123456789abcdefSECRET"


class Recorder:
    """A fake vendor: records each request and answers with the next queued response."""

    def __init__(self, *answers: httpx2.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx2.Request] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        request.read()
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def http_client(self) -> httpx2.Client:
        return httpx2.Client(transport=httpx2.MockTransport(self))


def form(request: httpx2.Request) -> dict[str, list]:
    """Multipart fields of a request: name -> values; files appear as (filename, type, bytes)."""
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + request.content)
    fields: dict[str, list] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        value = (
            (part.get_filename(), part.get_content_type(), payload)
            if part.get_filename() else payload.decode()
        )
        fields.setdefault(name, []).append(value)
    return fields


def tone(tmp_path: Path, seconds: float = 2.0, hz: float = 220.0, amplitude: float = 0.3) -> DecodedAudio:
    path = write_tone_wav(tmp_path / f"tone_{hz:g}_{seconds:g}.wav", duration_s=seconds,
                          frequency_hz=hz, amplitude=amplitude)
    return DecodedAudio(path, seconds, 16000)


def wav_bytes(seconds: float, rate_hz: int = 24000, *, streamed_sizes: bool = False) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate_hz)
        out.writeframes(b"\x01\x00" * int(seconds * rate_hz))
    data = buffer.getvalue()
    if streamed_sizes:  # how a streamed WAV looks: sizes unknown when the header was sent
        data = data[:4] + b"\xff\xff\xff\xff" + data[8:40] + b"\xff\xff\xff\xff" + data[44:]
    return data


def transcriber(recorder: Recorder, model: str, **options) -> OpenAITranscriber:
    return OpenAITranscriber(model=model, key=Secret(KEY), http_client=recorder.http_client(),
                             **options)


WHISPER_VERBOSE = {
    "task": "transcribe", "language": "english", "duration": 2.0, "text": "The beach was empty.",
    "segments": [
        {"id": 0, "seek": 0, "start": 0.0, "end": 1.1, "text": " The beach", "tokens": [50364],
         "temperature": 0.0, "avg_logprob": -0.28, "compression_ratio": 1.2, "no_speech_prob": 0.01},
        {"id": 1, "seek": 0, "start": 1.1, "end": 2.0, "text": " was empty.", "tokens": [440],
         "temperature": 0.0, "avg_logprob": -0.3, "compression_ratio": 1.2, "no_speech_prob": 0.01},
    ],
    "usage": {"type": "duration", "seconds": 3},
}


def test_whisper_asks_for_verbose_json_with_segment_times_and_uploads_flac(tmp_path):
    recorder = Recorder(httpx2.Response(200, json=WHISPER_VERBOSE))
    result = transcriber(recorder, "whisper-1").transcribe(tone(tmp_path))

    request = recorder.requests[0]
    fields = form(request)
    assert request.url.path == "/v1/audio/transcriptions"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert fields["model"] == ["whisper-1"]
    assert fields["response_format"] == ["verbose_json"]
    assert fields["timestamp_granularities[]"] == ["segment"]
    filename, content_type, data = fields["file"][0]
    assert (filename, content_type) == ("audio.flac", "audio/flac")
    assert data.startswith(b"fLaC")
    assert [(s.start_s, s.end_s, s.text) for s in result.segments] == [
        (0.0, 1.1, "The beach"), (1.1, 2.0, "was empty.")]
    assert (result.language, result.vendor, result.model) == ("en", "openai", "whisper-1")
    assert result.usage == Usage(audio_s=3.0)


def test_gpt_4o_transcribe_never_gets_verbose_json_and_spans_the_audio(tmp_path):
    body = {"text": "Hola a todos", "usage": {"type": "tokens", "input_tokens": 14,
                                              "output_tokens": 4, "total_tokens": 18}}
    recorder = Recorder(httpx2.Response(200, json=body))
    result = transcriber(recorder, "gpt-4o-transcribe").transcribe(tone(tmp_path, 2.5), "es")

    fields = form(recorder.requests[0])
    assert fields["response_format"] == ["json"]
    assert fields["language"] == ["es"]
    assert "timestamp_granularities[]" not in fields
    assert [(s.start_s, s.end_s, s.text) for s in result.segments] == [(0.0, 2.5, "Hola a todos")]
    assert result.language == "es"
    assert result.usage == Usage(input_tokens=14, output_tokens=4, audio_s=2.5)


def test_language_is_left_unknown_when_neither_asked_nor_reported(tmp_path):
    recorder = Recorder(httpx2.Response(200, json={"text": "Bonjour"}))
    result = transcriber(recorder, "gpt-4o-mini-transcribe").transcribe(tone(tmp_path), None)

    assert "language" not in form(recorder.requests[0])
    assert result.language == ""
    assert result.usage == Usage(audio_s=2.0)


def test_gpt_transcribe_reports_the_detected_language_code(tmp_path):
    recorder = Recorder(httpx2.Response(200, json={"text": "Hola", "languages": [{"code": "es"}]}))
    assert transcriber(recorder, "gpt-transcribe").transcribe(tone(tmp_path)).language == "es"


def test_diarize_over_30_s_sends_auto_chunking_and_keeps_speakers_but_no_prompt(tmp_path):
    body = {"task": "transcribe", "duration": 31.0, "text": "Hi. Hello there.",
            "segments": [
                {"type": "transcript.text.segment", "id": "seg_001", "start": 0.0, "end": 4.7,
                 "text": "Hi.", "speaker": "A"},
                {"type": "transcript.text.segment", "id": "seg_002", "start": 5.0, "end": 9.5,
                 "text": "Hello there.", "speaker": "B"}],
            "usage": {"type": "duration", "seconds": 31}}
    recorder = Recorder(httpx2.Response(200, json=body))
    audio = tone(tmp_path, 31.0, amplitude=0.0)
    result = transcriber(recorder, "gpt-4o-transcribe-diarize", prompt="Names: Ann, Bo").transcribe(audio)

    fields = form(recorder.requests[0])
    assert fields["response_format"] == ["diarized_json"]
    assert fields["chunking_strategy"] == ["auto"]
    assert "prompt" not in fields and "timestamp_granularities[]" not in fields
    assert [(s.text, s.speaker) for s in result.segments] == [("Hi.", "A"), ("Hello there.", "B")]


def test_diarize_of_a_short_clip_sends_no_chunking_strategy(tmp_path):
    recorder = Recorder(httpx2.Response(200, json={"text": "Hi.", "segments": []}))
    result = transcriber(recorder, "gpt-4o-transcribe-diarize").transcribe(tone(tmp_path, 3.0))

    assert "chunking_strategy" not in form(recorder.requests[0])
    assert [(s.start_s, s.end_s) for s in result.segments] == [(0.0, 3.0)]


def test_whisper_gets_the_prompt(tmp_path):
    recorder = Recorder(httpx2.Response(200, json=WHISPER_VERBOSE))
    transcriber(recorder, "whisper-1", prompt="Kennedy, Americans").transcribe(tone(tmp_path))
    assert form(recorder.requests[0])["prompt"] == ["Kennedy, Americans"]


def error_body(message: str, code: str | None = None, kind: str = "invalid_request_error") -> dict:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def test_a_rejected_key_names_the_variable_and_never_shows_the_key(tmp_path):
    echoed = f"Incorrect API key provided: {KEY}. You can find your API key at the dashboard."
    recorder = Recorder(httpx2.Response(401, json=error_body(echoed, "invalid_api_key")))
    with pytest.raises(VendorAuthError) as caught:
        transcriber(recorder, "gpt-4o-transcribe").transcribe(tone(tmp_path))

    assert "OPENAI_API_KEY" in str(caught.value)
    assert KEY not in str(caught.value) and "live0123" not in str(caught.value)
    assert caught.value.retryable is False
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_a_masked_key_in_the_message_is_removed_too(tmp_path):
    masked = "Incorrect API key provided: sk-proj-****************CRET."
    recorder = Recorder(httpx2.Response(401, json=error_body(masked)))
    with pytest.raises(VendorAuthError) as caught:
        transcriber(recorder, "gpt-4o-transcribe").transcribe(tone(tmp_path))
    assert "CRET" not in str(caught.value)


def test_rate_limit_is_retryable_with_the_wait_the_vendor_asked_for(tmp_path):
    recorder = Recorder(httpx2.Response(429, headers={"retry-after": "7"},
                                        json=error_body("Rate limit reached", "rate_limit_exceeded")))
    with pytest.raises(VendorRateLimitError) as caught:
        transcriber(recorder, "gpt-4o-transcribe").transcribe(tone(tmp_path))

    assert caught.value.retryable is True
    assert caught.value.retry_after_s == 7.0
    assert len(recorder.requests) == 1  # one attempt: the pipeline owns retries


def test_insufficient_quota_is_final(tmp_path):
    recorder = Recorder(httpx2.Response(429, json=error_body(
        "You exceeded your current quota.", "insufficient_quota", "insufficient_quota")))
    with pytest.raises(VendorQuotaError) as caught:
        transcriber(recorder, "gpt-4o-transcribe").transcribe(tone(tmp_path))
    assert caught.value.retryable is False


@pytest.mark.parametrize(("answer", "error"), [
    (httpx2.Response(500, json=error_body("The server had an error", kind="server_error")),
     VendorServerError),
    (httpx2.ConnectError("connection refused"), VendorServerError),
    (httpx2.ReadTimeout("read timed out"), VendorTimeoutError),
])
def test_server_and_network_failures_are_retryable(tmp_path, answer, error):
    with pytest.raises(error) as caught:
        transcriber(Recorder(answer), "whisper-1").transcribe(tone(tmp_path))
    assert caught.value.retryable is True


def test_audio_over_the_upload_limit_is_refused_before_sending(tmp_path):
    recorder = Recorder()
    with pytest.raises(InputError, match="25|MiB"):
        transcriber(recorder, "whisper-1", max_upload_bytes=1000).transcribe(tone(tmp_path))
    assert recorder.requests == []


def test_no_key_means_a_missing_key_error_naming_the_variable(tmp_path):
    with pytest.raises(MissingKeyError, match="GROQ_API_KEY"):
        OpenAITranscriber(vendor="groq", model="whisper-large-v3", variable="GROQ_API_KEY",
                          key=None).transcribe(tone(tmp_path))


def test_the_transcriber_never_shows_the_key_in_its_repr():
    assert KEY not in repr(OpenAITranscriber(key=Secret(KEY)))
