"""Each chat channel's posting turn in memory: the SQL table's semantics, under one lock."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.platform import Platform


@dataclass
class _Turn:
    not_before: datetime
    holder: str | None = None
    held_until: datetime | None = None


class MemoryChannelTurns:
    """Channel turns in a dict, added on first use; mixed into the in-memory request repository."""

    def __init__(self) -> None:
        self._turns: dict[tuple[Platform, str], _Turn] = {}
        self._turns_lock = asyncio.Lock()

    def _turn(self, platform: Platform, channel_id: str, not_before: datetime) -> _Turn:
        return self._turns.setdefault((platform, channel_id), _Turn(not_before))

    async def take_channel(
        self, platform: Platform, channel_id: str, owner: str, now: datetime, until: datetime
    ) -> bool:
        async with self._turns_lock:
            turn = self._turn(platform, channel_id, now)
            held = turn.holder is not None and turn.holder != owner
            if held and turn.held_until is not None and turn.held_until >= now:
                return False
            turn.holder, turn.held_until = owner, until
            return True

    async def renew_channel(
        self, platform: Platform, channel_id: str, owner: str, until: datetime
    ) -> bool:
        async with self._turns_lock:
            turn = self._turns.get((platform, channel_id))
            if turn is None or turn.holder != owner:
                return False
            turn.held_until = until
            return True

    async def release_channel(self, platform: Platform, channel_id: str, owner: str) -> bool:
        async with self._turns_lock:
            turn = self._turns.get((platform, channel_id))
            if turn is None or turn.holder != owner:
                return False
            turn.holder, turn.held_until = None, None
            return True

    async def release_channels(self, owner_prefix: str) -> int:
        async with self._turns_lock:
            held = [
                turn
                for turn in self._turns.values()
                if turn.holder is not None and turn.holder.startswith(owner_prefix)
            ]
            for turn in held:
                turn.holder, turn.held_until = None, None
            return len(held)

    async def reserve_post(
        self, platform: Platform, channel_id: str, now: datetime, every: timedelta
    ) -> datetime:
        async with self._turns_lock:
            turn = self._turn(platform, channel_id, now)
            booked = max(turn.not_before, now)
            turn.not_before = booked + every
            return booked

    async def defer_posts(self, platform: Platform, channel_id: str, until: datetime) -> None:
        async with self._turns_lock:
            turn = self._turn(platform, channel_id, until)
            turn.not_before = max(turn.not_before, until)
