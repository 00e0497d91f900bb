"""IndexTTS2: zero-shot voice cloning for Chinese and English.

Runs on the Hugging Face Space ``INDEXTTS2_SPACE`` (default ``IndexTeam/IndexTTS-2-Demo``,
ZeroGPU: ``HF_TOKEN`` gives it your quota; a visitor signed in with Hugging Face uses their
own token) or on a self-hosted Gradio server at ``INDEXTTS2_URL`` (then no token is needed
and none is sent). Only the first 15 s of the reference are used.
"""

from __future__ import annotations

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
from pipeline.settings import Secret, Settings
from pipeline.types import Role, SynthesizedAudio, Usage, Voice, VoiceReference
from pipeline.vendor_api import VendorInfo
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

__all__ = ["ADVANCED_DEFAULTS", "GEN_SINGLE", "INFO", "IndexTTS2Voice", "create"]

_LANGUAGES = frozenset({"zh", "en"})

INFO = VendorInfo(
    id="index_tts2",
    display_name="IndexTTS2",
    roles=frozenset({Role.CLONE, Role.SPEAK}),
    languages={Role.CLONE: _LANGUAGES, Role.SPEAK: _LANGUAGES},
    key_variable="HF_TOKEN",
    self_hosted_variable="INDEXTTS2_URL",
    models={Role.CLONE: ("IndexTTS-2",), Role.SPEAK: ("IndexTTS-2",)},
    factory="vendors.index_tts2:create",
    max_concurrency=1,
    install_hint="pip install gradio_client",
    label="zero-shot clone, Chinese and English",
    requires=("gradio_client",),
    reference_max_s=15.0,
    docs_url="https://github.com/index-tts/index-tts",
    key_url="https://huggingface.co/settings/tokens",
    extra={"default_space": "IndexTeam/IndexTTS-2-Demo"},
)

VENDOR = INFO.id
GEN_SINGLE = "/gen_single"
INPUT_COUNT = 24
EMO_WEIGHT = 0.65
MAX_TEXT_TOKENS_PER_SEGMENT = 120
# do_sample, top_p, top_k, temperature, length_penalty, num_beams, repetition_penalty,
# max_mel_tokens: the Space's advanced inputs (param_16..param_23), at the WebUI defaults.
ADVANCED_DEFAULTS: tuple[object, ...] = (True, 0.8, 30, 0.8, 0.0, 3, 10.0, 1500)
_SAME_AS_REFERENCE = ("Same as the voice reference", "与音色参考音频相同")
_WHO = SpaceVendor(VENDOR, "INDEXTTS2_SPACE", "INDEXTTS2_URL", "a self-hosted IndexTTS2 server")


def create(role: Role, model: str, key: Secret | None, settings: Settings) -> IndexTTS2Voice:
    """Build the IndexTTS2 adapter (it both clones and speaks).

    ``INDEXTTS2_URL`` (a self-hosted Gradio server) wins over ``INDEXTTS2_SPACE``.
    """
    if role not in INFO.roles:
        raise UnknownVendorError(f"{INFO.display_name} cannot {role.value}.")
    url = settings.env("INDEXTTS2_URL")
    space = settings.env("INDEXTTS2_SPACE", INFO.extra["default_space"])
    return IndexTTS2Voice(url or space, key, model=model or INFO.default_model(role))


class IndexTTS2Voice:
    """Clones a voice from a reference clip and speaks with it through IndexTTS2's Gradio API.

    Args:
        target: a Space id (``owner/name``) or the URL of a Gradio server.
        token: Hugging Face token; sent to Spaces and ``*.hf.space`` URLs only (no token
            at all is sent elsewhere, nor when it is None).
        model: the model name reported back (IndexTTS-2).
        client_factory: builds the ``gradio_client.Client`` (called once, on first use).
        timeout_s: per-read network timeout given to the client.
    """

    def __init__(
        self,
        target: str,
        token: Secret | None = None,
        *,
        model: str = "IndexTTS-2",
        client_factory: ClientFactory | None = None,
        timeout_s: float = 120.0,
    ) -> None:
        self.target = target
        self.model = model
        self._token = token
        self._factory = client_factory or space_client(VENDOR)
        self._timeout_s = timeout_s
        self._lock = threading.Lock()
        self._client: Any = None
        self._emotion_label = ""

    def __repr__(self) -> str:
        return f"IndexTTS2Voice(target={self.target!r})"

    def clone(self, reference: VoiceReference, transcript: str) -> Voice:
        """Return a voice that carries the reference (cut to its first 15 s if longer)."""
        path = Path(reference.path)
        if not path.is_file():
            raise ProcessingError(f"The voice reference {path.name} is missing.")
        if duration_s(path) > INFO.reference_max_s + 0.05:
            path = first_seconds(path, INFO.reference_max_s)
        return Voice(vendor=VENDOR, reference_path=path, reference_text=transcript)

    def speak(self, text: str, voice: Voice, language: str) -> SynthesizedAudio:
        """Speak ``text`` in ``voice`` through ``/gen_single``; returns the Space's audio file."""
        if not INFO.supports(Role.SPEAK, language):
            raise UnsupportedLanguageError(
                f"{INFO.display_name} speaks only Chinese and English, not "
                f"{language_name(language)} ({language})."
            )
        if not text.strip():
            raise InputError("There is no text to speak.")
        if voice.reference_path is None or not Path(voice.reference_path).is_file():
            raise InputError(f"{INFO.display_name} needs a voice cloned from a reference clip.")
        from gradio_client import handle_file

        try:
            client = self._connected()
            result = client.predict(
                *self._inputs(handle_file(str(voice.reference_path)), text),
                api_name=GEN_SINGLE,
            )
        except Exception as exc:  # noqa: BLE001 - every client failure is mapped
            raise self._error(exc) from None
        path = result_path(result, VENDOR)
        data = path.read_bytes()
        with suppress(OSError):
            path.unlink()
        return SynthesizedAudio(
            data, path.suffix.lstrip(".").lower() or "wav", Usage(characters=len(text))
        )

    def _inputs(self, reference: object, text: str) -> tuple[object, ...]:
        return (
            self._emotion_label, reference, text, None, EMO_WEIGHT, *([0.0] * 8),
            "", False, MAX_TEXT_TOKENS_PER_SEGMENT, *ADVANCED_DEFAULTS,
        )

    def _connected(self) -> Any:
        with self._lock:
            if self._client is None:
                client = self._factory(self.target,
                                       **client_options(self.target, self._token, self._timeout_s))
                self._emotion_label = _emotion_label(
                    client.view_api(return_format="dict", print_info=False), self.target
                )
                self._client = client
            return self._client

    def _error(self, exc: Exception) -> AppError:
        message = str(exc)
        if self._token and self._token.reveal():
            message = message.replace(self._token.reveal(), "[redacted]")
        return map_space_error(exc, message, _WHO, has_token=self._token is not None)


def _emotion_label(api: object, target: str) -> str:
    """The label of the Radio's "same as the voice reference" mode, as the server offers it."""
    params = endpoint_parameters(api, GEN_SINGLE, INPUT_COUNT, target, VENDOR,
                                 "the IndexTTS-2 WebUI")
    named = [p for p in params if p.get("parameter_name") == "emo_control_method"]
    choices = choice_labels(named[0] if named else params[0])
    if not choices:
        raise VendorResponseError(
            VENDOR, f"{target}{GEN_SINGLE} does not start with the emotion-mode Radio "
            "(expected choices such as 'Same as the voice reference').",
        )
    known = [c for c in choices if c in _SAME_AS_REFERENCE]
    return known[0] if known else choices[0]
