"""The guide's neutral markup written as Slack mrkdwn."""

from __future__ import annotations

from functools import lru_cache

from bot.domain import markup
from bot.domain.markup import (
    Code,
    Emoji,
    HardBreak,
    Inline,
    Paragraph,
    SoftBreak,
    Strong,
    Text,
)
from handlers.blocks.text import escape_mrkdwn

# Slack has no list syntax: a bullet item is written with the bullet character itself.
BULLET = "• "


@lru_cache(maxsize=1024)
def to_mrkdwn(text: str) -> str:
    """The markup `text` as Slack mrkdwn: a blank line between paragraphs (and around a list),
    one line per list item."""
    blocks: list[str] = []
    for block in markup.parse(text):
        if isinstance(block, Paragraph):
            blocks.append(_inlines(block.children))
            continue
        markers = markup.list_markers(block)
        if isinstance(block, markup.BulletList):
            markers = [BULLET] * len(markers)
        items = (
            marker + "\n".join(_inlines(p.children) for p in item)
            for marker, item in zip(markers, block.items, strict=True)
        )
        blocks.append("\n".join(items))
    return "\n\n".join(blocks)


def _inlines(children: tuple[Inline, ...]) -> str:
    return "".join(_inline(child) for child in children)


def _inline(child: Inline) -> str:
    if isinstance(child, Text):
        return escape_mrkdwn(child.text)
    if isinstance(child, Code):
        return f"`{escape_mrkdwn(child.text)}`"
    if isinstance(child, Emoji):
        return f":{child.name}:"
    if isinstance(child, SoftBreak):
        return " "
    if isinstance(child, HardBreak):
        return "\n"
    if isinstance(child, Strong):
        return f"*{_inlines(child.children)}*"
    return f"<{child.url}|{_inlines(child.children)}>"
