"""Demucs separation: the real loading and separation code on a tiny model the test builds,
the weights download (from a loopback server), and the real weights when they are here."""

from __future__ import annotations

import http.server
import threading
import wave
from pathlib import Path

import numpy as np
import pytest

from pipeline.errors import ProcessingError
from pipeline.media import separation
from pipeline.media.separation import (
    HTDEMUCS_URL,
    Separator,
    download_weights,
    find_weights,
    weights_dir,
)
from tests.pipeline.media.clips import speech_track, tone_bed, write_wav
from tests.pipeline.media.tiny_demucs import save_tiny_model

pytest.importorskip("demucs")


def wav_shape(path: Path) -> tuple[int, int, int]:
    with wave.open(str(path), "rb") as reader:
        return reader.getnchannels(), reader.getframerate(), reader.getnframes()


@pytest.fixture(scope="module")
def tiny_weights(tmp_path_factory) -> Path:
    return save_tiny_model(tmp_path_factory.mktemp("weights"))


@pytest.fixture(scope="module")
def song(tmp_path_factory) -> Path:
    speech, _ = speech_track(duration_s=9.0, lines=(("The cat sat on the warm mat.", 1.0),))
    return write_wav(tmp_path_factory.mktemp("song") / "song.wav", speech + tone_bed(9.0))


def test_the_tiny_model_loads_through_demucs_own_loader_on_the_cpu(tiny_weights):
    separator = Separator(tiny_weights, device="cpu")
    model = separator.model()
    assert type(model).__name__ == "HTDemucs" and model.samplerate == 44100
    assert "vocals" in model.sources and separator.model() is model  # loaded once


def test_separation_writes_mono_vocals_and_stereo_background_at_the_model_rate(
        tiny_weights, song, tmp_path):
    progress: list[tuple[float, str]] = []
    stems = Separator(tiny_weights, device="cpu").separate(
        song, tmp_path / "stems", on_progress=lambda f, m: progress.append((f, m)))
    assert stems.sample_rate_hz == 44100 and stems.device == "cpu"
    vocals, background = wav_shape(stems.vocals), wav_shape(stems.background)
    assert vocals[:2] == (1, 44100) and background[:2] == (2, 44100)
    assert vocals[2] == background[2] == 9 * 44100  # the input's whole length, not a sample less
    assert abs(stems.duration_s - 9.0) < 1e-3
    assert progress[-1][0] == 1.0 and "Separating voice and background: 100%" in progress[-1][1]
    assert not (tmp_path / "stems" / "mix.wav").exists()


def test_long_inputs_run_in_overlapping_windows_with_the_same_length_out(
        tiny_weights, song, tmp_path, monkeypatch):
    monkeypatch.setattr(separation, "WINDOW_S", 4.0)
    progress: list[float] = []
    stems = Separator(tiny_weights, device="cpu").separate(
        song, tmp_path / "stems", on_progress=lambda f, m: progress.append(f))
    assert len(progress) == 3  # 4 s windows stepping 3 s over 9 s
    assert wav_shape(stems.vocals)[2] == wav_shape(stems.background)[2] == 9 * 44100
    with wave.open(str(stems.background), "rb") as reader:
        samples = np.frombuffer(reader.readframes(reader.getnframes()), "<i2")
    assert np.abs(samples).max() > 0  # the model's (random) estimate, not silence


def test_a_damaged_checkpoint_is_a_clear_processing_error(tmp_path):
    bad = tmp_path / "955717e8-00000000.th"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ProcessingError, match="could not be loaded"):
        Separator(bad, device="cpu").model()


class _Serve(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:  # noqa: N802 - the handler's name is http.server's
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args) -> None:
        return


def serve(body: bytes) -> tuple[str, http.server.HTTPServer]:
    handler = type("Handler", (_Serve,), {"body": body})
    server = http.server.HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", server


def test_weights_download_on_first_use_with_size_progress_and_hash_check(tiny_weights, tmp_path):
    base, server = serve(tiny_weights.read_bytes())
    try:
        lines: list[str] = []
        url = f"{base}/hybrid_transformer/{tiny_weights.name}"
        assert find_weights(tmp_path, url) is None
        path = download_weights(tmp_path, url, on_progress=lambda f, m: lines.append(m))
    finally:
        server.shutdown()
    assert path == weights_dir(tmp_path) / tiny_weights.name == find_weights(tmp_path, url)
    assert path.read_bytes() == tiny_weights.read_bytes()
    size_mb = tiny_weights.stat().st_size / 2**20
    assert lines[-1] == f"Downloading the Demucs weights: {size_mb:.1f} of {size_mb:.1f} MB"


def test_a_download_whose_hash_differs_leaves_nothing_behind(tmp_path):
    base, server = serve(b"tampered bytes")
    try:
        with pytest.raises(ProcessingError, match="hash mismatch"):
            download_weights(tmp_path, f"{base}/955717e8-8726e21a.th")
    finally:
        server.shutdown()
    assert list(weights_dir(tmp_path).iterdir()) == []


def test_the_real_htdemucs_weights_separate_speech_from_the_tone_bed(song, tmp_path):
    cached = [find_weights(folder) for folder in (Path("data"), Path.home() / ".cache")]
    weights = next((path for path in cached if path is not None), None)
    if weights is None:
        pytest.skip(f"the real htdemucs weights ({HTDEMUCS_URL.rsplit('/', 1)[-1]}) are not in "
                    "data/models/demucs: this machine cannot download them")
    stems = Separator(weights).separate(song, tmp_path / "stems")
    assert wav_shape(stems.vocals)[2] == 9 * 44100
