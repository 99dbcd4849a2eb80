"""The core's alerts and answers as Slack text: mentions, emoji and escaped free text."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    MarkdownTextObject,
    SectionBlock,
)

from bot import wording
from bot.domain.notices import AlertClaim, HelpdeskAlert, NotMeAnswer, PromptAnswer, RevokeOutcome
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


def build_revocation(revoked: RevokeOutcome) -> str:
    """What became of signing the person out again, in one sentence."""
    return wording.revocation(revoked)


def build_not_me_reply(answer: NotMeAnswer) -> str:
    """What the employee who reported "this wasn't me" reads."""
    return wording.not_me_reply(SLACK, answer)


def build_prompt_reply(answer: PromptAnswer) -> Message:
    """What replaces the walk's step once the employee pressed Report it (its button gone)."""
    return Message.plain(wording.prompt_reply(SLACK, answer))
