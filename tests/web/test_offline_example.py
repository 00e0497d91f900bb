"""The keyless example is worth hearing: the offline recogniser understands the offline
voice's clip (real espeak-ng, real PocketSphinx, the same run a visitor's click makes)."""

from __future__ import annotations

import re

import pytest

from pipeline.options import TaskRequest, parse_options
from pipeline.runner import Pipeline
from pipeline.settings import Settings
from pipeline.types import TaskStatus
from vendors.registry import default_registry
from web.examples import SCRIPTS, ensure_examples

MAX_WORD_ERROR_RATE = 0.20


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Words substituted, deleted or inserted, over the words of the reference."""
    ref, hyp = _words(reference), _words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, ref_word in enumerate(ref, 1):
        previous, row = row, [i] + [0] * len(hyp)
        for j, hyp_word in enumerate(hyp, 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word))
    return row[-1] / len(ref)


def _words(text: str) -> list[str]:
    return re.sub(r"[^a-z' ]+", " ", text.lower()).split()


@pytest.fixture
def pipeline(tmp_path) -> Pipeline:
    return Pipeline(default_registry(), Settings.from_env({"APP_DATA_DIR": str(tmp_path)}))


def test_word_error_rate_counts_substitutions_deletions_and_insertions():
    assert word_error_rate("Thank you, for listening.", "thank you for listening") == 0.0
    assert word_error_rate("a b c d", "a x c") == 0.5  # one substituted, one deleted
    assert word_error_rate("a b", "a b c d") == 1.0  # two inserted


def test_the_offline_example_comes_back_from_the_offline_recogniser_as_its_script(pipeline):
    example = next(e for e in ensure_examples(pipeline) if e.stt)
    script = next(s for s in SCRIPTS if s.offline)
    options = parse_options({"source_language": example.source_language,
                             "target_language": example.target_language,
                             "stt_model": example.stt, "voice_vendor": example.voice_vendor},
                            pipeline.registry)

    result = pipeline.speech_text(TaskRequest(example.audio_path, options), translate=False)

    assert result.status is TaskStatus.SUCCEEDED, result.error
    assert example.stt.startswith("sphinx/") and example.voice_vendor == "espeak"
    assert result.transcript is not None
    assert word_error_rate(script.text, result.transcript.text) <= MAX_WORD_ERROR_RATE, (
        result.transcript.text)


def test_a_clip_is_named_by_what_it_says_so_an_older_clip_is_never_reused(pipeline, tmp_path):
    stale = tmp_path / "examples" / "thanks_en.wav"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"RIFF an older voice")

    example = next(e for e in ensure_examples(pipeline) if e.stt)

    assert example.audio_path != stale
    assert re.fullmatch(r"thanks_en-[0-9a-f]{10}\.wav", example.audio_path.name)
