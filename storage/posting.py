"""Each chat channel's posting turn in SQL: when its next post may go, and who posts its cards."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Table, and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.platform import Platform
from storage.models import ChannelTurnRow

_TURNS: Table = ChannelTurnRow.__table__  # type: ignore[assignment]
# Bookings that lose a race re-read the row and try again; past this many, something is wrong.
_BOOKING_TRIES = 100


class SqlChannelTurns:
    """Channel turns in `channel_turns`, one row per (platform, channel), added on first use;
    every change a conditional update. Mixed into the request repository, whose single-statement
    engine it uses."""

    _statements: AsyncEngine

    async def take_channel(
        self, platform: Platform, channel_id: str, owner: str, now: datetime, until: datetime
    ) -> bool:
        free = or_(_TURNS.c.holder.is_(None), _TURNS.c.held_until < now, _TURNS.c.holder == owner)
        taking = update(_TURNS).where(_key(platform, channel_id), free)
        for _ in range(2):
            async with self._statements.begin() as conn:
                result = await conn.execute(taking, {"holder": owner, "held_until": until})
            if result.rowcount:
                return True
            if not await self._add_channel(platform, channel_id, now):
                return False  # it was there, and held
        return False

    async def renew_channel(
        self, platform: Platform, channel_id: str, owner: str, until: datetime
    ) -> bool:
        async with self._statements.begin() as conn:
            result = await conn.execute(
                update(_TURNS).where(_key(platform, channel_id), _TURNS.c.holder == owner),
                {"held_until": until},
            )
        return bool(result.rowcount)

    async def release_channel(self, platform: Platform, channel_id: str, owner: str) -> bool:
        async with self._statements.begin() as conn:
            result = await conn.execute(
                update(_TURNS).where(_key(platform, channel_id), _TURNS.c.holder == owner),
                {"holder": None, "held_until": None},
            )
        return bool(result.rowcount)

    async def release_channels(self, owner_prefix: str) -> int:
        async with self._statements.begin() as conn:
            result = await conn.execute(
                update(_TURNS).where(_TURNS.c.holder.startswith(owner_prefix, autoescape=True)),
                {"holder": None, "held_until": None},
            )
        return int(result.rowcount)

    async def reserve_post(
        self, platform: Platform, channel_id: str, now: datetime, every: timedelta
    ) -> datetime:
        key = _key(platform, channel_id)
        for _ in range(_BOOKING_TRIES):
            async with self._statements.connect() as conn:
                found = await conn.scalar(select(_TURNS.c.not_before).where(key))
            if found is None:
                if await self._add_channel(platform, channel_id, now + every):
                    return now
                continue
            booked: datetime = max(found, now)
            # Compare and set: another replica's booking in between makes this one try again.
            async with self._statements.begin() as conn:
                result = await conn.execute(
                    update(_TURNS).where(key, _TURNS.c.not_before == found),
                    {"not_before": booked + every},
                )
            if result.rowcount:
                return booked
        raise RuntimeError(f"could not book a post in {platform.value} channel {channel_id}")

    async def defer_posts(self, platform: Platform, channel_id: str, until: datetime) -> None:
        if await self._add_channel(platform, channel_id, until):
            return
        async with self._statements.begin() as conn:
            await conn.execute(
                update(_TURNS).where(_key(platform, channel_id), _TURNS.c.not_before < until),
                {"not_before": until},
            )

    async def _add_channel(self, platform: Platform, channel_id: str, not_before: datetime) -> bool:
        """Add the channel's row, free; False when it is there already."""
        try:
            async with self._statements.begin() as conn:
                row = {"platform": platform.value, "channel_id": channel_id}
                await conn.execute(insert(_TURNS), {**row, "not_before": not_before})
        except IntegrityError:
            return False
        return True


def _key(platform: Platform, channel_id: str) -> ColumnElement[bool]:
    return and_(_TURNS.c.platform == platform.value, _TURNS.c.channel_id == channel_id)
