"""The help desk's pictures, as PNG: walks by outcome per day, and the time to resolve, this period
against the one before.

matplotlib (with numpy) costs a replica some 48 MB and half a second to import, so it is loaded
with the first picture drawn, not when the bot starts: most replicas never draw one.
"""

from __future__ import annotations

import io
import math
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from bot.domain.guide import WalkOutcome
from bot.domain.insights import Figures, Spread

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure as Canvas

# Colours that stay apart for the common kinds of colour blindness (Okabe and Ito's palette).
OUTCOME_COLOURS = {
    WalkOutcome.WORKED.value: "#009E73",
    WalkOutcome.ESCALATED.value: "#E69F00",
    WalkOutcome.ABANDONED.value: "#999999",
    WalkOutcome.IN_PROGRESS.value: "#56B4E9",
}
OUTCOME_NAMES = {
    WalkOutcome.WORKED.value: "worked",
    WalkOutcome.ESCALATED.value: "contacted IT",
    WalkOutcome.ABANDONED.value: "abandoned",
    WalkOutcome.IN_PROGRESS.value: "in progress",
}
THIS, BEFORE = "#0072B2", "#BBBBBB"
WIDTH_IN, HEIGHT_IN, DPI = 8.0, 3.2, 110
MAX_LABELS = 10


def walks_chart(this: Figures, before: Figures) -> bytes:
    """Walks per day by outcome (stacked bars), with the period before's daily totals beside."""
    from matplotlib.ticker import MaxNLocator  # loaded late: see the docstring

    canvas = _canvas()
    axes = canvas.subplots()
    days = _days(this.period.since, this.period.until)
    shape = "%a %d" if len(days) <= 7 else "%d %b"
    labels = [day.strftime(shape) for day in days]
    positions = list(range(len(days)))
    bottom = [0] * len(days)
    for outcome, colour in OUTCOME_COLOURS.items():
        counts = [this.walks_by_day.get(day.isoformat(), {}).get(outcome, 0) for day in days]
        if any(counts):
            axes.bar(
                positions, counts, 0.6, bottom=bottom, color=colour, label=OUTCOME_NAMES[outcome]
            )
            bottom = [below + count for below, count in zip(bottom, counts, strict=True)]
    earlier = _days(before.period.since, before.period.until)
    totals = [sum(before.walks_by_day.get(day.isoformat(), {}).values()) for day in earlier]
    if any(totals) and len(totals) == len(days):
        axes.plot(positions, totals, "o--", color=BEFORE, label="all walks, the period before")
    every = math.ceil(len(days) / MAX_LABELS)  # a month or a year: every few days named
    axes.set_xticks(positions[::every], labels[::every], fontsize=8)
    axes.set_ylabel("walks")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))  # walks are counted whole
    axes.set_title("Walks by outcome per day", fontsize=10, loc="left")
    _finish(axes)
    return _png(canvas)


def waits_chart(this: Figures, before: Figures) -> bytes:
    """Median and 90th percentile hours to the first decision and to done, for both periods."""
    canvas = _canvas()
    axes = canvas.subplots()
    rows = [
        ("to a decision, median", this.waits.to_decision, before.waits.to_decision, "median"),
        ("to a decision, 90%", this.waits.to_decision, before.waits.to_decision, "p90"),
        ("to done, median", this.waits.to_done, before.waits.to_done, "median"),
        ("to done, 90%", this.waits.to_done, before.waits.to_done, "p90"),
    ]
    positions = list(range(len(rows)))
    now = [_hours(spread, which) for _label, spread, _before, which in rows]
    then = [_hours(spread, which) for _label, _now, spread, which in rows]
    axes.barh([p - 0.2 for p in positions], now, 0.4, color=THIS, label="this period")
    axes.barh([p + 0.2 for p in positions], then, 0.4, color=BEFORE, label="the period before")
    axes.set_yticks(positions, [label for label, *_rest in rows], fontsize=8)
    axes.invert_yaxis()
    axes.set_xlabel("hours")
    axes.set_title("Time to resolve", fontsize=10, loc="left")
    _finish(axes)
    return _png(canvas)


def _canvas() -> Canvas:
    from matplotlib.figure import Figure as Canvas  # loaded late: see the docstring

    # A Figure of its own, not pyplot's global state: pictures may be drawn at once on threads.
    return Canvas(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, layout="constrained")


def _days(since: datetime, until: datetime) -> list[date]:
    first, last = since.date(), (until - timedelta(microseconds=1)).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _hours(spread: Spread, which: str) -> float:
    value = spread.median if which == "median" else spread.p90
    return 0.0 if value is None else value.total_seconds() / 3600


def _finish(axes: Axes) -> None:
    axes.spines[["top", "right"]].set_visible(False)
    if axes.get_legend_handles_labels()[0]:  # an empty period draws no legend (nor warns)
        axes.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))


def _png(canvas: Canvas) -> bytes:
    buffer = io.BytesIO()
    canvas.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


# Each picture, with the alternative text people read where it cannot be seen.
PICTURES = (("Walks by outcome per day", walks_chart), ("Time to resolve", waits_chart))


def draw_all(this: Figures, before: Figures) -> list[tuple[str, bytes]]:
    """Every picture of the two periods, with its alternative text."""
    return [(alt, draw(this, before)) for alt, draw in PICTURES]
