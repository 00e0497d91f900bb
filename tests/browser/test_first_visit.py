"""A visitor's first minutes, at 1366 px and at 390 px: the offline path offered and run in
one click, a missing key said once, the dub in front, Cancel that answers, a phone layout
that fits."""

from __future__ import annotations

import re
import threading

import pytest

from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.helpers import (
    in_view,
    open_tab,
    outside_the_screen,
    pick,
    shoot,
    statuses,
    upload,
    visible_errors,
    wait_until_done,
)

expect = pytest.importorskip("playwright.sync_api").expect

WIDTHS = [pytest.param(DESKTOP, "desktop", id="1366px"), pytest.param(PHONE, "phone", id="390px")]
VARIABLES = re.compile(r"\b[A-Z][A-Z0-9]+_[A-Z0-9_]+\b")
VENDOR_IDS = ("index_tts2", "sphinx", "espeak/", "openai/", "anthropic/", "elevenlabs", "fish:")
RED = "rgb(185, 28, 28)"


@pytest.fixture
def open_page(browser):
    """Open the app at a viewport size; every context is closed afterwards."""
    contexts = []

    def opened(server, viewport):
        context = browser.new_context(viewport=viewport)
        contexts.append(context)
        tab = context.new_page()
        tab.set_default_timeout(30_000)
        tab.goto(server.url, wait_until="load")
        tab.wait_for_selector("#translate-button")
        return tab

    yield opened
    for context in contexts:
        context.close()


@pytest.mark.parametrize("viewport,name", WIDTHS)
def test_a_fresh_install_offers_the_offline_path_and_one_click_dubs_it(open_page, keyless_server,
                                                                      shots_dir, viewport, name):
    page = open_page(keyless_server, viewport)
    page.locator("#plan").get_by_text("Plan for Spanish").wait_for()
    welcome = page.locator("#welcome")
    expect(welcome).to_contain_text("Without a key, this server dubs English speech into "
                                    "English in an offline, robotic voice.")
    offline = page.get_by_role("button", name="Try it offline (English, robotic voice)")
    expect(offline).to_be_visible()
    expect(page.get_by_role("button", name="Use your own key")).to_be_visible()
    first_screen = welcome.inner_text() + page.locator("#plan").inner_text()
    assert not VARIABLES.search(first_screen), first_screen
    assert not any(vendor_id in first_screen for vendor_id in VENDOR_IDS), first_screen
    assert first_screen.count("cannot run here") == 0
    assert "English only" in page.locator("#plan").inner_text(), "auto-detect says it"
    assert not outside_the_screen(page)
    shoot(page, shots_dir, f"20-first-screen-no-key-{name}", full=False)

    offline.click()
    wait_until_done(page, timeout_ms=120_000)
    assert statuses(page) == ["succeeded", "succeeded", "skipped", "succeeded", "succeeded"]
    assert in_view(page, "#result"), "the dub is in front when the run ends"
    expect(page.locator("#dubbed-audio a.download-link")).to_have_attribute(
        "href", re.compile(r"output\.mp3$"))
    expect(page.locator("#result-summary")).to_contain_text(
        "Your dub: English · voice: espeak-ng (offline)")
    expect(page.get_by_role("button", name="Download MP3")).to_be_visible()
    assert page.get_by_role("tab", name="Transcript", exact=True).get_attribute(
        "aria-selected") == "false", "a finished run does not land on the transcript"
    shoot(page, shots_dir, f"21-offline-dub-{name}", full=False)
    open_tab(page, "Transcript")
    expect(page.locator("#transcript-table")).to_be_visible()
    assert "English (en)" in page.locator("body").inner_text()
    shoot(page, shots_dir, f"22-offline-done-full-{name}")


@pytest.mark.parametrize("viewport,name", WIDTHS)
def test_a_missing_key_is_said_once_in_the_step_list(open_page, keyless_server, speech_wav,
                                                      shots_dir, viewport, name):
    page = open_page(keyless_server, viewport)
    page.locator("#plan").get_by_text("Plan for Spanish").wait_for()
    upload(page, speech_wav)
    page.locator("#plan").get_by_text("for 6.0 s of speech").wait_for()
    page.locator("#translate-button").click()
    banner = page.locator("#steps .st-banner-error")
    banner.wait_for(timeout=60_000)
    message = banner.inner_text().removeprefix("⚠️").strip()
    assert "key" in message
    assert page.locator("body").inner_text().count(message) == 1, "said once"
    assert visible_errors(page) == [], "no toast, no red badges on empty tables"
    expect(page.locator("#result")).to_be_hidden()
    assert statuses(page)[0] == "failed" and set(statuses(page)[1:]) == {"not-run"}
    assert not outside_the_screen(page)
    page.locator("#steps").scroll_into_view_if_needed()
    shoot(page, shots_dir, f"23-missing-key-{name}", full=False)
    page.get_by_role("button", name="Use your own key").click()
    expect(page.get_by_label("ANTHROPIC_API_KEY (Anthropic Claude)")).to_be_visible()
    expect(page.get_by_label("ANTHROPIC_API_KEY (Anthropic Claude)")).to_be_in_viewport()


@pytest.mark.parametrize("viewport,name", WIDTHS)
def test_cancel_says_stopping_at_once_then_where_it_stopped(open_page, app_server, speech_wav,
                                                            shots_dir, monkeypatch, viewport,
                                                            name):
    release = threading.Event()
    original = app_server.voice.speak

    def held(text, voice, language):
        release.wait(20)
        return original(text, voice, language)

    monkeypatch.setattr(app_server.voice, "speak", held)
    page = open_page(app_server, viewport)
    upload(page, speech_wav)
    pick(page, "Voice vendor", "Fake voice · ready")
    page.locator("#translate-button").click()
    page.locator("#steps .st-step.st-running").get_by_text("5. Text to speech").wait_for()
    page.locator("#cancel-button").click()
    banner = page.locator("#steps .st-banner")
    try:
        expect(banner).to_have_text("Stopping…", timeout=5_000)
        page.locator("#steps").scroll_into_view_if_needed()
        shoot(page, shots_dir, f"24-stopping-{name}", full=False)
    finally:
        release.set()
    expect(banner).to_have_text("Canceled at text to speech.", timeout=30_000)
    assert statuses(page) == ["succeeded"] * 4 + ["canceled"]
    assert "failed" not in page.locator("#steps").inner_text()
    assert banner.evaluate("el => getComputedStyle(el).color") != RED, "neutral, not an error"
    assert visible_errors(page) == []
    page.locator("#steps").scroll_into_view_if_needed()
    shoot(page, shots_dir, f"25-canceled-{name}", full=False)


TABS = ("Translation", "Transcript", "Timeline", "Details", "Compare", "Edit & render")


@pytest.mark.parametrize("viewport,name", WIDTHS)
def test_the_results_fit_the_screen_and_every_tab_is_named(open_page, app_server, speech_wav,
                                                           shots_dir, viewport, name):
    page = open_page(app_server, viewport)
    upload(page, speech_wav)
    pick(page, "Target language", "Japanese · 日本語 (ja)", "Japan")
    pick(page, "Voice vendor", "Fake voice · ready")
    page.locator("#translate-button").click()
    wait_until_done(page)
    assert statuses(page) == ["succeeded"] * 5
    tabs = page.locator("#result-tabs [role=tab]")
    expect(tabs).to_have_count(len(TABS))
    assert [tab.inner_text() for tab in tabs.all()] == list(TABS)
    assert all(tab.is_visible() for tab in tabs.all())
    expect(page.get_by_role("button", name="More tabs")).to_have_count(0)
    for tab in TABS:
        open_tab(page, tab)
        page.wait_for_timeout(300)
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        assert outside_the_screen(page) == [], tab
        if tab in ("Translation", "Timeline", "Details"):
            page.locator("#result-tabs").scroll_into_view_if_needed()
            shoot(page, shots_dir, f"26-{tab.lower()}-{name}", full=False)
    open_tab(page, "Timeline")
    figure = page.locator("#timeline .st-timeline")
    assert figure.bounding_box()["width"] >= 700, "the timeline keeps a readable size"
    shoot(page, shots_dir, f"27-results-full-{name}")
