"""Sign in with Hugging Face on the page: the button only where it works, and a signed-in
visitor's token (``gr.OAuthToken``) as their runs' HF_TOKEN, with the server's keys kept out."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import pytest
from gradio_client import Client

from pipeline.options import TaskOptions
from pipeline.retry import RetryPolicy
from pipeline.runner import Pipeline
from pipeline.settings import Settings
from tests import fakes
from tests.browser.appserver import start_app
from tests.hf_fakes import FakeHub, hub_routed
from tests.pipeline.fake_pipeline import install_fakes
from tests.pipeline.test_runner import write_speechlike_wav
from vendors.registry import default_registry
from web.ui import build_ui
from web.ui_handlers import UiHandlers
from web.ui_request import RequestReader
from web.ui_signin import login_button, signin_available, signin_note, signin_status

VISITOR = "hf_visitor_oauth_token_1b2c"
SPACE = {"SYSTEM": "spaces", "SPACE_ID": "someone/speech-translate",
         "OAUTH_CLIENT_ID": "client-id", "OAUTH_SCOPES": "openid profile inference-api"}
PAID = {"OPENAI_API_KEY": "sk-server", "ANTHROPIC_API_KEY": "ant-server",
        "HF_TOKEN": "hf_server_token", "FAKE_LLM_KEY": "fake-server-key"}


def signed_in(token: str = VISITOR) -> gr.OAuthToken:
    return gr.OAuthToken(token=token, scope="openid profile inference-api", expires_at=0)


def pipeline_for(tmp_path: Path, **environ: str) -> Pipeline:
    settings = Settings.from_env({"APP_DATA_DIR": str(tmp_path / "data"), **environ})
    return Pipeline(default_registry(fakes.FAKE_VENDORS), settings,
                    retry=RetryPolicy(sleep=lambda s: None))


def test_away_from_a_space_the_button_hides_and_the_note_says_where_sign_in_works(tmp_path):
    settings = Settings.from_env({})
    with gr.Blocks() as page:
        button = login_button(settings)
        note = signin_note(settings)

    assert not isinstance(button, gr.LoginButton) and button.visible is False
    assert "works when this app runs as a Hugging Face Space" in note.value
    assert "HF_TOKEN" not in note.value
    assert page.expects_oauth is False  # Gradio adds no sign-in routes of its own here
    assert build_ui(pipeline_for(tmp_path)).expects_oauth is False


@pytest.fixture
def gradio_stand_in(monkeypatch):
    """Off a Space, Gradio stands in for the sign-in with the machine's Hugging Face login
    (it asks the Hub who that is): give it one, and a Hub on loopback."""
    monkeypatch.setenv("HF_TOKEN", "hf_machine_login")
    with hub_routed(FakeHub()) as hub:
        yield hub


def test_on_a_space_with_sign_in_enabled_the_page_has_gradios_login_button(tmp_path,
                                                                            gradio_stand_in):
    with gr.Blocks():
        button = login_button(Settings.from_env(SPACE))

    assert isinstance(button, gr.LoginButton)
    assert build_ui(pipeline_for(tmp_path, **SPACE)).expects_oauth is True


@pytest.mark.parametrize("missing", ["SYSTEM", "SPACE_ID", "OAUTH_CLIENT_ID"])
def test_sign_in_stays_off_without_each_sign_of_a_space_with_oauth(missing):
    assert signin_available(Settings.from_env({k: v for k, v in SPACE.items() if k != missing})) \
        is False


def test_sign_in_stays_off_when_the_space_lacks_the_inference_scope():
    assert signin_available(Settings.from_env({**SPACE, "OAUTH_SCOPES": "openid profile"})) \
        is False


def test_the_note_greets_a_signed_in_visitor_and_says_whose_keys_run():
    profile = SimpleNamespace(username="ada")

    kept = signin_status(Settings.from_env(SPACE), profile)
    lent = signin_status(Settings.from_env({**SPACE, "APP_SIGNED_IN_USES_SERVER_KEYS": "1"}),
                         profile)

    assert kept.startswith("Signed in as **ada**") and "are not used for your runs" in kept
    assert "fill in for the rest" in lent
    assert "your own free Hugging Face quota" in signin_status(Settings.from_env(SPACE), None)


def test_a_signed_in_visitors_token_becomes_hf_token_and_keeps_the_servers_keys_out(tmp_path):
    speech = write_speechlike_wav(tmp_path / "speech.wav")
    reader = RequestReader(pipeline_for(tmp_path, **PAID))

    task = reader.task(audio=str(speech), audio_url="", clone_audio=None,
                       options=TaskOptions(target_language="es"), keys={}, oauth=signed_in())
    pasted = reader.keys({"HF_TOKEN": "hf_pasted"}, signed_in())
    anonymous = reader.task(audio=str(speech), audio_url="", clone_audio=None,
                            options=TaskOptions(target_language="es"), keys={})

    assert (dict(task.keys), task.server_keys) == ({"HF_TOKEN": VISITOR}, False)
    assert pasted == {"HF_TOKEN": "hf_pasted"}
    assert (dict(anonymous.keys), anonymous.server_keys) == ({}, True)
    lending = RequestReader(pipeline_for(tmp_path, APP_SIGNED_IN_USES_SERVER_KEYS="1"))
    assert lending.server_keys(signed_in()) is True


def test_the_plan_shows_what_the_visitors_own_token_can_run(tmp_path):
    handlers = UiHandlers(pipeline_for(tmp_path, **PAID))

    mine = handlers.plan(target_language="zh", oauth_token=signed_in())
    theirs = handlers.plan(target_language="zh")

    lines = {line.split(":**")[0]: line for line in mine.splitlines() if line.startswith("- **")}
    assert "Auto → **Hugging Face openai/whisper-large-v3**" in lines["- **Speech to text"]
    assert "Auto → **Hugging Face " in lines["- **Translation"]
    assert "Auto → **IndexTTS2**" in lines["- **Voice"]
    assert "Auto → **OpenAI gpt-4o-transcribe**" in theirs
    assert "Auto → **Anthropic " in theirs


def test_a_signed_in_visitor_never_spends_the_servers_llm_key_from_the_page(tmp_path):
    install_fakes()
    speech = write_speechlike_wav(tmp_path / "speech.wav")
    options = dict(audio_url="", clone_audio=None, source_language="auto", target_language="es",
                   stt_model="fake_stt", llm_model="fake_llm", voice_vendor="fake_voice")
    kept = UiHandlers(pipeline_for(tmp_path, **PAID))
    lent = UiHandlers(pipeline_for(tmp_path, **PAID, APP_SIGNED_IN_USES_SERVER_KEYS="1"))
    try:
        with pytest.raises(gr.Error) as refused:
            list(kept.translate(str(speech), request=SimpleNamespace(session_hash="a"),
                                oauth_token=signed_in(), **options))
        done = list(lent.translate(str(speech), request=SimpleNamespace(session_hash="b"),
                                   oauth_token=signed_in(), **options))
    finally:
        fakes.INSTANCES.clear()

    assert "Fake LLM needs an API key" in str(refused.value)
    assert done[-1][2].count("st-succeeded") == 5


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = start_app(tmp_path_factory.mktemp("signin-data"), PAID)
    yield running
    running.stop()


def test_through_gradio_the_token_reaches_the_handlers_without_being_an_api_parameter(server):
    anonymous = Client(server.url, verbose=False)
    visitor = Client(server.url, verbose=False, oauth_token=VISITOR)
    try:
        names = [p["parameter_name"] for p in
                 anonymous.view_api(return_format="dict", print_info=False)
                 ["named_endpoints"]["/translate"]["parameters"]]
        mine = visitor.predict("auto", "zh", api_name="/plan")
        theirs = anonymous.predict("auto", "zh", api_name="/plan")
    finally:
        anonymous.close()
        visitor.close()

    assert "oauth_token" not in names
    assert "huggingface/openai/whisper-large-v3" in mine
    assert "openai/gpt-4o-transcribe" in theirs
