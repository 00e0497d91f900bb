"""A dialogue where the second speaker starts a second before the first ends, dubbed
offline with espeak in keep timing: both voices are heard together where they overlap."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from pipeline.audio.track import TrackWriter
from pipeline.audio.wav import read_samples, wav_rate_hz
from pipeline.dub.timing import ONSET_TOLERANCE_S
from pipeline.quality.similarity import available
from pipeline.types import Segment
from tests.pipeline.dub.crosstalk import write_crosstalk
from tests.pipeline.fake_pipeline import fake_request

pytestmark = pytest.mark.skipif(not available(), reason="resemblyzer is not installed")
NAMES = {"A": "Ann", "B": "Bob"}


@pytest.fixture
def placed(monkeypatch, tmp_path):
    """Every clip the track is given, copied before the dubber removes it: (copy, start_s)."""
    clips: list[tuple[object, float]] = []
    place = TrackWriter.place

    def spy(self, clip, start_s, **options):
        kept = tmp_path / f"placed_{len(clips)}.wav"
        shutil.copy(clip, kept)
        clips.append((kept, start_s))
        return place(self, clip, start_s, **options)

    monkeypatch.setattr(TrackWriter, "place", spy)
    return clips


def at_rate(path, rate_hz):
    samples = read_samples(path)
    assert wav_rate_hz(path) == rate_hz
    return samples


def test_the_overlap_window_holds_both_speakers_lines_mixed(runner, fake, tmp_path, placed):
    wav, truth = write_crosstalk(tmp_path / "crosstalk.wav", overlap_s=1.0)
    fake[0].segments = [Segment(round(a, 2), round(b, 2), text, NAMES[who])
                        for a, b, who, text in truth]
    result = runner.run(fake_request(wav, voice_vendor="espeak", timing="keep", speakers="auto",
                                     output_format="wav"))
    assert result.status.value == "succeeded", result.error
    first, second = result.timing.segments[:2]
    assert abs(second.placed_start_s - second.start_s) <= ONSET_TOLERANCE_S
    first_end_s = first.placed_start_s + first.dubbed_s
    assert second.placed_start_s < first_end_s - 0.5  # not pushed after A's line
    rate_hz = wav_rate_hz(result.output_path)
    out = at_rate(result.output_path, rate_hz)
    expected = np.zeros(len(out) + rate_hz)
    for clip, start_s in placed[:2]:
        samples = at_rate(clip, rate_hz)
        at = round(start_s * rate_hz)
        expected[at:at + len(samples)] += samples
    window = slice(round(second.placed_start_s * rate_hz), round(first_end_s * rate_hz))
    heard, both = out[window], expected[window]
    alone = [np.zeros_like(both), np.zeros_like(both)]
    for index, (clip, start_s) in enumerate(placed[:2]):
        samples = at_rate(clip, rate_hz)
        line = np.zeros(len(out) + rate_hz)
        line[round(start_s * rate_hz):round(start_s * rate_hz) + len(samples)] = samples
        alone[index] = line[window]
    energy = [float(np.mean(part ** 2)) for part in (heard, *alone)]
    assert min(energy[1:]) > 1e-4  # each voice speaks in the window (above -40 dBFS)
    assert min(energy[1:]) > 0.1 * energy[0]  # and is a tenth of what is heard, or more
    assert energy[0] == pytest.approx(energy[1] + energy[2], rel=0.1)
    # what is heard is the two lines summed (one voice alone would correlate at most
    # sqrt(0.9) = 0.95 with the sum)
    assert np.corrcoef(heard, both)[0, 1] > 0.98
    assert np.abs(out).max() <= 10 ** (-1 / 20) + 1e-3
