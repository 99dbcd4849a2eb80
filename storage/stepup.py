"""Admins' step-up authenticators, changed only by conditional updates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, case, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.stepup import Authenticator
from storage.models import AuthenticatorRow


class SqlAuthenticatorStore:
    """`admin_authenticators`: one row per admin."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def get_authenticator(self, admin_id: str) -> Authenticator | None:
        async with self._sessions() as session:
            row = await session.get(AuthenticatorRow, admin_id)
            if row is None:
                return None
            return Authenticator(
                admin_id=row.admin_id,
                sealed_secret=row.sealed_secret,
                sealed_pending=row.sealed_pending,
                last_step=row.last_step,
                failures=row.failures,
                locked_until=row.locked_until,
            )

    async def set_pending(self, admin_id: str, sealed: str, at: datetime) -> None:
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(AuthenticatorRow)
                .where(AuthenticatorRow.admin_id == admin_id)
                .values(sealed_pending=sealed, updated_at=at)
            )
            if result.rowcount:  # type: ignore[attr-defined]
                return
        try:
            async with self._sessions.begin() as session:
                session.add(
                    AuthenticatorRow(
                        admin_id=admin_id,
                        sealed_pending=sealed,
                        last_step=0,
                        failures=0,
                        updated_at=at,
                    )
                )
        except IntegrityError:  # created meanwhile by another replica
            await self.set_pending(admin_id, sealed, at)

    async def confirm_pending(
        self, admin_id: str, sealed_pending: str, step: int, at: datetime
    ) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(AuthenticatorRow)
                .where(
                    AuthenticatorRow.admin_id == admin_id,
                    AuthenticatorRow.sealed_pending == sealed_pending,
                    _not_locked(at),
                )
                .values(
                    sealed_secret=AuthenticatorRow.sealed_pending,
                    sealed_pending=None,
                    last_step=step,
                    failures=0,
                    updated_at=at,
                )
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def use_step(self, admin_id: str, step: int, at: datetime) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(AuthenticatorRow)
                .where(
                    AuthenticatorRow.admin_id == admin_id,
                    AuthenticatorRow.last_step < step,
                    _not_locked(at),
                )
                .values(last_step=step, failures=0, updated_at=at)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def record_failure(
        self, admin_id: str, at: datetime, max_failures: int, lock_until: datetime
    ) -> int:
        failures = AuthenticatorRow.failures + 1
        async with self._sessions.begin() as session:
            await session.execute(
                update(AuthenticatorRow)
                .where(AuthenticatorRow.admin_id == admin_id)
                .values(
                    failures=case((failures >= max_failures, 0), else_=failures),
                    locked_until=case(
                        (failures >= max_failures, lock_until), else_=AuthenticatorRow.locked_until
                    ),
                    updated_at=at,
                )
            )
            row = await session.get(AuthenticatorRow, admin_id)
            if row is None:
                return 0
            return max_failures if row.locked_until == lock_until else row.failures

    async def all_sealed(self) -> list[tuple[str, str | None, str | None]]:
        """(admin, sealed secret, sealed pending) for every row (key rotation)."""
        async with self._sessions() as session:
            rows = await session.execute(
                select(
                    AuthenticatorRow.admin_id,
                    AuthenticatorRow.sealed_secret,
                    AuthenticatorRow.sealed_pending,
                )
            )
            return [(r[0], r[1], r[2]) for r in rows]

    async def reseal(
        self, admin_id: str, old: tuple[str | None, str | None], new: tuple[str | None, str | None]
    ) -> bool:
        """Replace both sealed values if they are still `old`."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(AuthenticatorRow)
                .where(
                    AuthenticatorRow.admin_id == admin_id,
                    AuthenticatorRow.sealed_secret.is_(old[0])
                    if old[0] is None
                    else AuthenticatorRow.sealed_secret == old[0],
                    AuthenticatorRow.sealed_pending.is_(old[1])
                    if old[1] is None
                    else AuthenticatorRow.sealed_pending == old[1],
                )
                .values(sealed_secret=new[0], sealed_pending=new[1])
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]


def _not_locked(at: datetime) -> ColumnElement[bool]:
    return or_(AuthenticatorRow.locked_until.is_(None), AuthenticatorRow.locked_until <= at)
