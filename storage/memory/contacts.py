"""The contact book in memory."""

from __future__ import annotations

import copy

from bot.domain.contacts import Contact, ContactKind
from bot.domain.platform import Platform


class MemoryContactBook:
    """Contacts by (platform, kind, key); each read and write is a copy."""

    def __init__(self) -> None:
        self._contacts: dict[tuple[Platform, ContactKind, str], Contact] = {}

    async def save_contact(self, contact: Contact) -> None:
        stored = copy.deepcopy(contact)
        self._contacts[(contact.platform, contact.kind, contact.key)] = stored

    async def find_contact(self, platform: Platform, kind: ContactKind, key: str) -> Contact | None:
        return copy.deepcopy(self._contacts.get((platform, kind, key)))
