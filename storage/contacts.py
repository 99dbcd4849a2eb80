"""The contact book's table: one row per (platform, kind, key), replaced on every save."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.domain.contacts import Contact, ContactKind
from bot.domain.platform import Platform
from storage.models import ContactRow

_CONTACTS: Table = ContactRow.__table__  # type: ignore[assignment]
_KEY = ("platform", "kind", "key")


class SqlContactBook:
    """Contacts in `contacts`."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._engine: AsyncEngine = sessions.kw["bind"]
        dialect = postgresql if self._engine.dialect.name == "postgresql" else sqlite
        self._insert = dialect.insert

    async def save_contact(self, contact: Contact) -> None:
        values: dict[str, Any] = {
            "platform": contact.platform.value,
            "kind": contact.kind.value,
            "key": contact.key,
            "address": dict(contact.address),
            "name": contact.name,
            "email": contact.email,
            "updated_at": contact.updated_at,
        }
        changed = {name: value for name, value in values.items() if name not in _KEY}
        # One statement, so that replicas saving the same contact at once never collide: the
        # database settles which save lands last.
        upsert = self._insert(_CONTACTS).values(values)
        async with self._engine.begin() as conn:
            await conn.execute(upsert.on_conflict_do_update(index_elements=_KEY, set_=changed))

    async def find_contact(self, platform: Platform, kind: ContactKind, key: str) -> Contact | None:
        async with self._sessions() as session:
            row = await session.get(ContactRow, (platform.value, kind.value, key))
            if row is None:
                return None
            return Contact(
                platform=Platform(row.platform),
                kind=ContactKind(row.kind),
                key=row.key,
                address=row.address,
                name=row.name,
                email=row.email,
                updated_at=row.updated_at,
            )
