"""A tiny, randomly initialised model of Demucs' own ``HTDemucs`` class, saved the way
Demucs saves its checkpoints, so the real loading and separation code can run on it."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

SOURCES = ["drums", "bass", "other", "vocals"]


def save_tiny_model(folder: Path, signature: str = "955717e8") -> Path:
    """Build and save a tiny ``HTDemucs`` (about 0.3 M weights) as
    ``<signature>-<sha256[:8]>.th`` in ``folder``; returns the file. Its last layers are
    scaled up so that its (random) stems are as loud as speech."""
    torch = pytest.importorskip("torch")
    htdemucs = pytest.importorskip("demucs.htdemucs")
    states = pytest.importorskip("demucs.states")
    torch.manual_seed(0)
    model = htdemucs.HTDemucs(sources=SOURCES, channels=8, depth=4, t_layers=1, segment=4,
                              t_heads=1, t_hidden_scale=1.0)
    with torch.no_grad():
        for layer in (model.decoder[-1], model.tdecoder[-1]):
            for weight in layer.parameters():
                weight.mul_(10.0)
    args, kwargs = model._init_args_kwargs
    package = {"klass": htdemucs.HTDemucs, "args": args, "kwargs": kwargs,
               "state": states.get_state(model, None)}
    buffer = io.BytesIO()
    torch.save(package, buffer)
    data = buffer.getvalue()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{signature}-{hashlib.sha256(data).hexdigest()[:8]}.th"
    path.write_bytes(data)
    return path
