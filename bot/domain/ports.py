"""Protocols the core needs from the outside world: storage and the clock."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.domain.walks import WalkRecord


class Clock(Protocol):
    """Tells the time; injected so that expiry and lockouts can be tested."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class WalkRepository(Protocol):
    """Stores each employee's walk through the guide."""

    async def get_walk(self, walk_id: str) -> WalkRecord | None:
        """The walk with this id, or None."""
        ...

    async def add_walk(self, walk: WalkRecord) -> bool:
        """Store a new walk; False when a walk with its id exists already."""
        ...

    async def update_walk(self, walk: WalkRecord, expected_version: int) -> bool:
        """Store the walk if its stored version is still `expected_version`; False otherwise."""
        ...


class EventLedger(Protocol):
    """Remembers which Events API deliveries were handled, across replicas."""

    async def claim_event(self, event_id: str, at: datetime) -> bool:
        """True the first time an event id is seen, False for every later delivery."""
        ...

    async def forget_events_before(self, cutoff: datetime) -> int:
        """Drop the record of events older than `cutoff`; the number dropped."""
        ...
