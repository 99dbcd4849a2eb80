"""Whether the guide fits Slack once written for Slack: Block Kit's text limits, field by field."""

from __future__ import annotations

from collections.abc import Iterator

from bot.domain.guide import Guide
from handlers.blocks.markup import to_mrkdwn
from handlers.slack_rules.basics import BUTTON_TEXT_LIMIT, HEADER_TEXT_LIMIT, SECTION_TEXT_LIMIT

# An image's alt text, and the context block that shows it when Slack cannot fetch the picture.
ALT_TEXT_LIMIT = 2000


def guide_problems(guide: Guide) -> list[str]:
    """Each field whose text, as sent to Slack, is longer than Slack takes: "field: why"."""
    return [
        f"{where}: {len(text)} characters once written for Slack, which takes at most {limit}"
        for where, text, limit in _texts(guide)
        if len(text) > limit
    ]


def _texts(guide: Guide) -> Iterator[tuple[str, str, int]]:
    """Every text of the guide as Slack gets it, with where it is and Slack's limit for it."""
    yield "title", guide.title, HEADER_TEXT_LIMIT
    yield "texts.menu_header", guide.texts.menu_header, HEADER_TEXT_LIMIT
    yield "menu.more", guide.menu.more, SECTION_TEXT_LIMIT
    for name, text in guide.texts.model_dump(exclude={"menu_header"}).items():
        yield f"texts.{name}", to_mrkdwn(text), SECTION_TEXT_LIMIT
    for t_index, topic in enumerate(guide.topics):
        where = f"topics[{t_index}]"
        yield f"{where}.title", topic.title, HEADER_TEXT_LIMIT
        yield f"{where}.button", topic.button, BUTTON_TEXT_LIMIT
        yield f"{where}.summary", to_mrkdwn(topic.summary), SECTION_TEXT_LIMIT
        if topic.worked is not None:
            yield f"{where}.worked.text", to_mrkdwn(topic.worked.text), SECTION_TEXT_LIMIT
        for s_index, step in enumerate(topic.steps):
            here = f"{where}.steps[{s_index}]"
            yield f"{here}.text", to_mrkdwn(step.text), SECTION_TEXT_LIMIT
            if step.picture is not None:
                yield f"{here}.picture.alt", step.picture.alt, ALT_TEXT_LIMIT
                if step.picture.caption:
                    yield f"{here}.picture.caption", step.picture.caption, ALT_TEXT_LIMIT
            for c_index, choice in enumerate(step.choices):
                yield f"{here}.choices[{c_index}].label", choice.label, BUTTON_TEXT_LIMIT
            for l_index, link in enumerate(step.links):
                yield f"{here}.links[{l_index}].label", link.label, BUTTON_TEXT_LIMIT
