"""A missing key worded for each web surface: the REST routes name the header, the page
links to the key page and says Settings (or Hugging Face sign-in for a Hugging Face key)."""

from __future__ import annotations

import pytest

from pipeline.errors import InputError, MissingKeyError, UnknownLanguageError
from pipeline.planning import make_plan
from pipeline.settings import Settings
from tests.web.loopback import Answer, Loopback
from vendors.registry import default_registry
from web.messages import api_error_text, page_error_text

REGISTRY = default_registry()


def _missing(**choices) -> MissingKeyError:
    plan = make_plan(REGISTRY, Settings.from_env({}), **choices)
    with pytest.raises(MissingKeyError) as caught:
        plan.require_runnable()
    return caught.value


def test_the_page_links_to_each_key_page_with_its_price_and_says_settings():
    said = page_error_text(_missing(target_language="es", stt="openai"))

    lines = said.splitlines()
    assert lines[0] == "To run this:" and len(lines) == 3  # one item per vendor
    assert lines[1] == (
        "- **OpenAI** needs an API key to transcribe the speech: "
        "[get a key](https://platform.openai.com/api-keys) (about $0.006 per minute of speech), "
        "then paste it under **Settings**. Without a key: PocketSphinx (offline), English only.")
    assert "[get a key](https://platform.claude.com/settings/keys)" in lines[2]
    assert "OPENAI_API_KEY" not in said and "Hugging Face" not in said


def test_the_page_offers_hugging_face_sign_in_for_a_hugging_face_token():
    said = page_error_text(_missing(target_language="en", source_language="en",
                                    stt="huggingface"))

    assert said == ("**Hugging Face** needs an API key to transcribe the speech: **sign in with "
                    "Hugging Face**, or [get a key](https://huggingface.co/settings/tokens) and "
                    "paste it under **Settings**. Without a key: PocketSphinx (offline), "
                    "English only.")


def test_the_page_says_a_sentence_for_other_errors_and_never_a_trace():
    assert page_error_text(InputError("Upload some speech first.")) == "Upload some speech first."
    assert "Pick one from the list" in page_error_text(UnknownLanguageError("Unknown 'xx'."))
    assert "Traceback" not in page_error_text(RuntimeError("boom"))
    assert "boom" not in page_error_text(RuntimeError("boom"))


def test_the_api_names_the_header_the_variable_and_the_keyless_option():
    said = api_error_text(_missing(target_language="es", stt="openai"))

    assert said.startswith(
        "OpenAI needs an API key to transcribe the speech: send it in the X-OpenAI-Api-Key "
        "header (or set OPENAI_API_KEY on the server). Get one at "
        "https://platform.openai.com/api-keys; about $0.006 per minute of speech. "
        "Without a key: stt_model=sphinx (PocketSphinx (offline), English only).")
    assert "X-Anthropic-Api-Key" in said and "Settings" not in said


def test_the_api_uses_the_field_names_of_the_route():
    said = api_error_text(_missing(target_language="es", stt="openai"), {"stt_model": "model"})

    assert "Without a key: model=sphinx" in said


def test_post_tasks_without_keys_answers_400_naming_the_headers(make_client, speech_wav):
    client = make_client()

    answer = client.post("/v1/tasks", files={"file": ("speech.wav", speech_wav, "audio/wav")},
                         data={"target_language": "es", "stt_model": "openai"})

    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "missing_key"
    assert "X-OpenAI-Api-Key header (or set OPENAI_API_KEY on the server)" in error["message"]
    assert "https://platform.openai.com/api-keys" in error["message"]
    assert "paste" not in error["message"] and "Settings" not in error["message"]


def test_the_302_alias_without_keys_names_the_headers_too(make_client, speech_mp3):
    client = make_client(APP_ALLOW_PRIVATE_URLS="1")

    with Loopback({"/talk.mp3": Answer(200, speech_mp3)}) as server:
        answer = client.post("/302/audio/translate/task",
                             json={"audio_file_url": server.url("/talk.mp3"),
                                   "target_language": "es", "stt_model": "openai"})

    assert answer.status_code == 400
    assert "X-OpenAI-Api-Key header" in answer.json()["error"]["message"]


def test_openai_shaped_routes_name_the_header_and_their_own_model_field(make_client, speech_wav):
    client = make_client()

    answer = client.post("/v1/audio/transcriptions",
                         files={"file": ("speech.wav", speech_wav, "audio/wav")},
                         data={"model": "openai"})

    assert answer.status_code == 400
    message = answer.json()["error"]["message"]
    assert "X-OpenAI-Api-Key header" in message
    assert "Without a key: model=sphinx" in message


def test_an_unknown_language_points_rest_clients_at_the_languages_route(make_client, speech_wav):
    client = make_client()

    answer = client.post("/v1/tasks", files={"file": ("speech.wav", speech_wav, "audio/wav")},
                         data={"target_language": "klingon"})

    assert answer.status_code == 400
    assert "GET /v1/languages lists them." in answer.json()["error"]["message"]
