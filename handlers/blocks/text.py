"""Text made safe for Slack's mrkdwn."""

from __future__ import annotations


def escape_mrkdwn(text: str) -> str:
    """Text typed by a person, made safe for mrkdwn: no mentions, links or formatting tokens."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
