"""The five steps over fake vendors: statuses, skips, retries, cancel, cleanup, cost."""

from __future__ import annotations

import json
import threading
import wave
from pathlib import Path

import numpy as np
import pytest

from pipeline import audio
from pipeline.errors import (
    InputError,
    MissingKeyError,
    VendorAuthError,
    VendorRateLimitError,
    VendorServerError,
)
from pipeline.options import TaskRequest
from pipeline.retry import RetryPolicy
from pipeline.runner import Pipeline
from pipeline.settings import Settings
from pipeline.subtitles import parse_subtitles
from pipeline.types import (
    STEP_ORDER,
    Segment,
    StepName,
    StepStatus,
    TaskStatus,
    Transcript,
    Translation,
)
from pipeline.view import result_to_dict
from tests import fakes
from tests.conftest import write_tone_wav
from vendors.registry import default_registry


def write_speechlike_wav(path: Path, duration_s: float = 6.0, rate_hz: int = 16000) -> Path:
    """Voiced bursts (harmonics, amplitude-modulated) separated by short pauses."""
    t = np.arange(int(duration_s * rate_hz)) / rate_hz
    voice = sum(np.sin(2 * np.pi * 140 * k * t) / k for k in range(1, 6))
    syllables = 0.5 * (1 + np.sin(2 * np.pi * 4 * t))
    pauses = (np.floor(t / 1.5) % 2 == 0) | (t % 1.5 > 0.4)
    samples = 0.25 * voice * syllables * pauses
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate_hz)
        out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return path


@pytest.fixture
def vendors():
    stt, llm, voice = fakes.FakeTranscriber(), fakes.FakeTranslator(), fakes.FakeVoice()
    fakes.INSTANCES.update(stt=stt, llm=llm, voice=voice)
    yield stt, llm, voice
    fakes.INSTANCES.clear()


@pytest.fixture
def pipeline(tmp_path):
    settings = Settings.from_env({"APP_DATA_DIR": str(tmp_path / "data"), "FAKE_LLM_KEY": "k"})
    waits: list[float] = []
    runner = Pipeline(default_registry(fakes.FAKE_VENDORS), settings,
                      retry=RetryPolicy(sleep=waits.append))
    runner.waits = waits
    return runner


@pytest.fixture
def speech(tmp_path) -> Path:
    return write_speechlike_wav(tmp_path / "speech.wav")


def _request(path: Path, **changes) -> TaskRequest:
    values = dict(target_language="es", stt_model="fake_stt", llm_model="fake_llm",
                  voice_vendor="fake_voice", quality="off")
    values.update(changes)
    return TaskRequest.of(path, **values)


def _statuses(result) -> dict[str, str]:
    return {s.name.value: s.status.value for s in result.steps}


def test_all_five_steps_succeed_in_order_and_produce_an_mp3(pipeline, vendors, speech):
    events = []
    result = pipeline.run(_request(speech), on_progress=events.append)
    assert result.status is TaskStatus.SUCCEEDED, result.error
    assert [s.name for s in result.steps] == list(STEP_ORDER)
    assert all(s.status is StepStatus.SUCCEEDED for s in result.steps)
    assert all(s.duration_s is not None and s.duration_s >= 0 for s in result.steps)
    assert [s.text for s in result.translation.segments] == ["[es] Hello there.", "[es] Goodbye."]
    assert result.output_path.suffix == ".mp3"
    assert audio.probe(result.output_path).duration_s > 1.0
    fractions = [e.fraction for e in events]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert [e.step for e in events][0] is StepName.INITIALIZATION
    assert {e.step for e in events} == set(STEP_ORDER)


def test_the_result_says_which_vendors_ran_and_what_they_cost(pipeline, vendors, speech):
    result = pipeline.run(_request(speech))
    assert [c.vendor for c in result.choices] == ["fake_stt", "fake_llm", "fake_voice"]
    assert all(c.reason for c in result.choices)
    actual = {line.vendor: line.usd for line in result.actual_cost.lines}
    assert set(actual) == {"fake_stt", "fake_llm", "fake_voice"}
    assert actual["fake_llm"] == pytest.approx(100 / 1e6)
    assert result.cost.total_usd > 0


def test_same_language_skips_translation_with_the_reason(pipeline, vendors, speech):
    result = pipeline.run(_request(speech, target_language="en"))
    assert result.status is TaskStatus.SUCCEEDED
    step = result.steps[2]
    assert step.status is StepStatus.SKIPPED
    assert "same language" in step.detail and "English" in step.detail
    assert vendors[1].calls == []
    assert sorted(t for t, _ in vendors[2].spoken) == ["Goodbye.", "Hello there."]


def test_a_rate_limit_is_retried_once_then_succeeds(pipeline, vendors, speech):
    vendors[0].errors.append(VendorRateLimitError("fake_stt", "busy", retry_after_s=0.5))
    result = pipeline.run(_request(speech))
    assert result.status is TaskStatus.SUCCEEDED
    assert len(vendors[0].calls) == 2
    assert pipeline.waits == [0.5]


def test_an_auth_error_fails_its_step_at_once_and_later_steps_stay_pending(pipeline, vendors, speech):
    vendors[0].errors.append(VendorAuthError("fake_stt", "the key was rejected; check FAKE_KEY."))
    result = pipeline.run(_request(speech))
    assert result.status is TaskStatus.FAILED
    assert _statuses(result) == {"initialization": "succeeded", "speech_to_text": "failed",
                                 "translation": "pending", "voice_clone": "pending",
                                 "text_to_speech": "pending"}
    assert "FAKE_KEY" in result.steps[1].error
    assert len(vendors[0].calls) == 1
    assert isinstance(result.failure, VendorAuthError)


def test_a_speech_failure_after_cloning_still_releases_the_voice(pipeline, vendors, speech):
    vendors[2].errors.extend(VendorServerError("fake_voice", "down") for _ in range(5))
    result = pipeline.run(_request(speech))
    assert result.status is TaskStatus.FAILED
    assert result.steps[4].status is StepStatus.FAILED
    assert len(vendors[2].released) == 1


def test_cancel_during_translation_stops_before_the_voice_is_made(pipeline, vendors, speech):
    cancel, translator = threading.Event(), vendors[1]
    translate = translator.translate

    def translate_then_cancel(*args):
        cancel.set()  # the user cancels while the lines are being translated
        return translate(*args)

    translator.translate = translate_then_cancel
    result = pipeline.run(_request(speech), cancel=cancel)
    assert result.status is TaskStatus.CANCELED
    assert _statuses(result)["voice_clone"] == "pending"
    assert vendors[2].cloned == [] and vendors[2].spoken == []


def test_text_renamed_mp3_fails_initialization_cleanly(pipeline, vendors, tmp_path):
    fake = tmp_path / "notes.mp3"
    fake.write_text("this is not audio at all\n" * 20)
    result = pipeline.run(_request(fake))
    assert result.status is TaskStatus.FAILED
    assert result.steps[0].status is StepStatus.FAILED
    assert isinstance(result.failure, InputError)
    assert vendors[0].calls == []


def test_a_missing_key_fails_before_any_audio_work(tmp_path, vendors, speech):
    settings = Settings.from_env({"APP_DATA_DIR": str(tmp_path / "d")})
    result = Pipeline(default_registry(fakes.FAKE_VENDORS), settings).run(_request(speech))
    assert isinstance(result.failure, MissingKeyError)
    assert "FAKE_LLM_KEY" in result.error
    assert vendors[0].calls == []


def test_a_translator_that_drops_a_segment_fails_clearly(pipeline, vendors, speech):
    vendors[1].drop_one = True
    result = pipeline.run(_request(speech))
    assert result.status is TaskStatus.FAILED
    assert "returned 1 segments for 2" in result.error


def test_the_reference_transcript_is_the_speech_inside_the_reference_window(pipeline, vendors, speech):
    pipeline.run(_request(speech))
    reference, said = vendors[2].cloned[0]
    assert reference.source == "input"
    assert reference.duration_s <= 30
    assert "Hello there." in said


def test_a_separate_clone_clip_is_used_for_the_voice(pipeline, vendors, speech, tmp_path):
    clip = write_speechlike_wav(tmp_path / "clip.wav", duration_s=4.0)
    result = pipeline.run(_request(speech, clone_path=clip))
    assert result.status is TaskStatus.SUCCEEDED
    assert vendors[2].cloned[0][0].source == "clone_clip"
    assert result.reference.source == "clone_clip"


def test_wav_output_is_offered(pipeline, vendors, speech):
    result = pipeline.run(_request(speech, output_format="wav"))
    assert result.output_path.suffix == ".wav"
    with wave.open(str(result.output_path)) as out:
        assert out.getnframes() > 0


def test_an_edited_translation_reruns_only_the_voice_steps(pipeline, vendors, speech):
    from dataclasses import replace

    first = pipeline.run(_request(speech))
    edited = replace(first.translation, segments=(
        Segment(0.0, 2.0, "Hola, ¿qué tal?"), first.translation.segments[1]))
    checkpoint = replace(first.checkpoint, translation=edited)
    calls_before = (len(vendors[0].calls), len(vendors[1].calls))
    spoken_before = len(vendors[2].spoken)
    second = pipeline.run(_request(speech), checkpoint=checkpoint)
    assert second.status is TaskStatus.SUCCEEDED
    assert [s.reused for s in second.steps] == [True, True, True, False, False]
    assert (len(vendors[0].calls), len(vendors[1].calls)) == calls_before
    assert "Hola, ¿qué tal?" in [text for text, *_ in vendors[2].spoken[spoken_before:]]


def test_a_checkpoint_is_reported_after_every_finished_step(pipeline, vendors, speech):
    seen = []
    pipeline.run(_request(speech), on_checkpoint=lambda cp, steps: seen.append(
        (cp, [s.status.value for s in steps])))
    assert len(seen) == 5
    finished = [statuses.count("succeeded") for _, statuses in seen]
    assert finished == sorted(finished) and seen[-1][1] == ["succeeded"] * 5
    for checkpoint, statuses in seen:
        assert checkpoint.decoded is not None or statuses[0] != "succeeded"
        assert checkpoint.transcript is not None or statuses[1] != "succeeded"
        assert checkpoint.translation is not None or statuses[2] != "succeeded"


def test_a_changed_target_language_translates_again(pipeline, vendors, speech):
    first = pipeline.run(_request(speech))
    second = pipeline.run(_request(speech, target_language="fr"), checkpoint=first.checkpoint)
    assert second.steps[2].reused is False
    assert second.translation.target_language == "fr"


def test_speech_already_in_the_target_language_is_not_translated_even_if_unlabelled(
        pipeline, vendors, speech):
    vendors[0].language = ""
    vendors[0].segments = (Segment(0.0, 3.0, "And so my fellow Americans, ask not what your "
                                             "country can do for you."),)
    result = pipeline.run(_request(speech, target_language="en"))
    assert result.steps[2].status is StepStatus.SKIPPED
    assert vendors[1].calls == []


def test_the_identified_language_is_the_transcripts_everywhere(pipeline, vendors, speech):
    vendors[0].language = ""  # like gpt-4o-transcribe, which does not say
    from pipeline.types import Segment
    vendors[0].segments = (Segment(0.0, 3.0, "And so my fellow Americans, ask not what your "
                                             "country can do for you."),)
    result = pipeline.run(_request(speech))
    assert result.transcript.language == "en"
    assert "(English)" in result.steps[1].detail
    assert result_to_dict(result)["transcript"]["language"] == "en"


# --- timing, subtitles, partial audio -------------------------------------------------


class UntimedTranscriber:
    """Like gpt-4o-transcribe: the words of the request as one segment spanning it.

    ``sentences`` are ``(start_s, end_s, text)`` on the whole input; a request for a piece
    ``chunk_NNNN.wav`` starts where the pieces before it (requested earlier) end.
    """

    def __init__(self, sentences) -> None:
        self.sentences = sentences
        self.calls = 0
        self.lengths: dict[int, float] = {}  # pieces are sent in order

    def transcribe(self, audio_in, language=None):
        self.calls += 1
        offset_s = 0.0
        if audio_in.path.name.startswith("chunk_"):
            number = int(audio_in.path.stem.split("_")[1])
            self.lengths[number] = audio_in.duration_s
            offset_s = sum(self.lengths[i] for i in range(number))
        end_s = offset_s + audio_in.duration_s
        text = " ".join(t for a, b, t in self.sentences if offset_s <= (a + b) / 2 < end_s)
        return Transcript(text, "en", (Segment(0.0, audio_in.duration_s, text),),
                          "fake_stt", "fake-1")


class TableTranslator:
    """Translates each line by table; ``longer`` makes chosen lines far too long at first."""

    def __init__(self, table=None, longer=()) -> None:
        self.table = table or {}
        self.longer = set(longer)
        self.calls: list[tuple] = []

    def translate(self, segments, source_language, target_language, context):
        self.calls.append((tuple(s.text for s in segments), context))
        shorten = "more briefly" in context.instructions or "as briefly" in context.instructions
        out = []
        for s in segments:
            text = self.table.get(s.text, f"ES {s.text}")
            if s.text in self.longer and not shorten:
                text = f"{text} {'y además muchas palabras más ' * 4}".strip()
            out.append(Segment(s.start_s, s.end_s, text))
        return Translation(tuple(out), source_language, target_language, "fake_llm", "fake-llm-1")


def test_an_unknown_timing_mode_fails_initialization_before_any_vendor_call(pipeline, vendors, speech):
    result = pipeline.run(_request(speech, timing="fast"))
    assert result.status is TaskStatus.FAILED
    assert result.steps[0].status is StepStatus.FAILED
    assert "auto, natural, keep" in result.error and vendors[0].calls == []


def test_the_voice_reference_is_cut_from_the_input_without_decoding_it_twice(pipeline, vendors, speech):
    result = pipeline.run(_request(speech))
    folder = result.reference.path.parent
    assert audio.wav_info(result.reference.path).sample_rate_hz == 24000
    assert audio.wav_info(result.reference.path).duration_s == pytest.approx(
        result.reference.duration_s, abs=0.05)
    assert not (folder / "reference_source.wav").exists()
    assert sorted(p.name for p in folder.glob("*.wav")) == ["input.wav", "reference.wav"]


def test_a_short_clip_is_dubbed_with_natural_timing_and_its_report(pipeline, vendors, speech):
    result = pipeline.run(_request(speech))
    assert result.timing.mode == "natural"
    assert [t.index for t in result.timing.segments] == [0, 1]
    assert result.timing.segments[0].placed_start_s == 0.0
    report = result_to_dict(result)
    assert report["timing"]["mode"] == "natural"
    assert set(report["timing"]["summary"]) >= {"share_above_1_15", "max_speed_factor", "total_drift_s"}
    assert {(s["kind"], s["format"]) for s in report["subtitles"]} == {
        ("transcript", "srt"), ("transcript", "vtt"), ("translation", "srt"), ("translation", "vtt")}
    json.dumps(report)


def test_a_long_input_keeps_the_timing_and_streams_its_first_seconds(pipeline, vendors, tmp_path):
    source = write_speechlike_wav(tmp_path / "long.wav", duration_s=45.0)
    vendors[0].segments = [Segment(float(i * 3), float(i * 3) + 0.4 + 0.1 * (i % 3), f"Line {i}.")
                           for i in range(15)]
    pieces = []
    result = pipeline.run(_request(source, output_format="wav"),
                          on_partial_audio=lambda path, ready_s: pieces.append((path, ready_s)))
    assert result.status is TaskStatus.SUCCEEDED, result.error
    assert result.timing.mode == "keep"
    readies = [ready for _, ready in pieces]
    assert len(pieces) >= 1 and readies == sorted(readies)
    assert readies[-1] == pytest.approx(result.timing.dubbed_duration_s, abs=0.01)
    joined = b"".join(_frames(path) for path, _ in pieces)
    assert joined == _frames(result.output_path)


def _frames(path) -> bytes:
    with wave.open(str(path)) as reader:
        return reader.readframes(reader.getnframes())


def test_lines_too_long_for_their_time_are_translated_again_more_briefly(pipeline, vendors, tmp_path):
    source = write_speechlike_wav(tmp_path / "long.wav", duration_s=40.0)
    vendors[0].segments = [Segment(0.0, 2.0, "Hello there."), Segment(3.0, 5.0, "Goodbye now.")]
    translator = TableTranslator(longer={"Goodbye now."})
    fakes.INSTANCES["llm"] = translator
    result = pipeline.run(_request(source))
    assert result.status is TaskStatus.SUCCEEDED, result.error
    assert len(translator.calls) == 2
    again, context = translator.calls[1]
    assert again == ("Goodbye now.",)
    assert "more briefly" in context.instructions or "as briefly" in context.instructions
    assert [s.text for s in result.translation.segments] == ["ES Hello there.", "ES Goodbye now."]
    assert "made shorter" in result.steps[2].detail


def test_an_edited_translation_is_never_shortened(pipeline, vendors, tmp_path):
    from dataclasses import replace

    source = write_speechlike_wav(tmp_path / "long.wav", duration_s=40.0)
    first = pipeline.run(_request(source))
    long = "Una traducción editada por la persona que es mucho más larga que su hueco " * 2
    edited = replace(first.translation, segments=(Segment(0.0, 2.0, long),
                                                  first.translation.segments[1]))
    calls = len(vendors[1].calls)
    second = pipeline.run(_request(source), checkpoint=replace(first.checkpoint, translation=edited))
    assert second.status is TaskStatus.SUCCEEDED, second.error
    assert len(vendors[1].calls) == calls
    assert second.translation.segments[0].text == long
    assert second.timing.segments[0].speed_factor == 1.3


def test_a_long_transcript_is_translated_in_parallel_slices_joined_in_order(pipeline, vendors, tmp_path):
    # One unbroken sound, so every line keeps its start (none moves onto an onset and
    # shrinks into a merge).
    source = write_tone_wav(tmp_path / "long.wav", duration_s=44.0)
    vendors[0].segments = [Segment(i * 1.05, i * 1.05 + 1.02, f"Line {i}.") for i in range(41)]
    result = pipeline.run(_request(source, timing="natural"))
    assert result.status is TaskStatus.SUCCEEDED, result.error
    assert len(vendors[1].calls) == 2  # 40 lines per request at most
    assert [s.text for s in result.translation.segments] == [f"[es] Line {i}." for i in range(41)]


TOPICS = [
    ("the river near the old town", "el río cerca del pueblo viejo"),
    ("the bread we bake on sundays", "el pan que hacemos los domingos"),
    ("a long walk through the hills", "un largo paseo por las colinas"),
    ("the music of the summer nights", "la música de las noches de verano"),
    ("our neighbours and their garden", "los vecinos y su jardín"),
    ("the first snow of the winter", "la primera nieve del invierno"),
]


def _espeak_talk(path: Path, count: int = 38):
    """About three minutes of real synthetic speech: ``count`` sentences with pauses."""
    from vendors import espeak_engine

    rate_hz, pieces, truth, english, spanish = 22050, [], [], [], []
    cursor_s = 0.6
    pieces.append(np.zeros(int(cursor_s * rate_hz)))
    for i in range(count):
        en, es = TOPICS[i % len(TOPICS)]
        english.append(f"Part {i + 1} is about {en}.")
        spanish.append(f"La parte {i + 1} trata de {es}.")
        raw, rate_hz = espeak_engine.synthesize(english[-1], "en-us+m3", rate_wpm=130, pitch=40)
        samples = np.frombuffer(raw, "<i2").astype(np.float32) / 32768
        first, last = audio_sound_bounds(samples, rate_hz)
        samples = samples[first:last]
        truth.append((cursor_s, cursor_s + len(samples) / rate_hz))
        pause_s = 1.0 + 0.6 * ((i * 7) % 5) / 4
        pieces += [samples, np.zeros(int(pause_s * rate_hz))]
        cursor_s += len(samples) / rate_hz + pause_s
    data = (np.clip(np.concatenate(pieces), -1, 1) * 32767).astype("<i2").tobytes()
    audio.write_pcm(path, data, rate_hz)
    return truth, english, spanish


def audio_sound_bounds(samples, rate_hz):
    from pipeline.audio.vad import sound_bounds

    return sound_bounds(samples, rate_hz)


def test_three_minutes_dubbed_offline_start_every_line_within_100_ms_with_matching_subtitles(
        pipeline, tmp_path):
    truth, english, spanish = _espeak_talk(tmp_path / "talk.wav")
    sentences = [(a, b, text) for (a, b), text in zip(truth, english, strict=True)]
    fakes.INSTANCES.update(stt=UntimedTranscriber(sentences),
                           llm=TableTranslator(dict(zip(english, spanish, strict=True))))
    request = TaskRequest.of(tmp_path / "talk.wav", target_language="es", stt_model="fake_stt",
                             llm_model="fake_llm", voice_vendor="espeak", output_format="wav")
    try:
        result = pipeline.run(request)
    finally:
        fakes.INSTANCES.clear()
    assert result.status is TaskStatus.SUCCEEDED, result.error
    assert 170 < result.input_duration_s < 200
    init, stt = result.steps[0], result.steps[1]
    assert stt.started_at < init.finished_at  # the first 30 s were sent while the rest decoded
    assert [s.text for s in result.transcript.segments] == english
    for segment, (start_s, _) in zip(result.transcript.segments, truth, strict=True):
        assert segment.start_s == pytest.approx(start_s, abs=0.1)
    report = result.timing
    assert report.mode == "keep" and len(report.segments) == len(english)
    assert report.max_speed_factor <= 1.3
    for timing, (start_s, _) in zip(report.segments, truth, strict=True):
        assert abs(timing.placed_start_s - start_s) <= 0.1
    onsets = [a for a, _ in audio.speech_spans(result.output_path, min_silence_s=0.5)]
    for timing in report.segments:
        assert min(abs(o - timing.placed_start_s) for o in onsets) <= 0.1
    assert abs(audio.wav_info(result.output_path).duration_s - result.input_duration_s) <= (
        0.02 * result.input_duration_s)
    files = {(f.kind, f.format): f.path for f in result.subtitles}
    assert set(files) == {("transcript", "srt"), ("transcript", "vtt"),
                          ("translation", "srt"), ("translation", "vtt")}
    for kind, texts in (("transcript", english), ("translation", spanish)):
        for fmt in ("srt", "vtt"):
            cues = parse_subtitles(files[(kind, fmt)].read_text(encoding="utf-8"))
            assert [c.text for c in cues] == texts
            for cue, timing in zip(cues, report.segments, strict=True):
                assert cue.start_s == pytest.approx(timing.placed_start_s, abs=0.001)
                assert cue.end_s == pytest.approx(timing.placed_start_s + timing.dubbed_s, abs=0.001)


def test_a_cancel_leaves_finished_steps_succeeded_and_stops_only_the_running_one(
        pipeline, vendors, speech):
    cancel, voice = threading.Event(), vendors[2]
    speak = voice.speak

    def speak_then_cancel(text, spoken_voice, language):
        cancel.set()  # the user cancels while the first line is being spoken
        return speak(text, spoken_voice, language)

    voice.speak = speak_then_cancel
    result = pipeline.run(_request(speech), cancel=cancel)
    assert result.status is TaskStatus.CANCELED
    assert _statuses(result) == {"initialization": "succeeded", "speech_to_text": "succeeded",
                                 "translation": "succeeded", "voice_clone": "succeeded",
                                 "text_to_speech": "failed"}
    assert result.steps[-1].error == "The task was canceled."


def test_a_recording_over_five_minutes_takes_its_voice_from_the_first_five(pipeline, vendors, tmp_path):
    source = write_speechlike_wav(tmp_path / "talk.wav", duration_s=330.0)
    result = pipeline.run(_request(source, timing="natural", output_format="wav"))
    assert result.status is TaskStatus.SUCCEEDED, result.error
    assert result.reference.end_s <= 300.0 and result.reference.duration_s >= 25.0
    assert len(vendors[0].calls) >= 2  # transcribed in pieces while it decoded


def test_subtitles_are_copied_beside_the_audio_copy_heard_words_first(pipeline, vendors, speech, tmp_path):
    from pipeline.runner import copy_output, copy_subtitles

    result = pipeline.run(_request(speech))
    target = tmp_path / "out" / "talk.es.mp3"
    copy_output(result, target)
    copies = {(c.kind, c.format): c.path.name for c in copy_subtitles(result, target)}
    assert copies == {("translation", "srt"): "talk.es.srt", ("translation", "vtt"): "talk.es.vtt",
                      ("transcript", "srt"): "talk.es.en.srt", ("transcript", "vtt"): "talk.es.en.vtt"}
    assert parse_subtitles((target.parent / "talk.es.srt").read_text())[0].text == "[es] Hello there."


def test_a_long_silent_file_still_fails_initialization_cleanly(pipeline, vendors, tmp_path):
    silent = tmp_path / "silent.wav"
    audio.write_pcm(silent, b"\x00\x00" * 16000 * 120, 16000)
    result = pipeline.run(_request(silent))
    assert result.status is TaskStatus.FAILED
    assert result.steps[0].status is StepStatus.FAILED and "no speech" in result.steps[0].error
    assert all(s.status is not StepStatus.RUNNING for s in result.steps)
    assert result.output_path is None and vendors[2].spoken == []
