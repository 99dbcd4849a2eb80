"""Where a person or a channel is reached proactively: each platform's conversation reference."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from bot.domain.platform import Platform


class ContactKind(StrEnum):
    """Whom a contact reaches."""

    PERSON = "person"
    CHANNEL = "channel"


@dataclass(frozen=True)
class Contact:
    """How to reach a person (their id; Teams: the aadObjectId) or a channel (its conversation
    id) on a platform without waiting for them to write first."""

    platform: Platform
    kind: ContactKind
    key: str
    # The platform's conversation reference as JSON (service URL, conversation, tenant): never a
    # secret, so it may be stored and logged like any id.
    address: Mapping[str, Any]
    name: str = ""
    email: str = ""
    updated_at: datetime | None = None


class ContactBook(Protocol):
    """The contacts each front end saved, shared by every replica."""

    async def save_contact(self, contact: Contact) -> None:
        """Store the contact, replacing the one with the same (platform, kind, key)."""
        ...

    async def find_contact(self, platform: Platform, kind: ContactKind, key: str) -> Contact | None:
        """The contact saved last under (platform, kind, key); None when there is none."""
        ...
