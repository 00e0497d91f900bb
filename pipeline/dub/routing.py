"""Speaking each voice with the vendor that made it, when speakers have vendors of their own.

With ``speaker_voices`` one dub may use several voice vendors: the run's for most
speakers, another (or another model) for a speaker the user gave one. The
:class:`~pipeline.dub.dubber.Dubber` asks one synthesizer for every line, so
:class:`VoiceRouter` is that synthesizer: each voice is registered with the (caching)
synthesizer of its vendor and model, each line goes to its voice's, and what every vendor
spent is kept apart for the result's cost lines. Every adapter is gated by its own
vendor's concurrency limit (see :class:`~pipeline.steps.context.Adapters`), so a slow
vendor never takes another's slots.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from pipeline.projects.cache import CachingSynthesizer, RenderSummary
from pipeline.types import Segment, SynthesizedAudio, Usage, Voice

__all__ = ["VoiceRouter"]


class VoiceRouter:
    """A synthesizer that speaks each registered voice with its own vendor's synthesizer.

    Args:
        default: the run's voice vendor, for every voice not registered with another.
    """

    def __init__(self, default: CachingSynthesizer) -> None:
        self.default = default
        self._routes: list[tuple[Voice, CachingSynthesizer]] = []
        self._used: dict[int, Usage] = {}
        self._lock = threading.Lock()

    def route(self, voice: Voice, synthesizer: CachingSynthesizer) -> None:
        """Speak ``voice`` with ``synthesizer`` (the voice object itself is matched)."""
        self._routes.append((voice, synthesizer))

    def synthesizer_for(self, voice: Voice) -> CachingSynthesizer:
        """The synthesizer ``voice`` is spoken with."""
        return next((s for v, s in self._routes if v is voice), self.default)

    @property
    def synthesizers(self) -> tuple[CachingSynthesizer, ...]:
        """Every synthesizer of the dub, the run's first, each once."""
        found = [self.default]
        for _, synthesizer in self._routes:
            if all(synthesizer is not known for known in found):
                found.append(synthesizer)
        return tuple(found)

    def speak(self, text: str, voice: Voice, language: str, **extra: Any) -> SynthesizedAudio:
        """Speak ``text`` with the synthesizer of ``voice``; its vendor's usage is kept."""
        synthesizer = self.synthesizer_for(voice)
        result = synthesizer.speak(text, voice, language, **extra)
        with self._lock:
            self._used[id(synthesizer)] = self._used.get(id(synthesizer), Usage()) + result.usage
        return result

    def usage_of(self, synthesizer: CachingSynthesizer) -> Usage:
        """What ``synthesizer``'s vendor was asked for in this dub (stored takes are free)."""
        with self._lock:
            return self._used.get(id(synthesizer), Usage())

    def summary(self, lines: Sequence[Segment], cost_usd: float | None) -> RenderSummary:
        """What the dub spoke and reused, over every vendor (see
        :meth:`~pipeline.projects.cache.CachingSynthesizer.summary`)."""
        parts = [s.summary(lines, cost_usd) for s in self.synthesizers]
        respoken = tuple(sorted({n for part in parts for n in part.respoken_lines}))
        said = sum(1 for s in lines if " ".join(s.text.split()))
        return RenderSummary(len(respoken), said - len(respoken), parts[0].voice_reused,
                             cost_usd, respoken)
