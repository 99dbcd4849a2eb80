"""Whether the guide fits Teams once written for Teams: every card it makes passes card_rules."""

from __future__ import annotations

from collections.abc import Iterator

from bot.domain.guide import Guide, WalkOutcome, WalkState
from teams.card_rules import card_problems
from teams.cards.guide import build_menu, render_walk
from teams.cards.text import Card, unknown_emoji

# Any walk id: the check looks at the card, not at whose walk it is.
_WALK = "f" * 32


def guide_problems(guide: Guide) -> list[str]:
    """Each card of the guide that Teams would not render as meant, and each emoji Teams gets
    none for: "where: why"."""
    problems = [
        f"{where}: {problem}" for where, card in _cards(guide) for problem in card_problems(card)
    ]
    problems += [
        f"{where}: the emoji :{name}: has no Teams equivalent here (teams/cards/text.py)"
        for where, text in _markup(guide)
        for name in unknown_emoji(text)
    ]
    return problems


def _cards(guide: Guide) -> Iterator[tuple[str, Card]]:
    """The menu with each of the guide's texts as its introduction, and every step of every
    topic at every outcome (a step's card differs only by the depth shown)."""
    yield "menu", build_menu(guide)
    for name in ("not_matched", "abandoned"):
        yield f"menu with texts.{name}", build_menu(guide, getattr(guide.texts, name))
    for t_index, topic in enumerate(guide.topics):
        for s_index, step in enumerate(topic.steps):
            path = (step.id,) if step is topic.first_step else (topic.first_step.id, step.id)
            for outcome in (WalkOutcome.IN_PROGRESS, WalkOutcome.WORKED, WalkOutcome.ESCALATED):
                state = WalkState(topic_id=topic.id, path=path, seen=path, outcome=outcome)
                where = f"topics[{t_index}].steps[{s_index}] ({outcome.value})"
                yield where, render_walk(guide, state, _WALK)


def _markup(guide: Guide) -> Iterator[tuple[str, str]]:
    """Every text of the guide in its markup, with where it is."""
    for name, text in guide.texts.model_dump(exclude={"menu_header"}).items():
        yield f"texts.{name}", text
    for t_index, topic in enumerate(guide.topics):
        yield f"topics[{t_index}].summary", topic.summary
        if topic.worked is not None:
            yield f"topics[{t_index}].worked.text", topic.worked.text
        for s_index, step in enumerate(topic.steps):
            yield f"topics[{t_index}].steps[{s_index}].text", step.text
