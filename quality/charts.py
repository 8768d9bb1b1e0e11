"""Charts of the managers' dashboard, drawn on the server as SVG: no script, no inline style (colours come from
classes in static/css/dashboard.css), so they pass the content-security policy and print. Each bar and point
is a link to the orders behind it, with a <title> the browser shows on hover. The drawing is 360 units wide:
on a 375 px phone it is drawn about 1:1, on a wide screen scaled up.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape as _escape

from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import pgettext

WIDTH, HEIGHT = 360, 170
LEFT, RIGHT, TOP, BOTTOM = 30, 6, 10, 22
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM


@dataclass(frozen=True)
class Series:
    css: str  # the bars' class: colour in dashboard.css
    values: Sequence[int]
    urls: Sequence[str]
    titles: Sequence[str]


def escape(text: object) -> str:
    """HTML-escaped text (the standard library's: these are plain strings, and Django's escape() costs a lazy-
    string check per call)."""
    return _escape(str(text), quote=True)


def nice_ceiling(value: int) -> int:
    """The axis' top: 1, 2 or 5 times a power of ten, at least `value` (and at least 1)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return int(step * power) if step * power == int(step * power) else 3 * power
    return 10 * power  # pragma: no cover


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _frame(top: int, days: Sequence[date], label: str) -> list[str]:
    parts = [
        # A group, not an image: its bars and columns are links a keyboard reaches (an image's parts are not).
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="group" aria-label="{escape(label)}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(label)}</title>",
    ]
    for fraction in (0, 0.5, 1):
        y = TOP + PLOT_H * (1 - fraction)
        value = top * fraction
        parts.append(f'<line class="chart-grid" x1="{LEFT}" y1="{_n(y)}" x2="{WIDTH - RIGHT}" y2="{_n(y)}"/>')
        if value == int(value):
            parts.append(
                f'<text class="chart-axis" x="{LEFT - 4}" y="{_n(y + 3)}" text-anchor="end">{int(value)}</text>'
            )
    if days:
        # Translators: a date format (Django's date filter) for chart axes: "Nov 2"; Russian "j E" ("2 ноября").
        axis_format = pgettext("chart axis date", "M j")
        marks = sorted({0, len(days) // 2, len(days) - 1}) if len(days) > 2 else list(range(len(days)))
        slot = PLOT_W / len(days)
        for index in marks:
            x = LEFT + slot * (index + 0.5)
            anchor = (
                "start"
                if index == 0 and len(days) > 2
                else "end"
                if index == len(days) - 1 and len(days) > 2
                else "middle"
            )
            parts.append(
                f'<text class="chart-axis" x="{_n(x)}" y="{HEIGHT - 6}" text-anchor="{anchor}">'
                f"{escape(date_format(days[index], axis_format))}</text>"
            )
    return parts


def bar_chart(days: Sequence[date], series: Sequence[Series], label: str) -> SafeString:
    """Bars side by side per day, one per series."""
    top = nice_ceiling(max((max(s.values, default=0) for s in series), default=0))
    parts = _frame(top, days, label)
    if days:
        slot = PLOT_W / len(days)
        width = slot * 0.8 / len(series)
        for i, _day in enumerate(days):
            for j, s in enumerate(series):
                value = s.values[i]
                if not value:
                    continue
                height = PLOT_H * value / top
                x = LEFT + slot * i + slot * 0.1 + width * j
                parts.append(
                    f'<a href="{escape(s.urls[i])}" aria-label="{escape(s.titles[i])}"><rect class="{s.css}" x="{_n(x)}" y="{_n(TOP + PLOT_H - height)}" '
                    f'width="{_n(max(width, 0.6))}" height="{_n(height)}"><title>{escape(s.titles[i])}</title></rect></a>'
                )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text and URL above is escaped


def line_chart(
    days: Sequence[date],
    values: Sequence[int],
    urls: Sequence[str],
    titles: Sequence[str],
    css: str,
    label: str,
) -> SafeString:
    """A line through one value per day; each day's column is a link (a transparent hit area)."""
    top = nice_ceiling(max(values, default=0))
    parts = _frame(top, days, label)
    if days:
        slot = PLOT_W / len(days)
        points = " ".join(
            f"{_n(LEFT + slot * (i + 0.5))},{_n(TOP + PLOT_H * (1 - v / top))}" for i, v in enumerate(values)
        )
        parts.append(f'<polyline class="{css}" points="{points}"/>')
        for i, _day in enumerate(days):
            parts.append(
                f'<a href="{escape(urls[i])}" aria-label="{escape(titles[i])}"><rect class="chart-hit" x="{_n(LEFT + slot * i)}" y="{TOP}" '
                f'width="{_n(slot)}" height="{PLOT_H}"><title>{escape(titles[i])}</title></rect></a>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text and URL above is escaped


def sparkline(values: Sequence[float | None], titles: Sequence[str], label: str) -> SafeString:
    """A small line of shares (0..1), e.g. an SLA target's weekly compliance; gaps where a week had nothing."""
    width, height, pad = 120, 28, 3
    parts = [
        f'<svg class="sparkline" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}" '
        'xmlns="http://www.w3.org/2000/svg">'
    ]
    if values:
        step = (width - 2 * pad) / max(len(values) - 1, 1)
        for i, value in enumerate(values):
            if value is None:
                continue
            x, y = pad + step * i, pad + (height - 2 * pad) * (1 - value)
            parts.append(
                f'<circle class="spark-point" cx="{_n(x)}" cy="{_n(y)}" r="2"><title>{escape(titles[i])}</title></circle>'
            )
        points = [
            (pad + step * i, pad + (height - 2 * pad) * (1 - v))
            for i, v in enumerate(values)
            if v is not None
        ]
        if len(points) > 1:
            parts.append(
                '<polyline class="spark-line" points="'
                + " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
                + '"/>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
