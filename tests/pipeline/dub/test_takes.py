"""The best take: a weak line is scored, spoken again within the budget, the best kept."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from pipeline.audio.wav import read_samples, wav_info
from pipeline.dub.takes import TakeJudge
from pipeline.errors import InputError
from pipeline.options import TaskRequest
from pipeline.quality.report import QualityThresholds
from pipeline.retry import RetryPolicy
from pipeline.runner import Pipeline
from pipeline.settings import Settings
from pipeline.types import Segment, SynthesizedAudio, TaskStatus, Transcript, Usage, Voice
from tests import fakes
from tests.conftest import write_tone_wav
from vendors.registry import default_registry


@dataclass
class Voiceprint:
    """What each synthetic take said, told apart by the tone's pitch (a side channel the
    fake voice and the fake checker share, like a real voice and a real recogniser)."""

    said: dict[int, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def remember(self, text: str) -> int:
        with self.lock:
            frequency_hz = 200 + 25 * len(self.said)
            self.said[frequency_hz] = text
            return frequency_hz

    def recall(self, path) -> str:
        samples = read_samples(path)
        rate_hz = wav_info(path).sample_rate_hz
        spectrum = np.abs(np.fft.rfft(samples))
        peak_hz = np.fft.rfftfreq(len(samples), 1 / rate_hz)[int(np.argmax(spectrum))]
        with self.lock:
            nearest = min(self.said, key=lambda f: abs(f - peak_hz))
            return self.said[nearest]


@dataclass
class Mumbler(fakes.FakeVoice):
    """Drops the second half of a line's words on its first ``bad_takes`` takes."""

    print: Voiceprint = field(default_factory=Voiceprint)
    bad_takes: int = 1
    takes: dict[str, int] = field(default_factory=dict)

    def speak(self, text, voice, language, **_):
        with self.lock:
            self.spoken.append((text, language))
            self.takes[text] = self.takes.get(text, 0) + 1
            take = self.takes[text]
        words = text.split()
        said = " ".join(words[: max(1, len(words) // 2)]) if take <= self.bad_takes else text
        frequency_hz = self.print.remember(said)
        return SynthesizedAudio(fakes.tone_wav_bytes(max(0.6, 0.06 * len(said)), frequency_hz),
                                "wav", Usage(characters=len(text)))


@dataclass
class Checker:
    """Hears back what the voice said (through the voiceprint)."""

    print: Voiceprint
    calls: list = field(default_factory=list)

    def transcribe(self, audio, language=None):
        self.calls.append(audio.path.name)
        heard = self.print.recall(audio.path)
        return Transcript(heard, language or "", (Segment(0.0, audio.duration_s, heard),),
                          "fake_checker", "checker-1", Usage(audio_s=audio.duration_s))


LINE = "the quick brown fox jumps over the lazy dog by the river"


def _judge(tmp_path, voice, checker, **thresholds):
    def call(fn, what):
        return fn()

    return TakeJudge(language="en", reference=None, encoder=None, checker=checker,
                     checker_name="fake_checker/checker-1", call=call, work_dir=tmp_path,
                     thresholds=QualityThresholds(**thresholds))


def _take(tmp_path, voice, text, name):
    result = voice.speak(text, Voice("fake_voice"), "en")
    path = tmp_path / f"{name}.wav"
    path.write_bytes(result.data)
    return wav_info(path)


def test_a_line_missing_half_its_words_is_flagged_retaken_and_the_better_take_kept(tmp_path):
    voice = Mumbler()
    checker = Checker(voice.print)
    judge = _judge(tmp_path, voice, checker)
    first = _take(tmp_path, voice, LINE, "first")
    kept = judge.best(0, LINE, first, lambda n: _take(tmp_path, voice, LINE, f"take{n}"))
    line = judge.report(1).lines[0]
    assert line.takes == 2 and line.kept == 2 and line.retake_reason.startswith("not understood")
    assert line.error_rate == 0.0 and kept.path.is_file() and not first.path.exists()
    assert len(checker.calls) == 2


def test_the_budget_bounds_the_retakes_and_the_best_of_the_bad_takes_is_kept(tmp_path):
    voice = Mumbler(bad_takes=99)
    judge = _judge(tmp_path, voice, Checker(voice.print), max_retakes=2, budget_min=1,
                   budget_share=0.0)
    for index in range(3):
        text = f"{LINE} number {index}"
        judge.best(index, text, _take(tmp_path, voice, text, f"l{index}"),
                   lambda n, t=text, i=index: _take(tmp_path, voice, t, f"l{i}t{n}"))
    report = judge.report(3)
    assert sum(line.takes - 1 for line in report.lines) == judge.thresholds.budget(3) == 2
    assert all(line.error_rate is not None and line.error_rate > 0.35 for line in report.lines)
    assert report.share_understood == 0.0


def test_a_voice_that_never_varies_is_scored_but_not_asked_again(tmp_path):
    voice = Mumbler()
    judge = TakeJudge(language="en", reference=None, encoder=None,
                      checker=Checker(voice.print), checker_name="c", call=lambda f, w: f(),
                      work_dir=tmp_path, takes_vary=False)
    judge.best(0, LINE, _take(tmp_path, voice, LINE, "a"), lambda n: _take(tmp_path, voice,
                                                                            LINE, f"b{n}"))
    report = judge.report(1)
    assert report.lines[0].takes == 1 and report.lines[0].error_rate > 0.35
    assert any("speaks every take the same" in note for note in report.notes)


class Refuser:
    """A recogniser that refuses the speech as not being its language (as PocketSphinx does)."""

    def transcribe(self, audio, language=None):
        raise InputError("This speech does not sound like English.")


def test_a_line_the_checker_refuses_counts_as_not_understood_and_the_dub_goes_on(tmp_path):
    voice = Mumbler(bad_takes=0)
    judge = _judge(tmp_path, voice, Refuser(), max_retakes=0)
    kept = judge.best(0, LINE, _take(tmp_path, voice, LINE, "a"), lambda n: None)
    line = judge.report(1).lines[0]
    assert kept.path.is_file() and line.error_rate == 1.0 and line.heard == ""
    assert judge.report(1).share_understood == 0.0


def test_a_dub_retakes_its_weak_line_and_reports_it(tmp_path):
    voice = Mumbler()
    checker = Checker(voice.print)
    fakes.INSTANCES.update(stt=fakes.FakeTranscriber(segments=(Segment(0.0, 2.5, LINE),)),
                           llm=fakes.FakeTranslator(), voice=voice, checker=checker)
    registry = default_registry((*fakes.FAKE_VENDORS, fakes.FAKE_CHECKER))
    pipeline = Pipeline(registry, Settings.from_env({"APP_DATA_DIR": str(tmp_path / "d")}),
                        retry=RetryPolicy(sleep=lambda _s: None))
    source = write_tone_wav(tmp_path / "in.wav", duration_s=3.0)
    try:
        result = pipeline.run(TaskRequest.of(
            source, target_language="en", source_language="en", stt_model="fake_stt",
            voice_vendor="fake_voice", quality="full", quality_stt_model="fake_checker"))
    finally:
        fakes.INSTANCES.clear()
    assert result.status is TaskStatus.SUCCEEDED, result.error
    line = result.quality.lines[0]
    assert (line.takes, line.kept, line.error_rate) == (2, 2, 0.0)
    assert [text for text, _ in voice.spoken] == [LINE, LINE]
    assert result.quality.checker == "fake_checker/checker-1"
    assert any("quality check" in c.basis for c in result.actual_cost.lines)
