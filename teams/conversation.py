"""Who sent an activity and from where, as the core names them; the activities we send back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from microsoft_agents.activity import (
    Activity,
    ActivityTypes,
    AdaptiveCardInvokeResponse,
    Attachment,
    ConversationReference,
)

from bot.domain.helpdesk import Place
from bot.domain.platform import Platform

CARD_TYPE = "application/vnd.microsoft.card.adaptive"
MESSAGE_TYPE = "application/vnd.microsoft.activity.message"
PERSONAL = "personal"
THREAD_MARK = ";messageid="


@dataclass(frozen=True)
class Sender:
    """The person behind an activity: their Entra object ID (the core's user id), the id Teams
    gives them in this conversation, and their display name."""

    user_id: str
    account_id: str
    name: str


@dataclass(frozen=True)
class Origin:
    """Where an activity comes from: the tenant, the conversation (without a thread's
    ";messageid=…"), the kind of conversation and the service URL to answer at."""

    tenant_id: str
    conversation_id: str
    conversation_type: str
    service_url: str
    team_id: str | None = None

    @property
    def personal(self) -> bool:
        """True in the person's one-to-one chat with the bot."""
        return self.conversation_type == PERSONAL

    @property
    def place(self) -> Place:
        """The place the core checks a decision against (the tenant and the channel)."""
        return Place(
            team_id=self.tenant_id, channel_id=self.conversation_id, platform=Platform.TEAMS
        )


def sender_of(activity: Activity) -> Sender | None:
    """The person who sent the activity; None when it names no Entra object ID (not a person
    of the tenant: a bot, or a guest Teams does not say)."""
    account = activity.from_property
    if account is None or not account.aad_object_id:
        return None
    return Sender(
        user_id=account.aad_object_id.lower(), account_id=account.id or "", name=account.name or ""
    )


def origin_of(activity: Activity) -> Origin:
    """Where the activity comes from (auth checked the tenant and the service URL before)."""
    conversation = activity.conversation
    data = _channel_data(activity)
    tenant = (data.get("tenant") or {}).get("id") or conversation.tenant_id or ""
    team = (data.get("team") or {}).get("id")
    return Origin(
        tenant_id=str(tenant).lower(),
        conversation_id=conversation_of(conversation.id),
        conversation_type=conversation.conversation_type or "",
        service_url=activity.service_url or "",
        team_id=str(team) if team else None,
    )


def conversation_of(conversation_id: str) -> str:
    """A channel's conversation id without the thread a message sits in."""
    return conversation_id.split(THREAD_MARK, 1)[0]


def thread_of(channel_id: str, root_id: str) -> str:
    """The conversation id of the thread that starts with message `root_id` in the channel."""
    return f"{channel_id}{THREAD_MARK}{root_id}"


def reference_of(activity: Activity) -> dict[str, Any]:
    """The conversation reference as JSON: where a proactive message to this conversation goes
    (ids, the service URL and the tenant; never a token)."""
    reference = activity.get_conversation_reference()
    address: dict[str, Any] = reference.model_dump(mode="json", by_alias=True, exclude_none=True)
    address.pop("activityId", None)  # the conversation is what is kept, not one message in it
    address["tenantId"] = origin_of(activity).tenant_id
    return address


def reference_from(address: dict[str, Any]) -> ConversationReference:
    """A stored conversation reference back as the SDK's model."""
    return ConversationReference.model_validate(address)


def _channel_data(activity: Activity) -> dict[str, Any]:
    data = activity.channel_data
    if isinstance(data, dict):
        return data
    if data is not None and hasattr(data, "model_dump"):
        dumped = data.model_dump(by_alias=True)
        return dumped if isinstance(dumped, dict) else {}
    return {}


def card_message(card: dict[str, Any], summary: str = "") -> Activity:
    """A message carrying one Adaptive Card (`summary` is what a notification shows)."""
    return Activity(
        type=ActivityTypes.message,
        summary=summary or str(card.get("fallbackText") or "") or None,
        attachments=[Attachment(content_type=CARD_TYPE, content=card)],
    )


def text_message(text: str) -> Activity:
    """A plain message (Teams renders its Markdown subset)."""
    return Activity(type=ActivityTypes.message, text=text, text_format="markdown")


def card_answer(card: dict[str, Any]) -> AdaptiveCardInvokeResponse:
    """An Action.Execute's answer: the card that replaces the one clicked."""
    return AdaptiveCardInvokeResponse(status_code=200, type=CARD_TYPE, value=card)


def error_answer(status: int, message: str) -> AdaptiveCardInvokeResponse:
    """An Action.Execute refused as such (the data is not what our card sent)."""
    return AdaptiveCardInvokeResponse(
        status_code=status,
        type="application/vnd.microsoft.error",
        value={"code": "BadRequest", "message": message},
    )


def text_answer(text: str) -> AdaptiveCardInvokeResponse:
    """An Action.Execute's answer that leaves the card as it is and shows a short message."""
    return AdaptiveCardInvokeResponse(status_code=200, type=MESSAGE_TYPE, value=text)
