"""Fake vendors a child process can rebuild: plain factories, behaviour set by variables.

Unlike :data:`tests.fakes.INSTANCES`, nothing here lives in the test's memory: each child
builds fresh adapters from :func:`create`, steered by settings variables:

- ``CHILD_GATE_DIR``: the transcriber writes ``entered`` (holding its process id) there,
  then waits until a ``release`` file appears (a run held mid-step, from another process).
- ``CHILD_HEAVY_S``: the transcriber first holds the GIL in C for about this long, in
  bursts of ~0.25 s, like PocketSphinx or Praat do.
- ``CHILD_REJECT_KEY``: the translator rejects this key with a :class:`VendorAuthError`.

The transcript's model names the process that ran it (``pid-1234``); the translation
starts with a digest of the key the translator got and whether that key was in the child's
environment, so tests can see where runs happen and what reached them without the key
itself ever being written anywhere.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path

from pipeline.errors import VendorAuthError
from pipeline.types import DecodedAudio, Role, Segment, Transcript, Translation, Usage
from tests import fakes

BURST_S = 0.25
_GATE_WAIT_S = 60.0


def key_digest(key: str) -> str:
    """The short digest the translator puts in front of its lines."""
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def _hold_the_gil(seconds: float) -> None:
    """Busy C work that never releases the GIL, in bursts of about ``BURST_S``."""
    started = time.perf_counter()
    sum(range(200_000))
    per_item_s = max(1e-9, (time.perf_counter() - started) / 200_000)
    burst = int(BURST_S / per_item_s)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        sum(range(burst))


@dataclass
class ChildTranscriber:
    """The fixed transcript of :class:`tests.fakes.FakeTranscriber`, after a gate or load."""

    gate_dir: str = ""
    heavy_s: float = 0.0

    def transcribe(self, audio: DecodedAudio, language: str | None = None) -> Transcript:
        if self.heavy_s:
            _hold_the_gil(self.heavy_s)
        if self.gate_dir:
            gate = Path(self.gate_dir)
            (gate / "entered").write_text(str(os.getpid()))
            deadline = time.monotonic() + _GATE_WAIT_S
            while not (gate / "release").exists() and time.monotonic() < deadline:
                time.sleep(0.02)
        found = fakes.FakeTranscriber().transcribe(audio, language)
        return replace(found, model=f"pid-{os.getpid()}")


@dataclass
class KeyedTranslator:
    """Prefixes lines like the fake translator, plus the key's digest and where it was."""

    key: str
    reject: str = ""

    def translate(self, segments, source_language, target_language, context) -> Translation:
        if self.reject and self.key == self.reject:
            raise VendorAuthError("fake_llm", "The fake LLM rejected the key; check it.",
                                  status_code=401)
        in_environ = self.key in os.environ.values()
        tag = f"{key_digest(self.key)} environ={'yes' if in_environ else 'no'}"
        out = tuple(Segment(s.start_s, s.end_s, f"[{tag}] {s.text}") for s in segments)
        return Translation(out, source_language, target_language, "fake_llm", "fake-llm-1",
                           Usage(input_tokens=10, output_tokens=10))


def create(role: Role, model: str, key, settings):
    """Factory the registry calls in whichever process runs the task."""
    if role is Role.TRANSCRIBE:
        return ChildTranscriber(settings.env("CHILD_GATE_DIR"),
                                float(settings.env("CHILD_HEAVY_S", "0")))
    if role is Role.TRANSLATE:
        return KeyedTranslator(key.reveal() if key is not None else "",
                               settings.env("CHILD_REJECT_KEY"))
    return fakes.FakeVoice()


_FACTORY = "tests.pipeline.tasks.child_vendors:create"
CHILD_VENDORS = tuple(replace(info, factory=_FACTORY) for info in fakes.FAKE_VENDORS)
