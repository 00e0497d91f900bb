"""Sign in with Hugging Face: the page's button and note, and what a signed-in visitor's runs use.

On a Hugging Face Space whose README front matter has ``hf_oauth: true`` and the
``inference-api`` scope (the Space then sets ``OAUTH_CLIENT_ID`` and ``OAUTH_SCOPES``), the
page shows Gradio's ``LoginButton``. The page's run handlers take a ``gr.OAuthToken``
parameter, which Gradio fills from the visitor's session (it is not part of the API
signature): the token becomes that run's ``HF_TOKEN``, so Hugging Face transcription, the
router's LLMs and the voice Spaces run on the visitor's own quota, and the server's own keys
stay out of the run unless ``APP_SIGNED_IN_USES_SERVER_KEYS`` is on.

Anywhere else (not a Space, or OAuth not enabled) no ``LoginButton`` is created at all:
Gradio would otherwise stand in for the sign-in with the machine's own Hugging Face login.
The button's place then holds a hidden button, and the note says where sign-in works.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import gradio as gr

from pipeline.settings import Settings

__all__ = [
    "HF_VARIABLE",
    "INFERENCE_SCOPE",
    "login_button",
    "signed_in_keys",
    "signin_available",
    "signin_note",
    "signin_status",
    "uses_server_keys",
    "visitor_token",
    "wire_signin",
]

log = logging.getLogger(__name__)

HF_VARIABLE = "HF_TOKEN"
INFERENCE_SCOPE = "inference-api"
BUTTON_ID = "signin-button"
NOTE_ID = "signin-note"
_LABEL = "Sign in with Hugging Face"
_SIGNED_OUT = ("Signed in, you run on your own free Hugging Face quota: speech recognition, "
               "translation and a voice cloned from yours in 23 languages. Your sign-in serves "
               "your own runs only and is never stored.")
_ELSEWHERE = ("Sign-in with Hugging Face works when this app runs as a Hugging Face Space. "
              "Here, paste a Hugging Face token under Settings to use the same models.")


def signin_available(settings: Settings) -> bool:
    """Whether this server is a Hugging Face Space with sign-in (and the inference scope) on."""
    on_space = settings.env("SYSTEM") == "spaces" and bool(settings.env("SPACE_ID"))
    if not (on_space and settings.env("OAUTH_CLIENT_ID")):
        return False
    if INFERENCE_SCOPE not in settings.env("OAUTH_SCOPES").split():
        log.warning("Sign-in is off: add %r to hf_oauth_scopes in the Space's README so a "
                    "signed-in visitor's token can call Hugging Face models.", INFERENCE_SCOPE)
        return False
    return True


def login_button(settings: Settings, **layout: Any) -> gr.Button:
    """The "Sign in with Hugging Face" button (present but hidden where sign-in is off).

    ``layout`` goes to the component as is (``scale``, ``min_width``, ``size``...).
    """
    if signin_available(settings):
        return gr.LoginButton(_LABEL, logout_value="Sign out ({})", elem_id=BUTTON_ID, **layout)
    return gr.Button(_LABEL, visible=False, interactive=False, elem_id=BUTTON_ID, **layout)


def signin_note(settings: Settings, **layout: Any) -> gr.Markdown:
    """A line saying what signing in gives (or where sign-in works, when it is off here)."""
    text = _SIGNED_OUT if signin_available(settings) else _ELSEWHERE
    return gr.Markdown(text, elem_id=NOTE_ID, elem_classes="st-note-small", **layout)


def signin_status(settings: Settings, profile: Any) -> str:
    """The note's text for a visitor: who is signed in and what their runs use."""
    if not signin_available(settings):
        return _ELSEWHERE
    name = getattr(profile, "username", "") or ""
    if not name:
        return _SIGNED_OUT
    lent = (" This server's own keys fill in for the rest." if settings.signed_in_uses_server_keys
            else " This server's own keys are not used for your runs: paste your own under "
                 "Settings for other vendors.")
    return (f"Signed in as **{name}**: speech recognition, translation and the cloned voice "
            f"run on your own Hugging Face quota.{lent}")


def wire_signin(demo: gr.Blocks, note: gr.Markdown, settings: Settings) -> None:
    """Refresh the note with the visitor's sign-in state each time the page loads."""
    if not signin_available(settings):
        return

    def status(profile: gr.OAuthProfile | None) -> str:
        return signin_status(settings, profile)

    demo.load(status, None, note, api_name="signin_status", api_visibility="private",
              show_progress="hidden")


def visitor_token(oauth: Any) -> str:
    """The signed-in visitor's Hugging Face token ("" when not signed in)."""
    return str(getattr(oauth, "token", "") or "").strip()


def signed_in_keys(keys: Mapping[str, str], oauth: Any) -> dict[str, str]:
    """``keys`` with the visitor's token as ``HF_TOKEN`` (a pasted HF_TOKEN wins)."""
    found = dict(keys)
    token = visitor_token(oauth)
    if token and not found.get(HF_VARIABLE):
        found[HF_VARIABLE] = token
    return found


def uses_server_keys(settings: Settings, oauth: Any) -> bool:
    """Whether the server's own keys may serve this visitor: always when they are not
    signed in; when they are, only with ``APP_SIGNED_IN_USES_SERVER_KEYS``."""
    return not visitor_token(oauth) or settings.signed_in_uses_server_keys
