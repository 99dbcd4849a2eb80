"""Employees' walks in SQL: read, added in batches, updated by version, abandoned when idle."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Insert,
    RowMapping,
    Table,
    bindparam,
    column,
    select,
    update,
    values,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.guide import WalkOutcome, WalkState
from bot.domain.walks import Surface, WalkRecord
from storage.batching import Batcher
from storage.engine import single_statements
from storage.models import Walk

_WALKS: Table = Walk.__table__  # type: ignore[assignment]
# The guide's hot path: statements built once, run as Core, each atomic by itself (on PostgreSQL
# on an autocommit connection: see storage.engine.single_statements), with no ORM unit of work
# for rows that are read once and let go.
_GET_WALKS = select(_WALKS).where(_WALKS.c.id.in_(bindparam("walk_ids", expanding=True)))
_CHANGED = ("path", "seen", "choices", "outcome", "updated_at", "version")


def _add_walks_statement(dialect: str) -> Insert:
    """INSERT of new walks that skips ids already stored and names the ones it stored."""
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return make(_WALKS).on_conflict_do_nothing(index_elements=[_WALKS.c.id]).returning(_WALKS.c.id)


async def _per_walk_once[Item](
    items: Sequence[Item],
    walk_id: Callable[[Item], str],
    write: Callable[[Sequence[Item]], Awaitable[set[str]]],
) -> list[bool]:
    """Whether each item's write landed: `write` stores a batch and names the walks it wrote.

    It runs in rounds where no walk appears twice, because one statement cannot say which of
    two writes to the same row it applied."""
    landed: dict[int, bool] = {}
    waiting = list(range(len(items)))
    while waiting:
        seen: set[str] = set()
        now: list[int] = []
        later: list[int] = []
        for index in waiting:
            key = walk_id(items[index])
            (later if key in seen else now).append(index)
            seen.add(key)
        written = await write([items[index] for index in now])
        landed.update({index: walk_id(items[index]) in written for index in now})
        waiting = later
    return [landed[index] for index in range(len(items))]


class SqlWalkRepository:
    """Walks in the `walks` table; updates are conditional on the version read.

    Reads, inserts and updates each go through a `Batcher`: a click alone runs its statement at
    once, and the clicks of a burst share statements (one round trip for many walks).
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = single_statements(engine)
        self._add_statement = _add_walks_statement(engine.dialect.name)
        self._get = Batcher(self._get_many, "get-walks")
        self._add = Batcher(self._add_many, "add-walks")
        self._update = Batcher(self._update_many, "update-walks")

    async def get_walk(self, walk_id: str) -> WalkRecord | None:
        return await self._get(walk_id)

    async def add_walk(self, walk: WalkRecord) -> bool:
        return await self._add(walk)

    async def update_walk(self, walk: WalkRecord, expected_version: int) -> bool:
        return await self._update((walk, expected_version))

    async def _get_many(self, walk_ids: Sequence[str]) -> list[WalkRecord | None]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(_GET_WALKS, {"walk_ids": sorted(set(walk_ids))})
            found = {row.id: _to_record(row._mapping) for row in rows}
        return [found.get(walk_id) for walk_id in walk_ids]

    async def _add_many(self, walks: Sequence[WalkRecord]) -> list[bool]:
        async def add(batch: Sequence[WalkRecord]) -> set[str]:
            async with self._engine.begin() as conn:
                rows = await conn.execute(self._add_statement, [_to_values(w) for w in batch])
                return {row.id for row in rows}

        return await _per_walk_once(walks, lambda walk: walk.id, add)

    async def _update_many(self, changes: Sequence[tuple[WalkRecord, int]]) -> list[bool]:
        async def update_all(batch: Sequence[tuple[WalkRecord, int]]) -> set[str]:
            rows = (
                values(
                    column("walk_id", _WALKS.c.id.type),
                    column("expected", _WALKS.c.version.type),
                    *(column(name, _WALKS.c[name].type) for name in _CHANGED),
                    name="changes",
                )
                .data([(walk.id, expected, *_changed_values(walk)) for walk, expected in batch])
                .cte("changes")
            )  # a CTE: SQLite names no columns of a VALUES in FROM
            statement = (
                update(_WALKS)
                .where(_WALKS.c.id == rows.c.walk_id, _WALKS.c.version == rows.c.expected)
                .values({name: rows.c[name] for name in _CHANGED})
                .returning(_WALKS.c.id)
            )
            async with self._engine.begin() as conn:
                return {row.id for row in await conn.execute(statement)}

        return await _per_walk_once(changes, lambda change: change[0].id, update_all)

    async def abandon_walks_before(self, cutoff: datetime) -> int:
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(_WALKS)
                .where(
                    _WALKS.c.outcome == WalkOutcome.IN_PROGRESS.value, _WALKS.c.updated_at < cutoff
                )
                .values(outcome=WalkOutcome.ABANDONED.value, version=_WALKS.c.version + 1)
            )
        return int(result.rowcount)

    async def walks_of(self, user_id: str) -> list[WalkRecord]:
        """Every walk of one employee, oldest first."""
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(_WALKS).where(_WALKS.c.user_id == user_id).order_by(_WALKS.c.started_at)
            )
        return [_to_record(row._mapping) for row in rows]


def _changed_values(walk: WalkRecord) -> tuple[Any, ...]:
    """The columns a move changes, in the order of _CHANGED (the walk's values built once)."""
    written = _to_values(walk)
    return tuple(written[name] for name in _CHANGED)


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
            outcome=WalkOutcome(row["outcome"]),
            choices=tuple(row["choices"]),
        ),
        started_at=row["started_at"],
        updated_at=row["updated_at"],
        version=row["version"],
    )
