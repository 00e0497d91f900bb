"""The per-line cache: a dubbed line is spoken again only when what made it changed.

Every voice vendor call of a task goes through a :class:`LineCache` kept in the task's
folder (``lines/``). A line's key is the hash of what made it: its text, the language, the
voice (the hash of the reference it was cloned from, the words said in it, the vendor and
model), the vendor's speed and which take it is. The vendor's audio is stored under that
key; a later render of the same task asks the vendor only for keys it has not stored, so
an edited line is the only one spoken again and paid for. The timing slot is not part of
the stored audio's key: fitting a line to its slot is local work, done again each render
from the stored take (so a moved line costs nothing).

A voice is cloned again only when its key (the reference's bytes, the words said in it,
vendor and model) changed; a voice a vendor stores and deletes after the run
(:class:`~pipeline.vendor_api.VoiceReleaser`) is cloned each render, but its lines keep
their keys, so they are still reused.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.types import Segment, SynthesizedAudio, Voice, VoiceReference
from pipeline.vendor_api import Synthesizer, VoiceCloner, VoiceReleaser

__all__ = ["CachingCloner", "CachingSynthesizer", "LineCache", "RenderSummary",
           "last_render", "line_key", "voice_key"]

_SUMMARY = "last_render.json"


def _digest(*parts: object) -> str:
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _file_digest(path: Path | None) -> str:
    if path is None or not path.is_file():
        return ""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:32]


def voice_key(reference: VoiceReference, said: str, vendor: str, model: str) -> str:
    """The key of a cloned voice: the reference's bytes, the words said in it, vendor, model."""
    return _digest("voice", _file_digest(reference.path), " ".join(said.split()), vendor, model)


def line_key(text: str, language: str, voice: str, vendor: str, model: str,
             extra: Mapping[str, Any] | None = None, take: int = 0) -> str:
    """The key of one spoken take: text, language, voice key, vendor, model, speed, take."""
    return _digest("line", " ".join(text.split()), language, voice, vendor, model,
                   sorted((extra or {}).items()), take)


def _voice_identity(voice: Voice) -> str:
    """A voice's own key when no clone key is known (its reference bytes, not its path)."""
    return _digest("own", voice.vendor, voice.voice_id, voice.reference_text,
                   sorted(voice.profile.items()), _file_digest(voice.reference_path))


@dataclass(frozen=True, slots=True)
class RenderSummary:
    """What one render spoke and what it reused.

    Attributes:
        respoken: lines the voice vendor spoke this time.
        reused: lines whose stored audio was used as is.
        voice_reused: whether the cloned voice came from an earlier render.
        cost_usd: what the render's speech cost (None: the vendor's price is unknown).
        respoken_lines: the numbers (1-based, in the task's order) of the lines spoken.
    """

    respoken: int
    reused: int
    voice_reused: bool = False
    cost_usd: float | None = None
    respoken_lines: tuple[int, ...] = ()

    @property
    def sentence(self) -> str:
        """E.g. "3 lines re-spoken, 41 reused, $0.004" ("44 lines spoken, ..." when nothing
        was reused)."""
        said = "line" if self.respoken == 1 else "lines"
        text = (f"{self.respoken} {said} re-spoken, {self.reused} reused" if self.reused
                else f"{self.respoken} {said} spoken")
        if self.cost_usd is None:
            return text
        places = 3 if self.cost_usd == 0 or self.cost_usd >= 0.001 else 4
        return f"{text}, ${self.cost_usd:.{places}f}"

    def to_dict(self) -> dict[str, Any]:
        """The summary as JSON-ready values."""
        return {"respoken": self.respoken, "reused": self.reused,
                "voice_reused": self.voice_reused, "cost_usd": self.cost_usd,
                "respoken_lines": list(self.respoken_lines), "sentence": self.sentence}


class LineCache:
    """Stored takes and voices of one task, under ``folder`` (content-addressed files)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._voices: dict[str, str] = {}  # a voice's own key -> its clone key

    def audio(self, key: str) -> SynthesizedAudio | None:
        """The stored take under ``key``, or None."""
        meta = self.folder / f"{key}.json"
        if not meta.is_file():
            return None
        fmt = json.loads(meta.read_text("utf-8"))["format"]
        return SynthesizedAudio((self.folder / f"{key}.audio").read_bytes(), fmt)

    def store_audio(self, key: str, take: SynthesizedAudio) -> None:
        """Store ``take`` under ``key`` (the audio first, so a stored key always has audio)."""
        self._write(self.folder / f"{key}.audio", take.data)
        self._write(self.folder / f"{key}.json",
                    json.dumps({"format": take.format}).encode("utf-8"))

    def voice(self, key: str) -> Voice | None:
        """The voice cloned under ``key``, when it is stored and its reference still exists."""
        path = self.folder / "voices" / f"{key}.json"
        if not path.is_file():
            return None
        data = json.loads(path.read_text("utf-8"))
        reference = Path(data["reference_path"]) if data["reference_path"] else None
        if reference is not None and not reference.is_file():
            return None
        return Voice(data["vendor"], reference, data["reference_text"], data["voice_id"],
                     dict(data["profile"]))

    def store_voice(self, key: str, voice: Voice) -> None:
        """Store ``voice`` under its clone ``key``."""
        data = {"vendor": voice.vendor, "voice_id": voice.voice_id,
                "reference_path": str(voice.reference_path) if voice.reference_path else None,
                "reference_text": voice.reference_text, "profile": dict(voice.profile)}
        self._write(self.folder / "voices" / f"{key}.json", json.dumps(data).encode("utf-8"))

    def remember(self, voice: Voice, key: str) -> None:
        """Note that ``voice`` was made under clone ``key`` (its lines are keyed by it)."""
        with self._lock:
            self._voices[_voice_identity(voice)] = key
        self._write(self.folder / "voices" / f"own-{_voice_identity(voice)}",
                    key.encode("ascii"))

    def key_of(self, voice: Voice) -> str:
        """The clone key ``voice`` was made under, else the voice's own key."""
        own = _voice_identity(voice)
        with self._lock:
            if own in self._voices:
                return self._voices[own]
        path = self.folder / "voices" / f"own-{own}"
        return path.read_text("ascii") if path.is_file() else own

    def note_clone(self, reused: bool) -> None:
        """Note whether this render's voice was kept from an earlier one."""
        self._write(self.folder / "voices" / "last", b"1" if reused else b"0")

    def clone_reused(self) -> bool:
        """Whether the last voice step kept its voice from an earlier render."""
        path = self.folder / "voices" / "last"
        return path.is_file() and path.read_bytes() == b"1"

    def write_summary(self, summary: RenderSummary) -> None:
        """Keep ``summary`` as the task's last render (see :func:`last_render`)."""
        self._write(self.folder / _SUMMARY, json.dumps(summary.to_dict()).encode("utf-8"))

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        scratch = path.with_name(f".{path.name}.{threading.get_ident()}")
        scratch.write_bytes(data)
        os.replace(scratch, path)


def last_render(folder: Path) -> RenderSummary | None:
    """The summary of the last render of the task whose cache is ``folder``, or None."""
    path = folder / _SUMMARY
    if not path.is_file():
        return None
    data = json.loads(path.read_text("utf-8"))
    return RenderSummary(data["respoken"], data["reused"], data["voice_reused"],
                         data["cost_usd"], tuple(data["respoken_lines"]))


class CachingCloner:
    """A :class:`VoiceCloner` that clones again only when the voice's key changed.

    Args:
        inner: the vendor's cloner.
        cache: the task's line cache.
        vendor: the vendor id.
        model: the model cloning.
    """

    def __init__(self, inner: VoiceCloner, cache: LineCache, vendor: str, model: str) -> None:
        self.inner, self.cache, self.vendor, self.model = inner, cache, vendor, model
        self.reused = False

    def clone(self, reference: VoiceReference, transcript: str) -> Voice:
        """The stored voice for this reference, or a new clone (then stored)."""
        key = voice_key(reference, transcript, self.vendor, self.model)
        keeps = not isinstance(self.inner, VoiceReleaser)
        stored = self.cache.voice(key) if keeps else None
        if stored is not None:
            self.reused = True
            self.cache.remember(stored, key)
            self.cache.note_clone(True)
            return stored
        voice = self.inner.clone(reference, transcript)
        self.cache.remember(voice, key)
        self.cache.note_clone(False)
        if keeps:
            self.cache.store_voice(key, voice)
        return voice

    @property
    def releases(self) -> bool:
        """Whether the vendor stores its voices (and so deletes them after the task)."""
        return isinstance(self.inner, VoiceReleaser)

    def release(self, voice: Voice) -> None:
        """Release through the vendor (only vendors that store voices are asked)."""
        if isinstance(self.inner, VoiceReleaser):
            self.inner.release(voice)


@dataclass
class _Tally:
    takes: dict[str, int] = field(default_factory=dict)
    spoken: set[str] = field(default_factory=set)
    reused: set[str] = field(default_factory=set)


class CachingSynthesizer:
    """A :class:`Synthesizer` that asks the vendor only for takes it has not stored.

    The n-th request for the same line within one render is its n-th take (a quality
    check asking again gets a new take, stored as such), so a render repeats exactly.

    Args:
        inner: the vendor's synthesizer.
        cache: the task's line cache.
        vendor: the vendor id.
        model: the model speaking.
    """

    def __init__(self, inner: Synthesizer, cache: LineCache, vendor: str, model: str) -> None:
        self.inner, self.cache, self.vendor, self.model = inner, cache, vendor, model
        self._lock = threading.Lock()
        self._tally = _Tally()
        self._voice: tuple[Voice, str] | None = None

    def _key_of(self, voice: Voice) -> str:
        """The voice's key, worked out once per voice (its reference is read once)."""
        with self._lock:
            if self._voice is None or self._voice[0] is not voice:
                self._voice = (voice, self.cache.key_of(voice))
            return self._voice[1]

    def speak(self, text: str, voice: Voice, language: str, **extra: Any) -> SynthesizedAudio:
        """The stored take, or the vendor's (then stored); stored takes cost nothing."""
        base = " ".join(text.split())
        who = self._key_of(voice)
        first = line_key(base, language, who, self.vendor, self.model, extra)
        with self._lock:
            take = self._tally.takes.get(first, 0)
            self._tally.takes[first] = take + 1
        key = first if take == 0 else line_key(base, language, who, self.vendor, self.model,
                                               extra, take)
        stored = self.cache.audio(key)
        if stored is not None:
            with self._lock:
                self._tally.reused.add(base)
            return stored
        result = self.inner.speak(text, voice, language, **extra)
        self.cache.store_audio(key, result)
        with self._lock:
            self._tally.spoken.add(base)
        return result

    def summary(self, lines: Sequence[Segment], cost_usd: float | None) -> RenderSummary:
        """What this render spoke and reused, over the lines it was given (in order)."""
        texts = [" ".join(s.text.split()) for s in lines]
        with self._lock:
            spoken = set(self._tally.spoken)
        respoken = tuple(n for n, t in enumerate(texts, start=1) if t and t in spoken)
        said = sum(1 for t in texts if t)
        return RenderSummary(len(respoken), said - len(respoken), self.cache.clone_reused(),
                             cost_usd, respoken)
