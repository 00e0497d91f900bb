"""/docs and /redoc render in a real browser with every host but 127.0.0.1 cut off."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import DESKTOP


@pytest.fixture
def offline_page(browser):
    """A page whose requests to any host but 127.0.0.1 are aborted (and remembered)."""
    context = browser.new_context(viewport=DESKTOP)
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    tab.blocked = []

    def only_loopback(route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            tab.blocked.append(route.request.url)
            route.abort("internetdisconnected")

    tab.route("**/*", only_loopback)
    yield tab
    context.close()


def test_swagger_ui_lists_the_operations_without_internet(offline_page, app_server, shots_dir):
    offline_page.goto(f"{app_server.url}docs", wait_until="load")

    offline_page.wait_for_selector(".opblock-summary-path")
    paths = offline_page.eval_on_selector_all(
        ".opblock-summary-path", "items => items.map(i => i.textContent.trim())")
    assert "/v1/tasks" in paths and "/v1/languages" in paths
    offline_page.screenshot(path=str(shots_dir / "docs-offline.png"))
    assert offline_page.blocked == []


def test_redoc_lists_the_operations_without_internet(offline_page, app_server, shots_dir):
    offline_page.goto(f"{app_server.url}redoc", wait_until="load")

    offline_page.get_by_text("/v1/languages").first.wait_for(state="attached")
    offline_page.screenshot(path=str(shots_dir / "redoc-offline.png"))
    assert offline_page.blocked == []
