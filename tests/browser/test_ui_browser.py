"""The page in a real browser: upload, record, translate, edit and re-synthesise, compare."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.helpers import (
    audio_source,
    open_tab,
    pick,
    shoot,
    statuses,
    upload,
    wait_until_done,
)

expect = pytest.importorskip("playwright.sync_api").expect

def translate_upload(page, speech_wav: Path, target_name: str, target_typed: str) -> None:
    upload(page, speech_wav)
    pick(page, "Target language", target_name, target_typed)
    pick(page, "Voice vendor", "Fake voice · ready")
    page.locator("#plan").get_by_text("Fake STT").wait_for()
    page.locator("#translate-button").click()
    wait_until_done(page)


def test_upload_choose_a_language_translate_and_read_every_tab(page, app_server, speech_wav,
                                                               shots_dir):
    shoot(page, shots_dir, "01-start-desktop")
    translate_upload(page, speech_wav, "Japanese · 日本語 (ja)", "Japan")
    assert statuses(page) == ["succeeded"] * 5
    shoot(page, shots_dir, "02-translated-desktop")

    open_tab(page, "Transcript")
    expect(page.locator("#transcript-table")).to_contain_text("Hello there.")
    open_tab(page, "Translation")
    expect(page.locator("#translation-table")).to_contain_text("[ja] Hello there.")
    source = audio_source(page.locator("#dubbed-audio"))
    assert source.startswith("http") and source.endswith("output.mp3")
    expect(page.locator("#dubbed-audio #duration")).not_to_have_text("0:00")
    open_tab(page, "Timeline")
    expect(page.locator("#timeline svg")).to_be_visible()
    shoot(page, shots_dir, "03-timeline-tab-desktop")
    open_tab(page, "Details")
    assert "fake_voice" in page.get_by_text("Vendors and why").locator("xpath=..").inner_text() \
        or "fake_voice" in page.locator("body").inner_text()
    page.set_viewport_size(PHONE)
    shoot(page, shots_dir, "04-details-phone")
    page.set_viewport_size(DESKTOP)


def test_recording_through_the_fake_microphone_is_translated(page, app_server, shots_dir):
    calls_before = len(app_server.stt.calls)
    page.locator("#speech-input").get_by_role("button", name="Record audio").click()
    page.get_by_role("button", name="Record", exact=True).click()
    page.wait_for_timeout(2500)
    page.get_by_role("button", name="Stop", exact=True).click()
    assert audio_source(page.locator("#speech-input")).startswith("http")
    pick(page, "Voice vendor", "Fake voice · ready")
    page.locator("#translate-button").click()
    wait_until_done(page)
    assert statuses(page) == ["succeeded"] * 5
    assert len(app_server.stt.calls) == calls_before + 1
    recorded = app_server.stt.calls[-1][0]
    assert recorded.duration_s > 1.0
    shoot(page, shots_dir, "05-recorded-desktop")


def test_editing_a_segment_and_resynthesising_reruns_only_the_voice_steps(
        page, app_server, speech_wav, shots_dir):
    translate_upload(page, speech_wav, "Spanish · Español (es)", "Span")
    open_tab(page, "Translation")
    table = page.locator("#translation-table")
    cell = table.get_by_text("[es] Goodbye.", exact=True)
    cell.dblclick()
    editor = table.locator("textarea, input").first
    editor.fill("Adiós, amigos.")
    editor.press("Enter")
    expect(table).to_contain_text("Adiós, amigos.")
    page.locator("#resynth-button").click()
    expect(page.locator("#reuse-note")).to_have_text(
        "Reused initialization, speech_to_text, translation; ran again voice_clone, "
        "text_to_speech.", timeout=60_000)
    wait_until_done(page)
    assert statuses(page) == ["reused", "reused", "reused", "succeeded", "succeeded"]
    assert ("Adiós, amigos.", "es") in app_server.voice.spoken
    shoot(page, shots_dir, "06-resynthesised-desktop")
    page.set_viewport_size(PHONE)
    shoot(page, shots_dir, "07-resynthesised-phone")
    page.set_viewport_size(DESKTOP)


def test_compare_two_voice_vendors_side_by_side(page, app_server, speech_wav, shots_dir):
    upload(page, speech_wav)
    open_tab(page, "Compare")
    pick(page, "Voice vendors to compare", "Fake voice · ready")
    pick(page, "Voice vendors to compare", "espeak-ng (offline) · ready")
    page.locator("#compare-button").click()
    page.get_by_text("One transcription shared by all").wait_for(timeout=90_000)
    cards = page.locator(".st-card:visible")
    assert cards.count() == 2
    for index in range(2):
        card = cards.nth(index)
        assert "✓" in card.inner_text()
        assert audio_source(card).startswith("http")
    shoot(page, shots_dir, "08-compare-desktop")
    page.set_viewport_size(PHONE)
    shoot(page, shots_dir, "09-compare-phone")
    page.set_viewport_size(DESKTOP)


@pytest.mark.parametrize("viewport,name", [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_the_first_screen_is_readable_at_desktop_and_phone_widths(browser, app_server, shots_dir,
                                                                  viewport, name):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(app_server.url, wait_until="load")
    page.wait_for_selector("#translate-button")
    page.locator("#plan").get_by_text("Plan for Spanish").wait_for()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"] + 1, "the page must not scroll sideways"
    assert page.get_by_role("heading", name="Speech translation that keeps your voice").is_visible()
    shoot(page, shots_dir, f"00-first-screen-{name}")
    context.close()


def test_the_keyboard_reaches_translate_and_a_missing_file_gets_a_plain_sentence(page,
                                                                                  shots_dir):
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == \
                "translate-button":
            break
    else:
        pytest.fail("Tab never reached the Translate button")
    page.keyboard.press("Enter")
    banner = page.locator("#steps .st-banner")
    expect(banner).to_have_text("⚠️ Upload or record some speech first, or paste an audio URL.")
    assert "Traceback" not in page.locator("body").inner_text()
    shoot(page, shots_dir, "10-missing-file-desktop", full=False)


ADVANCED_CONTROLS = ("#timing", "#glossary-table", "#instructions", "#text-only",
                     "#speech-translation")


def open_advanced(page) -> None:
    """Open the Advanced accordion and wait for its controls."""
    page.locator("#advanced").get_by_role("button", name="Advanced").click()
    page.locator("#glossary-table").wait_for(state="visible")


def fill_cell(table, row: int, column: int, text: str) -> None:
    """Type ``text`` into one cell of an editable table."""
    table.get_by_test_id(f"cell-{row}-{column}").dblclick()
    editor = table.locator("textarea, input:not([type=file])").first
    editor.fill(text)
    editor.press("Enter")


@pytest.mark.parametrize("viewport,name", [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_the_advanced_options_open_and_fit_at_desktop_and_phone_widths(browser, app_server,
                                                                      shots_dir, viewport,
                                                                      name):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(app_server.url, wait_until="load")
    page.wait_for_selector("#translate-button")
    open_advanced(page)
    for selector in ADVANCED_CONTROLS:
        expect(page.locator(selector)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"] + 1
    too_wide = page.evaluate(
        """([selectors, limit]) => selectors.filter(s => {
               const box = document.querySelector(s).getBoundingClientRect();
               return box.left < -1 || box.right > limit + 1; })""",
        [["#advanced", *ADVANCED_CONTROLS], viewport["width"]])
    assert too_wide == [], "no control is wider than the screen"
    page.locator("#advanced").scroll_into_view_if_needed()
    shoot(page, shots_dir, f"12-advanced-{name}")
    context.close()


def test_advanced_options_set_on_the_page_reach_the_run(page, app_server, speech_wav,
                                                        shots_dir):
    upload(page, speech_wav)
    pick(page, "Voice vendor", "Fake voice · ready")
    open_advanced(page)
    page.locator("#timing").get_by_label("Keep").check()
    table = page.locator("#glossary-table")
    fill_cell(table, 0, 0, "Goodbye")
    fill_cell(table, 0, 1, "Hasta luego")
    expect(table).to_contain_text("Hasta luego")
    page.locator("#instructions textarea").fill("Formal, for a keynote.")
    page.locator("#translate-button").click()
    wait_until_done(page)
    assert statuses(page) == ["succeeded"] * 5
    assert "timing: keep" in page.locator("#steps").inner_text()
    context = app_server.llm.calls[-1][3]
    assert dict(context.glossary) == {"Goodbye": "Hasta luego"}
    assert context.instructions.startswith("Formal, for a keynote.")
    shoot(page, shots_dir, "13-advanced-translated-desktop")
