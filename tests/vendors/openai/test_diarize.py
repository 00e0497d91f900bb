"""gpt-4o-transcribe-diarize on the wire (a mock transport): the fields sent, the diarized
segments read back, known speakers as data URLs, and errors mapped like every OpenAI call."""

from __future__ import annotations

import base64

import httpx2
import pytest

from pipeline.errors import InputError, VendorAuthError, VendorRateLimitError, VendorServerError
from pipeline.planning import make_plan
from pipeline.settings import Settings
from pipeline.types import Role, Usage
from tests.vendors.openai.test_stt import KEY, Recorder, error_body, form, tone, transcriber
from vendors.openai import INFO
from vendors.openai.diarize import KnownSpeaker
from vendors.registry import default_registry

MODEL = "gpt-4o-transcribe-diarize"
DIARIZED = {
    "task": "transcribe", "duration": 12.0, "text": "Hi there. Hello. Fine, thanks.",
    "segments": [
        {"type": "transcript.text.segment", "id": "seg_001", "start": 0.0, "end": 2.5,
         "text": " Hi there.", "speaker": "A"},
        {"type": "transcript.text.segment", "id": "seg_002", "start": 3.0, "end": 4.2,
         "text": "Hello.", "speaker": "B"},
        {"type": "transcript.text.segment", "id": "seg_003", "start": 4.2, "end": 4.4,
         "text": "  ", "speaker": "B"},
        {"type": "transcript.text.segment", "id": "seg_004", "start": 5.0, "end": 7.5,
         "text": "Fine, thanks.", "speaker": "agent"},
    ],
    "usage": {"type": "duration", "seconds": 12},
}


def diarizer(recorder: Recorder):
    return transcriber(recorder, MODEL)


@pytest.mark.parametrize(("seconds", "chunking"), [(29.5, None), (30.5, ["auto"])])
def test_chunking_strategy_is_sent_only_above_30_seconds(tmp_path, seconds, chunking):
    recorder = Recorder(httpx2.Response(200, json=DIARIZED))
    diarizer(recorder).transcribe(tone(tmp_path, seconds, amplitude=0.0))

    fields = form(recorder.requests[0])
    assert fields["model"] == [MODEL]
    assert fields["response_format"] == ["diarized_json"]
    assert fields.get("chunking_strategy") == chunking
    assert not any(name.startswith("known_speaker") for name in fields)


def test_diarized_json_becomes_timed_segments_with_the_vendors_speakers(tmp_path):
    recorder = Recorder(httpx2.Response(200, json=DIARIZED))
    result = diarizer(recorder).transcribe(tone(tmp_path, 12.0, amplitude=0.0), "en")

    assert [(s.start_s, s.end_s, s.text, s.speaker) for s in result.segments] == [
        (0.0, 2.5, "Hi there.", "A"), (3.0, 4.2, "Hello.", "B"),
        (5.0, 7.5, "Fine, thanks.", "agent")]
    assert (result.language, result.model, result.usage) == ("en", MODEL, Usage(audio_s=12.0))
    assert form(recorder.requests[0])["language"] == ["en"]


def test_known_speakers_travel_as_names_and_wav_data_urls_in_the_same_order(tmp_path):
    ann = tone(tmp_path, 3.0, hz=180.0).path
    bo = tone(tmp_path, 6.0, hz=260.0).path
    recorder = Recorder(httpx2.Response(200, json=DIARIZED))
    diarizer(recorder).transcribe(tone(tmp_path, 12.0, amplitude=0.0), known_speakers=[
        KnownSpeaker("Ann", ann), KnownSpeaker("Bo", bo)])

    fields = form(recorder.requests[0])
    assert fields["known_speaker_names[]"] == ["Ann", "Bo"]
    urls = fields["known_speaker_references[]"]
    assert [u.split(",")[0] for u in urls] == ["data:audio/wav;base64"] * 2
    assert [base64.b64decode(u.split(",", 1)[1]) for u in urls] == [
        ann.read_bytes(), bo.read_bytes()]


@pytest.mark.parametrize(("seconds", "count", "said"), [
    (1.5, 1, "lasts 1.5 s"), (10.5, 1, "lasts 10.5 s"), (3.0, 5, "at most 4")])
def test_known_speakers_the_model_would_reject_are_refused_before_sending(tmp_path, seconds,
                                                                          count, said):
    clip = tone(tmp_path, seconds).path
    recorder = Recorder()
    known = [KnownSpeaker(f"Speaker {n}", clip) for n in range(count)]
    with pytest.raises(InputError, match=said) as caught:
        diarizer(recorder).transcribe(tone(tmp_path, 12.0), known_speakers=known)

    assert caught.value.param == "known_speakers"
    assert recorder.requests == []


def test_known_speakers_for_a_model_that_does_not_diarize_are_refused(tmp_path):
    recorder = Recorder()
    with pytest.raises(InputError, match="gpt-4o-transcribe-diarize"):
        transcriber(recorder, "gpt-4o-transcribe").transcribe(
            tone(tmp_path), known_speakers=[KnownSpeaker("Ann", tone(tmp_path, 3.0).path)])
    assert recorder.requests == []


def test_a_rejected_key_is_an_auth_error_that_never_shows_the_key(tmp_path):
    echoed = f"Incorrect API key provided: {KEY}."
    recorder = Recorder(httpx2.Response(401, json=error_body(echoed, "invalid_api_key")))
    with pytest.raises(VendorAuthError) as caught:
        diarizer(recorder).transcribe(tone(tmp_path, 3.0))
    assert "OPENAI_API_KEY" in str(caught.value) and KEY not in str(caught.value)
    assert caught.value.retryable is False


@pytest.mark.parametrize(("answer", "error"), [
    (httpx2.Response(429, headers={"retry-after": "3"},
                     json=error_body("Rate limit reached", "rate_limit_exceeded")),
     VendorRateLimitError),
    (httpx2.Response(503, json=error_body("Overloaded", kind="server_error")), VendorServerError),
])
def test_rate_limits_and_server_errors_are_retryable(tmp_path, answer, error):
    recorder = Recorder(answer)
    with pytest.raises(error) as caught:
        diarizer(recorder).transcribe(tone(tmp_path, 3.0))
    assert caught.value.retryable is True
    assert len(recorder.requests) == 1


def test_the_diarize_model_is_offered_priced_and_planned_as_openai_stt():
    assert MODEL in INFO.models[Role.TRANSCRIBE]
    assert [p.usd for p in INFO.prices_for(Role.TRANSCRIBE, MODEL)] == [0.006]
    assert INFO.limits_for(MODEL).max_upload_bytes == 26_214_400
    plan = make_plan(default_registry(), Settings.from_env({}), target_language="es",
                     stt=f"openai/{MODEL}", keys={"OPENAI_API_KEY": KEY}, duration_s=120.0,
                     text_only=True)
    assert plan.transcriber is not None
    assert (plan.transcriber.vendor, plan.transcriber.model) == ("openai", MODEL)
    line = next(c for c in plan.estimate.lines if c.model == MODEL)
    assert line.usd == pytest.approx(0.012)
