"""Long inputs are cut into pieces for transcription at pauses."""

from __future__ import annotations

from itertools import pairwise

import pytest

from pipeline.audio.chunking import chunk_bounds


def test_short_audio_is_one_chunk():
    assert chunk_bounds([(0.5, 3.0)], 10.0, 600.0) == [(0.0, 10.0)]


def test_cuts_fall_in_pauses_and_respect_the_limit():
    speech = [(i * 10.0, i * 10.0 + 8.0) for i in range(30)]  # 8 s talk, 2 s pause
    bounds = chunk_bounds(speech, 300.0, 95.0)
    assert bounds[0][0] == 0.0 and bounds[-1][1] == 300.0
    for (_, a_end), (b_start, _) in pairwise(bounds):
        assert a_end == b_start
    for start, end in bounds:
        assert end - start <= 95.0
    for _, end in bounds[:-1]:
        assert end % 10 == pytest.approx(9.0)  # the middle of a 2 s pause


def test_speech_without_pauses_is_cut_hard_at_the_limit():
    assert chunk_bounds([(0.0, 250.0)], 250.0, 100.0) == [(0.0, 100.0), (100.0, 200.0), (200.0, 250.0)]
