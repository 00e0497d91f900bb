"""``python app.py`` as a Hugging Face Space with sign-in on: Gradio's real OAuth routes work
on the page mounted into the FastAPI app (``mount_gradio_app``), against an OpenID provider
on loopback, in a process whose environment is the Space's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import ROOT
from tests.test_app import _free_port


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # the test reads each redirect itself
        return None


class Provider:
    """An OpenID provider's metadata document on 127.0.0.1 (all the login step reads)."""

    def __init__(self) -> None:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                body = json.dumps({
                    "issuer": provider.url, "authorization_endpoint": f"{provider.url}/authorize",
                    "token_endpoint": f"{provider.url}/token",
                    "userinfo_endpoint": f"{provider.url}/userinfo",
                    "jwks_uri": f"{provider.url}/jwks"}).encode()
                self.send_response(200 if self.path.endswith("openid-configuration") else 404)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def space_app(tmp_path):
    provider = Provider()
    port = _free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "APP_DATA_DIR": str(tmp_path),
           "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_DISABLE_TELEMETRY": "1",
           "SYSTEM": "spaces", "SPACE_ID": "someone/speech-translate",
           "SPACE_HOST": "someone-speech-translate.hf.space", "OAUTH_CLIENT_ID": "client-123",
           "OAUTH_CLIENT_SECRET": "secret-456", "OAUTH_SCOPES": "openid profile inference-api",
           "OPENID_PROVIDER_URL": provider.url}
    server = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    output = server.stdout.read().decode(errors="replace") \
                        if server.poll() is not None else ""
                    pytest.fail(f"app.py did not start as a Space: {output[-2000:]}")
                time.sleep(0.5)
        yield base, provider
    finally:
        server.terminate()
        server.wait(timeout=30)
        provider.server.shutdown()


def test_the_page_signs_in_through_gradios_oauth_routes_when_mounted_in_fastapi(space_app):
    base, provider = space_app
    with urllib.request.urlopen(f"{base}/", timeout=10) as page:
        html = page.read().decode()
    opener = urllib.request.build_opener(_NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as redirected:
        opener.open(f"{base}/login/huggingface?_target_url=/", timeout=10)

    assert "Sign in with Hugging Face" in html
    answer = redirected.value
    assert answer.code in (302, 307)
    location = urllib.parse.urlsplit(answer.headers["location"])
    query = urllib.parse.parse_qs(location.query)
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{provider.url}/authorize"
    assert query["client_id"] == ["client-123"]
    assert query["scope"] == ["openid profile inference-api"]
    assert query["redirect_uri"][0].startswith(
        "https://someone-speech-translate.hf.space/login/callback")
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("session=") and "secure" in cookie.lower()
