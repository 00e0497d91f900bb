"""Chatterbox Multilingual (Resemble AI, MIT): zero-shot voice cloning in 23 languages.

Runs on the Hugging Face Space ``CHATTERBOX_SPACE`` (default
``ResembleAI/Chatterbox-Multilingual-TTS``, ZeroGPU: ``HF_TOKEN`` gives it your quota; a
visitor signed in with Hugging Face uses their own token) or on a self-hosted Gradio server
at ``CHATTERBOX_URL`` running the same app (then no token is needed and none is sent).

The API is the one the published app (``multilingual_app.py`` in resemble-ai/chatterbox)
offers: ``/generate_tts_audio`` takes the text (at most 300 characters, longer text is
spoken in pieces), the language code, the reference clip, exaggeration, temperature, seed
and CFG weight, and answers with one audio file. Only the first 10 s of the reference are
used by the model.
"""

from __future__ import annotations

import re
import threading
from contextlib import suppress
from pathlib import Path
from typing import Any

from pipeline.errors import (
    AppError,
    InputError,
    ProcessingError,
    UnknownVendorError,
    UnsupportedLanguageError,
    VendorResponseError,
)
from pipeline.languages import language_name
from pipeline.segmentation import split_text
from pipeline.settings import Secret, Settings
from pipeline.types import Role, SynthesizedAudio, Usage, Voice, VoiceReference
from pipeline.vendor_api import ModelLimits, Price, PriceUnit, VendorInfo
from vendors.gradio_space import (
    ClientFactory,
    SpaceVendor,
    choice_labels,
    client_options,
    duration_s,
    endpoint_parameters,
    first_seconds,
    map_space_error,
    result_path,
    space_client,
)

__all__ = ["GENERATE", "INFO", "LANGUAGES", "ChatterboxVoice", "create"]

MODEL = "Chatterbox-Multilingual"
# SUPPORTED_LANGUAGES of chatterbox.mtl_tts, the language_id Dropdown's choices.
LANGUAGES = frozenset({
    "ar", "da", "de", "el", "en", "es", "fi", "fr", "he", "hi", "it", "ja", "ko", "ms", "nl",
    "no", "pl", "pt", "ru", "sv", "sw", "tr", "zh",
})
MAX_TEXT_CHARS = 300
_ZEROGPU = "https://huggingface.co/docs/hub/spaces-zerogpu"

INFO = VendorInfo(
    id="chatterbox",
    display_name="Chatterbox Multilingual",
    roles=frozenset({Role.CLONE, Role.SPEAK}),
    languages={Role.CLONE: LANGUAGES, Role.SPEAK: LANGUAGES},
    key_variable="HF_TOKEN",
    self_hosted_variable="CHATTERBOX_URL",
    key_url="https://huggingface.co/settings/tokens",
    models={Role.CLONE: (MODEL,), Role.SPEAK: (MODEL,)},
    factory="vendors.chatterbox:create",
    prices=(Price(Role.SPEAK, 0.0, PriceUnit.GENERATED_SECOND,
                  f"free within your Hugging Face ZeroGPU quota ({_ZEROGPU})", "2026-12"),),
    max_concurrency=1,
    install_hint="pip install gradio_client",
    label="zero-shot clone, 23 languages, free Space quota",
    requires=("gradio_client",),
    reference_max_s=10.0,
    docs_url="https://github.com/resemble-ai/chatterbox",
    extra={"default_space": "ResembleAI/Chatterbox-Multilingual-TTS"},
    model_limits={MODEL: ModelLimits(max_text_chars=MAX_TEXT_CHARS)},
)

VENDOR = INFO.id
GENERATE = "/generate_tts_audio"
INPUT_COUNT = 7
# exaggeration, temperature, seed (0 = random), CFG/pace weight: the app's own defaults.
DEFAULTS: tuple[object, ...] = (0.5, 0.8, 0, 0.5)
_WHO = SpaceVendor(VENDOR, "CHATTERBOX_SPACE", "CHATTERBOX_URL",
                   "a self-hosted Chatterbox Multilingual server")


def create(role: Role, model: str, key: Secret | None, settings: Settings) -> ChatterboxVoice:
    """Build the Chatterbox adapter (it both clones and speaks).

    ``CHATTERBOX_URL`` (a self-hosted Gradio server) wins over ``CHATTERBOX_SPACE``.
    """
    if role not in INFO.roles:
        raise UnknownVendorError(f"{INFO.display_name} cannot {role.value}.")
    url = settings.env("CHATTERBOX_URL")
    space = settings.env("CHATTERBOX_SPACE", INFO.extra["default_space"])
    return ChatterboxVoice(url or space, key, model=model or MODEL)


class ChatterboxVoice:
    """Clones a voice from a reference clip and speaks with it through Chatterbox's Gradio API.

    Args:
        target: a Space id (``owner/name``) or the URL of a Gradio server.
        token: Hugging Face token; sent to Spaces and ``*.hf.space`` URLs only (no token
            at all is sent elsewhere, nor when it is None).
        model: the model name reported back.
        client_factory: builds the ``gradio_client.Client`` (called once, on first use).
        timeout_s: per-read network timeout given to the client.
    """

    def __init__(self, target: str, token: Secret | None = None, *, model: str = MODEL,
                 client_factory: ClientFactory | None = None, timeout_s: float = 120.0) -> None:
        self.target = target
        self.model = model
        self._token = token
        self._factory = client_factory or space_client(VENDOR)
        self._timeout_s = timeout_s
        self._lock = threading.Lock()
        self._client: Any = None
        self._offered: frozenset[str] = LANGUAGES

    def __repr__(self) -> str:
        return f"ChatterboxVoice(target={self.target!r})"

    def clone(self, reference: VoiceReference, transcript: str) -> Voice:
        """Return a voice that carries the reference (cut to its first 10 s if longer)."""
        path = Path(reference.path)
        if not path.is_file():
            raise ProcessingError(f"The voice reference {path.name} is missing.")
        if duration_s(path) > INFO.reference_max_s + 0.05:
            path = first_seconds(path, INFO.reference_max_s)
        return Voice(vendor=VENDOR, reference_path=path, reference_text=transcript)

    def speak(self, text: str, voice: Voice, language: str) -> SynthesizedAudio:
        """Speak ``text`` in ``voice``; text over 300 characters is spoken in pieces, joined."""
        if not INFO.supports(Role.SPEAK, language):
            raise UnsupportedLanguageError(
                f"{INFO.display_name} does not speak {language_name(language)} ({language}).")
        if not text.strip():
            raise InputError("There is no text to speak.")
        if voice.reference_path is None or not Path(voice.reference_path).is_file():
            raise InputError(f"{INFO.display_name} needs a voice cloned from a reference clip.")
        parts: list[tuple[Path, str]] = []
        try:
            for piece in _pieces(text.strip()):
                parts.append(self._speak_part(piece, Path(voice.reference_path), language))
            if len(parts) == 1:
                data, fmt = parts[0][0].read_bytes(), parts[0][1]
            else:
                data, fmt = _joined(parts), "wav"
        finally:
            for path, _ in parts:
                with suppress(OSError):
                    path.unlink()
        return SynthesizedAudio(data, fmt, Usage(characters=len(text)))

    def _speak_part(self, text: str, reference: Path, language: str) -> tuple[Path, str]:
        from gradio_client import handle_file

        try:
            client = self._connected()
            if language not in self._offered:
                raise UnsupportedLanguageError(
                    f"{self.target} does not offer {language_name(language)} ({language}).")
            result = client.predict(text, language, handle_file(str(reference)), *DEFAULTS,
                                    api_name=GENERATE)
        except Exception as exc:  # noqa: BLE001 - every client failure is mapped
            raise self._error(exc) from None
        path = result_path(result, VENDOR)
        return path, path.suffix.lstrip(".").lower() or "wav"

    def _connected(self) -> Any:
        with self._lock:
            if self._client is None:
                client = self._factory(self.target,
                                       **client_options(self.target, self._token, self._timeout_s))
                self._offered = _offered_languages(
                    client.view_api(return_format="dict", print_info=False), self.target)
                self._client = client
            return self._client

    def _error(self, exc: Exception) -> AppError:
        message = str(exc)
        if self._token and self._token.reveal():
            message = message.replace(self._token.reveal(), "[redacted]")
        return map_space_error(exc, message, _WHO, has_token=self._token is not None)


def _offered_languages(api: object, target: str) -> frozenset[str]:
    """The language codes the server's ``/generate_tts_audio`` accepts (its Dropdown's)."""
    params = endpoint_parameters(api, GENERATE, INPUT_COUNT, target, VENDOR,
                                 "the Chatterbox Multilingual app")
    offered = frozenset(choice_labels(params[1]))
    if not offered:
        raise VendorResponseError(
            VENDOR, f"{target}{GENERATE} does not take the language as its second input "
            "(a Dropdown of codes such as 'fr'); is it the Chatterbox Multilingual app?")
    return offered


def _pieces(text: str) -> list[str]:
    """``text`` in as few pieces of at most 300 characters as its sentences allow."""
    joiner = " " if re.search(r"\s", text) else ""
    packed: list[str] = []
    for sentence in split_text(text, MAX_TEXT_CHARS):
        if packed and len(packed[-1]) + len(joiner) + len(sentence) <= MAX_TEXT_CHARS:
            packed[-1] += joiner + sentence
        else:
            packed.append(sentence)
    return packed


def _joined(parts: list[tuple[Path, str]]) -> bytes:
    """The pieces as one WAV (each decoded to 24 kHz mono 16-bit first)."""
    from pipeline import audio
    from vendors.openai.tts import join_wavs

    waves = []
    for path, _ in parts:
        decoded = audio.decode(path, path.with_name(f"{path.stem}.joined.wav"),
                               sample_rate_hz=24000)
        waves.append(decoded.path.read_bytes())
        with suppress(OSError):
            decoded.path.unlink()
    return join_wavs(waves)
