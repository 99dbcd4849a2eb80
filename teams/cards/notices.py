"""The core's alerts and answers as Teams cards: the twin of handlers/blocks/notices.py."""

from __future__ import annotations

from collections.abc import Mapping

from bot import wording
from bot.domain.notices import HelpdeskAlert, NotMeAnswer
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
