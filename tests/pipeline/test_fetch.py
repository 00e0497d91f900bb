"""Safe URL download: unsafe targets are refused before any connection, caps hold, redirects are re-checked."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from pipeline import audio
from pipeline.errors import AudioTooLargeError, EmptyAudioError, NotAudioError
from pipeline.fetch import UnsafeUrlError, UrlFetchError, fetch_audio, sniff_audio
from tests.conftest import write_tone_wav
from tests.web.loopback import Answer, Loopback

PUBLIC_IP = "93.184.216.34"


class Recorder:
    """A resolver and a connector that record calls; the connector may forward to loopback."""

    def __init__(self, names: dict[str, list[str]] | None = None, forward_port: int | None = None):
        self.names = names or {}
        self.forward_port = forward_port
        self.resolved: list[str] = []
        self.connected: list[tuple[str, int]] = []

    def resolve(self, host: str, port: int) -> list[str]:
        self.resolved.append(host)
        return self.names.get(host, [])

    def connect(self, address: str, port: int, timeout_s: float) -> socket.socket:
        self.connected.append((address, port))
        if self.forward_port is None:
            raise AssertionError(f"no connection may be made, but one went to {address}")
        return socket.create_connection(("127.0.0.1", self.forward_port), timeout=timeout_s)


@pytest.fixture(scope="module")
def mp3_bytes(tmp_path_factory) -> bytes:
    folder = tmp_path_factory.mktemp("mp3")
    tone = write_tone_wav(folder / "tone.wav", duration_s=1.0)
    return audio.encode(tone, folder / "tone.mp3", "mp3").read_bytes()


def _fetch(url: str, tmp_path: Path, recorder: Recorder, **options):
    values = dict(max_bytes=1024 * 1024, resolver=recorder.resolve, connector=recorder.connect)
    values.update(options)
    return fetch_audio(url, tmp_path / "download", **values)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/secret.mp3",
    "http://[::1]/",
    "http://169.254.169.254/latest/meta-data",
    "http://10.0.0.1/",
    "http://192.168.1.20/a.mp3",
    "http://[::ffff:127.0.0.1]/",
    "http://0.0.0.0/",
    "http://224.0.0.1/",
    "http://100.64.0.1/",
    "http://[fe80::1]/",
    "http://[fd00::1]/",
])
def test_urls_with_unsafe_literal_addresses_are_refused_without_any_request(url, tmp_path):
    recorder = Recorder()
    with pytest.raises(UnsafeUrlError, match="only public"):
        _fetch(url, tmp_path, recorder)
    assert recorder.connected == [] and recorder.resolved == []


@pytest.mark.parametrize("url, reason", [
    ("file:///etc/passwd", "not file"),
    ("ftp://example.com/a.mp3", "not ftp"),
    ("gopher://example.com/", "not gopher"),
    ("example.com/a.mp3", "no scheme"),
    ("http://user:pw@example.com/a.mp3", "user name or password"),
    ("http:///a.mp3", "no host"),
])
def test_urls_with_other_schemes_or_credentials_are_refused(url, reason, tmp_path):
    recorder = Recorder({"example.com": [PUBLIC_IP]})
    with pytest.raises(UnsafeUrlError, match=reason):
        _fetch(url, tmp_path, recorder)
    assert recorder.connected == []


def test_a_hostname_resolving_to_a_private_address_is_refused_before_connecting(tmp_path):
    recorder = Recorder({"media.example.com": [PUBLIC_IP, "10.20.30.40"]})
    with pytest.raises(UnsafeUrlError, match="private address"):
        _fetch("https://media.example.com/talk.mp3", tmp_path, recorder)
    assert recorder.resolved == ["media.example.com"] and recorder.connected == []


def test_a_public_looking_url_that_redirects_to_loopback_is_refused(tmp_path, mp3_bytes):
    with Loopback({"/secret.mp3": Answer(200, mp3_bytes)}) as inner:
        with Loopback({"/talk.mp3": Answer(302, headers={"Location": inner.url("/secret.mp3")})}) as outer:
            recorder = Recorder({"media.example.com": [PUBLIC_IP]}, forward_port=outer.port)
            with pytest.raises(UnsafeUrlError, match="loopback"):
                _fetch("http://media.example.com/talk.mp3", tmp_path, recorder)
    assert outer.hits == ["/talk.mp3"]
    assert inner.hits == []
    assert recorder.connected == [(PUBLIC_IP, 80)]


def test_the_connection_goes_to_the_address_that_was_checked(tmp_path, mp3_bytes):
    with Loopback({"/talk.mp3": Answer(200, mp3_bytes, {"Content-Type": "audio/mpeg"})}) as server:
        recorder = Recorder({"media.example.com": [PUBLIC_IP]}, forward_port=server.port)
        download = _fetch("http://media.example.com/talk.mp3", tmp_path, recorder)
    assert recorder.resolved == ["media.example.com"]
    assert recorder.connected == [(PUBLIC_IP, 80)]
    assert download.format == "mp3" and download.path.read_bytes() == mp3_bytes


def test_self_hosters_may_fetch_from_loopback_through_redirects(tmp_path, mp3_bytes):
    routes = {f"/hop{n}": Answer(301, headers={"Location": f"/hop{n + 1}"}) for n in range(4)}
    routes["/hop4"] = Answer(200, mp3_bytes)
    with Loopback(routes) as server:
        download = fetch_audio(server.url("/hop0"), tmp_path / "d", max_bytes=10**7,
                               allow_private=True)
    assert download.size_bytes == len(mp3_bytes) and download.final_url.endswith("/hop4")


def test_more_than_five_redirects_are_refused(tmp_path):
    routes = {f"/r{n}": Answer(302, headers={"Location": f"/r{n + 1}"}) for n in range(7)}
    with Loopback(routes) as server:
        with pytest.raises(UrlFetchError, match="more than 5 times"):
            fetch_audio(server.url("/r0"), tmp_path / "d", max_bytes=10**7, allow_private=True)
    assert len(server.hits) == 6


def test_a_body_over_the_cap_is_stopped_whether_or_not_its_length_is_declared(tmp_path, mp3_bytes):
    big = mp3_bytes * 40
    routes = {"/declared": Answer(200, big), "/streamed": Answer(200, big, send_length=False)}
    with Loopback(routes) as server:
        for path in routes:
            with pytest.raises(AudioTooLargeError, match="APP_MAX_UPLOAD_MB"):
                fetch_audio(server.url(path), tmp_path / "d", max_bytes=len(mp3_bytes) * 2,
                            allow_private=True)
            assert not (tmp_path / "d").exists()


def test_a_page_that_is_not_audio_an_empty_body_and_a_404_are_refused(tmp_path):
    routes = {"/page.mp3": Answer(200, b"<!doctype html><html><body>hi</body></html>" * 50),
              "/empty.mp3": Answer(200, b"")}
    with Loopback(routes) as server:
        with pytest.raises(NotAudioError, match="did not return audio"):
            fetch_audio(server.url("/page.mp3"), tmp_path / "d", max_bytes=10**7, allow_private=True)
        with pytest.raises(EmptyAudioError):
            fetch_audio(server.url("/empty.mp3"), tmp_path / "d", max_bytes=10**7, allow_private=True)
        with pytest.raises(UrlFetchError, match="HTTP 404"):
            fetch_audio(server.url("/missing.mp3"), tmp_path / "d", max_bytes=10**7,
                        allow_private=True)


def test_an_unreachable_host_is_a_clear_error(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(UrlFetchError, match="could not be reached"):
        fetch_audio(f"http://127.0.0.1:{port}/a.mp3", tmp_path / "d", max_bytes=10,
                    allow_private=True, connect_timeout_s=2.0)


@pytest.mark.parametrize("fmt", ["mp3", "wav", "flac", "ogg", "m4a", "webm"])
def test_sniffing_recognises_real_audio_containers(fmt, tmp_path):
    tone = write_tone_wav(tmp_path / "tone.wav", duration_s=0.5)
    encoded = audio.encode(tone, tmp_path / f"encoded.{fmt}", fmt)
    assert sniff_audio(encoded.read_bytes()[:4096]) is not None


@pytest.mark.parametrize("head", [b"", b"hello, this is text\n", b"%PDF-1.7", b"\x89PNG\r\n\x1a\n",
                                  b"<html>", b"{\"json\": true}"])
def test_sniffing_rejects_what_is_not_audio(head):
    assert sniff_audio(head) is None
