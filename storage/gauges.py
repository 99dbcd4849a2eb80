"""What the metrics read from storage at scrape time: requests by state, the pool's use."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.models import HelpRequestRow


async def requests_by_state(sessions: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """How many help requests are in each state: one GROUP BY over the indexed status column."""
    statement = select(HelpRequestRow.status, func.count()).group_by(HelpRequestRow.status)
    async with sessions() as session:
        rows = (await session.execute(statement)).all()
    return {str(status): int(count) for status, count in rows}


def pool_use(engine: AsyncEngine) -> tuple[int, int]:
    """(connections checked out, the pool's size); zeros for a pool that keeps no count."""
    pool = engine.sync_engine.pool
    checked_out = getattr(pool, "checkedout", None)
    size = getattr(pool, "size", None)
    return (
        int(checked_out()) if callable(checked_out) else 0,
        int(size()) if callable(size) else 0,
    )
