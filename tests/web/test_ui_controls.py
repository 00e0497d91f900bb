"""The page offers a control for every task option, labelled and explained by its spec."""

from __future__ import annotations

import gradio as gr
import pytest

from pipeline.options import option_fields
from pipeline.runner import Pipeline
from pipeline.settings import Settings
from vendors.registry import default_registry
from web.ui import option_controls

SPECS = dict(option_fields())


@pytest.fixture(scope="module")
def controls(tmp_path_factory):
    settings = Settings.from_env({"APP_DATA_DIR": str(tmp_path_factory.mktemp("data"))})
    with gr.Blocks():
        return option_controls(Pipeline(default_registry(), settings))


def in_advanced(control) -> bool:
    block = control.parent
    while block is not None:
        if getattr(block, "elem_id", None) == "advanced":
            return True
        block = block.parent
    return False


def test_every_option_has_a_control_labelled_from_its_spec(controls):
    assert list(controls) == ["source_language", "target_language", "voice_vendor",
                              "stt_model", "llm_model", "output_format", "background", "timing",
                              "glossary", "instructions", "text_only",
                              "speech_translation_model", "quality", "quality_stt_model",
                              "max_retakes", "ducking", "video_out", "burn_subtitles",
                              "keep_original_audio", "target_languages", "speakers",
                              "speaker_voices", "subtitle_speakers"]
    assert set(controls) == set(SPECS)
    assert {name: c.label for name, c in controls.items()} == {
        name: spec.label for name, spec in SPECS.items()}


def test_only_the_advanced_options_sit_in_the_advanced_accordion_with_their_help(controls):
    advanced = {name for name, control in controls.items() if in_advanced(control)}
    assert advanced == {name for name, spec in SPECS.items() if spec.advanced}
    for name in advanced - {"glossary", "speaker_voices"}:
        assert controls[name].info == SPECS[name].help, name


def test_each_advanced_option_gets_the_control_that_suits_it(controls):
    assert isinstance(controls["timing"], gr.Radio)
    assert [value for _, value in controls["timing"].choices] == list(SPECS["timing"].choices)
    assert isinstance(controls["glossary"], gr.Dataframe)
    assert controls["glossary"].headers == ["Term", "Translation"]
    assert isinstance(controls["speaker_voices"], gr.Dataframe)
    assert controls["speaker_voices"].headers == ["Speaker", "Voice"]
    assert isinstance(controls["instructions"], gr.Textbox)
    assert isinstance(controls["text_only"], gr.Checkbox)
    assert isinstance(controls["subtitle_speakers"], gr.Checkbox)
    direct = controls["speech_translation_model"]
    assert isinstance(direct, gr.Dropdown) and direct.choices[0][1] == ""
