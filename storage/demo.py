"""The demo directory's table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.identity.demo import DemoUser
from storage.models import DemoUserRow

# A person's admin roles are kept in the JSON `methods` column as {"admin_role": name} entries,
# so that the demo directory needs no schema change for them; they never count as methods.
ROLE_KEY = "admin_role"


class SqlDemoStore:
    """People of the demo identity provider in `demo_directory`."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def get_demo_user(self, email: str) -> DemoUser | None:
        async with self._sessions() as session:
            row = await session.get(DemoUserRow, email)
            if row is None:
                return None
            return DemoUser(
                email=row.email,
                display_name=row.display_name,
                methods=tuple(m for m in row.methods if ROLE_KEY not in m),
                app_passwords=row.app_passwords,
                sessions=row.sessions,
                remembered_devices=row.remembered_devices,
                tap_hash=row.tap_hash,
                tap_expires_at=row.tap_expires_at,
                admin_roles=tuple(str(m[ROLE_KEY]) for m in row.methods if ROLE_KEY in m),
            )

    async def save_demo_user(self, user: DemoUser, at: datetime) -> None:
        async with self._sessions.begin() as session:
            await session.merge(
                DemoUserRow(
                    email=user.email,
                    display_name=user.display_name,
                    methods=_column(user),
                    app_passwords=user.app_passwords,
                    sessions=user.sessions,
                    remembered_devices=user.remembered_devices,
                    tap_hash=user.tap_hash,
                    tap_expires_at=user.tap_expires_at,
                    updated_at=at,
                )
            )


def _column(user: DemoUser) -> list[dict[str, Any]]:
    """The `methods` column: the sign-in methods, then the admin roles."""
    return [*user.methods, *({ROLE_KEY: role} for role in user.admin_roles)]
