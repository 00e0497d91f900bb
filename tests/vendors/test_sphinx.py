"""PocketSphinx transcriber: real decoding of real speech, plus a stand-in decoder for edge cases."""

from __future__ import annotations

import functools
import subprocess
import tempfile
import wave
from pathlib import Path
from types import SimpleNamespace

import pytest

from pipeline.errors import ProcessingError, UnknownVendorError, UnsupportedLanguageError
from pipeline.types import DecodedAudio, Role, Transcript
from pipeline.vendor_api import Transcriber
from tests.conftest import write_tone_wav
from vendors import sphinx
from vendors.sphinx import SphinxTranscriber, TimedWord, create, words_to_segments

JFK_REFERENCE = (
    "and so my fellow americans ask not what your country can do for you "
    "ask what you can do for your country"
)
# Measured 0.18 (4 of 22 words wrong) with pocketsphinx 5.0.4 and 5.1.1.
MAX_JFK_WORD_ERROR_RATE = 0.4


def to_wav_16k_mono(source: Path, target: Path) -> Path:
    """Convert any audio file to a 16 kHz mono 16-bit WAV with the bundled ffmpeg."""
    import imageio_ffmpeg

    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-i", str(source),
         "-ac", "1", "-ar", "16000", "-sample_fmt", "s16", str(target)],
        check=True,
    )
    return target


def decoded(path: Path) -> DecodedAudio:
    with wave.open(str(path), "rb") as wav:
        return DecodedAudio(
            path, wav.getnframes() / wav.getframerate(), wav.getframerate(), wav.getnchannels()
        )


@functools.lru_cache(maxsize=1)
def transcribe_jfk(flac: Path) -> Transcript:
    """Decode the JFK clip once for all tests that look at the real result."""
    with tempfile.TemporaryDirectory() as folder:
        wav = to_wav_16k_mono(flac, Path(folder) / "jfk.wav")
        return SphinxTranscriber().transcribe(decoded(wav))


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word-level edit distance divided by the reference length."""
    ref, hyp = reference.split(), hypothesis.split()
    row = list(range(len(hyp) + 1))
    for i, ref_word in enumerate(ref, 1):
        previous, row = row, [i] + [0] * len(hyp)
        for j, hyp_word in enumerate(hyp, 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word))
    return row[-1] / len(ref)


class ScriptedDecoder:
    """Stands in for pocketsphinx.Decoder: every utterance yields the same tokens."""

    def __init__(self, tokens, frames_per_s: int = 100) -> None:
        self.config = {"samprate": 16000, "frate": frames_per_s}
        self.tokens = tokens
        self.utterance_bytes: list[int] = []

    def start_utt(self) -> None:
        self.utterance_bytes.append(0)

    def process_raw(self, data: bytes, no_search: bool = False, full_utt: bool = False) -> None:
        self.utterance_bytes[-1] += len(data)

    def end_utt(self) -> None:
        pass

    def seg(self):
        return [SimpleNamespace(word=w, start_frame=s, end_frame=e) for w, s, e in self.tokens]

    def hyp(self):
        return None  # no scores: the English check has nothing to judge


def test_jfk_speech_is_transcribed_close_to_what_was_said(jfk_flac: Path) -> None:
    transcript = transcribe_jfk(jfk_flac)

    assert word_error_rate(JFK_REFERENCE, transcript.text) < MAX_JFK_WORD_ERROR_RATE
    assert (transcript.language, transcript.vendor, transcript.model) == ("en", "sphinx", "en-us")
    assert transcript.usage.audio_s == pytest.approx(11.0, abs=0.1)


def test_jfk_segments_are_ordered_inside_the_clip_and_never_overlap(jfk_flac: Path) -> None:
    segments = transcribe_jfk(jfk_flac).segments

    assert len(segments) >= 2  # the speech has clear pauses
    assert all(0.0 <= s.start_s < s.end_s <= 11.1 for s in segments)
    assert all(a.end_s <= b.start_s for a, b in zip(segments, segments[1:], strict=False))
    assert transcribe_jfk(jfk_flac).text == " ".join(s.text for s in segments)
    assert not any(mark in s.text for s in segments for mark in "<[(")


def test_silence_gives_a_transcript_with_no_segments(tmp_path: Path) -> None:
    wav = write_tone_wav(tmp_path / "silence.wav", duration_s=2.0, amplitude=0.0)

    transcript = SphinxTranscriber().transcribe(decoded(wav))

    assert transcript.segments == ()
    assert transcript.text == ""
    assert transcript.usage.audio_s == pytest.approx(2.0)


def test_audio_at_another_sample_rate_is_refused_with_the_rate_named(tmp_path: Path) -> None:
    wav = write_tone_wav(tmp_path / "8k.wav", sample_rate_hz=8000)

    with pytest.raises(ProcessingError, match="8000 Hz instead of 16000 Hz"):
        SphinxTranscriber().transcribe(decoded(wav))


def test_stereo_audio_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "stereo.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(b"\0\0" * 2 * 1600)

    with pytest.raises(ProcessingError, match="2 channels instead of mono"):
        SphinxTranscriber().transcribe(decoded(path))


def test_a_file_that_is_not_a_wav_is_a_processing_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.wav"
    path.write_text("not audio")

    with pytest.raises(ProcessingError, match="notes.wav"):
        SphinxTranscriber().transcribe(DecodedAudio(path, 1.0, 16000))


def test_japanese_is_refused_and_points_to_a_cloud_transcriber(tmp_path: Path) -> None:
    wav = write_tone_wav(tmp_path / "tone.wav")
    builds = []

    with pytest.raises(UnsupportedLanguageError, match="English only.*cloud transcriber for Japanese"):
        SphinxTranscriber(lambda: builds.append(1)).transcribe(decoded(wav), language="ja")
    assert builds == []  # refused before loading the model


@pytest.mark.parametrize("language", [None, "en", "English", "en-US", "auto"])
def test_english_or_no_language_is_accepted(tmp_path: Path, language: str | None) -> None:
    wav = write_tone_wav(tmp_path / "silence.wav", amplitude=0.0)
    decoder = ScriptedDecoder([])

    transcript = SphinxTranscriber(lambda: decoder).transcribe(decoded(wav), language=language)

    assert transcript.language == "en"


def test_fillers_and_pronunciation_variants_never_reach_the_text(
    jfk_flac: Path, tmp_path: Path
) -> None:
    wav = to_wav_16k_mono(jfk_flac, tmp_path / "jfk.wav")
    decoder = ScriptedDecoder(
        [("<s>", 0, 9), ("ask(2)", 10, 29), ("[NOISE]", 30, 34), ("<sil>", 35, 39),
         ("not", 40, 59), ("[SPEECH]", 60, 64), ("</s>", 65, 70)],
        frames_per_s=50,
    )

    transcript = SphinxTranscriber(lambda: decoder).transcribe(decoded(wav))

    assert len(decoder.utterance_bytes) >= 2  # decoded pause by pause
    assert [s.text for s in transcript.segments] == ["ask not"] * len(decoder.utterance_bytes)
    first, later = transcript.segments[0], transcript.segments[1]
    # Frame times follow the decoder's frame rate (50/s here): 10/50 s .. 60/50 s.
    assert first.end_s - first.start_s == pytest.approx(1.0)
    assert later.start_s > 7.0  # absolute time in the file, not time within the utterance


def test_long_speech_is_fed_to_the_decoder_in_bounded_pieces(
    jfk_flac: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sphinx, "MAX_UTTERANCE_S", 2.0)
    wav = to_wav_16k_mono(jfk_flac, tmp_path / "jfk.wav")
    decoder = ScriptedDecoder([("word", 0, 9)])

    transcript = SphinxTranscriber(lambda: decoder).transcribe(decoded(wav))

    assert max(decoder.utterance_bytes) <= 2 * 16000 * 2
    assert sum(decoder.utterance_bytes) > 6 * 16000 * 2  # the speech was not dropped
    starts = [s.start_s for s in transcript.segments]
    assert starts == sorted(starts) and starts[-1] > 7.0


def test_every_call_loads_its_own_decoder(tmp_path: Path) -> None:
    wav = write_tone_wav(tmp_path / "silence.wav", amplitude=0.0)
    built: list[ScriptedDecoder] = []

    def factory() -> ScriptedDecoder:
        built.append(ScriptedDecoder([]))
        return built[-1]

    transcriber = SphinxTranscriber(factory)
    transcriber.transcribe(decoded(wav))
    transcriber.transcribe(decoded(wav))

    assert len(built) == 2


def test_words_split_into_segments_at_pauses_of_half_a_second() -> None:
    words = [
        TimedWord("ask", 0.0, 0.3), TimedWord("not", 0.7, 1.0),  # 0.4 s gap: same segment
        TimedWord("what", 1.5, 1.8), TimedWord("your", 1.8, 2.0),  # 0.5 s gap: new segment
    ]

    segments = words_to_segments(words, duration_s=2.0)

    assert [(s.start_s, s.end_s, s.text) for s in segments] == [
        (0.0, 1.0, "ask not"), (1.5, 2.0, "what your"),
    ]


def test_unbroken_speech_is_cut_into_segments_under_fifteen_seconds() -> None:
    words = [TimedWord(f"w{i}", i * 0.4, i * 0.4 + 0.4) for i in range(100)]  # 40 s, no pause

    segments = words_to_segments(words, duration_s=40.0)

    assert len(segments) == 3
    assert all(s.duration_s <= 15.0 for s in segments)
    assert " ".join(s.text for s in segments) == " ".join(w.text for w in words)


def test_segment_times_are_kept_inside_the_audio() -> None:
    segments = words_to_segments([TimedWord("country", 10.5, 11.3)], duration_s=11.0)

    assert (segments[0].start_s, segments[0].end_s) == (10.5, 11.0)


def test_the_factory_builds_a_transcriber_for_en_us(settings) -> None:
    assert isinstance(create(Role.TRANSCRIBE, "en-us", None, settings), Transcriber)


def test_the_factory_refuses_a_model_it_does_not_have(settings) -> None:
    with pytest.raises(UnknownVendorError, match="en-us"):
        create(Role.TRANSCRIBE, "fr-fr", None, settings)
