"""Text made safe for Slack's mrkdwn."""

from __future__ import annotations


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
