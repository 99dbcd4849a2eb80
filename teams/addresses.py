"""Where the bot can reach people and channels later: the conversation references it keeps.

Each comes from an authenticated activity (a person writing, clicking or installing the app), so
a proactive message only ever goes to a service URL Teams itself named.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from microsoft_agents.activity import Activity

from bot.domain.contacts import Contact, ContactBook, ContactKind
from bot.domain.platform import Platform
from bot.domain.ports import Clock
from teams.conversation import origin_of, reference_of, sender_of

log = logging.getLogger(__name__)

# What this process saved last, so that a person's every message is not a database write.
_REMEMBERED = 4096


class Addresses:
    """Saves and finds the conversation references of people (their personal chat with the bot)
    and of channels (a team's channels where the bot is installed)."""

    def __init__(self, contacts: ContactBook, clock: Clock) -> None:
        self._contacts = contacts
        self._clock = clock
        self._saved: OrderedDict[tuple[ContactKind, str], tuple[Any, ...]] = OrderedDict()

    async def remember(self, activity: Activity) -> None:
        """Keep where the activity came from: the sender's personal chat, or the channel."""
        origin = origin_of(activity)
        sender = sender_of(activity)
        address = reference_of(activity)
        if origin.personal and sender is not None:
            await self._save(ContactKind.PERSON, sender.user_id, address, sender.name)
        elif origin.conversation_type == "channel":
            address["conversation"] = {
                **address.get("conversation", {}),
                "id": origin.conversation_id,  # the channel, not the thread clicked in
            }
            await self._save(ContactKind.CHANNEL, origin.conversation_id, address)

    async def person(self, user_id: str) -> Contact | None:
        """The person's personal chat with the bot, if they ever wrote to it or installed it."""
        return await self._contacts.find_contact(Platform.TEAMS, ContactKind.PERSON, user_id)

    async def chat_of(self, user_id: str) -> Contact | None:
        """The person's personal chat, when the bot has one it may still write to."""
        contact = await self.person(user_id)
        if contact is None or not (contact.address.get("conversation") or {}).get("id"):
            return None
        return contact

    async def unreachable(self, contact: Contact) -> None:
        """Teams refused a message to the person's chat (the app removed, the bot blocked):
        their address is forgotten, name and email kept, until they write to the bot again."""
        await self._contacts.save_contact(
            Contact(
                platform=contact.platform,
                kind=contact.kind,
                key=contact.key,
                address={},
                name=contact.name,
                email=contact.email,
                updated_at=self._clock.now(),
            )
        )
        self._saved.pop((contact.kind, contact.key), None)

    async def names(self, user_ids: Iterable[str | None]) -> dict[str, str]:
        """The display names Teams gave the people (those the bot has heard from)."""
        names = {}
        for user_id in {user_id for user_id in user_ids if user_id}:
            contact = await self.person(user_id)
            if contact is not None and contact.name:
                names[user_id] = contact.name
        return names

    async def channel(self, conversation_id: str) -> Contact | None:
        """A channel the bot has heard from."""
        return await self._contacts.find_contact(
            Platform.TEAMS, ContactKind.CHANNEL, conversation_id
        )

    async def learned(self, contact: Contact, name: str, email: str) -> None:
        """What Teams says of the person now (their name and email), kept with their address."""
        if (name or contact.name, email or contact.email) == (contact.name, contact.email):
            return
        await self._contacts.save_contact(
            Contact(
                platform=contact.platform,
                kind=contact.kind,
                key=contact.key,
                address=contact.address,
                name=name or contact.name,
                email=email or contact.email,
                updated_at=self._clock.now(),
            )
        )

    async def _save(
        self, kind: ContactKind, key: str, address: dict[str, Any], name: str = ""
    ) -> None:
        fingerprint = (
            address.get("serviceUrl"),
            (address.get("conversation") or {}).get("id"),
            (address.get("user") or {}).get("id"),
            name,
        )
        if self._saved.get((kind, key)) == fingerprint:
            return
        known = (
            await self._contacts.find_contact(Platform.TEAMS, kind, key)
            if kind is ContactKind.PERSON
            else None
        )
        await self._contacts.save_contact(
            Contact(
                platform=Platform.TEAMS,
                kind=kind,
                key=key,
                address=address,
                name=name or (known.name if known else ""),
                email=known.email if known else "",  # learned from Teams later, kept meanwhile
                updated_at=self._clock.now(),
            )
        )
        self._saved[(kind, key)] = fingerprint
        self._saved.move_to_end((kind, key))
        while len(self._saved) > _REMEMBERED:
            self._saved.popitem(last=False)
