"""The audit log's hash chain on SQLite and PostgreSQL: appends, replicas, tampering, verify."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import DateTime, bindparam, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.identity import ResetAction
from bot.domain.requests import (
    ActionRecord,
    ActionStatus,
    AuditEntry,
    ContactForm,
    HelpRequest,
    Remaining,
    Status,
)
from storage.audit import check_chain, link_hash, payload, verify_audit
from storage.engine import create_engine, session_factory
from storage.helpdesk import SqlRequestRepository
from storage.migrate import alembic_config, migrate

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """A migrated database."""
    built = create_engine(database_url)
    await migrate(built)
    yield built
    await built.dispose()


def _request(requester: str) -> HelpRequest:
    return HelpRequest(
        id=0,
        team_id="T1",
        requester_id=requester,
        topic_id="lost-phone",
        walk_id=None,
        form=ContactForm("lost it", True, Remaining.NONE, None, "desk 4B", ""),
        proposed=(ResetAction.CLEAR_MFA, ResetAction.REVOKE_SESSIONS),
        tried=(),
        status=Status.OPEN,
        created_at=NOW,
        expires_at=NOW + timedelta(hours=24),
        updated_at=NOW,
    )


async def _lines(engine: AsyncEngine) -> list[Any]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT id, prev_hash, row_hash, event FROM audit_log ORDER BY id")
        )
        return list(rows)


async def _a_day_of_work(repo: SqlRequestRepository, requester: str = "U1") -> None:
    """A request created, approved with two actions, one carried out, and a refusal."""
    request = await repo.create_request(
        _request(requester), AuditEntry(NOW, requester, "request.created")
    )
    approved = AuditEntry(NOW, "UADMIN", "request.approved", request.id, {"actions": ["a", "b"]})
    assert await repo.approve(
        request.id,
        (ResetAction.CLEAR_MFA, ResetAction.REVOKE_SESSIONS),
        approved,
        at=NOW,
        first_approver_is=None,
    )
    first = (await repo.actions_of(request.id))[0]
    assert await repo.claim_action(first.id, NOW, NOW + timedelta(minutes=5), "w1")
    done = AuditEntry(
        NOW, "system", "action.done", request.id, {"action": "clear_mfa", "summary": "Ünïcode ✓"}
    )
    assert await repo.finish_action(
        first.id, frozenset({ActionStatus.RUNNING}), ActionRecord(ActionStatus.DONE), done, "w1"
    )
    await repo.record_audit(
        AuditEntry(NOW, "UOTHER", "approve_denied", request.id, {"why": "not an admin"})
    )


async def test_each_line_links_to_the_one_before_it(engine: AsyncEngine) -> None:
    repo = SqlRequestRepository(session_factory(engine))
    await _a_day_of_work(repo)
    lines = await _lines(engine)
    assert [line.event for line in lines] == [
        "request.created",
        "request.approved",
        "action.done",
        "approve_denied",
    ]
    assert lines[0].prev_hash is None
    for before, line in itertools.pairwise(lines):
        assert line.prev_hash == before.row_hash
    report = await verify_audit(engine)
    assert report.intact, report
    assert (report.chained, report.unchained) == (4, 0)
    assert (report.first_id, report.last_id, report.head) == (
        lines[0].id,
        lines[-1].id,
        lines[-1].row_hash,
    )


async def test_the_hash_covers_every_column_as_python_computes_it(engine: AsyncEngine) -> None:
    repo = SqlRequestRepository(session_factory(engine))
    entry = AuditEntry(NOW, "UADMIN", "stepup.enrolled", None, {"n": 1.5, "list": [1, "x"]})
    await repo.record_audit(entry)
    (line,) = await _lines(engine)
    content = payload(NOW, "UADMIN", "stepup.enrolled", None, {"list": [1, "x"], "n": 1.5})
    assert line.row_hash == link_hash(None, line.id, content)


async def test_appends_from_two_replicas_at_once_make_one_chain(database_url: str) -> None:
    replicas = [create_engine(database_url), create_engine(database_url)]
    await migrate(replicas[0])
    repos = [SqlRequestRepository(session_factory(e)) for e in replicas]
    try:
        work = [
            repo.record_audit(AuditEntry(NOW, f"U{n}", "refused", None, {"n": n}))
            for n in range(40)
            for repo in repos
        ]
        work += [_a_day_of_work(repo, f"UREQ{n}") for n, repo in enumerate(repos)]
        await asyncio.gather(*work)
        report = await verify_audit(replicas[0])
        assert report.intact, report
        assert report.chained == 80 + 2 * 4
    finally:
        for built in replicas:
            await built.dispose()


async def test_truncate_is_refused_on_postgresql_even_for_the_owner(engine: AsyncEngine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    await SqlRequestRepository(session_factory(engine)).record_audit(
        AuditEntry(NOW, "U1", "request.created")
    )
    with pytest.raises(DBAPIError, match="append-only"):
        async with engine.begin() as conn:
            await conn.execute(text("TRUNCATE audit_log"))
    assert len(await _lines(engine)) == 1


async def test_lines_from_before_migration_0006_are_counted_and_the_chain_follows_them(
    database_url: str,
) -> None:
    engine = create_engine(database_url)

    def upgrade(connection: Connection, revision: str) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    try:
        async with engine.begin() as conn:
            await conn.run_sync(upgrade, "0005")
            # The time is bound as a DateTime: sqlite3's own datetime adapter is deprecated
            # (Python 3.12), SQLAlchemy's type writes it as the tables' columns do.
            at = bindparam("at", type_=DateTime())
            for n in range(3):  # as the bot wrote them before 0006
                await conn.execute(
                    text(
                        "INSERT INTO audit_log (at, actor_id, event, request_id, detail) "
                        "VALUES (:at, 'U1', 'request.created', NULL, '{}')"
                    ).bindparams(at),
                    {"at": (NOW + timedelta(seconds=n)).replace(tzinfo=None)},
                )
        await migrate(engine)
        repo = SqlRequestRepository(session_factory(engine))
        for _ in range(2):
            await repo.record_audit(AuditEntry(NOW, "U1", "after"))
        report = await verify_audit(engine)
        assert report.intact, report
        assert (report.unchained, report.chained, report.first_id) == (3, 2, 4)
    finally:
        await engine.dispose()


# -- tampering, as the tables' owner, through `mfa-helpdesk audit verify` ---------------------


def _verify(database_url: str, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        "DATABASE_URL": database_url,
        "HOME": str(tmp_path),
    }
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bot", "audit", "verify", *extra],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def _as_owner(engine: AsyncEngine, sql: str) -> None:
    """Change the log as its owner can: switch the append-only triggers off, change, back on."""
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
            await conn.execute(text(sql))
            await conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
            return
        for verb in ("update", "delete"):
            await conn.execute(text(f"DROP TRIGGER audit_log_no_{verb}"))
        await conn.execute(text(sql))
        for verb in ("UPDATE", "DELETE"):
            await conn.execute(
                text(
                    f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
                )
            )


async def test_verify_names_the_first_row_changed_or_removed_by_the_owner(
    engine: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    repo = SqlRequestRepository(session_factory(engine))
    await _a_day_of_work(repo, "U1")
    await _a_day_of_work(repo, "U2")
    ids = [line.id for line in await _lines(engine)]
    intact = _verify(database_url, tmp_path)
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert f"8 row(s) chained, ids {ids[0]} to {ids[-1]}" in intact.stdout
    head = intact.stdout.split("head ", 1)[1].split()[0]

    # A decision's detail rewritten (who approved what), then put back as it was.
    original = (await _scalar(engine, f"SELECT detail FROM audit_log WHERE id = {ids[2]}"))[0]  # noqa: S608
    await _as_owner(engine, f"UPDATE audit_log SET detail = '{{}}' WHERE id = {ids[2]}")  # noqa: S608
    changed = _verify(database_url, tmp_path)
    assert changed.returncode == 1
    assert f"BROKEN at row {ids[2]}: row {ids[2]} was changed" in changed.stdout
    restored = original if isinstance(original, str) else json.dumps(original)
    await _as_owner(
        engine,
        f"UPDATE audit_log SET detail = '{restored}' WHERE id = {ids[2]}",  # noqa: S608
    )
    assert _verify(database_url, tmp_path).returncode == 0

    # A refusal removed from the middle of the log.
    await _as_owner(engine, f"DELETE FROM audit_log WHERE id = {ids[3]}")  # noqa: S608
    removed = _verify(database_url, tmp_path)
    assert removed.returncode == 1
    assert f"BROKEN at row {ids[4]}:" in removed.stdout
    assert f"a row between {ids[2]} and {ids[4]} was removed" in removed.stdout

    # The owner rewrites the tail so that every link holds again: only the noted head shows it.
    await _as_owner(engine, f"DELETE FROM audit_log WHERE id > {ids[2]}")  # noqa: S608
    await repo.record_audit(AuditEntry(NOW, "UADMIN", "request.approved", None, {}))
    assert _verify(database_url, tmp_path).returncode == 0
    rewritten = _verify(database_url, tmp_path, "--head", head)
    assert rewritten.returncode == 1
    assert "is not on the chain: the log was rewritten" in rewritten.stdout


async def _scalar(engine: AsyncEngine, sql: str) -> Any:
    async with engine.connect() as conn:
        return (await conn.execute(text(sql))).one()


# -- the walk itself, on lines as the database returns them -----------------------------------


@dataclass
class Line:
    """An audit_log row as verify reads it."""

    id: int
    prev_hash: str | None
    row_hash: str | None
    at: datetime = NOW
    actor_id: str = "U1"
    event: str = "e"
    request_id: int | None = None
    detail: dict[str, Any] | None = None


def _chain(ids: list[int], start: str | None = None) -> list[Line]:
    lines, prev = [], start
    for row_id in ids:
        row_hash = link_hash(prev, row_id, payload(NOW, "U1", "e", None, None))
        lines.append(Line(row_id, prev, row_hash))
        prev = row_hash
    return lines


async def _walk(lines: list[Line]) -> Any:
    async def feed() -> AsyncIterator[Line]:
        for line in lines:
            yield line

    return await check_chain(feed())


async def test_a_gap_in_ids_is_no_break_but_an_inserted_or_unhashed_row_is() -> None:
    report = await _walk([Line(1, None, None), *_chain([2, 3, 7, 9])])
    assert report.intact, report
    assert (report.unchained, report.chained, report.first_id, report.last_id) == (1, 4, 2, 9)

    chain = _chain([1, 2, 3])
    forged = _chain([5], start=chain[1].row_hash)[0]  # links to row 2, inserted after row 3
    after = _chain([6], start=chain[2].row_hash)[0]
    report = await _walk([*chain, forged, after])
    assert report.broken_at == 5
    assert "row 5 links to row 2, not to row 3" in (report.problem or "")

    chain = _chain([1, 2, 5])  # a rolled-back insert skipped ids 3 and 4
    forged = _chain([3], start=chain[1].row_hash)[0]  # slipped into the gap, hashed right
    report = await _walk([*chain[:2], forged, chain[2]])
    assert report.broken_at == 5
    assert "row 5 links to row 2, not to row 3 just before it" in (report.problem or "")

    report = await _walk([*chain, Line(4, None, None)])
    assert report.broken_at == 4
    assert "has no hash" in (report.problem or "")

    report = await _walk(chain[1:])
    assert report.broken_at == 2
    assert "the rows before it were removed" in (report.problem or "")

    report = await _walk([*chain, *_chain([4])])
    assert report.broken_at == 4
    assert "starts a new chain" in (report.problem or "")
