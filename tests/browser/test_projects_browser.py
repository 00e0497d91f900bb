"""The Edit & render tab in a real browser: edit a line, render only it, hear it, reload and
reopen the task from "Your recent tasks"."""

from __future__ import annotations

import pytest

from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.helpers import audio_source, open_tab, shoot
from tests.browser.test_ui_browser import translate_upload

expect = pytest.importorskip("playwright.sync_api").expect


def _open_recent(page) -> None:
    open_tab(page, "Edit & render")
    recent = page.locator("#recent-tasks input")
    expect(recent).not_to_have_value("", timeout=30_000)
    page.locator("#open-task").click()
    expect(page.locator("#project-status")).to_contain_text("Revision", timeout=30_000)


def test_edit_a_line_render_only_it_hear_it_and_reopen_after_a_reload(
        page, app_server, speech_wav, shots_dir):
    translate_upload(page, speech_wav, "Spanish · Español (es)", "Span")
    _open_recent(page)
    table = page.locator("#project-lines")
    expect(table).to_contain_text("[es] Goodbye.")
    spoken_before = len(app_server.voice.spoken)
    table.get_by_text("[es] Goodbye.", exact=True).dblclick()
    editor = table.locator("textarea, input").first
    editor.fill("Hasta luego, amigos.")
    editor.press("Enter")
    expect(table).to_contain_text("Hasta luego, amigos.")
    page.locator("#render-changed").click()
    expect(page.locator("#project-status")).to_contain_text("1 line re-spoken, 1 reused",
                                                            timeout=60_000)
    assert app_server.voice.spoken[spoken_before:] == [("Hasta luego, amigos.", "es")]
    assert audio_source(page.locator("#project-audio")).startswith("http")
    page.locator("#line-number input").fill("2")
    page.locator("#play-line").click()
    assert ".wav" in audio_source(page.locator("#line-audio"))
    shoot(page, shots_dir, "projects-01-rendered-desktop")
    page.set_viewport_size(PHONE)
    shoot(page, shots_dir, "projects-02-rendered-phone")
    page.set_viewport_size(DESKTOP)

    page.reload(wait_until="load")
    page.wait_for_selector("#translate-button")
    _open_recent(page)
    expect(page.locator("#project-lines")).to_contain_text("Hasta luego, amigos.")
    expect(page.locator("#project-status")).to_contain_text("Revision 2")
    shoot(page, shots_dir, "projects-03-reopened-desktop")
