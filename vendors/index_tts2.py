"""IndexTTS2: zero-shot voice cloning for Chinese and English.

Runs on the Hugging Face Space ``INDEXTTS2_SPACE`` (default ``IndexTeam/IndexTTS-2-Demo``,
ZeroGPU: ``HF_TOKEN`` gives it your quota) or on a self-hosted Gradio server at
``INDEXTTS2_URL`` (then no token is needed). Only the first 15 s of the reference are used.
"""

from __future__ import annotations

from pipeline.types import Role
from vendors.base import VendorInfo

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
    install_hint="pip install gradio_client",
    label="zero-shot clone, Chinese and English",
    requires=("gradio_client",),
    reference_max_s=15.0,
    docs_url="https://github.com/index-tts/index-tts",
    extra={"default_space": "IndexTeam/IndexTTS-2-Demo"},
)
