"""What the audit log's hash chain costs per line: a plain INSERT (before) against the chained
append (after), call for call in turn so that a busy machine slows both alike.

Run: `python -m bench.audit [DATABASE_URL ...]` (default: a temporary SQLite file). Each URL's
database is migrated and gets new rows (the plain inserts leave unhashed lines: use a scratch
database). Prints the median and p95 per line, alone (autocommit, as `record_audit`) and at the
end of a transaction (as a state change), then with eight writers at once, where chained
appends take turns.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.requests import AuditEntry
from storage.audit import append_audit
from storage.engine import create_engine, single_statements
from storage.migrate import migrate
from storage.models import AuditRow

CALLS = 1000
WRITERS = 8
_AUDIT: Table = AuditRow.__table__  # type: ignore[assignment]


def _line(name: str, seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[int(len(ms) * 0.95) - 1]
    return f"  {name:<44} median {statistics.median(ms):6.3f} ms   p95 {p95:6.3f} ms"


Write = Callable[[AsyncEngine], Awaitable[None]]


async def _timed(call: Write, db: AsyncEngine) -> float:
    started = time.perf_counter()
    await call(db)
    return time.perf_counter() - started


async def _latency(*pairs: tuple[str, Write, Write, AsyncEngine]) -> None:
    """One line's time, plain INSERT against chained append, alone and in a transaction."""
    for what, before, after, db in pairs:
        for _ in range(50):  # warm the pool and the statement caches
            await before(db)
            await after(db)
        times: dict[str, list[float]] = {"before": [], "after": []}
        for _ in range(CALLS):
            times["before"].append(await _timed(before, db))
            times["after"].append(await _timed(after, db))
        print(_line(f"{what}: plain INSERT (before)", times["before"]))
        print(_line(f"{what}: chained append (after)", times["after"]))


async def _throughput(db: AsyncEngine, plain: Write, chained: Write) -> None:
    """Lines per second with WRITERS writing at once, plain against chained."""

    async def writer(call: Write) -> None:
        for _ in range(CALLS // WRITERS):
            await call(db)

    rates: dict[str, list[float]] = {"before": [], "after": []}
    for _ in range(3):
        for name, call in (("before", plain), ("after", chained)):
            started = time.perf_counter()
            await asyncio.gather(*(writer(call) for _ in range(WRITERS)))
            rates[name].append(CALLS / (time.perf_counter() - started))
    for name in ("before", "after"):
        best = max(rates[name])
        print(f"  {WRITERS} writers at once, {name:<6}: {best:7.0f} lines/s (best of 3)")


async def _bench(url: str) -> None:
    engine = create_engine(url)
    await migrate(engine)
    alone = single_statements(engine)
    entry = AuditEntry(
        datetime.now(UTC), "UBENCH", "action.done", 1, {"action": "clear_mfa", "summary": "x" * 80}
    )
    values = {
        "at": entry.at,
        "actor_id": entry.actor_id,
        "event": entry.event,
        "request_id": 1,
        "detail": entry.detail,
    }

    async def plain(db: AsyncEngine) -> None:
        async with db.begin() as conn:
            await conn.execute(_AUDIT.insert(), values)

    async def chained(db: AsyncEngine) -> None:
        async with db.begin() as conn:
            await append_audit(conn, entry, 1)

    async def plain_in_transaction(db: AsyncEngine) -> None:
        async with db.begin() as conn:
            await conn.execute(text("SELECT 1"))  # stands for the state change before it
            await conn.execute(_AUDIT.insert(), values)

    async def chained_in_transaction(db: AsyncEngine) -> None:
        async with db.begin() as conn:
            await conn.execute(text("SELECT 1"))
            await append_audit(conn, entry, 1)

    print(f"{engine.dialect.name}:")
    await _latency(
        ("alone", plain, chained, alone),
        ("in a transaction", plain_in_transaction, chained_in_transaction, engine),
    )
    await _throughput(alone, plain, chained)
    await engine.dispose()


async def main(urls: list[str]) -> None:
    """Benchmark each database in turn."""
    with tempfile.TemporaryDirectory() as folder:
        for url in urls or [f"sqlite+aiosqlite:///{folder}/bench.db"]:
            await _bench(url)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
