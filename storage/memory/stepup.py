"""Admins' step-up authenticators in memory, with the SQL store's conditional updates."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime

from bot.domain.stepup import Authenticator


def _locked(row: Authenticator, at: datetime) -> bool:
    return row.locked_until is not None and row.locked_until > at


class MemoryAuthenticatorStore:
    """One authenticator per admin."""

    def __init__(self) -> None:
        self._rows: dict[str, Authenticator] = {}
        self._lock = asyncio.Lock()

    async def get_authenticator(self, admin_id: str) -> Authenticator | None:
        return self._rows.get(admin_id)

    async def set_pending(self, admin_id: str, sealed: str, at: datetime) -> None:
        async with self._lock:
            row = self._rows.get(admin_id) or Authenticator(admin_id, None, None, 0, 0, None)
            self._rows[admin_id] = replace(row, sealed_pending=sealed)

    async def count_attempt(
        self, admin_id: str, at: datetime, max_attempts: int, lock_until: datetime
    ) -> Authenticator | None:
        async with self._lock:
            row = self._rows.get(admin_id)
            if row is None or _locked(row, at):
                return None
            ended = row.locked_until is not None  # and not locked: a lock that has ended
            counted = 1 if ended else row.failures + 1
            locked_until = lock_until if counted >= max_attempts else None
            row = replace(row, failures=counted, locked_until=locked_until)
            self._rows[admin_id] = row
            return row

    async def confirm_pending(
        self, admin_id: str, sealed_pending: str, step: int, at: datetime, *, own_lock: bool = False
    ) -> bool:
        async with self._lock:
            row = self._rows.get(admin_id)
            if row is None or row.sealed_pending != sealed_pending:
                return False
            confirmed = replace(
                row, sealed_secret=row.sealed_pending, sealed_pending=None, last_step=step
            )
            self._succeed(confirmed, at, own_lock)
            return True

    async def use_step(
        self, admin_id: str, step: int, at: datetime, *, own_lock: bool = False
    ) -> bool:
        async with self._lock:
            row = self._rows.get(admin_id)
            if row is None or row.last_step >= step:
                return False
            self._succeed(replace(row, last_step=step), at, own_lock)
            return True

    def _succeed(self, row: Authenticator, at: datetime, own_lock: bool) -> None:
        """Store `row` after a correct code: the count and lock cleared, unless other attempts
        locked meanwhile (see storage.stepup._success)."""
        if own_lock or not _locked(row, at):
            row = replace(row, failures=0, locked_until=None)
        self._rows[row.admin_id] = row

    async def all_sealed(self) -> list[tuple[str, str | None, str | None]]:
        """(admin, sealed secret, sealed pending) for every admin (key rotation)."""
        return [(r.admin_id, r.sealed_secret, r.sealed_pending) for r in self._rows.values()]

    async def reseal(
        self, admin_id: str, old: tuple[str | None, str | None], new: tuple[str | None, str | None]
    ) -> bool:
        """Replace both sealed values if they are still `old`."""
        async with self._lock:
            row = self._rows.get(admin_id)
            if row is None or (row.sealed_secret, row.sealed_pending) != old:
                return False
            self._rows[admin_id] = replace(row, sealed_secret=new[0], sealed_pending=new[1])
            return True
