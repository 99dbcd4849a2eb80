"""The async engine and session factory for SQLite (aiosqlite) or PostgreSQL (asyncpg)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.ext.asyncio import AsyncSession as AsyncSession

from storage.audit import link_hash


def create_engine(url: str) -> AsyncEngine:
    """An engine for the URL; SQLite gets WAL and a busy timeout so concurrent writers wait."""
    if url.startswith("sqlite"):
        # SQLite has one writer at a time: one connection per process queues work in the pool
        # (first come, first served) instead of in SQLite's busy handler, which sleeps and retries.
        engine = create_async_engine(
            url, connect_args={"timeout": 15}, pool_size=1, max_overflow=0, pool_timeout=30
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            if ":memory:" not in url:
                cursor.execute("PRAGMA journal_mode=WAL")
                # In WAL mode NORMAL keeps the database consistent and skips an fsync per commit.
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=15000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()
            # SQLite has no SHA-256: the audit log's append computes each line's hash with ours.
            dbapi_connection.create_function("audit_link_hash", 3, link_hash, deterministic=True)

        return engine
    # No pre-ping: through asyncpg it costs three round trips (BEGIN, a ping, ROLLBACK) at every
    # checkout, more than most statements here. A connection the server dropped fails its next
    # statement instead, and SQLAlchemy then recycles every connection older than the failure;
    # pool_recycle keeps connections younger than any idle timeout in between.
    # Twenty kept connections cover the background lanes at full width (bot/tasks.py: 16 + 8 less
    # those waiting on Slack); a pool smaller than that opened and closed a connection (TLS
    # attempt, start-up, statement cache lost) for a good share of clicks during a burst.
    return create_async_engine(url, pool_size=20, max_overflow=10, pool_recycle=1800)


def single_statements(engine: AsyncEngine) -> AsyncEngine:
    """The engine for work that is one statement, atomic by itself.

    On PostgreSQL it runs on autocommit connections: no BEGIN, and no COMMIT or ROLLBACK, around
    the statement (two of three round trips). Write through `begin()` all the same: on PostgreSQL
    that sends nothing more, and on SQLite it commits. SQLite keeps its default: through
    aiosqlite, switching a connection to autocommit and back costs more hops to its thread than
    the COMMIT it saves (measured in turns: 2.9-5.6 ms of CPU per walk insert, against 1.8-2.8).
    """
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """One AsyncSession per unit of work; objects stay readable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


async def ping(engine: AsyncEngine) -> bool:
    """True when the database answers a trivial query."""
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:
        return False
    return True
