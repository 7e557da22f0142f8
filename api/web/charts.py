"""Server-rendered SVG charts (hand-made: no script, colours from the stylesheet's classes)."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

BAR_HEIGHT = 22
LABEL_WIDTH = 160
BAR_WIDTH = 360


def stacked_bars(
    title: str,
    rows: Sequence[tuple[str, dict[str, int]]],
    series: Sequence[str],
    series_labels: dict[str, str],
) -> Markup:
    """One horizontal bar per row, split into `series` (each a CSS class `s-NAME`), with the
    counts as text so the chart reads without colour too."""
    largest = max((sum(counts.values()) for _, counts in rows), default=0) or 1
    height = BAR_HEIGHT * len(rows) + 30
    width = LABEL_WIDTH + BAR_WIDTH + 60
    parts = [
        Markup(
            '<svg class="chart" role="img" viewBox="0 0 {w} {h}" width="100%" '
            'preserveAspectRatio="xMinYMin meet" aria-label="{t}"><title>{t}</title>'
        ).format(w=width, h=height, t=title)
    ]
    for number, (label, counts) in enumerate(rows):
        parts.append(_bar(number * BAR_HEIGHT, label, counts, series, series_labels, largest))
    parts.append(_legend(len(rows) * BAR_HEIGHT + 20, series, series_labels))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def _bar(
    y: int,
    label: str,
    counts: dict[str, int],
    series: Sequence[str],
    series_labels: dict[str, str],
    largest: int,
) -> Markup:
    parts = [
        Markup('<text class="label" x="{x}" y="{y}" text-anchor="end">{label}</text>').format(
            x=LABEL_WIDTH - 6, y=y + 15, label=label or "—"
        )
    ]
    x = float(LABEL_WIDTH)
    for name in series:
        count = counts.get(name, 0)
        if not count:
            continue
        span = BAR_WIDTH * count / largest
        parts.append(
            Markup(
                '<rect class="s-{n}" x="{x:.1f}" y="{y}" width="{w:.1f}" height="{h}">'
                "<title>{label}: {s} {c}</title></rect>"
            ).format(
                n=name,
                x=x,
                y=y + 3,
                w=span,
                h=BAR_HEIGHT - 6,
                label=label,
                s=series_labels.get(name, name),
                c=count,
            )
        )
        x += span
    parts.append(
        Markup('<text class="total" x="{x:.1f}" y="{y}">{n}</text>').format(
            x=x + 4, y=y + 15, n=sum(counts.values())
        )
    )
    return Markup("").join(parts)


def _legend(y: int, series: Sequence[str], series_labels: dict[str, str]) -> Markup:
    parts = []
    x = float(LABEL_WIDTH)
    for name in series:
        parts.append(
            Markup(
                '<rect class="s-{n}" x="{x:.1f}" y="{y}" width="10" height="10"></rect>'
                '<text class="legend" x="{tx:.1f}" y="{ty}">{label}</text>'
            ).format(n=name, x=x, y=y - 9, tx=x + 14, ty=y, label=series_labels.get(name, name))
        )
        x += 90
    return Markup("").join(parts)
