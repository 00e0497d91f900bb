"""Signed in with Hugging Face, in a real browser: the visitor's token is the one every
Hugging Face request carries, and the owner's keys stay out of the run.

The app believes it is a Space with sign-in enabled (its settings say so), while Gradio,
which reads the real environment, runs its local stand-in for the sign-in: the button leads
through ``/login/huggingface`` and ``/login/callback``, and the session then holds Gradio's
fake token (``mock-oauth-token-for-local-dev``). Gradio asks the Hub who the machine's login
is; a Hub on loopback answers. Whisper and the LLM go to a router on loopback
(``HF_BASE_URL``); the voice Spaces are local Gradio apps the Hub resolves their ids to.
"""

from __future__ import annotations

import pytest

from tests.browser.appserver import start_app
from tests.browser.conftest import PHONE
from tests.browser.test_ui_browser import pick, shoot, statuses, upload, wait_until_done
from tests.hf_fakes import SERVER_TOKEN, FakeHub, FakeRouter, hub_routed, launch_space_app

expect = pytest.importorskip("playwright.sync_api").expect

GRADIO_STAND_IN_TOKEN = "mock-oauth-token-for-local-dev"  # what Gradio's local sign-in gives
WIDE = {"width": 1366, "height": 900}
INDEX_SPACE, CHATTERBOX_SPACE = "fake-owner/IndexTTS-2-Demo", "fake-owner/Chatterbox-Multilingual"
SPACE = {"SYSTEM": "spaces", "SPACE_ID": "fake-owner/speech-translate",
         "OAUTH_CLIENT_ID": "fake-client", "OAUTH_SCOPES": "openid profile inference-api"}


@pytest.fixture(scope="module")
def signed_app(tmp_path_factory):
    """The app as a Space with sign-in, over Hugging Face fakes on loopback."""
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("HF_TOKEN", SERVER_TOKEN)  # the machine's (and server's) own login
    out = tmp_path_factory.mktemp("signin-spaces")
    index_url, index_calls, close_index = launch_space_app("index_tts2", out)
    chatterbox_url, chatterbox_calls, close_chatterbox = launch_space_app("chatterbox", out)
    hub = FakeHub({INDEX_SPACE: index_url, CHATTERBOX_SPACE: chatterbox_url})
    with FakeRouter() as router, hub_routed(hub):
        app = start_app(tmp_path_factory.mktemp("signin-data"), {
            **SPACE, "HF_TOKEN": SERVER_TOKEN, "HF_BASE_URL": router.url,
            "APP_DEFAULT_LLM": "fake_llm/fake-llm-1",  # with the server's own FAKE_LLM_KEY
            "INDEXTTS2_SPACE": INDEX_SPACE, "CHATTERBOX_SPACE": CHATTERBOX_SPACE})
        try:
            yield app, router, hub, {"zh": index_calls, "ja": chatterbox_calls}
        finally:
            app.stop()
            close_index()
            close_chatterbox()
            monkeypatch.undo()


@pytest.fixture
def wide_page(browser, signed_app):
    context = browser.new_context(viewport=WIDE)
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    tab.goto(signed_app[0].url, wait_until="load")
    tab.wait_for_selector("#translate-button")
    yield tab
    context.close()


def sign_in(page) -> None:
    """Press "Sign in with Hugging Face" and wait until the page is back, signed in."""
    button = page.locator("#signin-button")
    expect(button).to_have_text("Sign in with Hugging Face")
    button.click()
    expect(page.locator("#signin-button")).to_have_text("Sign out (visitor)", timeout=30_000)
    page.wait_for_selector("#translate-button")


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"] + 1


VOICE_NAMES = {"index_tts2": "IndexTTS2", "chatterbox": "Chatterbox Multilingual"}


@pytest.mark.parametrize(("target", "typed", "voice"), [
    ("Chinese (Mandarin) · 中文 (zh)", "Chin", "index_tts2"),
    ("Japanese · 日本語 (ja)", "Japan", "chatterbox"),
])
def test_a_signed_in_visitor_translates_on_their_own_token_only(wide_page, signed_app,
                                                               speech_wav, shots_dir, target,
                                                               typed, voice):
    page = wide_page
    app, router, hub, space_calls = signed_app
    code = target[-3:-1]
    before_router, before_space = len(router.seen), len(space_calls[code])
    shoot(page, shots_dir, f"signin-01-signed-out-{code}-desktop", full=False)

    sign_in(page)
    expect(page.locator("#signin-note")).to_contain_text("Signed in as visitor")
    upload(page, speech_wav)
    pick(page, "Target language", target, typed)
    plan = page.locator("#plan")
    expect(plan).to_contain_text("Auto → Hugging Face openai/whisper-large-v3")
    expect(plan).to_contain_text(f"Auto → {VOICE_NAMES[voice]}")
    expect(plan).to_contain_text("not lent to signed-in visitors")
    expect(page.get_by_role("listbox")).to_have_count(0)  # the language list has closed
    shoot(page, shots_dir, f"signin-02-signed-in-plan-{code}-desktop", full=False)
    page.locator("#translate-button").click()
    wait_until_done(page)

    assert statuses(page) == ["succeeded"] * 5, page.locator("#steps").inner_text()
    seen = router.seen[before_router:]
    paths = [s.path for s in seen]
    assert paths[:2] == ["/hf-inference/models/openai/whisper-large-v3", "/v1/chat/completions"]
    # The quality check hears the dubbed lines back with the same free recogniser.
    assert set(paths[2:]) <= {"/hf-inference/models/openai/whisper-large-v3"}
    assert {s.token for s in seen} == {GRADIO_STAND_IN_TOKEN}
    spoken = space_calls[code][before_space:]
    assert spoken and {call["token"] for call in spoken} == {GRADIO_STAND_IN_TOKEN}
    looked_up = {token for path, token in hub.tokens if path.startswith("/api/spaces/")}
    assert looked_up == {GRADIO_STAND_IN_TOKEN}
    assert app.llm.calls == [], "the server's own LLM key was not spent"
    page.get_by_role("tab", name="Translation", exact=True).click()
    expect(page.locator("#translation-table")).to_contain_text(f"[{code}] Hello there.")
    shoot(page, shots_dir, f"signin-03-translated-{code}-desktop")
    page.set_viewport_size(PHONE)
    assert no_sideways_scroll(page)
    shoot(page, shots_dir, f"signin-04-translated-{code}-phone")


def test_on_a_phone_the_sign_in_button_and_its_note_fit(browser, signed_app, shots_dir):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(signed_app[0].url, wait_until="load")
    page.wait_for_selector("#translate-button")
    button, note = page.locator("#signin-button"), page.locator("#signin-note")
    expect(button).to_be_visible()
    button_box, note_box = button.bounding_box(), note.bounding_box()
    assert button_box is not None and note_box is not None
    assert button_box["x"] >= 0 and button_box["x"] + button_box["width"] <= PHONE["width"] + 1
    assert button_box["height"] < 80, "one line, not stretched beside the note"
    assert note_box["y"] >= button_box["y"] + button_box["height"] - 1, "the note wraps below"
    assert note_box["width"] > PHONE["width"] * 0.7
    assert no_sideways_scroll(page)
    shoot(page, shots_dir, "signin-05-signed-out-phone", full=False)
    context.close()
