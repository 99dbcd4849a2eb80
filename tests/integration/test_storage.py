"""SQL storage only: migrations, batched statements, walks across replicas, lost connections."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic import command
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import bindparam, event, inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.guide import Move, WalkOutcome
from bot.domain.platform import Platform
from bot.domain.requests import AuditEntry
from bot.domain.walks import Surface, WalkRecord, Walks
from bot.guide import load_guide
from storage.engine import create_engine, ping, session_factory
from storage.helpdesk import SqlRequestRepository
from storage.insights import SqlBoards
from storage.migrate import alembic_config, migrate, pending_revisions
from storage.models import UtcDateTime
from storage.walks import SqlWalkRepository
from tests.conftest import FixedClock

GUIDE = load_guide()
# A time bound as the tables' own column type: sqlite3's default datetime adapter is deprecated
# (Python 3.12), asyncpg takes a datetime.
AT = bindparam("at", type_=UtcDateTime())


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """A migrated database."""
    built = create_engine(database_url)
    await migrate(built)
    yield built
    await built.dispose()


async def test_migrating_twice_is_a_no_op_and_downgrade_round_trips(engine: AsyncEngine) -> None:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert await migrate(engine) == head
    assert not await pending_revisions(engine)
    assert await ping(engine)

    def down_and_up(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
        command.upgrade(config, "head")

    async with engine.begin() as conn:
        await conn.run_sync(down_and_up)
    assert not await pending_revisions(engine)


def _to(revision: str) -> Any:
    def move(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        if revision == "0005":
            command.downgrade(config, revision)
        else:
            command.upgrade(config, revision)

    return move


async def test_0006_marks_done_actions_told_and_its_downgrade_keeps_the_audit_append_only(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(_to("0005"))
    at = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO help_requests (id, team_id, requester_id, requester_name, "
                "requester_email, topic_id, description, lost_or_stolen, remaining, contact, "
                "details, proposed, tried, status, created_at, expires_at, updated_at, "
                "privileged, suspicious) VALUES (1, 'T', 'U1', '', '', 'lost-phone', 'x', "
                "false, 'none', 'c', '', '[]', '[]', 'failed', :at, :at, :at, false, false)"
            ).bindparams(AT),
            {"at": at},
        )
        for action_id, status in ((1, "done"), (2, "failed")):
            await conn.execute(
                text(
                    "INSERT INTO request_actions (id, request_id, position, action, status, "
                    "summary, manual_steps, attempts, updated_at) "
                    "VALUES (:id, 1, :id, 'clear_mfa', :status, '', '[]', 1, :at)"
                ).bindparams(AT),
                {"id": action_id, "status": status, "at": at},
            )
        await conn.execute(
            text(
                "INSERT INTO audit_log (at, actor_id, event, detail) VALUES (:at, 'U1', 'e', '{}')"
            ).bindparams(AT),
            {"at": at},
        )
    async with engine.begin() as conn:
        await conn.run_sync(_to("head"))
    async with engine.connect() as conn:
        told = (
            await conn.execute(text("SELECT id, notified_at IS NOT NULL FROM request_actions"))
        ).all()
    # Done before 0006: told already, so a retry after the upgrade does not tell it again.
    assert sorted((row[0], bool(row[1])) for row in told) == [(1, True), (2, False)]
    async with engine.begin() as conn:
        await conn.run_sync(_to("0005"))
    for statement in ("UPDATE audit_log SET event = 'changed'", "DELETE FROM audit_log"):
        with pytest.raises(Exception, match="append-only"):
            async with engine.begin() as conn:
                await conn.execute(text(statement))
    async with engine.begin() as conn:
        await conn.run_sync(_to("head"))


async def test_two_clicks_at_once_on_the_same_step_move_the_walk_once(engine: AsyncEngine) -> None:
    walks = SqlWalkRepository(engine)
    service = Walks(GUIDE, walks, FixedClock())
    walk = await service.start("T", "U7", "not-receiving", Surface.DM)
    results = await asyncio.gather(
        *[service.move(walk.id, "U7", "not-receiving-check", Move.NEXT) for _ in range(4)]
    )
    stored = await walks.get_walk(walk.id)
    assert stored is not None
    assert stored.state.path == ("not-receiving-check", "not-receiving-other-option")
    assert stored.version == 2
    assert all(r.state.current == "not-receiving-other-option" for r in results)


def _statements(engine: AsyncEngine, verb: str) -> list[str]:
    """The statements starting with `verb` that reach the database from now on."""
    seen: list[str] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith(verb):
            seen.append(statement)

    return seen


async def test_a_burst_of_clicks_shares_statements_and_each_gets_its_own_answer(
    engine: AsyncEngine,
) -> None:
    walks = SqlWalkRepository(engine)
    opened = [
        WalkRecord.new(GUIDE, "T", f"U{i}", "lost-phone", Surface.COMMAND, FixedClock().now())
        for i in range(40)
    ]
    inserts, selects, updates = (_statements(engine, v) for v in ("INSERT", "SELECT", "UPDATE"))

    added = await asyncio.gather(*(walks.add_walk(walk) for walk in [*opened, opened[0]]))
    assert added == [True] * 40 + [False]  # the same walk twice: stored once, the second refused
    assert 2 <= len(inserts) < 10

    missing = uuid.uuid4().hex
    read = await asyncio.gather(*(walks.get_walk(w) for w in [missing, *(w.id for w in opened)]))
    assert read == [None, *opened]
    assert len(selects) < 10

    def moved(walk: WalkRecord, outcome: WalkOutcome) -> WalkRecord:
        return replace(walk, state=replace(walk.state, outcome=outcome), version=2)

    # Each walk clicked twice at once from the same version (a double click, or two replicas),
    # and once from a version long gone: exactly one write per walk lands, and its caller knows.
    changes = [
        (moved(walk, WalkOutcome.WORKED if i % 2 else WalkOutcome.ESCALATED), expected)
        for walk in opened
        for i, expected in ((0, 1), (1, 1), (2, 7))
    ]
    landed = await asyncio.gather(*(walks.update_walk(walk, version) for walk, version in changes))
    assert len(updates) < len(changes) // 2
    for index, walk in enumerate(opened):
        first, second, stale = landed[3 * index : 3 * index + 3]
        assert [first, second, stale] == [True, False, False]
        assert await walks.get_walk(walk.id) == changes[3 * index][0]


async def test_a_replica_with_an_old_copy_of_a_walk_rereads_it(engine: AsyncEngine) -> None:
    walks = SqlWalkRepository(engine)
    first, second = (
        Walks(GUIDE, walks, FixedClock()),
        Walks(GUIDE, walks, FixedClock()),
    )
    walk = await first.start("T", "U7", "not-receiving", Surface.DM)
    await second.move(walk.id, "U7", "not-receiving-check", Move.NEXT)
    # `first` still remembers the walk on its first step; the click it gets is on the second.
    moved = await first.move(walk.id, "U7", "not-receiving-other-option", Move.NEXT)
    assert moved.state.current == "not-receiving-clear"
    # And a stale click for the first step, seen by `first`, changes nothing.
    again = await first.move(walk.id, "U7", "not-receiving-check", Move.NEXT)
    assert again.state.path == (
        "not-receiving-check",
        "not-receiving-other-option",
        "not-receiving-clear",
    )
    stored = await walks.get_walk(walk.id)
    assert stored is not None
    assert stored.version == 3


async def test_walks_left_alone_for_a_day_end_abandoned(engine: AsyncEngine) -> None:
    walks = SqlWalkRepository(engine)
    clock = FixedClock()
    service = Walks(GUIDE, walks, clock)
    left = await service.start("T", "U7", "why", Surface.DM)
    worked = await service.start("T", "U8", "why", Surface.DM)
    await service.move(worked.id, "U8", "why-what", Move.WORKED)
    clock.advance(hours=23)
    assert await service.close_stale_walks() == 0
    clock.advance(hours=2)
    assert await service.close_stale_walks() == 1
    stored = await walks.get_walk(left.id)
    assert stored is not None
    assert stored.state.outcome is WalkOutcome.ABANDONED
    done = await walks.get_walk(worked.id)
    assert done is not None
    assert done.state.outcome is WalkOutcome.WORKED


async def test_connections_the_server_ended_are_replaced_without_a_failure(
    postgres_url: str | None,
) -> None:
    if postgres_url is None:
        pytest.skip("PostgreSQL not reachable")
    database_url = postgres_url
    engine = create_engine(database_url)
    await migrate(engine)
    try:
        await _drop_and_recover(engine, database_url)
    finally:
        await engine.dispose()


async def _drop_and_recover(engine: AsyncEngine, database_url: str) -> None:
    walks = SqlWalkRepository(engine)
    service = Walks(GUIDE, walks, FixedClock())
    walk = await service.start("T", "U7", "lost-phone", Surface.DM)
    # A pooled connection, then the server ends every one (a restart, a failover).
    await asyncio.gather(*(walks.get_walk(walk.id) for _ in range(5)))
    admin = create_engine(database_url)
    try:
        others = (
            "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        async with admin.connect() as conn:
            await conn.execute(text(f"SELECT pg_terminate_backend(pid) {others}"))
            for _ in range(100):  # until the server has really ended them
                if not await conn.scalar(text(f"SELECT count(*) {others}")):
                    break
                await asyncio.sleep(0.02)
    finally:
        await admin.dispose()
    # The pool notices at checkout that the server ended them: the very next calls succeed.
    again = await asyncio.gather(*(walks.get_walk(walk.id) for _ in range(5)))
    assert again == [walk] * 5
    assert await ping(engine)


def _at(revision: str) -> Any:
    """Migrate up or down to `revision`, whichever way it is."""

    def move(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        current = MigrationContext.configure(connection).get_current_revision()
        script = ScriptDirectory.from_config(config)
        newer = revision == "head" or any(
            r.revision == revision for r in script.iterate_revisions("head", current or "base")
        )
        if newer and revision != current:
            command.upgrade(config, revision)
        else:
            command.downgrade(config, revision)

    return move


async def _columns(engine: AsyncEngine, table: str) -> set[str]:
    async with engine.connect() as conn:
        return set(
            await conn.run_sync(lambda sync: [c["name"] for c in inspect(sync).get_columns(table)])
        )


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))


TEAMS_PERSON = "e5f6a7b8-0000-4000-8000-00000000e001"


async def test_0007_makes_the_requests_before_it_slack_s_and_takes_teams_ids(
    engine: AsyncEngine,
) -> None:
    try:
        await _0007_up_and_down(engine)
    finally:  # the next test finds the schema it expects, whatever happened here
        async with engine.begin() as conn:
            await conn.run_sync(_at("head"))


async def _0007_up_and_down(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(_at("0006"))
    assert "platform" not in await _columns(engine, "help_requests")
    assert "contacts" not in await _tables(engine)
    at = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO help_requests (id, team_id, requester_id, requester_name, "
                "requester_email, topic_id, description, lost_or_stolen, remaining, contact, "
                "details, proposed, tried, status, created_at, expires_at, updated_at, "
                "privileged, suspicious) VALUES (1, 'T', 'U1', '', '', 'lost-phone', 'x', "
                "false, 'none', 'c', '', '[]', '[]', 'open', :at, :at, :at, false, false)"
            ).bindparams(AT),
            {"at": at},
        )
    async with engine.begin() as conn:
        await conn.run_sync(_at("head"))
    repo = SqlRequestRepository(session_factory(engine))
    before = await repo.get_request(1)
    assert before is not None
    assert before.platform is Platform.SLACK
    assert "contacts" in await _tables(engine)
    # A Teams request: an Entra tenant and object ID (36 characters) where Slack ids were.
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE help_requests SET team_id = :tenant, requester_id = :person, "
                "platform = 'teams' WHERE id = 1"
            ),
            {"tenant": TEAMS_PERSON, "person": TEAMS_PERSON},
        )
    teams = await repo.get_request(1)
    assert teams is not None
    assert (teams.platform, teams.requester_id) == (Platform.TEAMS, TEAMS_PERSON)
    if engine.dialect.name == "postgresql":
        # Narrowing the columns again would cut the Teams ids: the downgrade is refused whole.
        with pytest.raises(Exception, match="too long"):
            async with engine.begin() as conn:
                await conn.run_sync(_at("0006"))
        assert "contacts" in await _tables(engine)
        assert "platform" in await _columns(engine, "help_requests")
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE help_requests SET team_id = 'T', requester_id = 'U1'"))
    async with engine.begin() as conn:
        await conn.run_sync(_at("0006"))
    assert "platform" not in await _columns(engine, "help_requests")
    assert "contacts" not in await _tables(engine)
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT id FROM help_requests"))).scalars().all() == [1]


async def test_0009_dates_the_reports_made_before_it_and_downgrades(engine: AsyncEngine) -> None:
    try:
        await _0009_up_and_down(engine)
    finally:  # the next test finds the schema it expects, whatever happened here
        async with engine.begin() as conn:
            await conn.run_sync(_at("head"))


async def _0009_up_and_down(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(_at("0008_stale"))
    assert "reported_not_me_at" not in await _columns(engine, "help_requests")
    at = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    async with engine.begin() as conn:
        # 1: the employee said "this wasn't me"; 2: their manager said no (no report of theirs).
        for request_id in (1, 2):
            await conn.execute(
                text(
                    "INSERT INTO help_requests (id, team_id, requester_id, requester_name, "
                    "requester_email, topic_id, description, lost_or_stolen, remaining, contact, "
                    "details, proposed, tried, status, created_at, expires_at, updated_at, "
                    "privileged, suspicious) VALUES (:id, 'T', 'U1', '', '', 'lost-phone', 'x', "
                    "false, 'none', 'c', '', '[]', '[]', 'done', :at, :at, :at, false, true)"
                ).bindparams(AT),
                {"id": request_id, "at": at},
            )
        await conn.execute(
            text(
                "INSERT INTO audit_log (at, actor_id, event, request_id, detail) "
                "VALUES (:at, 'U1', 'request.reported_not_me', 1, '{}')"
            ).bindparams(AT),
            {"at": at},
        )
    async with engine.begin() as conn:
        await conn.run_sync(_at("head"))
    repo = SqlRequestRepository(session_factory(engine))
    reported, said_no = await repo.get_request(1), await repo.get_request(2)
    assert reported is not None
    assert said_no is not None
    assert (reported.reported_not_me_at, said_no.reported_not_me_at) == (at, None)
    assert (reported.reported_before, reported.alert_claimed_by) == (None, None)
    assert (await repo.intake_of("U1", None, at)).reported_not_me == 1
    async with engine.begin() as conn:
        await conn.run_sync(_at("0008_stale"))
    columns = await _columns(engine, "help_requests")
    assert not {"reported_not_me_at", "reported_before", "alert_claimed_by"} & columns


async def test_0010_adds_who_calls_back_and_its_downgrade_keeps_the_requests(
    engine: AsyncEngine,
) -> None:
    try:
        await _0010_up_and_down(engine)
    finally:  # the next test finds the schema it expects, whatever happened here
        async with engine.begin() as conn:
            await conn.run_sync(_at("head"))


async def _0010_up_and_down(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(_at("0009_report"))
    assert "callback_by" not in await _columns(engine, "help_requests")
    at = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO help_requests (id, team_id, requester_id, requester_name, "
                "requester_email, topic_id, description, lost_or_stolen, remaining, contact, "
                "details, proposed, tried, status, created_at, expires_at, updated_at, "
                "privileged, suspicious) VALUES (1, 'T', 'U1', '', '', 'lost-phone', 'x', "
                "false, 'none', 'c', '', '[]', '[]', 'open', :at, :at, :at, false, false)"
            ).bindparams(AT),
            {"at": at},
        )
    async with engine.begin() as conn:
        await conn.run_sync(_at("head"))
    repo = SqlRequestRepository(session_factory(engine))
    before = await repo.get_request(1)
    assert before is not None
    assert (before.callback_by, before.callback_at) == (None, None)
    audit = AuditEntry(at, "UADMIN", "request.callback", 1)
    assert await repo.claim_callback(1, audit)
    taken = await repo.get_request(1)
    assert taken is not None
    assert (taken.callback_by, taken.callback_at) == ("UADMIN", at)
    async with engine.begin() as conn:
        await conn.run_sync(_at("0009_report"))
    assert "callback_by" not in await _columns(engine, "help_requests")
    assert "callback_at" not in await _columns(engine, "help_requests")
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT id FROM help_requests"))).scalars().all() == [1]


async def test_0012_adds_the_channel_turns_and_its_downgrade_drops_them(
    engine: AsyncEngine,
) -> None:
    try:
        await _0012_up_and_down(engine)
    finally:  # the next test finds the schema it expects, whatever happened here
        async with engine.begin() as conn:
            await conn.run_sync(_at("head"))


async def _0012_up_and_down(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(_at("0011_insights"))
    assert "channel_turns" not in await _tables(engine)
    async with engine.begin() as conn:
        await conn.run_sync(_at("head"))
    assert await _columns(engine, "channel_turns") == {
        "platform",
        "channel_id",
        "not_before",
        "holder",
        "held_until",
    }
    repo = SqlRequestRepository(session_factory(engine))
    at = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
    assert await repo.take_channel(Platform.SLACK, "C0DESK", "p1:a", at, at)
    assert await repo.reserve_post(Platform.SLACK, "C0DESK", at, timedelta(seconds=1)) == at
    async with engine.begin() as conn:
        await conn.run_sync(_at("0011_insights"))
    assert "channel_turns" not in await _tables(engine)


async def test_0011_adds_the_figures_indexes_and_boards_and_its_downgrade_drops_them(
    engine: AsyncEngine,
) -> None:
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_at("0010_admin"))
        assert "insight_boards" not in await _tables(engine)
        assert "ix_walks_started_at" not in await _indexes(engine, "walks")
        async with engine.begin() as conn:
            await conn.run_sync(_at("0011_insights"))
        assert "ix_walks_started_at" in await _indexes(engine, "walks")
        assert "ix_help_requests_created_at" in await _indexes(engine, "help_requests")
        assert "ix_audit_log_event_at" in await _indexes(engine, "audit_log")
        boards = SqlBoards(engine)
        at = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
        assert await boards.claim_board("T1", at, at + timedelta(minutes=2))
        assert not await boards.claim_board("T1", at, at + timedelta(minutes=2))  # held
        async with engine.begin() as conn:
            await conn.run_sync(_at("0010_admin"))
        assert "insight_boards" not in await _tables(engine)
        assert "ix_audit_log_event_at" not in await _indexes(engine, "audit_log")
    finally:  # the next test finds the schema it expects, whatever happened here
        async with engine.begin() as conn:
            await conn.run_sync(_at("head"))


async def _indexes(engine: AsyncEngine, table: str) -> set[str]:
    async with engine.connect() as conn:
        found = await conn.run_sync(lambda sync: inspect(sync).get_indexes(table))
    return {str(index["name"]) for index in found}
