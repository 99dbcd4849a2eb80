"""The core's alerts and answers as Slack text: mentions, emoji and escaped free text."""

from __future__ import annotations

from bot import wording
from bot.domain.notices import HelpdeskAlert, NotMeAnswer
from handlers.blocks.text import SLACK


def build_alert_text(alert: HelpdeskAlert) -> str:
    """The help-desk channel's (and security's) line for an alert."""
    return wording.alert(SLACK, alert)


def build_not_me_reply(answer: NotMeAnswer) -> str:
    """What the employee who reported "this wasn't me" reads."""
    return wording.not_me_reply(SLACK, answer)
