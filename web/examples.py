"""One-click examples, spoken by the app's own offline voice (no third-party audio).

The clips are synthesised once into ``APP_DATA_DIR/examples`` with the offline voice
vendor from the registry (espeak-ng in the default registry) and reused afterwards; a
clip's file name carries a digest of what it says and how, so a changed script or voice
makes a new clip. When no offline voice can run here, there are simply no examples.

The offline example is heard by the offline recogniser too, so it is made to be
understood: a short sentence of common words in a low, calm voice. Measured through the
whole keyless run (espeak-ng at 150 words per minute, this speaker, then PocketSphinx),
its transcript matched the script word for word in 20 syntheses of 20. The same voice at
160 wpm missed more than one word in 4 of 20, and the former higher voice (200 Hz at
160 wpm) in 5 of 8 ("thank you for a reason he had a wonderful day").
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.errors import AppError
from pipeline.languages import language_name
from pipeline.types import Role, Voice

if TYPE_CHECKING:
    from pipeline.runner import Pipeline
    from pipeline.vendor_api import VendorInfo

__all__ = ["SCRIPTS", "Example", "Script", "ensure_examples"]

log = logging.getLogger(__name__)

# A calm, low speaker (median pitch, 10th/90th percentiles and formant spacing, in Hz),
# close to espeak-ng's own male voice so that little is shifted.
_SPEAKER = {"f0_median_hz": 120.0, "f0_p10_hz": 99.0, "f0_p90_hz": 147.0,
            "formant_spacing_hz": 1000.0}


@dataclass(frozen=True, slots=True)
class Script:
    """What an example clip says, in which language, and where it is translated to."""

    name: str
    language: str
    text: str
    targets: tuple[str, ...]
    offline: bool = False


SCRIPTS: tuple[Script, ...] = (
    Script("welcome_en", "en", "Hello and welcome. This short recording was made on this "
           "computer by the app's own offline voice. Try a translation with one click.",
           ("es", "ja")),
    Script("travel_es", "es", "Buenos días. Hoy vamos a hablar de viajes, de comida y de "
           "música. ¡Gracias por escuchar!", ("en",)),
    Script("thanks_en", "en", "Thank you for listening. Have a wonderful day.", ("en",),
           offline=True),
)


@dataclass(frozen=True, slots=True)
class Example:
    """One clickable example: the clip and the choices it fills in."""

    title: str
    audio_path: Path
    source_language: str
    target_language: str
    stt: str = ""
    voice_vendor: str = "auto"

    def row(self) -> list[str]:
        """Values for (audio, source, target, stt, voice), the order the page uses."""
        return [str(self.audio_path), self.source_language, self.target_language, self.stt,
                self.voice_vendor]


def _offline(pipeline: Pipeline, role: Role, language: str) -> VendorInfo | None:
    registry = pipeline.registry
    for info in registry.for_role(role, language):
        state = registry.availability(info, {}, pipeline.settings)
        if info.key_variable is None and state.runnable:
            return info
    return None


def _digest(script: Script, voice_info: VendorInfo) -> str:
    """A short digest of what a clip says and how (script, language, voice, speaker)."""
    said = json.dumps([script.text, script.language, voice_info.id, _SPEAKER], sort_keys=True)
    return hashlib.sha256(said.encode()).hexdigest()[:10]


def _synthesise(pipeline: Pipeline, voice_info: VendorInfo, script: Script, path: Path) -> bool:
    if path.is_file() and path.stat().st_size > 0:
        return True
    try:
        spoken = pipeline.say(script.text, script.language,
                              Voice(voice_info.id, profile=dict(_SPEAKER)))
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        partial.write_bytes(spoken.data)
        partial.replace(path)
    except (AppError, OSError, ValueError) as exc:  # no examples is better than no page
        log.warning("example %s not made: %s", script.name, exc)
        return False
    return True


def ensure_examples(pipeline: Pipeline) -> list[Example]:
    """Make the example clips if they are missing and return the examples to show.

    The offline example names the offline transcriber and voice so that it runs without
    any key; the others leave every choice on its default.
    """
    folder = pipeline.settings.data_dir / "examples"
    examples: list[Example] = []
    for script in SCRIPTS:
        voice_info = _offline(pipeline, Role.SPEAK, script.language)
        if voice_info is None:
            continue
        path = folder / f"{script.name}-{_digest(script, voice_info)}.wav"
        if not _synthesise(pipeline, voice_info, script, path):
            continue
        for target in script.targets:
            title = f"{language_name(script.language)} → {language_name(target)}"
            if not script.offline:
                examples.append(Example(title, path, script.language, target))
                continue
            stt_info = _offline(pipeline, Role.TRANSCRIBE, script.language)
            if stt_info is None:
                continue
            stt = f"{stt_info.id}/{stt_info.default_model(Role.TRANSCRIBE)}"
            examples.append(Example(f"{title}, offline (no key)", path, script.language, target,
                                    stt, voice_info.id))
    return examples
