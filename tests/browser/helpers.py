"""Small steps the browser tests share: pick, upload, wait, read the steps, screenshot."""

from __future__ import annotations

from pathlib import Path

FINISHED = ".st-step.st-succeeded, .st-step.st-reused, .st-step.st-skipped"


def pick(page, label: str, option: str, typed: str | None = None) -> None:
    """Open the dropdown called ``label``, optionally type to filter, click ``option``."""
    box = page.get_by_label(label, exact=True)
    box.click()
    if typed:
        box.fill(typed)
    page.get_by_role("option", name=option).first.click()


def upload(page, path: Path, where: str = "#speech-input") -> None:
    """Give the audio component a file and wait for its player to appear."""
    page.locator(f"{where} input[type=file]").set_input_files(str(path))
    page.locator(f"{where} a.download-link").wait_for(state="attached")


def audio_source(scope) -> str:
    """The URL an audio player plays (Gradio's waveform player links it for download)."""
    link = scope.locator("a.download-link").first
    link.wait_for(state="attached")
    return link.get_attribute("href") or ""


def open_tab(page, name: str) -> None:
    """Switch to the results tab called ``name``."""
    page.get_by_role("tab", name=name, exact=True).click()


def wait_until_done(page, finished: int = 5, timeout_ms: int = 60_000) -> None:
    """Wait until ``finished`` steps are done (or any step failed)."""
    page.wait_for_function(
        """([selector, wanted]) => document.querySelectorAll(selector).length >= wanted
           || document.querySelector('.st-step.st-failed') !== null""",
        arg=[FINISHED, finished], timeout=timeout_ms)


def statuses(page) -> list[str]:
    """The CSS status of each of the five steps, in order."""
    return page.eval_on_selector_all(
        "#steps .st-step", "items => items.map(i => i.className.replace('st-step st-', ''))")


def outside_the_screen(page) -> list[str]:
    """Visible elements reaching past the viewport's sides, unless a box that scrolls or
    clips holds them (a wide table scrolling inside its frame is fine)."""
    return page.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            const clipped = (el) => {
                for (let up = el.parentElement; up; up = up.parentElement) {
                    const style = getComputedStyle(up);
                    const box = up.getBoundingClientRect();
                    if (['auto', 'scroll', 'hidden', 'clip'].includes(style.overflowX)
                        && box.left >= -1 && box.right <= width + 1) return true;
                }
                return false;
            };
            const shown = (el) => {
                for (let up = el; up; up = up.parentElement) {
                    const style = getComputedStyle(up);
                    if (style.display === 'none' || style.visibility === 'hidden'
                        || style.opacity === '0') return false;
                }
                return true;
            };
            const found = [];
            for (const el of document.body.querySelectorAll('*')) {
                const box = el.getBoundingClientRect();
                if (box.width === 0 || box.height === 0) continue;
                if ((box.right > width + 1 || box.left < -1) && shown(el) && !clipped(el)) {
                    found.push(`${el.tagName.toLowerCase()}#${el.id}.${el.className}`
                               + ` ${Math.round(box.left)}..${Math.round(box.right)}`);
                }
            }
            return found;
        }""")


def visible_errors(page) -> list[str]:
    """Gradio's red "Error" badges and toasts that a person can see."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.error, .toast-body')].filter(el => {
            for (let up = el; up; up = up.parentElement) {
                const style = getComputedStyle(up);
                if (style.display === 'none' || style.visibility === 'hidden'
                    || style.opacity === '0') return false;
            }
            const box = el.getBoundingClientRect();
            return box.width > 0 && box.height > 0;
        }).map(el => el.textContent.trim())""")


def in_view(page, selector: str) -> bool:
    """Whether the element's top is inside the visible part of the page."""
    return page.evaluate(
        """(selector) => { const box = document.querySelector(selector).getBoundingClientRect();
            return box.top >= 0 && box.top < window.innerHeight && box.height > 0; }""",
        selector)


def shoot(page, shots_dir: Path, name: str, full: bool = True) -> Path:
    """Save a screenshot and return its path."""
    path = shots_dir / f"{name}.png"
    page.screenshot(path=str(path), full_page=full)
    return path
