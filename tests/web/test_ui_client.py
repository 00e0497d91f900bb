"""``gradio_client`` drives the page's API on loopback: /translate end to end, /plan, /compare."""

from __future__ import annotations

from pathlib import Path

import pytest
from gradio_client import Client, handle_file

from tests.browser.appserver import start_app
from tests.pipeline.test_runner import write_speechlike_wav
from web.ui_handlers import RUN_OUTPUTS

API_OUTPUTS = [name for name in RUN_OUTPUTS if name != "session"]  # State is not in the API


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = start_app(tmp_path_factory.mktemp("client-data"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def client(server):
    connected = Client(server.url, verbose=False)
    yield connected
    connected.close()


@pytest.fixture
def speech(tmp_path):
    return write_speechlike_wav(tmp_path / "speech.wav")


def test_every_event_has_its_named_endpoint_with_documented_parameters(client):
    endpoints = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    assert {"/translate", "/plan", "/resynthesize", "/compare"} <= set(endpoints)
    translate = endpoints["/translate"]
    names = [p["parameter_name"] for p in translate["parameters"]]
    assert names[:14] == ["audio", "audio_url", "clone_audio", "source_language",
                          "target_language", "stt_model", "llm_model", "voice_vendor",
                          "output_format", "timing", "glossary", "instructions", "text_only",
                          "speech_translation_model"]
    assert "FISH_API_KEY" in names
    keys = [p for p in translate["parameters"] if p["parameter_name"].endswith("_KEY")]
    assert all(p["parameter_has_default"] for p in keys), "keys are optional"
    assert len(translate["returns"]) == len(API_OUTPUTS)
    resynthesize = endpoints["/resynthesize"]["parameters"]
    assert [p["parameter_name"] for p in resynthesize][:4] == [
        "translation_table", "voice_vendor", "output_format", "speakers_table"]
    assert resynthesize[3]["parameter_has_default"], "speaker corrections are optional"
    assert len(endpoints["/resynthesize"]["returns"]) == len(API_OUTPUTS)


def test_translate_runs_end_to_end_and_returns_every_output(client, server, speech):
    outputs = client.predict(handle_file(str(speech)), "", None, "auto", "ja", "", "",
                             "fake_voice", "mp3", api_name="/translate")
    assert len(outputs) == len(API_OUTPUTS)
    out = dict(zip(API_OUTPUTS, outputs, strict=True))
    assert out["audio"].endswith(".mp3")
    assert out["download"]["value"].endswith(".mp3") and out["download"]["visible"] is True
    assert out["steps"].count("st-succeeded") == 5
    assert "English (en)" in out["language"]
    assert [row[-1] for row in out["transcript"]["data"]] == ["Hello there.", "Goodbye."]
    assert [row[-1] for row in out["translation"]["data"]] == ["[ja] Hello there.",
                                                               "[ja] Goodbye."]
    assert "<svg" in out["timeline"]
    assert "fake_voice" in out["details"] and "Cost" in out["details"]
    assert out["report"]["status"] == "succeeded"
    assert [s["status"] for s in out["report"]["steps"]] == ["succeeded"] * 5
    names = sorted(Path(item["value"] if isinstance(item, dict) else item).name
                   for item in out["subtitles"]["value"])
    assert names == ["transcript.en.srt", "transcript.en.vtt", "translation.ja.srt",
                     "translation.ja.vtt"]
    assert "output_path" not in out["report"], "no server path is shown"
    assert out["reuse"] == ""
    assert server.stt.calls, "the fake transcriber heard the upload"


def test_resynthesize_in_the_same_client_session_reuses_the_first_steps(client, speech):
    client.predict(handle_file(str(speech)), "", None, "auto", "es", "", "", "fake_voice",
                   "mp3", api_name="/translate")
    table = {"headers": ["#", "Time", "Original", "Translation (editable)"],
             "data": [[1, "0:00.0–0:02.0", "Hello there.", "Hola."],
                      [2, "0:02.5–0:04.0", "Goodbye.", "Adiós."]]}
    outputs = client.predict(table, "fake_voice", "wav", api_name="/resynthesize")
    out = dict(zip(API_OUTPUTS, outputs, strict=True))
    assert out["audio"].endswith(".wav")
    assert out["reuse"].startswith("Reused initialization, speech_to_text, translation")


def test_plan_explains_the_choice_without_calling_a_vendor(client, server):
    before = len(server.stt.calls)
    text = client.predict("auto", "ja", "", "", "auto", FISH_API_KEY="k", api_name="/plan")
    assert "- **Voice:** Auto → **Fish Audio**" in text
    assert "fish: target ja is not supported by index_tts2" in text
    assert len(server.stt.calls) == before


def test_plan_estimates_the_recording_it_is_given(client, speech):
    text = client.predict(source_language="auto", target_language="ja",
                          audio=handle_file(str(speech)), api_name="/plan")
    assert "for 6.0 s of speech" in text


def test_compare_returns_a_card_per_voice_vendor(client, speech):
    outputs = client.predict(audio=handle_file(str(speech)), target_language="es",
                             compare_voices=["fake_voice", "espeak"], api_name="/compare")
    assert len(outputs) == 1 + 3 * 6 + 1
    summary, cards, report = outputs[0], outputs[1:-1], outputs[-1]
    assert "One transcription shared by all" in summary
    best = min(report["variants"], key=lambda v: v["rank"])["voice_vendor"]
    assert cards[0].startswith(f"#### 1. {best} · ") and cards[3].startswith("#### 2. ")
    assert {cards[0].split(" · ")[0][8:], cards[3].split(" · ")[0][8:]} == {"fake_voice",
                                                                            "espeak"}
    assert cards[2].endswith(".mp3") and cards[5].endswith(".mp3")
    assert list(cards[6:]) == ["", "", None] * 4
    assert [v["status"] for v in report["variants"]] == ["succeeded", "succeeded"]


def test_a_bad_upload_comes_back_as_a_readable_error(client, tmp_path):
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio at all")
    with pytest.raises(Exception) as caught:
        client.predict(handle_file(str(bad)), "", None, "auto", "es", "", "", "fake_voice",
                       "mp3", api_name="/translate")
    message = str(caught.value)
    assert "Traceback" not in message and "audio" in message.lower()


def test_the_mcp_server_offers_translate_and_plan_as_tools(server):
    pytest.importorskip("mcp", reason="Gradio's MCP server needs the mcp package")
    import httpx

    headers = {"Accept": "application/json, text/event-stream",
               "Content-Type": "application/json"}
    endpoint = server.url + "gradio_api/mcp/"
    hello = httpx.post(endpoint, headers=headers, timeout=30, json={
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "test", "version": "1"}}})
    assert hello.status_code == 200
    session = hello.headers.get("mcp-session-id")
    if session:
        headers["mcp-session-id"] = session
    listed = httpx.post(endpoint, headers=headers, timeout=30,
                        json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
    assert listed.status_code == 200
    assert '"name":"translate"' in listed.text and '"name":"plan"' in listed.text
    assert "Translate speech and speak it in the same voice" in listed.text


def test_keyword_calls_need_only_the_audio_and_what_differs_from_the_page_defaults(client, speech):
    outputs = client.predict(audio=handle_file(str(speech)), voice_vendor="fake_voice",
                             target_language="fr", api_name="/translate")
    report = outputs[API_OUTPUTS.index("report")]
    assert report["status"] == "succeeded" and report["target_language"] == "fr"


def test_a_visitor_without_keys_runs_the_offline_path_end_to_end(client, jfk_flac):
    outputs = client.predict(audio=handle_file(str(jfk_flac)), source_language="en",
                             target_language="en", stt_model="sphinx/en-us",
                             voice_vendor="espeak", api_name="/translate")
    out = dict(zip(API_OUTPUTS, outputs, strict=True))
    steps = {s["name"]: s["status"] for s in out["report"]["steps"]}
    assert steps == {"initialization": "succeeded", "speech_to_text": "succeeded",
                     "translation": "skipped", "voice_clone": "succeeded",
                     "text_to_speech": "succeeded"}
    assert "country" in out["report"]["transcript"]["text"].lower()
    assert out["audio"].endswith(".mp3")


def test_advanced_options_travel_by_name_through_the_client(client, server, speech):
    outputs = client.predict(
        audio=handle_file(str(speech)), target_language="Spanish", voice_vendor="fake_voice",
        timing="keep", instructions="Formal, for a keynote.",
        glossary={"headers": ["Term", "Translation"], "data": [["Goodbye", "Hasta luego"]]},
        api_name="/translate")
    report = outputs[API_OUTPUTS.index("report")]
    assert report["status"] == "succeeded" and report["target_language"] == "es"
    assert report["timing"]["mode"] == "keep"
    context = server.llm.calls[-1][3]
    assert dict(context.glossary) == {"Goodbye": "Hasta luego"}
    assert context.instructions.startswith("Formal, for a keynote.")


def test_a_bad_option_comes_back_as_one_sentence_naming_it(client, speech):
    with pytest.raises(Exception) as caught:
        client.predict(audio=handle_file(str(speech)), target_language="es",
                       source_language="klingon", api_name="/translate")
    assert "Spoken language: Unknown language 'klingon'" in str(caught.value)
