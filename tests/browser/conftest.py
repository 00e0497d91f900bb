"""Real-browser fixtures: Debian's Chromium driven by Playwright, the app on loopback.

No browser is ever downloaded: the tests use ``/usr/bin/chromium`` (``.ci/run`` installs it
with apt) or ``PLAYWRIGHT_CHROMIUM`` when set, and skip with the reason when neither exists.
Screenshots go to ``BROWSER_SHOTS_DIR`` (default: a temporary folder), printed at the start.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.browser.appserver import start_app
from tests.pipeline.test_runner import write_speechlike_wav

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--no-first-run",
    "--mute-audio",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def _chromium() -> str | None:
    for candidate in (os.environ.get("PLAYWRIGHT_CHROMIUM"), "/usr/bin/chromium",
                      shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


@pytest.fixture(scope="session")
def shots_dir(request) -> Path:
    """Where screenshots are saved, printed past output capture so a person can look."""
    folder = Path(os.environ.get("BROWSER_SHOTS_DIR")
                  or tempfile.mkdtemp(prefix="ui-screenshots-"))
    folder.mkdir(parents=True, exist_ok=True)
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(f"\nbrowser screenshots: {folder}")
    return folder


@pytest.fixture(scope="session")
def mic_wav(tmp_path_factory) -> Path:
    """What the fake microphone plays: speech-like bursts, 6 s, looping."""
    return write_speechlike_wav(tmp_path_factory.mktemp("mic") / "mic.wav")


@pytest.fixture(scope="session")
def browser(mic_wav):
    """Debian's Chromium, headless, with a fake microphone."""
    executable = _chromium()
    if executable is None:
        pytest.skip("no Chromium here: install it with `apt-get install -y chromium` "
                    "(or set PLAYWRIGHT_CHROMIUM); browsers are never downloaded")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable, headless=True,
            args=[*CHROMIUM_FLAGS, f"--use-file-for-fake-audio-capture={mic_wav}"])
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def app_server(tmp_path_factory):
    """The whole app on 127.0.0.1 over the fake vendors (and the offline ones)."""
    server = start_app(tmp_path_factory.mktemp("ui-data"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def keyless_server(tmp_path_factory):
    """The app with only the shipped vendors and no key at all (a fresh install)."""
    server = start_app(tmp_path_factory.mktemp("keyless-data"), with_fakes=False)
    yield server
    server.stop()


@pytest.fixture
def page(browser, app_server):
    """A fresh desktop-sized page on the app, with microphone permission."""
    context = browser.new_context(viewport=DESKTOP, permissions=["microphone"])
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    tab.goto(app_server.url, wait_until="load")
    tab.wait_for_selector("#translate-button")
    yield tab
    context.close()


@pytest.fixture
def speech_wav(tmp_path) -> Path:
    """A speech-like WAV to upload."""
    return write_speechlike_wav(tmp_path / "speech.wav")
