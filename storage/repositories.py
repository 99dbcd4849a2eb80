"""Repositories that answer the core's questions, each call its own short unit of work."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.guide import Outcome, WalkState
from bot.domain.walks import Surface, WalkRecord
from storage.models import ProcessedEvent, Walk


class SqlWalkRepository:
    """Walks in the `walks` table; updates are conditional on the version read."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def get_walk(self, walk_id: str) -> WalkRecord | None:
        async with self._sessions() as session:
            row = await session.get(Walk, walk_id)
            return None if row is None else _to_record(row)

    async def add_walk(self, walk: WalkRecord) -> bool:
        try:
            async with self._sessions.begin() as session:
                session.add(_to_row(walk))
        except IntegrityError:
            return False
        return True

    async def update_walk(self, walk: WalkRecord, expected_version: int) -> bool:
        values = _to_row(walk)
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(Walk)
                .where(Walk.id == walk.id, Walk.version == expected_version)
                .values(
                    path=values.path,
                    seen=values.seen,
                    choices=values.choices,
                    outcome=values.outcome,
                    updated_at=values.updated_at,
                    version=walk.version,
                )
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def abandon_walks_before(self, cutoff: datetime) -> int:
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(Walk)
                .where(Walk.outcome == Outcome.IN_PROGRESS.value, Walk.updated_at < cutoff)
                .values(outcome=Outcome.ABANDONED.value, version=Walk.version + 1)
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

    async def walks_of(self, user_id: str) -> list[WalkRecord]:
        """Every walk of one employee, oldest first."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(Walk).where(Walk.user_id == user_id).order_by(Walk.started_at)
            )
            return [_to_record(row) for row in rows]


class SqlEventLedger:
    """Handled Events API deliveries in `processed_events`, keyed by Slack's event_id."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def claim_event(self, event_id: str, at: datetime) -> bool:
        try:
            async with self._sessions.begin() as session:
                session.add(ProcessedEvent(event_id=event_id, received_at=at))
        except IntegrityError:
            return False
        return True

    async def forget_events_before(self, cutoff: datetime) -> int:
        async with self._sessions.begin() as session:
            result = await session.execute(
                delete(ProcessedEvent).where(ProcessedEvent.received_at < cutoff)
            )
            return int(result.rowcount)  # type: ignore[attr-defined]


def _to_row(walk: WalkRecord) -> Walk:
    return Walk(
        id=walk.id,
        team_id=walk.team_id,
        user_id=walk.user_id,
        topic_id=walk.state.topic_id,
        surface=walk.surface.value,
        path=list(walk.state.path),
        seen=list(walk.state.seen),
        choices=list(walk.state.choices),
        outcome=walk.state.outcome.value,
        started_at=walk.started_at,
        updated_at=walk.updated_at,
        version=walk.version,
    )


def _to_record(row: Walk) -> WalkRecord:
    return WalkRecord(
        id=row.id,
        team_id=row.team_id,
        user_id=row.user_id,
        surface=Surface(row.surface),
        state=WalkState(
            topic_id=row.topic_id,
            path=tuple(row.path),
            seen=tuple(row.seen),
            outcome=Outcome(row.outcome),
            choices=tuple(row.choices),
        ),
        started_at=row.started_at,
        updated_at=row.updated_at,
        version=row.version,
    )
