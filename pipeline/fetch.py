"""Safe download of audio from a URL given by a user, and audio sniffing for uploads.

Rules (every hop, including each redirect):

- only ``http`` and ``https``; no credentials in the URL;
- the host is resolved once and every address is checked: loopback, private, link-local
  (169.254.169.254 included), multicast, reserved, unspecified, shared (CGNAT) and
  IPv4-mapped IPv6 addresses are refused unless ``allow_private`` is set;
- the connection goes to the address that was checked (no second lookup, so DNS
  rebinding cannot swap it), while ``Host`` and TLS certificate checks use the name;
- at most :data:`MAX_REDIRECTS` redirects; connect and read timeouts and an overall
  deadline; the body is streamed to disk and stopped at ``max_bytes``;
- the first bytes must look like audio before anything decodes the file.

The resolver and the connector are parameters, so tests can check the rules without
any request reaching the target.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from pipeline.errors import AudioTooLargeError, EmptyAudioError, InputError, NotAudioError

__all__ = [
    "MAX_REDIRECTS",
    "Download",
    "UnsafeUrlError",
    "UrlFetchError",
    "check_address",
    "fetch_audio",
    "sniff_audio",
    "system_resolver",
]

MAX_REDIRECTS = 5
SNIFF_BYTES = 4096
_CHUNK_BYTES = 64 * 1024
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_SHARED = ipaddress.ip_network("100.64.0.0/10")

Resolver = Callable[[str, int], list[str]]
Connector = Callable[[str, int, float], socket.socket]


class UnsafeUrlError(InputError):
    """The URL is not allowed (scheme, credentials, or an address that is not public)."""

    kind = "unsafe_url"


class UrlFetchError(InputError):
    """The URL could not be downloaded (unreachable, an HTTP error, too many redirects)."""

    kind = "url_fetch_failed"


@dataclass(frozen=True, slots=True)
class Download:
    """A downloaded file: where it is, its sniffed format, size and the final URL."""

    path: Path
    format: str
    size_bytes: int
    final_url: str


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (IPv4 and IPv6), as strings."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise UrlFetchError(f"The host {host!r} could not be resolved; check the URL.") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _connect(address: str, port: int, timeout_s: float) -> socket.socket:
    return socket.create_connection((address, port), timeout=timeout_s)


def check_address(address: str, *, allow_private: bool = False) -> None:
    """Refuse an address that is not a public unicast one.

    Raises:
        UnsafeUrlError: naming the kind of address refused.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if allow_private:
        return
    mapped = getattr(ip, "ipv4_mapped", None)
    kinds = (
        ("an IPv4-mapped IPv6", mapped is not None),
        ("a loopback", ip.is_loopback),
        ("a link-local", ip.is_link_local),
        ("a private", ip.is_private),
        ("a multicast", ip.is_multicast),
        ("a reserved", ip.is_reserved),
        ("an unspecified", ip.is_unspecified),
        ("a shared (carrier-grade NAT)", ip.version == 4 and ip in _SHARED),
        ("a non-public", not ip.is_global),
    )
    for name, hit in kinds:
        if hit:
            raise UnsafeUrlError(
                f"The URL points to {name} address ({ip}); only public http(s) addresses are "
                "fetched. Self-hosters can set APP_ALLOW_PRIVATE_URLS=1."
            )


@dataclass(frozen=True, slots=True)
class _Target:
    scheme: str
    host: str
    port: int
    path: str


def _parse(url: str) -> _Target:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise UnsafeUrlError("The URL is malformed.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        shown = scheme or "no scheme"
        raise UnsafeUrlError(f"Only http and https URLs are fetched, not {shown}.")
    if parts.username or parts.password:
        raise UnsafeUrlError("URLs with a user name or password are not fetched.")
    host = (parts.hostname or "").strip()
    if not host:
        raise UnsafeUrlError("The URL has no host.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return _Target(scheme, host, port or (443 if scheme == "https" else 80), path)


def _pick_address(target: _Target, resolver: Resolver, allow_private: bool) -> str:
    try:
        addresses = [str(ipaddress.ip_address(target.host))]
    except ValueError:
        addresses = resolver(target.host, target.port)
    if not addresses:
        raise UrlFetchError(f"The host {target.host!r} has no address.")
    for address in addresses:  # every address must pass: any one may be used
        check_address(address, allow_private=allow_private)
    return addresses[0]


class _PinnedHTTP(http.client.HTTPConnection):
    """An HTTP connection to a fixed, already-checked address."""

    def __init__(self, host: str, port: int, address: str, connector: Connector,
                 timeouts: tuple[float, float]) -> None:
        super().__init__(host, port, timeout=timeouts[1])
        self._address, self._connector, self._timeouts = address, connector, timeouts

    def connect(self) -> None:
        self.sock = self._connector(self._address, self.port, self._timeouts[0])
        self.sock.settimeout(self._timeouts[1])


class _PinnedHTTPS(_PinnedHTTP):
    """HTTPS to a fixed address; the certificate is checked against the host name."""

    def connect(self) -> None:
        super().connect()
        context = ssl.create_default_context()
        self.sock = context.wrap_socket(self.sock, server_hostname=self.host)


def sniff_audio(head: bytes) -> str | None:
    """The audio container the first bytes announce (``"mp3"``, ``"wav"``...), else None."""
    if head[4:8] == b"ftyp":
        return "m4a"
    data = head.lstrip(b"\x00")  # some MP3 files start with padding
    if data[:3] == b"ID3":
        return "mp3"
    if data[:4] == b"RIFF" and data[8:12] in (b"WAVE", b"RF64"):
        return "wav"
    if data[:4] in (b"RF64", b"BW64"):
        return "wav"
    checks = ((b"fLaC", "flac"), (b"OggS", "ogg"), (b"\x1a\x45\xdf\xa3", "webm"),
              (b"#!AMR", "amr"), (b".snd", "au"), (b"caff", "caf"),
              (b"\x30\x26\xb2\x75\x8e\x66\xcf\x11", "wma"))
    for magic, name in checks:
        if data.startswith(magic):
            return name
    if data[:4] == b"FORM" and data[8:12] in (b"AIFF", b"AIFC"):
        return "aiff"
    if len(data) >= 2 and data[0] == 0xFF:
        if data[1] & 0xF6 == 0xF0:  # ADTS AAC
            return "aac"
        if data[1] & 0xE0 == 0xE0 and data[1] & 0x18 != 0x08 and data[1] & 0x06 != 0:
            return "mp3"  # MPEG audio frame sync
    return None


class _Sink:
    """Streams a body to disk under a size cap, sniffing its first bytes."""

    def __init__(self, path: Path, max_bytes: int, deadline: float) -> None:
        self.path, self.max_bytes, self.deadline = path, max_bytes, deadline
        self.size_bytes = 0
        self.format: str | None = None

    def consume(self, response: http.client.HTTPResponse) -> None:
        declared = response.getheader("Content-Length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            raise _too_large(self.max_bytes)
        head = b""
        with self.path.open("wb") as out:
            while chunk := response.read(_CHUNK_BYTES):
                if time.monotonic() > self.deadline:
                    raise UrlFetchError("The download took too long and was stopped.")
                self.size_bytes += len(chunk)
                if self.size_bytes > self.max_bytes:
                    raise _too_large(self.max_bytes)
                if self.format is None:
                    head += chunk
                    if len(head) >= SNIFF_BYTES:
                        self._sniff(head)
                out.write(chunk)
        if self.size_bytes == 0:
            raise EmptyAudioError("The URL returned an empty file (0 bytes).")
        if self.format is None:
            self._sniff(head)

    def _sniff(self, head: bytes) -> None:
        self.format = sniff_audio(head[:SNIFF_BYTES])
        if self.format is None:
            raise NotAudioError(
                "The URL did not return audio (MP3, WAV, FLAC, M4A, OGG, WebM or MP4 expected)."
            )


def _too_large(max_bytes: int) -> AudioTooLargeError:
    return AudioTooLargeError(
        f"The file is larger than the {max_bytes // (1024 * 1024)} MB limit (APP_MAX_UPLOAD_MB)."
    )


def fetch_audio(
    url: str,
    destination: Path,
    *,
    max_bytes: int,
    allow_private: bool = False,
    resolver: Resolver = system_resolver,
    connector: Connector = _connect,
    connect_timeout_s: float = 10.0,
    read_timeout_s: float = 30.0,
    total_timeout_s: float = 600.0,
) -> Download:
    """Download audio from ``url`` to ``destination`` under the rules in the module docstring.

    Raises:
        UnsafeUrlError: a scheme, a credential or an address that is not allowed.
        UrlFetchError: unreachable, an HTTP error status, too many redirects, too slow.
        AudioTooLargeError, EmptyAudioError, NotAudioError: the body cannot be used.
    """
    deadline = time.monotonic() + total_timeout_s
    current = url
    for _hop in range(MAX_REDIRECTS + 1):
        target = _parse(current)
        address = _pick_address(target, resolver, allow_private)
        kind = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
        connection = kind(target.host, target.port, address, connector,
                          (connect_timeout_s, read_timeout_s))
        try:
            outcome = _request(connection, target, destination, max_bytes, deadline)
        finally:
            connection.close()
        if isinstance(outcome, _Sink):
            return Download(destination, outcome.format or "bin", outcome.size_bytes, current)
        current = urljoin(current, outcome)
    destination.unlink(missing_ok=True)
    raise UrlFetchError(f"The URL redirected more than {MAX_REDIRECTS} times.")


def _request(connection: _PinnedHTTP, target: _Target, destination: Path, max_bytes: int,
             deadline: float) -> str | _Sink:
    """One hop: the redirect location, or the sink once the body is on disk."""
    try:
        connection.request("GET", target.path, headers={
            "User-Agent": "speech-translate/1 (+audio fetch)", "Accept": "audio/*, */*;q=0.5",
            "Accept-Encoding": "identity"})
        response = connection.getresponse()
        if response.status in _REDIRECTS:
            location = response.getheader("Location")
            if not location:
                raise UrlFetchError("The URL redirected without saying where to.")
            return location
        if response.status >= 400:
            raise UrlFetchError(f"The URL answered HTTP {response.status}; check that it is "
                                "public and points to an audio file.")
        sink = _Sink(destination, max_bytes, deadline)
        try:
            sink.consume(response)
        except BaseException:
            destination.unlink(missing_ok=True)
            raise
        return sink
    except TimeoutError:
        raise UrlFetchError("The URL did not answer in time.") from None
    except ssl.SSLError:
        raise UrlFetchError("The secure connection to the URL failed (certificate or TLS).") from None
    except (OSError, http.client.HTTPException):
        raise UrlFetchError("The URL could not be reached.") from None
