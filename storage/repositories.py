"""Repositories that answer the core's questions, each call its own short unit of work."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, Table, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.guide import Outcome, WalkState
from bot.domain.walks import Surface, WalkRecord
from storage.models import ProcessedEvent, Walk

_WALKS: Table = Walk.__table__  # type: ignore[assignment]
_EVENTS: Table = ProcessedEvent.__table__  # type: ignore[assignment]
# The guide's hot path: statements built once, run as Core on an autocommit connection. Each is
# atomic by itself, so there is no BEGIN, COMMIT or ROLLBACK around it (on PostgreSQL, two of
# three round trips), and no ORM unit of work for rows that are read once and let go.
_GET_WALK = select(_WALKS).where(_WALKS.c.id == bindparam("walk_id"))
_ADD_WALK = insert(_WALKS)
_UPDATE_WALK = (
    update(_WALKS)
    .where(_WALKS.c.id == bindparam("walk_id"), _WALKS.c.version == bindparam("expected"))
    .values(
        path=bindparam("path"),
        seen=bindparam("seen"),
        choices=bindparam("choices"),
        outcome=bindparam("outcome"),
        updated_at=bindparam("updated_at"),
        version=bindparam("new_version"),
    )
)
_CLAIM_EVENT = insert(_EVENTS)


def _autocommit(engine: AsyncEngine) -> AsyncEngine:
    return engine.execution_options(isolation_level="AUTOCOMMIT")


class SqlWalkRepository:
    """Walks in the `walks` table; updates are conditional on the version read."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = _autocommit(engine)

    async def get_walk(self, walk_id: str) -> WalkRecord | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(_GET_WALK, {"walk_id": walk_id})).first()
        return None if row is None else _to_record(row._mapping)

    async def add_walk(self, walk: WalkRecord) -> bool:
        try:
            async with self._engine.connect() as conn:
                await conn.execute(_ADD_WALK, _to_values(walk))
        except IntegrityError:
            return False
        return True

    async def update_walk(self, walk: WalkRecord, expected_version: int) -> bool:
        values = _to_values(walk)
        async with self._engine.connect() as conn:
            result = await conn.execute(
                _UPDATE_WALK,
                {
                    "walk_id": walk.id,
                    "expected": expected_version,
                    "path": values["path"],
                    "seen": values["seen"],
                    "choices": values["choices"],
                    "outcome": values["outcome"],
                    "updated_at": values["updated_at"],
                    "new_version": walk.version,
                },
            )
        return bool(result.rowcount)

    async def abandon_walks_before(self, cutoff: datetime) -> int:
        async with self._engine.connect() as conn:
            result = await conn.execute(
                update(_WALKS)
                .where(_WALKS.c.outcome == Outcome.IN_PROGRESS.value, _WALKS.c.updated_at < cutoff)
                .values(outcome=Outcome.ABANDONED.value, version=_WALKS.c.version + 1)
            )
        return int(result.rowcount)

    async def walks_of(self, user_id: str) -> list[WalkRecord]:
        """Every walk of one employee, oldest first."""
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(_WALKS).where(_WALKS.c.user_id == user_id).order_by(_WALKS.c.started_at)
            )
        return [_to_record(row._mapping) for row in rows]


class SqlEventLedger:
    """Handled Events API deliveries in `processed_events`, keyed by Slack's event_id."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = _autocommit(engine)

    async def claim_event(self, event_id: str, at: datetime) -> bool:
        try:
            async with self._engine.connect() as conn:
                await conn.execute(_CLAIM_EVENT, {"event_id": event_id, "received_at": at})
        except IntegrityError:
            return False
        return True

    async def forget_events_before(self, cutoff: datetime) -> int:
        async with self._engine.connect() as conn:
            result = await conn.execute(delete(_EVENTS).where(_EVENTS.c.received_at < cutoff))
        return int(result.rowcount)


def _to_values(walk: WalkRecord) -> dict[str, Any]:
    return {
        "id": walk.id,
        "team_id": walk.team_id,
        "user_id": walk.user_id,
        "topic_id": walk.state.topic_id,
        "surface": walk.surface.value,
        "path": list(walk.state.path),
        "seen": list(walk.state.seen),
        "choices": list(walk.state.choices),
        "outcome": walk.state.outcome.value,
        "started_at": walk.started_at,
        "updated_at": walk.updated_at,
        "version": walk.version,
    }


def _to_record(row: RowMapping) -> WalkRecord:
    return WalkRecord(
        id=row["id"],
        team_id=row["team_id"],
        user_id=row["user_id"],
        surface=Surface(row["surface"]),
        state=WalkState(
            topic_id=row["topic_id"],
            path=tuple(row["path"]),
            seen=tuple(row["seen"]),
            outcome=Outcome(row["outcome"]),
            choices=tuple(row["choices"]),
        ),
        started_at=row["started_at"],
        updated_at=row["updated_at"],
        version=row["version"],
    )
