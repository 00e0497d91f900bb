"""Unsafe audio URLs are refused with 400 by both task routes, and nothing reaches the target."""

from __future__ import annotations

import functools
import socket

import pytest

from pipeline.fetch import fetch_audio
from tests.web.loopback import Answer, Loopback
from tests.web.support import TASK_FIELDS

PUBLIC_IP = "93.184.216.34"

UNSAFE = [
    "http://127.0.0.1/secret.mp3",
    "http://[::1]/",
    "http://169.254.169.254/latest/meta-data",
    "http://10.0.0.1/",
    "http://internal.example.test/talk.mp3",  # resolves to a private address
    "file:///etc/passwd",
    "ftp://example.test/talk.mp3",
]


class Network:
    """The fetcher's resolver and connector: records every lookup and connection."""

    def __init__(self, forward_port: int | None = None) -> None:
        self.forward_port = forward_port
        self.connected: list[str] = []

    def resolve(self, host: str, port: int) -> list[str]:
        return {"internal.example.test": ["10.9.8.7"], "media.example.test": [PUBLIC_IP],
                "example.test": [PUBLIC_IP]}.get(host, [])

    def connect(self, address: str, port: int, timeout_s: float) -> socket.socket:
        self.connected.append(address)
        if self.forward_port is None:
            raise AssertionError(f"a connection was attempted to {address}")
        return socket.create_connection(("127.0.0.1", self.forward_port), timeout=timeout_s)

    def fetcher(self):
        return functools.partial(fetch_audio, resolver=self.resolve, connector=self.connect)


def _bodies(url: str) -> list[tuple[str, dict, str]]:
    return [("/v1/tasks", {**TASK_FIELDS, "audio_url": url}, "audio_url"),
            ("/302/audio/translate/task", {"audio_file_url": url, "target_language": "es",
                                           "voice_clone_provider": "fake_voice",
                                           "stt_model": "fake_stt", "model": "fake_llm"},
             "audio_file_url")]


@pytest.mark.parametrize("url", UNSAFE)
def test_unsafe_urls_are_refused_with_400_and_no_request_is_made(make_client, vendors, url):
    network = Network()
    client = make_client(fetcher=network.fetcher())
    for path, body, param in _bodies(url):
        response = client.post(path, json=body)
        assert response.status_code == 400, (path, response.text)
        error = response.json()["error"]
        assert error["code"] == "unsafe_url" and error["param"] == param
    assert network.connected == []
    assert client.get("/v1/tasks").json()["total"] == 0


def test_a_public_looking_url_that_redirects_to_loopback_is_refused(make_client, vendors, speech_mp3):
    with Loopback({"/secret.mp3": Answer(200, speech_mp3)}) as inner:
        target = inner.url("/secret.mp3")
        with Loopback({"/talk.mp3": Answer(302, headers={"Location": target})}) as outer:
            network = Network(forward_port=outer.port)
            client = make_client(fetcher=network.fetcher())
            for path, body, _param in _bodies("http://media.example.test/talk.mp3"):
                response = client.post(path, json=body)
                assert response.status_code == 400
                assert "loopback" in response.json()["error"]["message"]
    assert inner.hits == []
    assert network.connected == [PUBLIC_IP, PUBLIC_IP]


def test_a_clone_url_is_checked_too(make_client, vendors):
    network = Network()
    client = make_client(fetcher=network.fetcher())
    with Loopback({"/a.mp3": Answer(200, b"ID3" + b"\0" * 2000)}) as server:
        network.forward_port = server.port
        response = client.post("/v1/tasks", json={
            **TASK_FIELDS, "audio_url": "http://media.example.test/a.mp3",
            "clone_audio_url": "http://169.254.169.254/latest/meta-data"})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "clone_audio_url"
    assert network.connected == [PUBLIC_IP]


def test_a_url_that_is_not_audio_is_415(make_client, vendors):
    with Loopback({"/page": Answer(200, b"<html><body>nothing</body></html>" * 200)}) as server:
        client = make_client(APP_ALLOW_PRIVATE_URLS="1")
        response = client.post("/v1/tasks", json={**TASK_FIELDS, "audio_url": server.url("/page")})
    assert response.status_code == 415
    assert response.json()["error"]["param"] == "audio_url"
