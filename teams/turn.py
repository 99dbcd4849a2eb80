"""One activity being answered: who sent it, from where, and how a handler's answer goes back."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from microsoft_agents.activity import Activity
from microsoft_agents.hosting.core import TurnContext

from teams.conversation import Origin, Sender, card_message, origin_of, sender_of, text_message

log = logging.getLogger(__name__)

Card = dict[str, Any]


@dataclass(frozen=True)
class Answer:
    """What a button's handler shows: a card in place of the one clicked (or a short message
    beside it). `for_everyone` also updates the message itself, so the card stays as answered
    (the employee's own cards); without it the card is the clicker's view only (an admin's
    form), and whatever everyone sees is the notifier's to update."""

    card: Card | None = None
    text: str | None = None
    for_everyone: bool = False

    @classmethod
    def replace(cls, card: Card) -> Answer:
        """The clicked card becomes `card`, for good."""
        return cls(card=card, for_everyone=True)

    @classmethod
    def view(cls, card: Card) -> Answer:
        """The clicker sees `card` in place of the clicked one; the message stays as it is."""
        return cls(card=card)

    @classmethod
    def say(cls, text: str) -> Answer:
        """The card stays; Teams shows `text` to the clicker."""
        return cls(text=text)


@dataclass(frozen=True)
class Turn:
    """An authenticated activity and the SDK's context to answer it in."""

    context: TurnContext
    sender: Sender
    origin: Origin

    @classmethod
    def of(cls, context: TurnContext) -> Turn | None:
        """The turn, or None for an activity from no person of the tenant (nothing to answer)."""
        sender = sender_of(context.activity)
        if sender is None:
            return None
        return cls(context, sender, origin_of(context.activity))

    @property
    def activity(self) -> Activity:
        """The activity being answered."""
        return self.context.activity

    @property
    def user_id(self) -> str:
        """The sender's Entra object ID: how the core names them."""
        return self.sender.user_id

    @property
    def clicked_message(self) -> str | None:
        """The id of the message whose card was clicked (an invoke's replyToId)."""
        return self.activity.reply_to_id

    async def send_card(self, card: Card) -> str:
        """Post a card in this conversation; its message id."""
        answer = await self.context.send_activity(card_message(card))
        return answer.id if answer is not None and answer.id else ""

    async def send_text(self, text: str) -> None:
        """Post a short message in this conversation."""
        await self.context.send_activity(text_message(text))

    async def update_clicked(self, card: Card) -> None:
        """Replace the clicked message's card for everyone who sees it."""
        message_id = self.clicked_message
        if not message_id:
            return
        update = card_message(card)
        update.id = message_id
        update.conversation = self.activity.conversation
        await self.context.update_activity(update)
