"""The dub's quality in a real browser: the offline dub shows its summary and one row per
line in the Translation and Details tabs, and Compare ranks by it, at 1366 and 390 px."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.helpers import (
    open_tab,
    outside_the_screen,
    pick,
    shoot,
    statuses,
    upload,
    wait_until_done,
)

expect = pytest.importorskip("playwright.sync_api").expect


def _fits(page, width: int) -> None:
    page.wait_for_timeout(300)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert outside_the_screen(page) == []


def test_the_offline_dub_shows_its_quality_summary_and_per_line_table(browser, keyless_server,
                                                                      shots_dir):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(keyless_server.url, wait_until="load")
    page.get_by_role("button", name="Try it offline (English, robotic voice)").click()
    wait_until_done(page, timeout_ms=180_000)
    assert statuses(page) == ["succeeded", "succeeded", "skipped", "succeeded", "succeeded"]

    open_tab(page, "Translation")
    quality = page.locator("#translation-quality")
    expect(quality).to_contain_text("Quality: voice similarity")
    expect(quality).to_contain_text("of lines understood")
    expect(quality).to_contain_text("within timing bounds")
    expect(quality).to_contain_text("Heard back by sphinx/en-us")
    headers = quality.locator("table th")
    assert [h.inner_text().strip() for h in headers.all()] == [
        "#", "Check", "Voice", "Understood", "Speed", "Onset", "Takes"]
    rows = quality.locator("table tbody tr")
    assert rows.count() >= 1
    first = [cell.inner_text().strip() for cell in rows.first.locator("td").all()]
    assert first[0] == "1" and first[2].startswith("0.")  # espeak measured against JFK
    quality.scroll_into_view_if_needed()
    _fits(page, DESKTOP["width"])
    shoot(page, shots_dir, "30-quality-translation-desktop", full=False)

    open_tab(page, "Details")
    details = page.locator("#details")
    expect(details.get_by_role("heading", name="Quality")).to_be_visible()
    expect(details).to_contain_text("Heard back")
    details.get_by_role("heading", name="Quality").scroll_into_view_if_needed()
    _fits(page, DESKTOP["width"])
    shoot(page, shots_dir, "31-quality-details-desktop", full=False)

    page.set_viewport_size(PHONE)
    for tab, where in (("Translation", "#translation-quality"), ("Details", "#details")):
        open_tab(page, tab)
        page.locator(where).locator("table").last.scroll_into_view_if_needed()
        _fits(page, PHONE["width"])
        shoot(page, shots_dir, f"32-quality-{tab.lower()}-phone", full=False)
    context.close()


def test_compare_ranks_the_variants_by_quality_next_to_time_and_cost(page, app_server,
                                                                     speech_wav, shots_dir):
    upload(page, speech_wav)
    open_tab(page, "Compare")
    pick(page, "Voice vendors to compare", "Fake voice · ready")
    pick(page, "Voice vendors to compare", "espeak-ng (offline) · ready")
    page.locator("#compare-button").click()
    summary = page.locator("#compare-summary")
    summary.get_by_text("One transcription shared by all").wait_for(timeout=120_000)
    headers = [h.inner_text().strip() for h in summary.locator("table th").all()]
    assert headers == ["Rank", "Voice · LLM", "Voice similarity", "Understood", "In time",
                       "Time", "Cost"]
    ranks = [row.locator("td").first.inner_text().strip()
             for row in summary.locator("table tbody tr").all()]
    assert ranks == ["1", "2"]
    expect(summary).to_contain_text("Ranked runs that produced a dub first")
    cards = page.locator(".st-card:visible")
    expect(cards.first).to_contain_text("1. ")
    expect(cards.first).to_contain_text(re.compile(r"voice 0\.\d\d .*(understood|words not checked)"))
    summary.scroll_into_view_if_needed()
    _fits(page, DESKTOP["width"])
    shoot(page, shots_dir, "33-compare-ranked-desktop", full=False)
    page.set_viewport_size(PHONE)
    summary.scroll_into_view_if_needed()
    _fits(page, PHONE["width"])
    shoot(page, shots_dir, "34-compare-ranked-phone", full=False)
    page.set_viewport_size(DESKTOP)
