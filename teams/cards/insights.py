"""The help desk's figures in Teams: the card an admin gets for "stats"."""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain.insights import Figures
from bot.report import Names, period_name, rows, sections
from teams.cards.text import Card, Element, bold, card, escape, heading, subtle, text_block


def build_stats(
    this: Figures, before: Figures, names: Names, people: Mapping[str, str] | None = None
) -> Card:
    """Every figure of the period beside the period before's (in brackets), one fact set per
    part; admins by name where Teams told the bot their names."""
    title = f"Help desk figures, {period_name(this)}"
    known = people or {}
    body: list[Element] = [heading(title)]
    for section, part in sections(rows(this, before, names)):
        facts = []
        for line in part:
            what = line.what
            if line.person is not None:
                what = f"{what} {known.get(line.person, line.person)}"
            value = f"{line.this} ({line.before})" if line.before else line.this
            facts.append({"title": escape(what), "value": escape(value)})
        body.append(text_block(bold(escape(section)), spacing="Medium"))
        body.append({"type": "FactSet", "facts": facts})
    body.append(subtle("In brackets: the period of the same length before. Times in UTC."))
    return card(body, title)
