"""IndexTTS2 through gradio_client: a recording fake Client, plus one real local Gradio server."""

from __future__ import annotations

import wave
from pathlib import Path

import httpx
import httpx2
import huggingface_hub
import pytest
from gradio_client.exceptions import AppError as SpaceAppError
from gradio_client.utils import QueueError
from huggingface_hub.utils import _http as hub_http

from pipeline.errors import (
    UnsupportedLanguageError,
    VendorQuotaError,
    VendorRateLimitError,
    VendorResponseError,
    VendorServerError,
    VendorTimeoutError,
)
from pipeline.settings import Secret, Settings
from pipeline.types import Role, Voice, VoiceReference
from tests.conftest import write_tone_wav
from vendors import gradio_space, index_tts2
from vendors.index_tts2 import IndexTTS2Voice

TOKEN = "hf_index_secret_token_42"
ENGLISH = ["Same as the voice reference", "Use emotion reference audio", "Use emotion vectors"]
CHINESE = ["与音色参考音频相同", "使用情感参考音频", "使用情感向量控制"]


def api_info(choices: list[str], *, count: int = 24, name: str = "/gen_single") -> dict:
    """What view_api(return_format="dict") reports for the IndexTTS-2 WebUI."""
    radio = {
        "label": "Emotion control method",
        "parameter_name": "emo_control_method",
        "component": "Radio",
        "type": {"enum": choices, "title": "Radio", "type": "string"},
    }
    others = [{"label": f"p{i}", "parameter_name": f"param_{i}", "component": "Slider"}
              for i in range(1, count)]
    return {"named_endpoints": {name: {"parameters": [radio, *others], "returns": []}},
            "unnamed_endpoints": {}}


class FakeClient:
    """Stands in for gradio_client.Client and records how it was built and called."""

    def __init__(self, src: str, options: dict, api: dict, answer, error: Exception | None):
        self.src, self.options = src, options
        self.api, self.answer, self.error = api, answer, error
        self.view_api_calls: list[dict] = []
        self.predict_calls: list[tuple[tuple, dict]] = []

    def view_api(self, **kwargs):
        self.view_api_calls.append(kwargs)
        return self.api

    def predict(self, *args, **kwargs):
        self.predict_calls.append((args, kwargs))
        if self.error is not None:
            raise self.error
        return self.answer() if callable(self.answer) else self.answer


class Factory:
    """An injectable client factory; ``build_error`` fails the constructor itself."""

    def __init__(self, tmp_path: Path, *, choices=ENGLISH, api=None, answer=None, error=None,
                 build_error: Exception | None = None):
        self.tmp_path = tmp_path
        self.api = api or api_info(choices)
        self.answer = answer or self.write_output
        self.error, self.build_error = error, build_error
        self.clients: list[FakeClient] = []

    def write_output(self):
        out = self.tmp_path / f"spk_{len(self.clients)}_{id(self)}.wav"
        write_tone_wav(out, duration_s=0.2, sample_rate_hz=22050)
        return {"visible": True, "value": str(out), "__type__": "update"}

    def __call__(self, src: str, **options) -> FakeClient:
        if self.build_error is not None:
            raise self.build_error
        client = FakeClient(src, options, self.api, self.answer, self.error)
        self.clients.append(client)
        return client


@pytest.fixture
def reference(tmp_path: Path) -> Path:
    return write_tone_wav(tmp_path / "reference.wav", duration_s=1.0, sample_rate_hz=16000)


def voice(path: Path) -> Voice:
    return Voice(vendor="index_tts2", reference_path=path, reference_text="hello")


def adapter(factory: Factory, token: Secret | None = Secret(TOKEN),
            target: str = "IndexTeam/IndexTTS-2-Demo") -> IndexTTS2Voice:
    return IndexTTS2Voice(target, token, client_factory=factory)


def test_speak_sends_the_24_webui_inputs_in_order_to_gen_single(tmp_path, reference):
    factory = Factory(tmp_path)

    audio = adapter(factory).speak("Hello world.", voice(reference), "en")

    ((args, kwargs),) = factory.clients[0].predict_calls
    assert kwargs == {"api_name": "/gen_single"}
    assert len(args) == 24
    assert args[0] == "Same as the voice reference"
    assert args[1]["path"] == str(reference)
    assert args[1]["meta"] == {"_type": "gradio.FileData"}
    assert args[2:5] == ("Hello world.", None, 0.65)
    assert args[5:13] == (0.0,) * 8
    assert args[13:16] == ("", False, 120)
    assert args[16:] == (True, 0.8, 30, 0.8, 0.0, 3, 10.0, 1500)
    assert audio.format == "wav"
    assert audio.data.startswith(b"RIFF")
    assert audio.usage.characters == len("Hello world.")


def test_a_server_with_only_chinese_labels_gets_its_own_label(tmp_path, reference):
    factory = Factory(tmp_path, choices=CHINESE)

    adapter(factory).speak("你好。", voice(reference), "zh")

    assert factory.clients[0].predict_calls[0][0][0] == "与音色参考音频相同"


def test_an_unknown_label_set_uses_the_radios_first_choice(tmp_path, reference):
    factory = Factory(tmp_path, choices=["Comme la voix de référence", "Autre"])

    adapter(factory).speak("Hi.", voice(reference), "en")

    assert factory.clients[0].predict_calls[0][0][0] == "Comme la voix de référence"


def test_the_space_gets_the_token_and_the_client_is_built_once_on_first_use(tmp_path, reference):
    factory = Factory(tmp_path)
    voice_adapter = adapter(factory)
    assert factory.clients == []

    voice_adapter.speak("One.", voice(reference), "en")
    voice_adapter.speak("Two.", voice(reference), "en")

    (client,) = factory.clients
    assert client.src == "IndexTeam/IndexTTS-2-Demo"
    assert client.options["token"] == TOKEN
    assert client.options["verbose"] is False
    assert len(client.view_api_calls) == 1
    assert client.view_api_calls[0]["return_format"] == "dict"
    assert len(client.predict_calls) == 2
    assert TOKEN not in repr(voice_adapter)


def test_create_targets_the_default_space_unless_told_otherwise():
    default = index_tts2.create(Role.SPEAK, "IndexTTS-2", Secret(TOKEN), Settings.from_env({}))
    other = index_tts2.create(
        Role.CLONE, "", None, Settings.from_env({"INDEXTTS2_SPACE": "someone/IndexTTS-2-Copy"})
    )

    assert default.target == "IndexTeam/IndexTTS-2-Demo"
    assert other.target == "someone/IndexTTS-2-Copy"


def test_indextts2_url_wins_over_the_space_and_does_not_receive_the_token(tmp_path, reference):
    settings = Settings.from_env({
        "INDEXTTS2_URL": "http://gpu-box.local:7860/",
        "INDEXTTS2_SPACE": "someone/IndexTTS-2-Copy",
    })
    target = index_tts2.create(Role.SPEAK, "IndexTTS-2", Secret(TOKEN), settings).target
    factory = Factory(tmp_path)

    adapter(factory, target=target).speak("Hi.", voice(reference), "en")

    assert target == "http://gpu-box.local:7860/"
    assert factory.clients[0].src == target
    assert factory.clients[0].options["token"] is False  # not even the machine's own login


def test_a_private_hf_space_url_still_receives_the_token(tmp_path, reference):
    factory = Factory(tmp_path)

    adapter(factory, target="https://me-indextts.hf.space/").speak("Hi.", voice(reference), "en")

    assert factory.clients[0].options["token"] == TOKEN


def test_a_server_without_gen_single_is_refused_with_what_was_expected(tmp_path, reference):
    factory = Factory(tmp_path, api=api_info(ENGLISH, name="/predict"))

    with pytest.raises(VendorResponseError) as caught:
        adapter(factory).speak("Hi.", voice(reference), "en")

    assert "/gen_single" in caught.value.message
    assert factory.clients[0].predict_calls == []


def test_a_server_with_another_input_count_is_refused(tmp_path, reference):
    factory = Factory(tmp_path, api=api_info(ENGLISH, count=26))

    with pytest.raises(VendorResponseError) as caught:
        adapter(factory).speak("Hi.", voice(reference), "en")

    assert "26 inputs, expected 24" in caught.value.message


def test_languages_other_than_chinese_and_english_are_refused_before_any_call(tmp_path, reference):
    factory = Factory(tmp_path)

    with pytest.raises(UnsupportedLanguageError):
        adapter(factory).speak("こんにちは", voice(reference), "ja")

    assert factory.clients == []


def test_a_used_up_gpu_quota_is_final_and_tells_the_user_to_set_hf_token(tmp_path, reference):
    factory = Factory(tmp_path, error=SpaceAppError(
        "You have exceeded your GPU quota (60s requested vs. 0s left). Try again in 0:04:12"
    ))

    with pytest.raises(VendorQuotaError) as caught:
        adapter(factory, token=None).speak("Hi.", voice(reference), "en")

    assert caught.value.retryable is False
    assert "HF_TOKEN" in caught.value.message
    assert "INDEXTTS2_URL" in caught.value.message


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (QueueError("Queue is full! Please try again."), VendorRateLimitError),
        (httpx.ReadTimeout("read timed out"), VendorTimeoutError),
        (httpx.ConnectError("connection refused"), VendorServerError),
        (httpx2.ConnectError("connection refused"), VendorServerError),
        (SpaceAppError("ZeroGPU worker error: GPU task aborted"), VendorServerError),
    ],
)
def test_transient_failures_are_retryable(tmp_path, reference, error, expected):
    factory = Factory(tmp_path, error=error)

    with pytest.raises(expected) as caught:
        adapter(factory).speak("Hi.", voice(reference), "en")

    assert caught.value.retryable is True


def test_a_space_that_is_waking_up_is_retryable_with_a_message(tmp_path, reference):
    factory = Factory(tmp_path, build_error=ValueError(
        "Could not fetch config for https://indexteam-indextts-2-demo.hf.space/"
    ))

    with pytest.raises(VendorServerError) as caught:
        adapter(factory).speak("Hi.", voice(reference), "en")

    assert caught.value.retryable is True
    assert "waking up" in caught.value.message


def test_a_paused_space_is_final(tmp_path, reference):
    factory = Factory(tmp_path, build_error=ValueError(
        "The current space is in the invalid state: PAUSED. Please contact the owner to fix this."
    ))

    with pytest.raises(VendorServerError) as caught:
        adapter(factory).speak("Hi.", voice(reference), "en")

    assert caught.value.retryable is False
    assert "INDEXTTS2_URL" in caught.value.message


def test_errors_never_quote_the_token(tmp_path, reference):
    factory = Factory(tmp_path, error=SpaceAppError(f"bad header x-hf-authorization: Bearer {TOKEN}"))

    with pytest.raises(VendorServerError) as caught:
        adapter(factory).speak("Hi.", voice(reference), "en")

    assert TOKEN not in str(caught.value)


def test_a_plain_path_answer_is_read_too(tmp_path, reference):
    out = write_tone_wav(tmp_path / "plain.wav", duration_s=0.1)
    factory = Factory(tmp_path, answer=str(out))

    audio = adapter(factory).speak("Hi.", voice(reference), "en")

    assert audio.data[:4] == b"RIFF"


def test_an_answer_without_a_file_is_a_response_error(tmp_path, reference):
    factory = Factory(tmp_path, answer={"value": None, "__type__": "update"})

    with pytest.raises(VendorResponseError):
        adapter(factory).speak("Hi.", voice(reference), "en")


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as audio:
        return audio.getnframes() / audio.getframerate()


def test_a_reference_longer_than_15_s_is_cut_to_its_first_15_s(tmp_path):
    long_clip = write_tone_wav(tmp_path / "long.wav", duration_s=20.0, sample_rate_hz=8000)
    reference = VoiceReference(long_clip, "input", 0.0, 20.0)

    cloned = IndexTTS2Voice("IndexTeam/IndexTTS-2-Demo").clone(reference, "words")

    assert cloned.reference_path != long_clip
    assert wav_seconds(cloned.reference_path) == pytest.approx(15.0, abs=0.05)
    assert wav_seconds(long_clip) == pytest.approx(20.0)
    assert (cloned.vendor, cloned.reference_text) == ("index_tts2", "words")


def test_a_reference_of_at_most_15_s_is_used_as_is(tmp_path):
    clip = write_tone_wav(tmp_path / "ten.wav", duration_s=10.0, sample_rate_hz=8000)

    cloned = IndexTTS2Voice("IndexTeam/IndexTTS-2-Demo").clone(
        VoiceReference(clip, "clone_clip", 0.0, 10.0), "words"
    )

    assert cloned.reference_path == clip


def test_a_short_float_wav_reference_is_used_as_is(cosyvoice_wav):
    short = VoiceReference(cosyvoice_wav, "clone_clip", 0.0, 3.5)

    cloned = IndexTTS2Voice("IndexTeam/IndexTTS-2-Demo").clone(short, "你好")

    assert cloned.reference_path == cosyvoice_wav


def test_the_default_factory_does_not_wait_on_a_building_space():
    previous = getattr(hub_http, "_GLOBAL_CLIENT_FACTORY", hub_http.default_client_factory)
    seen: list[str] = []

    def hub(request: httpx2.Request) -> httpx2.Response:
        seen.append(request.url.path)
        return httpx2.Response(200, json={"stage": "BUILDING", "hardware": {"current": None}})

    huggingface_hub.set_client_factory(lambda: httpx2.Client(transport=httpx2.MockTransport(hub)))
    try:
        with pytest.raises(VendorServerError) as caught:
            gradio_space.space_client("index_tts2")("IndexTeam/IndexTTS-2-Demo", token=False)
    finally:
        huggingface_hub.set_client_factory(previous)

    assert seen == ["/api/spaces/IndexTeam/IndexTTS-2-Demo/runtime"]
    assert caught.value.retryable is True
    assert "IndexTeam/IndexTTS-2-Demo is building" in caught.value.message


@pytest.fixture(scope="module")
def local_webui(tmp_path_factory):
    """A real Gradio server on loopback with the IndexTTS-2 WebUI's gen_single inputs."""
    gr = pytest.importorskip("gradio")
    seen: list[tuple] = []
    out_dir = tmp_path_factory.mktemp("webui")

    def gen_single(emo_control_method, prompt, text, emo_ref_path, emo_weight, *rest):
        seen.append((emo_control_method, Path(prompt).read_bytes()[:4], text, emo_weight, rest))
        out = write_tone_wav(out_dir / f"spk_{len(seen)}.wav", duration_s=0.3, sample_rate_hz=22050)
        return gr.update(value=str(out), visible=True)

    with gr.Blocks(analytics_enabled=False) as demo:
        inputs = [
            gr.Radio(choices=CHINESE, type="index", value=CHINESE[0], label="情感控制方式"),
            gr.Audio(type="filepath", label="音色参考音频"),
            gr.TextArea(label="文本"),
            gr.Audio(type="filepath", label="情感参考音频"),
            gr.Slider(0, 1, value=0.65, label="情感权重"),
            *[gr.Slider(0, 1, value=0, label=f"vec{i}") for i in range(1, 9)],
            gr.Textbox(label="情感描述文本"),
            gr.Checkbox(label="情感随机采样"),
            gr.Slider(20, 600, value=120, step=2, label="分句最大Token数"),
            gr.Checkbox(value=True, label="do_sample"),
            gr.Slider(0, 1, value=0.8, label="top_p"),
            gr.Slider(0, 100, value=30, step=1, label="top_k"),
            gr.Slider(0.1, 2, value=0.8, label="temperature"),
            gr.Number(value=0.0, label="length_penalty"),
            gr.Slider(1, 10, value=3, step=1, label="num_beams"),
            gr.Number(value=10.0, label="repetition_penalty"),
            gr.Slider(50, 1815, value=1500, step=10, label="max_mel_tokens"),
        ]
        output = gr.Audio(label="生成结果")
        gr.Button("生成语音").click(gen_single, inputs=inputs, outputs=[output])
    _, url, _ = demo.launch(server_name="127.0.0.1", prevent_thread_lock=True, quiet=True)
    yield url, seen
    demo.close()


def test_a_real_gradio_webui_is_driven_end_to_end(local_webui, reference):
    url, seen = local_webui
    settings = Settings.from_env({"INDEXTTS2_URL": url})
    voice_adapter = index_tts2.create(Role.SPEAK, "IndexTTS-2", None, settings)

    audio = voice_adapter.speak("你好，世界。", voice(reference), "zh")

    assert audio.format == "wav"
    assert audio.data[:4] == b"RIFF"
    emotion, prompt_head, text, weight, rest = seen[-1]
    assert (emotion, prompt_head, text, weight) == (0, b"RIFF", "你好，世界。", 0.65)
    assert rest[-9:] == (120, True, 0.8, 30, 0.8, 0.0, 3, 10.0, 1500)
