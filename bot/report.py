"""The help desk's figures as people read them: one list of rows (section, what, this period, the
period before) that the Slack views, the HTML report, CSV and JSON all show."""

from __future__ import annotations

import base64
import csv
import html
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from bot.domain import markup
from bot.domain.guide import Guide
from bot.domain.identity import ResetAction
from bot.domain.insights import Figures, Spread

WALKS, REQUESTS, WAITS, DECISIONS, PROVIDER = (
    "The guide",
    "Requests to IT",
    "Waiting",
    "Decisions",
    "The identity provider",
)
NONE = "\u2013"  # an en dash: no value
_STATES = ("open", "approved", "executing", "done", "failed", "denied", "expired", "cancelled")
_PROVIDER = {
    "action.done": "actions carried out",
    "action.failed": "actions failed",
    "action.retry_scheduled": "retries scheduled",
    "request.retried": "retries asked by an admin",
}


@dataclass(frozen=True)
class Row:
    """One line of the figures: its section, what it counts, this period's value and the one
    before's (empty where there is no comparison)."""

    section: str
    what: str
    this: str
    before: str = ""
    person: str | None = None  # the admin it counts (their id): only in the help desk's views

    def named(self) -> str:
        """What it counts, with the admin's id."""
        return self.what if self.person is None else f"{self.what} {self.person}"


class Names:
    """Topic and step names from the guide, and ids where the guide no longer has them."""

    def __init__(self, guide: Guide | None) -> None:
        self._guide = guide

    def topic(self, topic_id: str) -> str:
        try:
            return self._guide.topic(topic_id).title if self._guide else topic_id
        except KeyError:
            return topic_id

    def step(self, topic_id: str, step_id: str) -> str:
        if self._guide is None:
            return step_id
        try:
            steps = self._guide.topic(topic_id).steps
        except KeyError:
            return step_id
        for number, step in enumerate(steps, start=1):
            if step.id == step_id:
                words = markup.plain(step.text).split()
                more = "…" if len(words) > 8 else ""
                return f"step {number} of {len(steps)} (“{' '.join(words[:8])}{more}”)"
        return step_id


def duration(value: timedelta | None) -> str:
    """A duration as people say it: "45 min", "3 h 20 min", "2 d 4 h"; NONE for none."""
    if value is None:
        return NONE
    minutes = round(value.total_seconds() / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def percent(share: float | None) -> str:
    return NONE if share is None else f"{share:.0%}"


def rows(this: Figures, before: Figures, names: Names) -> list[Row]:
    """Every figure of the period, beside the period before's."""
    lines = [
        Row(WALKS, "walks started", str(this.walks), str(before.walks)),
        Row(
            WALKS, "got back in on their own", percent(this.deflection), percent(before.deflection)
        ),
    ]
    for outcome in ("worked", "escalated", "abandoned", "in_progress"):
        lines.append(
            Row(
                WALKS,
                f"walks {_OUTCOMES[outcome]}",
                str(this.walks_by_outcome.get(outcome, 0)),
                str(before.walks_by_outcome.get(outcome, 0)),
            )
        )
    by_size = sorted(this.walks_by_topic.items(), key=lambda item: -sum(item[1].values()))
    for topic, outcomes in by_size:
        earlier = sum(before.walks_by_topic.get(topic, {}).values())
        lines.append(
            Row(WALKS, f"topic: {names.topic(topic)}", str(sum(outcomes.values())), str(earlier))
        )
    if this.abandoned_most is not None:
        topic, step, count = this.abandoned_most
        where = f"{names.topic(topic)}, {names.step(topic, step)}"
        lines.append(Row(WALKS, "left most often at", f"{where}: {count}"))
    lines.append(Row(REQUESTS, "requests sent", str(this.requests), str(before.requests)))
    for state in _STATES:
        now, then = this.requests_by_state.get(state, 0), before.requests_by_state.get(state, 0)
        if now or then:
            lines.append(Row(REQUESTS, f"now {state}", str(now), str(then)))
    for action in ResetAction:
        proposed, approved = this.proposed.get(action.value, 0), this.approved.get(action.value, 0)
        if proposed or approved:
            lines.append(
                Row(REQUESTS, f"{action.label}: proposed / approved", f"{proposed} / {approved}")
            )
    lines += _waits(this, before)
    lines.append(Row(DECISIONS, "denied", str(this.denials), str(before.denials)))
    lines.append(Row(DECISIONS, "reported “this wasn't me”", str(this.not_me), str(before.not_me)))
    for admin, count in this.approvals_by_admin.items():
        lines.append(Row(DECISIONS, "approvals by", str(count), person=admin))
    for event, what in _PROVIDER.items():
        lines.append(
            Row(
                PROVIDER, what, str(this.provider.get(event, 0)), str(before.provider.get(event, 0))
            )
        )
    return lines


_OUTCOMES = {
    "worked": "that worked",
    "escalated": "that ended in Contact IT",
    "abandoned": "abandoned",
    "in_progress": "still in progress",
}


def _waits(this: Figures, before: Figures) -> list[Row]:
    now, then = this.waits, before.waits
    pairs: list[tuple[str, Spread | None, Spread | None]] = [
        ("to the first decision", now.to_decision, then.to_decision),
        ("to done", now.to_done, then.to_done),
        ("to the first decision, office hours", now.to_decision_office, then.to_decision_office),
        ("to done, office hours", now.to_done_office, then.to_done_office),
        ("from the decision to done", now.decided_to_done, then.decided_to_done),
    ]
    lines = []
    for what, mine, theirs in pairs:
        if mine is None or theirs is None:
            continue  # office hours without a readable HELPDESK_HOURS
        lines.append(Row(WAITS, f"{what}: median", duration(mine.median), duration(theirs.median)))
        lines.append(Row(WAITS, f"{what}: 90%", duration(mine.p90), duration(theirs.p90)))
    lines.append(Row(WAITS, "still waiting for a decision", str(now.waiting), str(then.waiting)))
    if now.longest_wait is not None:
        lines.append(Row(WAITS, "waiting longest", duration(now.longest_wait)))
    return lines


def period_name(found: Figures) -> str:
    """ "1 Nov 2026 to 30 Nov 2026" (UTC days; the end is the period's last day)."""
    last = found.period.until - timedelta(microseconds=1)
    return f"{found.period.since:%-d %b %Y} to {last:%-d %b %Y}"


def sections(lines: Sequence[Row]) -> list[tuple[str, list[Row]]]:
    """The rows grouped by section, in the order the sections first come."""
    grouped: dict[str, list[Row]] = {}
    for line in lines:
        grouped.setdefault(line.section, []).append(line)
    return list(grouped.items())


def to_csv(lines: Sequence[Row]) -> str:
    """The rows as CSV: section, figure, this period, the period before."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["section", "figure", "this period", "the period before"])
    for line in lines:
        cells = (line.section, line.named(), line.this, line.before)
        writer.writerow([_cell(cell) for cell in cells])
    return buffer.getvalue()


def _cell(text: str) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") and text != NONE else text


def to_json(this: Figures, lines: Sequence[Row]) -> str:
    """The rows as JSON, with the period's bounds."""
    return json.dumps(
        {
            "since": this.period.since.isoformat(),
            "until": this.period.until.isoformat(),
            "figures": [
                {"section": r.section, "figure": r.named(), "this": r.this, "before": r.before}
                for r in lines
            ],
        },
        indent=2,
        ensure_ascii=False,
    )


def to_html(
    this: Figures, lines: Sequence[Row], pictures: Sequence[tuple[str, bytes]], scope: str
) -> str:
    """One self-contained page: the rows as tables, the pictures (PNG) embedded as data."""
    title = f"MFA help desk: {period_name(this)}"
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p class=scope>{html.escape(scope)} · compared with the {html.escape(_length(this))} "
        "before · times in UTC</p>",
    ]
    for alt, png in pictures:
        data = base64.b64encode(png).decode()
        parts.append(
            f'<img class=chart alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'
        )
    for section, part in sections(lines):
        parts.append(f"<h2>{html.escape(section)}</h2><table><thead><tr><th></th>")
        parts.append("<th>this period</th><th>the period before</th></tr></thead><tbody>")
        for line in part:
            cells = (html.escape(line.named()), html.escape(line.this), html.escape(line.before))
            parts.append("<tr><td>{}</td><td>{}</td><td>{}</td></tr>".format(*cells))
        parts.append("</tbody></table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _length(this: Figures) -> str:
    days = round((this.period.until - this.period.since) / timedelta(days=1))
    return "day" if days == 1 else f"{days} days"


_STYLE = (
    "body{font:15px/1.45 system-ui,sans-serif;max-width:56rem;margin:2rem auto;padding:0 1rem;"
    "color:#1d1c1d}h1{font-size:1.5rem}h2{font-size:1.1rem;margin-top:2rem}.scope{color:#616061}"
    "table{border-collapse:collapse;width:100%;table-layout:fixed}th:first-child{width:60%}"
    "td,th{padding:.3rem .5rem;text-align:left;"
    "border-bottom:1px solid #ddd}td+td,th+th{text-align:right;white-space:nowrap}"
    ".chart{display:block;max-width:100%;margin:1rem 0}"
)
