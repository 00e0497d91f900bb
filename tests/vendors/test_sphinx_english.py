"""PocketSphinx refuses to pretend: speech that clearly is not English stops with a clear
message, English speech still transcribes."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import pytest

from pipeline.errors import InputError
from tests.vendors.test_sphinx import decoded, to_wav_16k_mono, transcribe_jfk
from vendors.sphinx import SphinxTranscriber
from vendors.sphinx_english import FIT_FLOOR, MIN_FRAMES, SAMPLE_FRAMES, EnglishFit


class ScoredDecoder:
    """Stands in for a decoder that has just decoded an utterance with a given score."""

    def __init__(self, log_score: float | None, frames: int = 100) -> None:
        self.log_score, self.frames = log_score, frames
        self.utterances = 0

    def start_utt(self) -> None:
        self.utterances += 1

    def process_raw(self, data: bytes, no_search: bool = False, full_utt: bool = False) -> None:
        pass

    def end_utt(self) -> None:
        pass

    def hyp(self):
        if self.log_score is None:
            return None
        return SimpleNamespace(score=math.exp(self.log_score))

    def n_frames(self) -> int:
        return self.frames


def _fit(words: float, phones: float, utterances: int, frames: int = 100) -> EnglishFit:
    """A fit over ``utterances`` utterances whose word and phone log scores are given."""
    phone = ScoredDecoder(phones)
    fit = EnglishFit(lambda: phone)
    for _ in range(utterances):
        fit.add(ScoredDecoder(words, frames), b"\0\0")
    return fit


def test_mandarin_speech_stops_with_a_message_saying_what_to_do(cosyvoice_wav: Path,
                                                                tmp_path: Path) -> None:
    wav = to_wav_16k_mono(cosyvoice_wav, tmp_path / "zh.wav")

    with pytest.raises(InputError) as caught:
        SphinxTranscriber().transcribe(decoded(wav))

    said = str(caught.value)
    assert "does not sound like English" in said
    assert "Choose the language that is spoken and a speech-to-text model that knows it." in said
    assert caught.value.param == "stt_model"


def test_english_speech_passes_the_check_and_still_transcribes(jfk_flac: Path) -> None:
    transcript = transcribe_jfk(jfk_flac)

    assert "fellow" in transcript.text and "country" in transcript.text


def test_speech_that_fits_english_words_far_worse_than_free_phones_is_refused() -> None:
    # Per 100 frames, English speech measured -0.08 to -0.11, Mandarin -0.17 to -0.20.
    fit = _fit(words=-1.1, phones=-1.0, utterances=2)

    assert fit.per_100_frames == pytest.approx(-0.1)
    assert fit.per_100_frames > FIT_FLOOR
    fit.require_english()  # English-like: nothing raised

    worse = _fit(words=-1.2, phones=-1.0, utterances=2)
    assert worse.per_100_frames == pytest.approx(-0.2)
    with pytest.raises(InputError):
        worse.require_english()


def test_too_little_speech_is_not_judged() -> None:
    fit = _fit(words=-9.0, phones=-1.0, utterances=1, frames=MIN_FRAMES - 1)

    assert fit.per_100_frames is None
    fit.require_english()


def test_utterances_without_words_are_not_scored_and_build_no_phone_decoder() -> None:
    built: list[ScoredDecoder] = []
    fit = EnglishFit(lambda: built.append(ScoredDecoder(-1.0)) or built[-1])

    fit.add(ScoredDecoder(None), b"\0\0")

    assert fit.frames == 0 and built == []


def test_only_the_first_thirty_seconds_of_speech_are_scored_with_one_phone_decoder() -> None:
    built: list[ScoredDecoder] = []

    def factory() -> ScoredDecoder:
        built.append(ScoredDecoder(-1.0))
        return built[-1]

    fit = EnglishFit(factory)
    for _ in range(50):
        fit.add(ScoredDecoder(-1.1, frames=1000), b"\0\0")

    assert len(built) == 1
    assert built[0].utterances == SAMPLE_FRAMES // 1000
    assert fit.frames == SAMPLE_FRAMES


def test_speech_stated_to_be_english_is_taken_at_its_word(cosyvoice_wav: Path,
                                                         tmp_path: Path) -> None:
    # Noisy, band-limited or synthetic English can score like another language; a user
    # who says the speech is English is believed, and only "auto" is checked.
    wav = to_wav_16k_mono(cosyvoice_wav, tmp_path / "zh.wav")

    transcript = SphinxTranscriber().transcribe(decoded(wav), language="en")

    assert transcript.language == "en"
