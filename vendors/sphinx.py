"""CMU PocketSphinx: offline English speech recognition with word timings, no key.

Uses the US English model bundled in the ``pocketsphinx`` wheel. Accuracy is well below
the cloud models; it exists so the pipeline runs end to end without any key.
"""

from __future__ import annotations

from pipeline.types import Role
from vendors.base import VendorInfo

INFO = VendorInfo(
    id="sphinx",
    display_name="PocketSphinx (offline)",
    roles=frozenset({Role.TRANSCRIBE}),
    languages={Role.TRANSCRIBE: frozenset({"en"})},
    key_variable=None,
    models={Role.TRANSCRIBE: ("en-us",)},
    factory="vendors.sphinx:create",
    install_hint="pip install pocketsphinx",
    label="offline, English only",
    requires=("pocketsphinx",),
    docs_url="https://github.com/cmusphinx/pocketsphinx",
)
