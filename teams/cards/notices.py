"""The core's alerts and answers, and the employee's messages brought up to date, as Teams cards."""

from __future__ import annotations

from collections.abc import Mapping

from bot import wording
from bot.domain.notices import HelpdeskAlert, NotMeAnswer
from bot.domain.requests import HelpRequest, Status
from teams.cards.helpdesk import build_notice
from teams.cards.text import TEAMS, Card, TeamsPen


def build_alert(alert: HelpdeskAlert, names: Mapping[str, str] | None = None) -> Card:
    """The help-desk channel's (and security's) card for an alert; `names` maps the Entra
    object ids it names to display names."""
    known = dict(names or {})
    request = getattr(alert, "request", None)
    if request is not None and request.requester_name:
        known.setdefault(request.requester_id, request.requester_name)
    return build_notice(wording.alert(TeamsPen(known), alert))


def build_not_me_reply(answer: NotMeAnswer) -> Card:
    """What the employee who reported "this wasn't me" reads."""
    return build_notice(wording.not_me_reply(TEAMS, answer))


def build_request_status(request: HelpRequest) -> Card:
    """The employee's first message about a request once it can no longer be cancelled: where
    it stands, and no Cancel button."""
    if request.status is Status.CANCELLED:
        return build_notice(wording.cancelled(TEAMS, request))
    return build_notice(wording.request_status_dm(TEAMS, request))


def build_request_sent_note(request_id: int) -> Card:
    """The guide card whose Contact IT led to a request, once the request is sent."""
    return build_notice(wording.request_sent_note(TEAMS, request_id))
