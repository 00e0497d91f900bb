"""Draw a :class:`~pipeline.timeline.Timeline` as an inline SVG picture (no plotting library).

With speakers, every line is drawn in its speaker's colour (the same in both lanes) and a
legend above the picture names them; it wraps on a narrow screen.
"""

from __future__ import annotations

import html

from pipeline.timeline import Timeline

__all__ = ["SPEAKER_COLOURS", "speaker_colours", "timeline_svg"]

_LEFT = 86
_WIDTH = 900
_LANE_H = 34
_GAP = 14
_TOP = 8
_COLOURS = ("#4f46e5", "#c026d3", "#0d9488")
# Eight speakers, told apart with colour-blind-safe hues dark enough for white numbers.
SPEAKER_COLOURS = ("#0072b2", "#d55e00", "#009e73", "#aa4499", "#332288", "#8a6d00",
                   "#117733", "#882255")
_UNLABELLED = "#64748b"


def speaker_colours(speakers: tuple[str, ...]) -> dict[str, str]:
    """Speaker -> colour, in the order given (the order they first speak)."""
    return {name: SPEAKER_COLOURS[i % len(SPEAKER_COLOURS)] for i, name in enumerate(speakers)}


def _legend(colours: dict[str, str]) -> str:
    items = "".join(f'<li><span class="st-swatch" style="background: {colour}"></span>'
                    f"{html.escape(name)}</li>" for name, colour in colours.items())
    return f'<ul class="st-legend" aria-label="Speakers">{items}</ul>'


def _x(time_s: float, duration_s: float) -> float:
    span = _WIDTH - _LEFT - 10
    return _LEFT + span * (time_s / duration_s if duration_s > 0 else 0.0)


def _tick_label(value_s: float) -> str:
    minutes, rest = divmod(value_s, 60.0)
    return f"{int(minutes)}:{int(rest):02d}" if value_s >= 60 else f"{value_s:g} s"


def timeline_svg(timeline: Timeline | None) -> str:
    """The lanes as coloured blocks on a common time axis, captioned; "" when nothing to draw.

    Every block has a tooltip with its number, speaker, times and text; with speakers each
    block takes its speaker's colour, named in a legend. The picture scales to the
    page width, and on a narrow screen keeps a readable size and scrolls inside its box.
    """
    if timeline is None or not timeline.lanes:
        return ""
    colours = speaker_colours(timeline.speakers)
    height = _TOP + len(timeline.lanes) * (_LANE_H + _GAP) + 22
    names = " and ".join(lane.name.lower() for lane in timeline.lanes)
    parts = [(f'<svg class="st-timeline" viewBox="0 0 {_WIDTH} {height}" role="img" '
              f'preserveAspectRatio="xMinYMin meet" aria-label="Timeline of {names} segments">')]
    axis_y = _TOP + len(timeline.lanes) * (_LANE_H + _GAP)
    for tick in timeline.ticks_s:
        x = _x(tick, timeline.duration_s)
        parts.append(f'<line x1="{x:.1f}" y1="{_TOP}" x2="{x:.1f}" y2="{axis_y}" '
                     'stroke="#94a3b8" stroke-width="0.6" stroke-dasharray="3 3"/>')
        parts.append(f'<text x="{x:.1f}" y="{axis_y + 15}" font-size="12" fill="currentColor" '
                     f'text-anchor="middle">{_tick_label(tick)}</text>')
    for row, lane in enumerate(timeline.lanes):
        y = _TOP + row * (_LANE_H + _GAP)
        lane_colour = _COLOURS[row % len(_COLOURS)]
        parts.append(f'<text x="0" y="{y + _LANE_H / 2 + 5:.1f}" font-size="14" font-weight="600" '
                     f'fill="currentColor">{html.escape(lane.name)}</text>')
        for span in lane.spans:
            x0 = _x(span.start_s, timeline.duration_s)
            width = max(2.0, _x(span.end_s, timeline.duration_s) - x0)
            colour = (colours.get(span.speaker or "", _UNLABELLED) if colours
                      else lane_colour)
            who = f" {span.speaker}," if span.speaker else ""
            tip = html.escape(
                f"{span.number}.{who} {span.start_s:.1f}–{span.end_s:.1f} s: {span.text}")
            parts.append(
                f'<g><title>{tip}</title><rect x="{x0:.1f}" y="{y}" width="{width:.1f}" '
                f'height="{_LANE_H}" rx="5" fill="{colour}" fill-opacity="0.85"/>'
            )
            if width > 18:
                parts.append(f'<text x="{x0 + width / 2:.1f}" y="{y + _LANE_H / 2 + 5:.1f}" '
                             'font-size="13" fill="#fff" text-anchor="middle">'
                             f"{span.number}</text>")
            parts.append("</g>")
    parts.append("</svg>")
    caption = ("Timeline: each line in the original and where it lands in the dub"
               if len(timeline.lanes) > 1 else "Timeline: each line in the original")
    if colours:
        caption += ", coloured by speaker"
    legend = _legend(colours) if colours else ""
    return (f'<figure class="st-figure"><figcaption>{caption} (hover a block for its text)'
            f'</figcaption>{legend}<div class="st-figure-scroll">{"".join(parts)}</div>'
            "</figure>")
