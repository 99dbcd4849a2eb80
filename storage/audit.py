"""The audit log's hash chain: one way to append a line, and a walk that checks every link."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from bot.domain.requests import AuditEntry
from storage.models import AuditRow, UtcDateTime

# PostgreSQL appends through migration 0006's function audit_log_append: it takes the chain's
# advisory lock (held to the end of the caller's transaction, so replicas take turns), reads the
# newest line's hash, draws the id and inserts with the hash computed there, in one round trip.
_PG_APPEND = text(
    "SELECT audit_log_append(CAST(:at AS TIMESTAMP WITH TIME ZONE), :actor_id, :event, "
    "CAST(:request_id AS INTEGER), CAST(:detail AS JSON), :payload)"
)
# SQLite has one writer at a time and takes the write lock when this statement starts, so the
# statement alone reads the newest line and appends after it. `audit_link_hash` is `link_hash`,
# registered on every connection (storage.engine). SQLite's own rowid choice is max(id) + 1 too.
# The newest line's hash is NULL when the log is empty or that line predates the chain
# (migration 0006): this line then starts the chain.
_SQLITE_APPEND = text(
    "INSERT INTO audit_log (id, at, actor_id, event, request_id, detail, prev_hash, row_hash) "
    "SELECT next.id, :at, :actor_id, :event, :request_id, :detail, last.row_hash, "
    "audit_link_hash(last.row_hash, next.id, :payload) "
    "FROM (SELECT coalesce(max(id), 0) + 1 AS id FROM audit_log) AS next "
    "LEFT JOIN (SELECT row_hash FROM audit_log ORDER BY id DESC LIMIT 1) AS last ON 1 = 1"
)
_BINDS = (
    bindparam("at", type_=UtcDateTime()),
    bindparam("actor_id", type_=String()),
    bindparam("event", type_=String()),
    bindparam("request_id", type_=Integer()),
    bindparam("detail", type_=JSON()),
    bindparam("payload", type_=String()),
)
_APPEND = {
    "postgresql": _PG_APPEND.bindparams(*_BINDS),
    "sqlite": _SQLITE_APPEND.bindparams(*_BINDS),
}


def payload(
    at: datetime, actor_id: str, event: str, request_id: int | None, detail: dict[str, Any] | None
) -> str:
    """The canonical text of a line's content: sorted, compact, ASCII-only JSON."""
    return json.dumps(
        {
            "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor": actor_id,
            "event": event,
            "request_id": request_id,
            "detail": detail or {},
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )


def link_hash(prev_hash: str | None, row_id: int, content: str) -> str:
    """SHA-256 (hex) over the previous line's hash, this line's id and its canonical content."""
    return hashlib.sha256(f"{prev_hash or ''}\n{row_id}\n{content}".encode()).hexdigest()


async def append_audit(
    db: AsyncSession | AsyncConnection,
    entry: AuditEntry,
    request_id: int | None,
    *,
    workspace: str | None = None,
) -> None:
    """Append one line linked to the newest one, inside the caller's transaction (or alone).

    Make it the transaction's last statement: on PostgreSQL the chain's lock is held from here
    to the commit, and taking no other lock after it is what keeps appends free of deadlocks.
    Alone, on an autocommit connection, the lock ends with the statement.
    """
    detail = entry.detail or {}
    if workspace is not None:  # whose line it is, when one deployment serves several
        detail = {**detail, "workspace": workspace}
    params = {
        "at": entry.at,
        "actor_id": entry.actor_id,
        "event": entry.event,
        "request_id": request_id,
        "detail": detail,
        "payload": payload(entry.at, entry.actor_id, entry.event, request_id, detail),
    }
    dialect = db.get_bind().dialect.name if isinstance(db, AsyncSession) else db.dialect.name
    await db.execute(_APPEND[dialect], params)


@dataclass(frozen=True)
class ChainReport:
    """What `audit verify` found: how the log starts, how far the chain holds, where it breaks."""

    unchained: int = 0
    chained: int = 0
    first_id: int | None = None
    last_id: int | None = None
    head: str | None = None
    broken_at: int | None = None
    problem: str | None = None

    @property
    def intact(self) -> bool:
        """True when every link holds (and a head noted earlier is still on the chain)."""
        return self.problem is None


async def verify_audit(engine: AsyncEngine, noted_head: str | None = None) -> ChainReport:
    """Walk the log in id order and stop at the first line whose link or content is wrong;
    with `noted_head` (a head hash verify printed earlier), also require that line unchanged."""
    async with engine.connect() as conn:
        return await check_chain(_lines(conn), noted_head)


async def _lines(conn: AsyncConnection) -> AsyncIterator[AuditRow]:
    result = await conn.stream(
        select(AuditRow.__table__).order_by(AuditRow.id).execution_options(yield_per=1000)
    )
    async for row in result:
        yield row  # type: ignore[misc]  # a Row with AuditRow's columns


async def check_chain(lines: AsyncIterator[Any], noted_head: str | None = None) -> ChainReport:
    """Check each line's hash against its content and its link against the line before it.

    Lines without a hash before the first hashed one were written before migration 0006: they
    are counted, not checked. Gaps in ids are not tampering (a rolled-back insert skips an id);
    the links are what count. A chain rewritten from some line on (every later hash computed
    again) holds together: only a hash noted elsewhere before, `noted_head`, shows it.
    """
    unchained = chained = 0
    first_id: int | None = None
    previous: Any = None
    seen: dict[str, int] = {}  # hash -> id, to tell an inserted line from a removed one

    def broken(row_id: int, problem: str) -> ChainReport:
        return ChainReport(
            unchained,
            chained,
            first_id,
            previous.id if previous is not None else None,
            previous.row_hash if previous is not None else None,
            row_id,
            problem,
        )

    async for line in lines:
        if line.row_hash is None:
            if previous is None:
                unchained += 1
                continue
            return broken(
                line.id,
                f"row {line.id} has no hash: it was written after the chain began, outside the bot",
            )
        content = payload(line.at, line.actor_id, line.event, line.request_id, line.detail)
        if link_hash(line.prev_hash, line.id, content) != line.row_hash:
            return broken(
                line.id,
                f"row {line.id} was changed: its content no longer matches its hash",
            )
        if previous is None and line.prev_hash is not None:
            return broken(
                line.id,
                f"row {line.id} is the first hashed row but links to an earlier one: "
                "the rows before it were removed",
            )
        if previous is not None and line.prev_hash != previous.row_hash:
            return broken(line.id, _bad_link(line, previous, seen))
        if previous is None:
            first_id = line.id
        seen[line.row_hash] = line.id
        chained += 1
        previous = line
    last_id = previous.id if previous is not None else None
    head = previous.row_hash if previous is not None else None
    if noted_head is not None and noted_head.strip().lower() not in seen:
        problem = (
            f"the head noted earlier ({noted_head.strip()[:12]}...) is not on the chain: "
            "the log was rewritten from some row before it on"
        )
        return ChainReport(unchained, chained, first_id, last_id, head, None, problem)
    return ChainReport(unchained, chained, first_id, last_id, head)


def _bad_link(line: Any, previous: Any, seen: dict[str, int]) -> str:
    """Why `line` does not link to `previous`, the line just before it."""
    if line.prev_hash is None:
        return (
            f"row {line.id} starts a new chain after row {previous.id}: "
            "the log was emptied before it, or the row was inserted"
        )
    if line.prev_hash in seen:
        return (
            f"row {line.id} links to row {seen[line.prev_hash]}, not to row {previous.id} "
            f"just before it: the row(s) after {seen[line.prev_hash]} up to {previous.id} "
            f"were inserted (or row {line.id} was)"
        )
    return (
        f"row {line.id} links to a row that is not in the log: a row between {previous.id} "
        f"and {line.id} was removed, or row {previous.id} was changed and hashed again"
    )
