"""Vendor failures at the connection level: could not connect vs dropped mid-request.

Both are checked on a real loopback socket, for an ``httpx`` vendor (Fish Audio) and an
SDK vendor (the OpenAI-compatible chat translator), plus the classification itself.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import httpx2
import openai
import pytest

from pipeline.errors import VendorServerError
from pipeline.settings import Secret
from pipeline.types import Segment, TranslationContext, Voice
from tests.conftest import write_tone_wav
from vendors.errors import connection_error
from vendors.fish import FishVoice
from vendors.openai.llm import OpenAIChatTranslator

DROPPED = "dropped before the answer was complete"
UNREACHABLE = "could not connect; check the network and the base URL setting"


@pytest.fixture
def resetting_server() -> Iterator[str]:
    """A loopback server that reads the start of each request, then resets the connection."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(5.0)
            conn.recv(4096)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()  # linger 0: the peer sees a reset, not an orderly close

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join(timeout=5)
    listener.close()


@pytest.fixture
def closed_port_url() -> str:
    """A loopback URL where nothing listens (the connection is refused)."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return f"http://127.0.0.1:{port}"


def fish_speaks(base_url: str, tmp_path: Path) -> None:
    reference = write_tone_wav(tmp_path / "ref.wav", duration_s=1.0)
    voice = Voice("fish", reference_path=reference, reference_text="Hello.")
    with FishVoice(Secret("fish-key"), base_url=base_url) as adapter:
        adapter.speak("Hola a todos.", voice, "es")


def chat_translates(base_url: str) -> None:
    translator = OpenAIChatTranslator(vendor="groq", model="m", api_key=Secret("gsk_k"),
                                      base_url=f"{base_url}/v1", timeout_s=5.0)
    translator.translate([Segment(0.0, 1.0, "Hello")], "en", "es", TranslationContext())


def test_an_httpx_vendor_reports_a_reset_as_dropped_and_retryable(resetting_server, tmp_path):
    with pytest.raises(VendorServerError, match=DROPPED) as caught:
        fish_speaks(resetting_server, tmp_path)
    assert caught.value.retryable


def test_an_httpx_vendor_reports_a_refused_connection_as_could_not_connect(
    closed_port_url, tmp_path
):
    with pytest.raises(VendorServerError, match=UNREACHABLE):
        fish_speaks(closed_port_url, tmp_path)


def test_an_sdk_vendor_reports_a_reset_as_dropped_and_retryable(resetting_server):
    with pytest.raises(VendorServerError, match=DROPPED) as caught:
        chat_translates(resetting_server)
    assert caught.value.retryable and caught.value.vendor == "groq"


def test_an_sdk_vendor_reports_a_refused_connection_as_could_not_connect(closed_port_url):
    with pytest.raises(VendorServerError, match=UNREACHABLE):
        chat_translates(closed_port_url)


def _sdk_connection_error(cause: Exception) -> openai.APIConnectionError:
    request = httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions")
    try:
        try:
            raise cause
        except Exception as inner:
            raise openai.APIConnectionError(request=request) from inner
    except openai.APIConnectionError as outer:
        return outer


@pytest.mark.parametrize(("failure", "message"), [
    (httpx.ConnectError("[Errno 111] Connection refused"), UNREACHABLE),
    (httpx.ConnectError("[Errno -2] Name or service not known"), UNREACHABLE),
    (httpx.RemoteProtocolError("Server disconnected without sending a response."), DROPPED),
    (httpx.ReadError("[Errno 104] Connection reset by peer"), DROPPED),
    (httpx2.WriteError("[Errno 32] Broken pipe"), DROPPED),
    (ConnectionResetError(104, "Connection reset by peer"), DROPPED),
    (socket.gaierror(-2, "Name or service not known"), UNREACHABLE),
    (_sdk_connection_error(httpx2.RemoteProtocolError("peer closed connection")), DROPPED),
    (_sdk_connection_error(httpx2.ConnectError("refused")), UNREACHABLE),
    (openai.APIConnectionError(request=httpx2.Request("GET", "http://x")), UNREACHABLE),
])
def test_connection_failures_are_told_apart(failure, message):
    error = connection_error("openai", failure)
    assert message in str(error) and str(error).startswith("openai: ")
    assert error.retryable
