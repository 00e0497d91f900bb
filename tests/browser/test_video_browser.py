"""A video in the real browser: its preview, the background choice, the steps' progress,
the dubbed video's player and the downloads, at desktop and phone widths."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.appserver import start_app
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.helpers import outside_the_screen, pick, shoot, statuses, wait_until_done
from tests.pipeline.media.clips import make_video

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture(scope="module")
def video_server(tmp_path_factory):
    """The app over the fakes, with no model download (the original is ducked instead)."""
    server = start_app(tmp_path_factory.mktemp("video-data"), {"APP_MODEL_DOWNLOADS": "off"})
    yield server
    server.stop()


@pytest.fixture
def video_page(browser, video_server):
    context = browser.new_context(viewport=DESKTOP)
    tab = context.new_page()
    tab.set_default_timeout(60_000)
    tab.goto(video_server.url, wait_until="load")
    tab.wait_for_selector("#translate-button")
    yield tab
    context.close()


@pytest.fixture(scope="module")
def talk_mp4(tmp_path_factory) -> Path:
    return make_video(tmp_path_factory.mktemp("talk"), name="talk.mp4")


def test_a_video_is_previewed_dubbed_played_and_offered_for_download(video_page, talk_mp4,
                                                                     shots_dir):
    page = video_page
    page.locator("#video-input input[type=file]").set_input_files(str(talk_mp4))
    expect(page.locator("#video-input video")).to_be_attached()  # the preview
    page.locator("#background").get_by_text("Keep", exact=True).click()
    pick(page, "Voice vendor", "Fake voice · ready")
    shoot(page, shots_dir, "video-01-input-desktop")
    page.locator("#translate-button").click()
    wait_until_done(page)
    assert statuses(page) == ["succeeded"] * 5
    player = page.locator("#dubbed-video video")
    expect(player).to_be_attached()
    assert "dubbed.mp4" in (player.get_attribute("src") or "")
    downloads = page.locator("#media-downloads")
    expect(downloads.locator("a[href$='dubbed.mp4']")).to_be_attached()
    expect(page.locator("#background-note")).to_contain_text("The original sound is kept")
    expect(page.locator("#subtitles")).to_be_visible()
    expect(page.locator("#dubbed-audio")).to_be_visible()
    page.locator("#dubbed-video").scroll_into_view_if_needed()
    shoot(page, shots_dir, "video-02-dubbed-desktop")
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(300)
    assert outside_the_screen(page) == []
    shoot(page, shots_dir, "video-03-dubbed-phone")
