"""Walks and the event ledger in memory, with the SQL repositories' conditional writes."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime

from bot.domain.guide import WalkOutcome
from bot.domain.walks import WalkRecord


class MemoryWalkRepository:
    """Walks by id; an update lands only on the version it was read at."""

    def __init__(self) -> None:
        self._walks: dict[str, WalkRecord] = {}
        self._lock = asyncio.Lock()

    async def get_walk(self, walk_id: str) -> WalkRecord | None:
        return self._walks.get(walk_id)

    async def add_walk(self, walk: WalkRecord) -> bool:
        async with self._lock:
            if walk.id in self._walks:
                return False
            self._walks[walk.id] = walk
            return True

    async def update_walk(self, walk: WalkRecord, expected_version: int) -> bool:
        async with self._lock:
            stored = self._walks.get(walk.id)
            if stored is None or stored.version != expected_version:
                return False
            # Like the SQL update, only what a move changes: who, where and the topic stay.
            state = replace(
                stored.state,
                path=walk.state.path,
                seen=walk.state.seen,
                choices=walk.state.choices,
                outcome=walk.state.outcome,
            )
            self._walks[walk.id] = replace(
                stored, state=state, updated_at=walk.updated_at, version=walk.version
            )
            return True

    async def abandon_walks_before(self, cutoff: datetime) -> int:
        async with self._lock:
            left = [
                walk
                for walk in self._walks.values()
                if walk.state.outcome is WalkOutcome.IN_PROGRESS and walk.updated_at < cutoff
            ]
            for walk in left:
                state = replace(walk.state, outcome=WalkOutcome.ABANDONED)
                self._walks[walk.id] = replace(walk, state=state, version=walk.version + 1)
            return len(left)

    async def walks_of(self, user_id: str) -> list[WalkRecord]:
        """Every walk of one employee, oldest first."""
        mine = [walk for walk in self._walks.values() if walk.user_id == user_id]
        return sorted(mine, key=lambda walk: walk.started_at)


class MemoryEventLedger:
    """Event ids with the time each was first seen."""

    def __init__(self) -> None:
        self._events: dict[str, datetime] = {}
        self._lock = asyncio.Lock()

    async def claim_event(self, event_id: str, at: datetime) -> bool:
        async with self._lock:
            if event_id in self._events:
                return False
            self._events[event_id] = at
            return True

    async def forget_events_before(self, cutoff: datetime) -> int:
        async with self._lock:
            old = [event_id for event_id, at in self._events.items() if at < cutoff]
            for event_id in old:
                del self._events[event_id]
            return len(old)
