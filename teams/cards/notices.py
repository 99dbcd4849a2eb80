"""The core's alerts and answers, and the employee's messages brought up to date, as Teams cards."""

from __future__ import annotations

from collections.abc import Mapping

from bot import wording
from bot.domain.notices import AlertClaim, HelpdeskAlert, NotMeAnswer, PromptAnswer
from bot.domain.requests import HelpRequest, Status
from teams.cards.helpdesk import build_notice
from teams.cards.text import TEAMS, Card, TeamsPen, execute
from teams.ids import Verb
from teams.payloads import RequestData


def build_alert(alert: HelpdeskAlert, names: Mapping[str, str] | None = None) -> Card:
    """The help-desk channel's (and security's) card for an alert, with a Claim button when
    someone must follow it up; `names` maps the Entra object ids it names to display names."""
    known = dict(names or {})
    request = getattr(alert, "request", None)
    if request is not None and request.requester_name:
        known.setdefault(request.requester_id, request.requester_name)
    shown = build_notice(wording.alert(TeamsPen(known), alert))
    claimed = alert.to_claim
    if claimed is not None:
        data = RequestData(request_id=claimed.id).to_data()
        shown["actions"] = [execute(wording.CLAIM, Verb.CLAIM_ALERT, data, style="positive")]
    return shown


def build_claimed_alert(claim: AlertClaim, names: Mapping[str, str] | None = None) -> Card:
    """An alert once claimed, in place of the one with the button: who handles it."""
    known = dict(names or {})
    if claim.request.requester_name:
        known.setdefault(claim.request.requester_id, claim.request.requester_name)
    return build_notice(wording.claimed_alert(TeamsPen(known), claim))


def build_not_me_reply(answer: NotMeAnswer) -> Card:
    """What the employee who reported "this wasn't me" reads."""
    return build_notice(wording.not_me_reply(TEAMS, answer))


def build_request_status(request: HelpRequest) -> Card:
    """The employee's first message about a request once it can no longer be cancelled: where
    it stands, and no Cancel button."""
    if request.status is Status.CANCELLED:
        return build_notice(wording.cancelled(TEAMS, request))
    return build_notice(wording.request_status_dm(TEAMS, request))


def build_prompt_reply(answer: PromptAnswer) -> Card:
    """What replaces the walk's card once the employee pressed Report it (its button gone)."""
    return build_notice(wording.prompt_reply(TEAMS, answer))
