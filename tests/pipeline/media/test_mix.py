"""Mixing: the original ducked under the dub between ramps, muted on request, and the dub
over a separated background lowered under the voice; measured at the tone's frequency."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.errors import ProcessingError
from pipeline.media.mix import _gain_expression, remix, voice_over
from tests.pipeline.media.clips import (
    TONE_AMPLITUDE,
    decode_mono,
    speech_track,
    tone_bed,
    tone_level,
    write_wav,
)


@pytest.fixture(scope="module")
def parts(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mix")
    speech, spans = speech_track()
    dub = write_wav(folder / "dub.wav", speech)
    bed = write_wav(folder / "bed.wav", tone_bed(len(speech) / 22050))
    return folder, dub, bed, spans


def db(ratio: float) -> float:
    return 20 * np.log10(max(ratio, 1e-12))


def under_and_between(path, spans) -> tuple[float, float]:
    samples = decode_mono(path)
    under = np.mean([tone_level(samples, a + 0.3, b - 0.3) for a, b in spans])
    gaps = [(spans[i][1] + 0.4, spans[i + 1][0] - 0.4) for i in range(len(spans) - 1)]
    between = np.mean([tone_level(samples, a, b) for a, b in gaps])
    return under, between


def test_voice_over_keeps_the_original_between_lines_and_18_db_lower_under_them(parts):
    folder, dub, bed, spans = parts
    out = voice_over(dub, bed, folder / "voice_over.mp3", "mp3", spans, -18.0)
    under, between = under_and_between(out, spans)
    assert between > 0.2 * TONE_AMPLITUDE  # the bed is there between the lines
    assert -19.5 < db(under / between) < -16.5


def test_voice_over_can_mute_the_original_under_the_lines(parts):
    folder, dub, bed, spans = parts
    out = voice_over(dub, bed, folder / "muted.wav", "wav", spans, None)
    under, between = under_and_between(out, spans)
    assert db(under / between) < -40.0


def test_the_ramps_around_a_line_are_linear_and_short():
    expression = _gain_expression([(1.0, 2.0)], 0.1, 0.25)
    def gain(t: float) -> float:
        return eval(expression, {"clip": lambda x, lo, hi: min(max(x, lo), hi),  # noqa: S307
                                 "min": min, "t": t})
    assert gain(0.5) == 1.0 and gain(1.5) == pytest.approx(0.1)
    assert gain(0.875) == pytest.approx(0.55) and gain(2.25) == 1.0


def test_remix_lowers_the_separated_background_under_the_voice(parts):
    folder, dub, bed, spans = parts
    out = remix(dub, bed, folder / "remix.mp3", "mp3")
    under, between = under_and_between(out, spans)
    assert between > 0.2 * TONE_AMPLITUDE
    assert db(under / between) < -6.0


def test_a_mix_is_written_whole_or_not_at_all(parts):
    folder, dub, bed, spans = parts
    with pytest.raises(ProcessingError):
        remix(dub, folder / "missing.wav", folder / "broken.mp3", "mp3")
    assert not (folder / "broken.mp3").exists()
    assert not any(p.name.startswith(".broken") for p in folder.iterdir())
