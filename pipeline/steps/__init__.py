"""The five steps, one module each, in the order every task runs them.

``initialization`` -> ``speech_to_text`` -> ``translation`` -> ``voice_clone`` ->
``text_to_speech``. Each step owns its state and exchanges values with the others only
through :mod:`.channels`; :mod:`pipeline.scheduler` runs them at once and wires them.
"""

from pipeline.steps.initialization import Initialization
from pipeline.steps.speech_to_text import SpeechToText
from pipeline.steps.text_to_speech import TextToSpeech
from pipeline.steps.translation import Translation
from pipeline.steps.voice_clone import VoiceClone

__all__ = ["Initialization", "SpeechToText", "TextToSpeech", "Translation", "VoiceClone"]
