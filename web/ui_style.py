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
.st-canceled .st-icon, .st-canceled .st-status, .st-stopped .st-icon,
.st-stopped .st-status { color: var(--body-text-color-subdued); }
.st-not-run { opacity: 0.55; }
.st-banner { margin: 0.5rem 0 0; font-weight: 600; overflow-wrap: anywhere; }
.st-banner-error { color: #b91c1c; }
.st-banner-canceled { color: var(--body-text-color-subdued); }
.st-progress { height: 6px; border-radius: 3px; margin: 0.1rem 0 0.5rem;
  background: var(--border-color-primary); overflow: hidden; }
.st-progress span { display: block; height: 100%; background: #4f46e5;
  transition: width 0.4s ease-out; }
.st-welcome { border: 1px solid var(--border-color-primary); border-radius: 10px;
  padding: 0.7rem 0.9rem; background: var(--block-background-fill); }
.st-welcome p { margin: 0 0 0.4rem; font-size: 1.02rem; }
.st-actions { gap: 0.5rem; flex-wrap: wrap; }
.st-actions > * { flex: 1 1 14rem; }
.st-result { border: 1px solid var(--border-color-primary); border-radius: 10px;
  padding: 0.5rem 0.7rem; }
#result:has(#dubbed-audio > .empty) { display: none; }
#result-summary p { margin: 0; font-size: 1.02rem; }
#subtitles td.download { min-width: 5.5rem; }
#subtitles .filename .stem { white-space: normal; overflow-wrap: anywhere; overflow: visible; }
@keyframes st-pulse { 50% { opacity: 0.35; } }
.st-figure { margin: 0.5rem 0; }
.st-figure figcaption { font-weight: 600; margin-bottom: 0.3rem; }
.st-figure-scroll { overflow-x: auto; max-width: 100%; }
.st-timeline { width: 100%; height: auto; color: var(--body-text-color); }
.st-legend { display: flex; flex-wrap: wrap; gap: 0.3rem 1rem; list-style: none; margin: 0 0 0.4rem;
  padding: 0; }
.st-legend li { display: flex; align-items: center; gap: 0.35rem; margin: 0; }
.st-swatch { display: inline-block; width: 0.9rem; height: 0.9rem; border-radius: 3px; }
.st-card { border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 0.5rem; }
#details table { display: block; overflow-x: auto; max-width: 100%; }
#details th, #details td { min-width: 7rem; vertical-align: top; overflow-wrap: normal;
  word-break: normal; }
#details td:last-child { min-width: 16rem; }
#translation-quality table, #compare-summary table { display: block; overflow-x: auto;
  max-width: 100%; width: fit-content; }
#translation-quality th, #translation-quality td, #compare-summary th, #compare-summary td {
  overflow-wrap: normal; word-break: normal; white-space: nowrap;
  font-variant-numeric: tabular-nums; }
#translation-quality td:last-child { white-space: normal; min-width: 12rem; }
#transcript-table .cell-wrap, #translation-table .cell-wrap,
#speakers-table .cell-wrap { font-family: var(--font); }
.st-footer { text-align: center; font-size: 0.9rem; opacity: 0.85; margin-top: 1rem; }
#transcript-table .table-wrap, #translation-table .table-wrap,
#speakers-table .table-wrap { overflow-x: auto; }
@media (max-width: 640px) {
  .st-step { grid-template-columns: 1.4rem 1fr auto; }
  .st-note { grid-column: 2 / 4; }
  .st-header h1 { font-size: 1.5rem; }
  .st-timeline { min-width: 720px; }
  #speakers-table table { min-width: 680px; }
  .st-tabs .tab-container button { padding: 0 0.45rem; font-size: 0.9rem; }
  #details th, #details td { min-width: 5rem; }
  #details td:last-child { min-width: 12rem; }
}
"""


def theme():
    """The Gradio theme (built on call, so importing this module stays cheap)."""
    import gradio as gr

    return gr.themes.Soft(primary_hue="indigo", secondary_hue="purple")
