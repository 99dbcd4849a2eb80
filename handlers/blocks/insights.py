"""The help desk's figures in Slack: `/mfa-admin stats` and the admins' board on the Home tab."""

from __future__ import annotations

import re
from collections.abc import Sequence

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    ImageBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.blocks.basic_components import SlackFile

from bot.charts import PICTURES
from bot.domain.insights import Board, Figures, Headline
from bot.report import Names, Row, duration, percent, period_name, rows, sections
from handlers.blocks.guide import Message
from handlers.blocks.text import escape_mrkdwn
from handlers.slack_rules.basics import HEADER_TEXT_LIMIT, SECTION_TEXT_LIMIT

_SLACK_ID = re.compile(r"[UW][A-Z0-9]{2,20}")
STATS_MORE = "`/mfa-admin stats month` (or `quarter`, `30d`, `2026-11-01..2026-11-30`)"


def build_stats(this: Figures, before: Figures, names: Names) -> Message:
    """Every figure of the period beside the period before's, one section per part."""
    title = f"Help desk figures, {period_name(this)}"
    blocks: list[Block] = [HeaderBlock(text=title[:HEADER_TEXT_LIMIT])]
    for section, part in sections(rows(this, before, names)):
        text = "\n".join(_line(line) for line in part)
        body = f"*{section}*\n{text}"
        blocks.append(SectionBlock(text=MarkdownTextObject(text=body[:SECTION_TEXT_LIMIT])))
    blocks.append(
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text="In brackets: the period of the same length before. Times in UTC."
                )
            ]
        )
    )
    return Message(text=title, blocks=blocks)


def _line(line: Row) -> str:
    what = escape_mrkdwn(line.what)
    if line.person is not None:  # a Slack user id becomes a mention; anything else stays text
        person = line.person
        what += f" <@{person}>" if _SLACK_ID.fullmatch(person) else f" {escape_mrkdwn(person)}"
    before = f" ({escape_mrkdwn(line.before)})" if line.before else ""
    return f"• {what}: *{escape_mrkdwn(line.this)}*{before}"


def build_board(board: Board | None) -> list[Block]:
    """The admins' part of the Home tab: this week against the week before, and the pictures
    (Slack files the bot uploaded, so no public address is needed)."""
    head: list[Block] = [DividerBlock(), HeaderBlock(text="This week at the help desk")]
    if board is None:
        note = "The figures are being worked out: they appear here in a moment."
        return [*head, SectionBlock(text=MarkdownTextObject(text=note))]
    blocks = [*head, SectionBlock(fields=_fields(board.this, board.before))]
    for file_id, (alt, _draw) in zip(board.pictures, PICTURES, strict=False):
        blocks.append(ImageBlock(slack_file=SlackFile(id=file_id), alt_text=alt))
    drawn = f"{board.drawn_at:%H:%M} UTC"
    more = f"Last 7 days, in brackets the 7 before; drawn at {drawn}. More: {STATS_MORE}."
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=more)]))
    return blocks


def _fields(this: Headline, before: Headline) -> Sequence[MarkdownTextObject]:
    pairs = (
        ("Walks", str(this.walks), str(before.walks)),
        ("Got back in on their own", percent(this.deflection), percent(before.deflection)),
        ("Requests to IT", str(this.requests), str(before.requests)),
        ("Waiting for a decision", str(this.waiting), str(before.waiting)),
        ("To a decision (median)", duration(this.to_decision), duration(before.to_decision)),
        ("To done (median)", duration(this.to_done), duration(before.to_done)),
        ("Denied", str(this.denials), str(before.denials)),
        ("“This wasn't me”", str(this.not_me), str(before.not_me)),
    )
    return [MarkdownTextObject(text=f"*{what}*\n{now} ({then})") for what, now, then in pairs]
