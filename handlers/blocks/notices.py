"""The core's alerts and answers, and the employee's messages brought up to date, for Slack."""

from __future__ import annotations

from bot import wording
from bot.domain.notices import HelpdeskAlert, NotMeAnswer
from bot.domain.requests import HelpRequest, Status
from handlers.blocks.guide import Message
from handlers.blocks.text import SLACK


def build_alert_text(alert: HelpdeskAlert) -> str:
    """The help-desk channel's (and security's) line for an alert."""
    return wording.alert(SLACK, alert)


def build_not_me_reply(answer: NotMeAnswer) -> str:
    """What the employee who reported "this wasn't me" reads."""
    return wording.not_me_reply(SLACK, answer)


def build_request_status(request: HelpRequest) -> Message:
    """The employee's first message about a request once it can no longer be cancelled: where
    it stands, and no Cancel button."""
    if request.status is Status.CANCELLED:
        return Message.plain(wording.cancelled(SLACK, request))
    return Message.plain(wording.request_status_dm(SLACK, request))


def build_request_sent_note(request_id: int) -> Message:
    """The guide message whose Contact IT led to a request, once the request is sent."""
    return Message.plain(wording.request_sent_note(SLACK, request_id))
