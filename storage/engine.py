"""The async engine and session factory for SQLite (aiosqlite) or PostgreSQL (asyncpg)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, exc, text
from sqlalchemy.engine import Dialect, ExceptionContext
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.ext.asyncio import AsyncSession as AsyncSession
from sqlalchemy.pool import ConnectionPoolEntry

from bot.domain.errors import StorageUnavailableError
from storage.audit import link_hash

# PostgreSQL's pool per process: connections kept, and more opened during a burst.
POOL_SIZE = 20
MAX_OVERFLOW = 10


def create_engine(
    url: str, pool_size: int = POOL_SIZE, max_overflow: int = MAX_OVERFLOW
) -> AsyncEngine:
    """An engine for the URL (on PostgreSQL, with at most `pool_size + max_overflow`
    connections); an outage raises StorageUnavailableError (see `_outages`)."""
    engine = _engine_for(url, pool_size, max_overflow)
    _outages(engine)
    return engine


def _engine_for(url: str, pool_size: int, max_overflow: int) -> AsyncEngine:
    """SQLite gets WAL and a busy timeout so concurrent writers wait; PostgreSQL a wide pool."""
    # hide_parameters: an error's text names no statement parameters, so a logged traceback
    # carries neither what people typed nor a sealed secret.
    if url.startswith("sqlite"):
        # SQLite has one writer at a time: one connection per process queues work in the pool
        # (first come, first served) instead of in SQLite's busy handler, which sleeps and retries.
        engine = create_async_engine(
            url,
            connect_args={"timeout": 15},
            pool_size=1,
            max_overflow=0,
            pool_timeout=30,
            hide_parameters=True,
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
    # No pool_pre_ping: through asyncpg it costs three round trips (BEGIN, a ping, ROLLBACK) at
    # every checkout, more than most statements here. A connection the server ended is noticed
    # at checkout without a round trip instead (`_skip_closed`); pool_recycle keeps connections
    # younger than any idle timeout.
    # Twenty kept connections cover the background lanes at full width (bot/tasks.py: 16 + 8 + 2
    # less those waiting on Slack or a mail server); a pool smaller than that opened and closed
    # a connection (TLS attempt, start-up, statement cache lost) for a good share of clicks
    # during a burst.
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_recycle=1800,
        hide_parameters=True,
    )
    event.listen(engine.sync_engine, "checkout", _skip_closed)
    return engine


def _skip_closed(dbapi_connection: Any, _record: ConnectionPoolEntry, _proxy: Any) -> None:
    """Refuse a pooled connection the server has ended, so the pool opens a fresh one.

    When PostgreSQL ends a backend (a restart, pg_terminate_backend, a failover) the driver reads
    the goodbye as soon as the event loop turns and marks the connection closed: asking costs no
    round trip, unlike pool_pre_ping's (a checkout measured 53 us p50 with this, 57 us with no
    check, 208 us with pool_pre_ping: bench/pool_checkout.py). Without it, the first statement
    after the server ended the connections failed (then SQLAlchemy recycled the pool).
    """
    if dbapi_connection.driver_connection.is_closed():
        raise exc.DisconnectionError("the server ended this connection")


def _outages(engine: AsyncEngine) -> None:
    """Raise StorageUnavailableError, a domain error, for any failure to reach the database.

    The core and the front end then tell an outage apart from a bug without knowing SQLAlchemy:
    a modal says "try again in a minute", the worker logs one line per outage, not a traceback.
    """

    @event.listens_for(engine.sync_engine, "handle_error")
    def _translate(context: ExceptionContext) -> None:
        if not isinstance(context.original_exception, Exception):
            return  # a cancellation (shutdown, a timeout) stays one, saying nothing of the database
        error = context.sqlalchemy_exception
        connecting = context.connection is None  # no connection yet: the database refused one
        if (
            connecting
            or context.is_disconnect
            or isinstance(error, exc.OperationalError | exc.InterfaceError)
        ):
            raise StorageUnavailableError(_reason(context.original_exception)) from error

    @event.listens_for(engine.sync_engine, "do_connect")
    def _connect(dialect: Dialect, _record: Any, cargs: Any, cparams: Any) -> Any:
        # A refused or timed-out connect is an OSError that never reaches handle_error.
        try:
            return dialect.connect(*cargs, **cparams)
        except (OSError, TimeoutError) as error:
            raise StorageUnavailableError(_reason(error)) from error


def _reason(error: BaseException) -> str:
    """The driver's own words, first line only (they name the host, never a password)."""
    words = str(error).strip().splitlines()
    return f"{type(error).__name__}: {words[0] if words else 'no detail'}"[:200]


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
