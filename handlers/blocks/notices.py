"""The core's alerts and answers, and the employee's messages brought up to date, for Slack."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    MarkdownTextObject,
    SectionBlock,
)

from bot import wording
from bot.domain.notices import AlertClaim, HelpdeskAlert, NotMeAnswer, PromptAnswer
from bot.domain.requests import HelpRequest, Status
from handlers.blocks.guide import Message
from handlers.blocks.text import SLACK
from handlers.ids import ActionId


def build_alert_text(alert: HelpdeskAlert) -> str:
    """The help-desk channel's (and security's) line for an alert."""
    return wording.alert(SLACK, alert)


def build_alert(alert: HelpdeskAlert) -> Message | str:
    """The alert as posted: its line, with a Claim button when someone must follow it up."""
    text = build_alert_text(alert)
    request = alert.to_claim
    if request is None:
        return text
    claim = ButtonElement(
        text=wording.CLAIM, action_id=ActionId.CLAIM_ALERT, value=str(request.id), style="primary"
    )
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=text)),
        ActionsBlock(elements=[claim]),
    ]
    return Message(text=text, blocks=blocks)


def build_claimed_alert(claim: AlertClaim) -> Message:
    """An alert once claimed, in place of the one with the button: who handles it."""
    return Message.plain(wording.claimed_alert(SLACK, claim))


def build_claim_refusal(claim: AlertClaim) -> str:
    """What an admin reads who claims an alert someone has already."""
    return wording.claim_refusal(SLACK, claim)


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


def build_prompt_reply(answer: PromptAnswer) -> Message:
    """What replaces the walk's step once the employee pressed Report it (its button gone)."""
    return Message.plain(wording.prompt_reply(SLACK, answer))
