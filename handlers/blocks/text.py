"""Text made safe for Slack's mrkdwn."""

from __future__ import annotations

from datetime import datetime


def escape_mrkdwn(text: str) -> str:
    """Text typed by a person, made safe for mrkdwn: no mentions, links or formatting tokens."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_mrkdwn_within(text: str, limit: int) -> str:
    """`escape_mrkdwn(text)` in at most `limit` characters: cut between whole characters (never
    inside an entity such as `&amp;`) and marked with an ellipsis when it had to be cut."""
    escaped = escape_mrkdwn(text)
    if len(escaped) <= limit:
        return escaped
    kept: list[str] = []
    used = 0
    for char in text:
        piece = escape_mrkdwn(char)
        if used + len(piece) > limit - 1:
            break
        kept.append(piece)
        used += len(piece)
    return "".join(kept) + "…"


class SlackPen:
    """The shared words (bot.wording) written as Slack mrkdwn."""

    br = "\n"
    chat = "Slack"
    dms = "our direct messages"

    def bold(self, text: str) -> str:
        """Bold."""
        return f"*{text}*"

    def italic(self, text: str) -> str:
        """Italics."""
        return f"_{text}_"

    def said(self, text: str) -> str:
        """Typed text, escaped."""
        return escape_mrkdwn(text)

    def person(self, user_id: str) -> str:
        """A mention."""
        return f"<@{user_id}>"

    def when(self, at: datetime) -> str:
        """A date Slack shows in the reader's time zone (UTC where it cannot)."""
        return (
            f"<!date^{int(at.timestamp())}^{{date_short_pretty}} {{time}}|{at:%Y-%m-%d %H:%M} UTC>"
        )

    def emoji(self, name: str) -> str:
        """An emoji shortcode."""
        return f":{name}:"

    def code(self, text: str) -> str:
        """Code."""
        return f"`{text}`"

    def link(self, url: str, label: str) -> str:
        """A link."""
        return f"<{url}|{label}>"

    def enroll_how(self) -> str:
        """The slash command that starts an enrollment, and where its steps go."""
        return "run `/mfa-admin enroll` and follow the steps in your DM"


SLACK = SlackPen()
