"""What a pooled connection's check at checkout costs on PostgreSQL: none, ours, pool_pre_ping.

Times a bare checkout, then the walk repository's insert and update (Walks.start, .move)
and a transaction of the request-storing shape (BEGIN, INSERT ... RETURNING, INSERT, COMMIT),
each many times at concurrency 1 and 20, with three engines: no check (before issue 15),
`_skip_closed` (asks the driver whether the server ended the connection: no round trip) and
SQLAlchemy's pool_pre_ping. Usage: .venv/bin/python -m bench.pool_checkout [rounds]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable

import asyncpg
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.clock import SystemClock
from bot.domain.guide import Move
from bot.domain.walks import Surface, Walks
from bot.guide import load_guide
from storage.engine import _skip_closed
from storage.migrate import migrate
from storage.walks import SqlWalkRepository

ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


def engine_for(url: str, kind: str) -> AsyncEngine:
    """The serving engine's pool, with one of the three checks."""
    engine = create_async_engine(
        url, pool_size=20, max_overflow=10, pool_recycle=1800, pool_pre_ping=kind == "pre_ping"
    )
    if kind == "skip_closed":
        event.listen(engine.sync_engine, "checkout", _skip_closed)
    return engine


async def timed(work: Callable[[], Awaitable[object]], count: int, width: int) -> list[float]:
    """Per-operation latencies (ms) of `count` runs, `width` at a time."""
    latencies: list[float] = []
    gate = asyncio.Semaphore(width)

    async def one() -> None:
        async with gate:
            started = time.perf_counter()
            await work()
            latencies.append((time.perf_counter() - started) * 1000)

    await asyncio.gather(*(one() for _ in range(count)))
    return latencies


async def run(rounds: int) -> None:
    """Print p50 / p95 per path, check and concurrency."""
    name = f"bench_pool_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    try:
        setup = create_async_engine(url)
        await migrate(setup)
        async with setup.begin() as conn:
            await conn.execute(text("CREATE TABLE b_req (id serial PRIMARY KEY, body text)"))
            await conn.execute(text("CREATE TABLE b_audit (req int, body text)"))
        await setup.dispose()
        guide = load_guide(None, {})
        results: dict[tuple[str, str, int], list[float]] = {}
        for _ in range(rounds):  # interleaved, so drift on a shared machine hits all three
            for kind in ("none", "skip_closed", "pre_ping"):
                engine = engine_for(url, kind)
                service = Walks(guide, SqlWalkRepository(engine), SystemClock())

                async def store_request(engine: AsyncEngine = engine) -> None:
                    async with engine.begin() as conn:
                        new = await conn.execute(
                            text("INSERT INTO b_req (body) VALUES ('x') RETURNING id")
                        )
                        await conn.execute(
                            text("INSERT INTO b_audit VALUES (:r, 'y')"), {"r": new.scalar_one()}
                        )

                async def walk(service: Walks = service) -> None:
                    opened = await service.start("T", "U1", "lost-phone", Surface.DM)
                    await service.move(opened.id, "U1", opened.state.current, Move.NEXT)

                async def checkout(engine: AsyncEngine = engine) -> None:
                    async with engine.connect():
                        pass

                await timed(store_request, 50, 20)  # fill the pool
                key = ("checkout only", kind, 1)
                results.setdefault(key, []).extend(await timed(checkout, 500, 1))
                for width in (1, 20):
                    for path, work in (("store request", store_request), ("walk add+move", walk)):
                        key = (path, kind, width)
                        results.setdefault(key, []).extend(await timed(work, 400, width))
                await engine.dispose()
        print(f"{'path':15} {'check':12} {'conc':>4} {'p50 ms':>8} {'p95 ms':>8}")
        for (path, kind, width), values in sorted(results.items()):
            p50 = statistics.median(values)
            p95 = statistics.quantiles(values, n=20)[18]
            print(f"{path:15} {kind:12} {width:>4} {p50:>8.3f} {p95:>8.3f}")
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(run(int(sys.argv[1]) if len(sys.argv) > 1 else 3))
