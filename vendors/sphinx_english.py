"""Whether speech sounds like English to PocketSphinx, judged by its own scores.

PocketSphinx knows only English: given speech in another language it still returns
English words, with nothing to say they are nonsense. This check compares, utterance by
utterance, the score of the best sequence of English *words* with the score of the best
free sequence of English *phones* (the phone model bundled with the same acoustic model),
per frame. English speech is explained almost as well by words as by free phones; speech
in another language fits English words much worse than it fits free phones.

Measured with pocketsphinx 5.1.1, as the word score minus the phone score per 100 frames
of 10 ms: a 1961 English speech (JFK, 11 s) -0.08 to -0.11, also sped up, slowed down,
band-limited to a telephone's 300-3400 Hz or mixed with pink noise; the app's offline
example voice -0.11; Mandarin speech (3.5 s, and the same slowed or lowered in pitch)
-0.17 to -0.20. The floor sits between the two, nearer the English side's slack.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from pipeline.errors import InputError, VendorUnavailableError

__all__ = ["FIT_FLOOR", "MIN_FRAMES", "SAMPLE_FRAMES", "EnglishFit", "phone_decoder"]

FIT_FLOOR = -0.15
"""Below this word-minus-phone score per 100 frames, the speech is not English."""
MIN_FRAMES = 150
"""Less scored speech than this (1.5 s) is too little to judge."""
SAMPLE_FRAMES = 3000
"""Only the first 30 s of speech are scored (the language does not change after that)."""


def phone_decoder() -> Any:
    """A PocketSphinx decoder over free sequences of English phones (the bundled model).

    Raises:
        VendorUnavailableError: pocketsphinx or its phone model cannot be loaded.
    """
    try:
        import pocketsphinx

        return pocketsphinx.Decoder(
            allphone=pocketsphinx.get_model_path("en-us/en-us-phone.lm.bin"))
    except (ImportError, RuntimeError, ValueError) as exc:
        raise VendorUnavailableError(
            f"PocketSphinx could not load its English phone model ({exc}); reinstall "
            "pocketsphinx."
        ) from None


def _log_score(decoder: Any) -> float | None:
    """The natural log of the decoder's best path score, or None without a hypothesis."""
    hypothesis = decoder.hyp()
    if hypothesis is None or not hypothesis.score > 0:
        return None
    return math.log(hypothesis.score)


class EnglishFit:
    """Adds up, over the utterances of one recording, how well English words fit it.

    Args:
        phone_decoder_factory: builds the phone decoder (built once, when the first
            utterance with words is scored).
    """

    def __init__(self, phone_decoder_factory: Callable[[], Any] = phone_decoder) -> None:
        self._factory = phone_decoder_factory
        self._phones: Any = None
        self.frames = 0
        self._words_minus_phones = 0.0

    def add(self, decoder: Any, pcm: bytes) -> None:
        """Score one utterance that ``decoder`` has just decoded from ``pcm``."""
        if self.frames >= SAMPLE_FRAMES:
            return
        words = _log_score(decoder)
        if words is None:
            return  # nothing was recognised: nothing to judge
        if self._phones is None:
            self._phones = self._factory()
        self._phones.start_utt()
        self._phones.process_raw(pcm, full_utt=True)
        self._phones.end_utt()
        phones = _log_score(self._phones)
        if phones is None:
            return
        self.frames += int(decoder.n_frames())
        self._words_minus_phones += words - phones

    @property
    def per_100_frames(self) -> float | None:
        """Word score minus phone score per 100 frames; None while too little was scored."""
        if self.frames < MIN_FRAMES:
            return None
        return 100.0 * self._words_minus_phones / self.frames

    def require_english(self) -> None:
        """Stop when the speech is clearly not English.

        Raises:
            InputError: naming the problem and what to do instead.
        """
        fit = self.per_100_frames
        if fit is not None and fit < FIT_FLOOR:
            raise InputError(
                "This speech does not sound like English, the only language PocketSphinx "
                "(the offline recogniser) knows, so its transcript would be nonsense. "
                "Choose the language that is spoken and a speech-to-text model that knows "
                "it.",
                param="stt_model",
            )
