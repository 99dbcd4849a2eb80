"""The ledger of handled Events API deliveries in SQL: each event id is claimed once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table, delete, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.engine import single_statements
from storage.models import ProcessedEvent

_EVENTS: Table = ProcessedEvent.__table__  # type: ignore[assignment]
_CLAIM_EVENT = insert(_EVENTS)


class SqlEventLedger:
    """Handled Events API deliveries in `processed_events`, keyed by Slack's event_id."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = single_statements(engine)

    async def claim_event(self, event_id: str, at: datetime) -> bool:
        try:
            async with self._engine.begin() as conn:
                await conn.execute(_CLAIM_EVENT, {"event_id": event_id, "received_at": at})
        except IntegrityError:
            return False
        return True

    async def forget_events_before(self, cutoff: datetime) -> int:
        async with self._engine.begin() as conn:
            result = await conn.execute(delete(_EVENTS).where(_EVENTS.c.received_at < cutoff))
        return int(result.rowcount)
