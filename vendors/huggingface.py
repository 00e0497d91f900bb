"""Hugging Face Inference Providers: Whisper transcription and router chat translation.

Environment: ``HF_TOKEN`` (required).
"""

from __future__ import annotations

from pipeline.types import Role
from vendors.base import VendorInfo
from vendors.languages import WHISPER_LANGUAGES

INFO = VendorInfo(
    id="huggingface",
    display_name="Hugging Face",
    roles=frozenset({Role.TRANSCRIBE, Role.TRANSLATE}),
    languages={Role.TRANSCRIBE: WHISPER_LANGUAGES, Role.TRANSLATE: None},
    key_variable="HF_TOKEN",
    models={
        Role.TRANSCRIBE: ("openai/whisper-large-v3", "openai/whisper-large-v3-turbo"),
        Role.TRANSLATE: (
            "meta-llama/Llama-3.3-70B-Instruct",
            "Qwen/Qwen2.5-72B-Instruct",
            "deepseek-ai/DeepSeek-V3",
        ),
    },
    factory="vendors.huggingface:create",
    install_hint="pip install huggingface_hub",
    label="billed by the inference provider",
    requires=("huggingface_hub",),
    docs_url="https://huggingface.co/docs/inference-providers",
    extra={"any_model": "1"},
)
