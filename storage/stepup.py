"""Admins' step-up authenticators, changed only by conditional updates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

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
            return None if row is None else _authenticator(row)

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

    async def count_attempt(
        self, admin_id: str, at: datetime, max_attempts: int, lock_until: datetime
    ) -> Authenticator | None:
        table = AuthenticatorRow
        ended = table.locked_until <= at  # NULL (never locked) is not an ended lock
        counted = case((ended, 1), else_=table.failures + 1)
        async with self._sessions.begin() as session:
            # One statement: PostgreSQL re-reads a row another transaction changed meanwhile
            # before it applies the WHERE and SET, and SQLite has a single writer, so parallel
            # attempts count one by one and none gets past the lock the last one set.
            result = await session.execute(
                update(table)
                .where(table.admin_id == admin_id, _not_locked(at))
                .values(
                    failures=counted,
                    locked_until=case((counted >= max_attempts, lock_until), else_=None),
                    updated_at=at,
                )
                .returning(
                    table.admin_id,
                    table.sealed_secret,
                    table.sealed_pending,
                    table.last_step,
                    table.failures,
                    table.locked_until,
                )
            )
            row = result.one_or_none()
        return None if row is None else _authenticator(row)

    async def confirm_pending(
        self, admin_id: str, sealed_pending: str, step: int, at: datetime, *, own_lock: bool = False
    ) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(AuthenticatorRow)
                .where(
                    AuthenticatorRow.admin_id == admin_id,
                    AuthenticatorRow.sealed_pending == sealed_pending,
                )
                .values(
                    sealed_secret=AuthenticatorRow.sealed_pending,
                    sealed_pending=None,
                    last_step=step,
                    updated_at=at,
                    **_success(at, own_lock),
                )
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def use_step(
        self, admin_id: str, step: int, at: datetime, *, own_lock: bool = False
    ) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(AuthenticatorRow)
                .where(AuthenticatorRow.admin_id == admin_id, AuthenticatorRow.last_step < step)
                .values(last_step=step, updated_at=at, **_success(at, own_lock))
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

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


def _authenticator(row: Any) -> Authenticator:
    """The domain's authenticator from its row: an AuthenticatorRow, or an UPDATE's RETURNING."""
    return Authenticator(
        admin_id=row.admin_id,
        sealed_secret=row.sealed_secret,
        sealed_pending=row.sealed_pending,
        last_step=row.last_step,
        failures=row.failures,
        locked_until=row.locked_until,
    )


def _not_locked(at: datetime) -> ColumnElement[bool]:
    return or_(AuthenticatorRow.locked_until.is_(None), AuthenticatorRow.locked_until <= at)


def _success(at: datetime, own_lock: bool) -> dict[str, Any]:
    """The count and lock after a correct code: cleared, unless other attempts locked meanwhile.

    An attempt counted before the lock landed is still judged on its code; its success does not
    lift a lock that wrong codes racing it set, so those cannot buy themselves more attempts.
    """
    if own_lock:
        return {"failures": 0, "locked_until": None}
    free = _not_locked(at)
    return {
        "failures": case((free, 0), else_=AuthenticatorRow.failures),
        "locked_until": case((free, None), else_=AuthenticatorRow.locked_until),
    }
