"""The page's look: a calm theme and a little CSS for the step list, cards and phones."""

from __future__ import annotations

__all__ = ["CSS", "theme"]

CSS = """
.st-header h1 { margin-bottom: 0.2rem; }
.st-header p { margin-top: 0; font-size: 1.05rem; }
.st-note-small { font-size: 0.9rem; opacity: 0.85; }
.st-steps-box { border: 1px solid var(--border-color-primary); border-radius: 10px;
  padding: 0.6rem 0.9rem; background: var(--block-background-fill); }
.st-steps { list-style: none; margin: 0; padding: 0; }
.st-step { display: grid; grid-template-columns: 1.6rem 11rem 9rem 1fr; gap: 0.4rem;
  align-items: baseline; padding: 0.3rem 0; border-bottom: 1px dashed var(--border-color-primary); }
.st-step:last-child { border-bottom: none; }
.st-icon { font-weight: 700; text-align: center; }
.st-name { font-weight: 600; }
.st-status { font-variant-numeric: tabular-nums; }
.st-note { opacity: 0.85; overflow-wrap: anywhere; }
.st-pending { opacity: 0.6; }
.st-running .st-icon { color: #2563eb; animation: st-pulse 1s ease-in-out infinite; }
.st-running .st-status { color: #2563eb; font-weight: 600; }
.st-succeeded .st-icon { color: #15803d; }
.st-reused .st-icon, .st-reused .st-status { color: #7c3aed; }
.st-failed .st-icon, .st-failed .st-status, .st-failed .st-note { color: #b91c1c; }
.st-skipped .st-icon, .st-skipped .st-status { color: #a16207; }
.st-banner { margin: 0.5rem 0 0; font-weight: 600; }
@keyframes st-pulse { 50% { opacity: 0.35; } }
.st-figure { margin: 0.5rem 0; }
.st-figure figcaption { font-weight: 600; margin-bottom: 0.3rem; }
.st-timeline { width: 100%; height: auto; color: var(--body-text-color); }
.st-card { border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 0.5rem; }
#details table { display: block; overflow-x: auto; max-width: 100%; }
#details th, #details td { min-width: 7rem; vertical-align: top; overflow-wrap: normal;
  word-break: normal; }
#details td:last-child { min-width: 16rem; }
#transcript-table td, #translation-table td { font-family: var(--font); }
.st-footer { text-align: center; font-size: 0.9rem; opacity: 0.85; margin-top: 1rem; }
@media (max-width: 640px) {
  .st-step { grid-template-columns: 1.4rem 1fr; }
  .st-status, .st-note { grid-column: 2; }
  .st-header h1 { font-size: 1.5rem; }
}
"""


def theme():
    """The Gradio theme (built on call, so importing this module stays cheap)."""
    import gradio as gr

    return gr.themes.Soft(primary_hue="indigo", secondary_hue="purple")
