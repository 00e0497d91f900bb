"""Every speaker keeps their own voice, in a real browser: a generated two-voice dialogue
dubbed offline (PocketSphinx, espeak, two speakers) shows its speakers and their clips; a
line given to the other speaker in the Translation table is spoken again in that
speaker's pitch, with only the voice steps run; panel, tables and timeline fit 1366 and
390 px."""

from __future__ import annotations

import re

import httpx
import numpy as np
import pytest

from pipeline.quality.similarity import available
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.helpers import (
    audio_source,
    open_tab,
    outside_the_screen,
    pick,
    shoot,
    statuses,
    upload,
    wait_until_done,
)
from tests.pipeline.speakers.dialogue import median_pitch_hz, write_dialogue

expect = pytest.importorskip("playwright.sync_api").expect
pytestmark = pytest.mark.skipif(not available(), reason="resemblyzer is not installed")
pytest.importorskip("parselmouth")
pytest.importorskip("pocketsphinx")

_TIME = re.compile(r"(\d+):(\d+\.\d)–(\d+):(\d+\.\d)")


def _fits(page, width: int) -> None:
    page.wait_for_timeout(300)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert outside_the_screen(page) == []


def _cell(table, row: int, column: int):
    return table.get_by_test_id(f"cell-{row}-{column}")


def _lines(table) -> list[tuple[float, float, str]]:
    """Each row's (start_s, end_s, speaker) as the translation table shows them."""
    found = []
    while _cell(table, len(found), 1).count():
        m = _TIME.search(_cell(table, len(found), 1).inner_text())
        assert m, "each row shows its time span"
        start_s = int(m[1]) * 60 + float(m[2])
        end_s = int(m[3]) * 60 + float(m[4])
        who = _cell(table, len(found), 2).inner_text().replace("⋮", "").strip()
        found.append((start_s, end_s, who))
    return found


def _nearer(pitch_hz: float, own: dict[str, float], who: str) -> bool:
    """Whether ``pitch_hz`` is within a fifth of ``who``'s own pitch and nearer to it than to
    the other speaker's (lines heard by PocketSphinx cut the speech less neatly than the
    dialogue's true turns)."""
    other = next(w for w in own if w != who)
    return (abs(pitch_hz - own[who]) <= 0.2 * own[who]
            and abs(pitch_hz - own[who]) < abs(pitch_hz - own[other]))


def _download(page, tmp_path, name: str):
    url = audio_source(page.locator("#dubbed-audio"))
    path = tmp_path / name
    path.write_bytes(httpx.get(url, timeout=30).content)
    return path


def test_a_line_given_to_the_other_speaker_is_dubbed_again_in_their_voice(
        browser, keyless_server, tmp_path, shots_dir):
    wav, truth = write_dialogue(tmp_path / "dialogue.wav")
    own = {who: float(np.median([median_pitch_hz(wav, a, b) for a, b, w, _ in truth
                                 if w == who])) for who in ("A", "B")}
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(keyless_server.url, wait_until="load")
    page.wait_for_selector("#translate-button")
    upload(page, wav)
    pick(page, "Spoken language", "English (en)", "Engl")
    pick(page, "Target language", "English (en)", "Engl")
    pick(page, "Speech-to-text model", "PocketSphinx (offline) · offline, English only · ready")
    pick(page, "Voice vendor",
         "espeak-ng (offline) · offline, tone-matched, synthetic sound · ready")
    page.get_by_role("radio", name="WAV").check()
    page.locator("#advanced").get_by_role("button", name="Advanced").click()
    page.locator("#timing").get_by_label("Keep").check()
    pick(page, "Speakers", "2")
    page.locator("#translate-button").click()
    wait_until_done(page, timeout_ms=300_000)
    assert statuses(page) == ["succeeded", "succeeded", "skipped", "succeeded", "succeeded"]

    open_tab(page, "Translation")
    panel = page.locator("#speakers-table")
    expect(page.locator("#speakers-note")).to_contain_text("2 speakers")
    expect(panel).to_be_visible()
    assert [_cell(panel, r, 0).inner_text().strip() for r in (0, 1)] == ["Speaker 1",
                                                                         "Speaker 2"]
    assert _cell(panel, 2, 0).count() == 0
    assert _cell(panel, 0, 4).inner_text().strip() == "espeak"
    for n in (1, 2):
        clip = page.locator(f"#speaker-clip-{n}")
        expect(clip).to_be_visible()
        expect(clip).to_contain_text(f"Speaker {n}: reference")
        assert audio_source(clip).startswith("http")
    expect(page.locator("#speaker-clip-3")).to_be_hidden()
    page.locator("#speakers-panel").scroll_into_view_if_needed()
    _fits(page, DESKTOP["width"])
    shoot(page, shots_dir, "40-speakers-panel-desktop", full=False)

    # The longest line of the speaker who answers (voice B) goes to the one who asks (A).
    table = page.locator("#translation-table")
    lines = _lines(table)
    assert {who for _, _, who in lines} == {"Speaker 1", "Speaker 2"}
    asker = next(who for start, _, who in lines if start < truth[0][1])
    answerer = ({"Speaker 1", "Speaker 2"} - {asker}).pop()
    index = max((i for i, (_, _, who) in enumerate(lines) if who == answerer),
                key=lambda i: lines[i][1] - lines[i][0])
    start_s, end_s, _ = lines[index]
    before = median_pitch_hz(_download(page, tmp_path, "first.wav"), start_s, end_s)
    assert _nearer(before, own, "B"), (before, own)

    _cell(table, index, 2).dblclick()
    editor = table.locator("textarea, input:not([type=file])").first
    editor.fill(asker)
    editor.press("Enter")
    expect(_cell(table, index, 2)).to_contain_text(asker)
    table.scroll_into_view_if_needed()
    shoot(page, shots_dir, "41-speakers-reassigned-desktop", full=False)
    first_url = audio_source(page.locator("#dubbed-audio"))
    page.locator("#resynth-button").click()
    expect(page.locator("#reuse-note")).to_have_text(
        f"Speakers corrected: line {index + 1} → {asker}. Reused initialization, "
        "speech_to_text; ran again voice_clone, text_to_speech; skipped translation.",
        timeout=300_000)
    wait_until_done(page)
    assert statuses(page) == ["reused", "reused", "skipped", "succeeded", "succeeded"]
    page.wait_for_function(
        """(old) => { const a = document.querySelector('#dubbed-audio a.download-link');
                      return a && a.href !== old; }""", arg=first_url)
    after = median_pitch_hz(_download(page, tmp_path, "again.wav"), start_s, end_s)
    assert _nearer(after, own, "A"), (before, after, own)
    assert [who for _, _, who in _lines(table)][index] == asker

    open_tab(page, "Timeline")
    expect(page.locator("#timeline .st-legend")).to_contain_text("Speaker 1")
    expect(page.locator("#timeline .st-legend")).to_contain_text("Speaker 2")
    _fits(page, DESKTOP["width"])
    shoot(page, shots_dir, "42-speakers-timeline-desktop", full=False)
    open_tab(page, "Transcript")
    expect(page.locator("#transcript-table")).to_contain_text(asker)
    shoot(page, shots_dir, "43-speakers-transcript-desktop", full=False)

    page.set_viewport_size(PHONE)
    open_tab(page, "Translation")
    page.locator("#speakers-panel").scroll_into_view_if_needed()
    _fits(page, PHONE["width"])
    shoot(page, shots_dir, "44-speakers-panel-phone", full=False)
    table.scroll_into_view_if_needed()
    _fits(page, PHONE["width"])
    shoot(page, shots_dir, "45-speakers-translation-phone", full=False)
    open_tab(page, "Transcript")
    _fits(page, PHONE["width"])
    shoot(page, shots_dir, "46-speakers-transcript-phone", full=False)
    open_tab(page, "Timeline")
    page.locator("#timeline").scroll_into_view_if_needed()
    _fits(page, PHONE["width"])
    shoot(page, shots_dir, "47-speakers-timeline-phone", full=False)
    context.close()
