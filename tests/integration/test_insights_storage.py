"""The figures' counts read from SQLite and PostgreSQL, on a history written through the same
repositories the bot writes with."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.guide import WalkOutcome, WalkState
from bot.domain.identity import ResetAction
from bot.domain.insights import Period, figures
from bot.domain.requests import AuditEntry, Status
from bot.domain.walks import Surface, WalkRecord
from storage.engine import create_engine, session_factory
from storage.helpdesk import SqlRequestRepository
from storage.insights import SqlInsights
from storage.migrate import migrate
from storage.walks import SqlWalkRepository
from tests.contract.conftest import new_request

MON = datetime(2026, 11, 2, tzinfo=UTC)
# Two weeks: the Friday's request is decided on the Monday after.
WEEK = Period(MON, MON + timedelta(days=14))


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    built = create_engine(database_url)
    await migrate(built)
    yield built
    await built.dispose()


async def _walk(
    repo: SqlWalkRepository,
    team: str,
    topic: str,
    path: tuple[str, ...],
    outcome: WalkOutcome,
    at: datetime,
) -> None:
    state = WalkState(topic, path, seen=path, outcome=outcome)
    walk = WalkRecord(uuid.uuid4().hex, team, "U" + uuid.uuid4().hex[:8], Surface.DM, state, at, at)
    assert await repo.add_walk(walk)


async def _history(engine: AsyncEngine) -> None:
    walks = SqlWalkRepository(engine)
    await _walk(walks, "T1", "lost-phone", ("start",), WalkOutcome.WORKED, MON + timedelta(hours=9))
    await _walk(walks, "T1", "lost-phone", ("start", "sms"), WalkOutcome.ESCALATED, MON)
    await _walk(
        walks, "T1", "new-phone", ("start", "scan-qr"), WalkOutcome.ABANDONED, MON + timedelta(1)
    )
    await _walk(
        walks, "T1", "new-phone", ("start", "scan-qr"), WalkOutcome.ABANDONED, MON + timedelta(2)
    )
    await _walk(walks, "T2", "new-phone", ("start",), WalkOutcome.ABANDONED, MON + timedelta(2))
    # Outside the week: not counted.
    await _walk(walks, "T1", "lost-phone", ("start",), WalkOutcome.WORKED, MON - timedelta(1))

    repo = SqlRequestRepository(session_factory(engine))
    friday = MON + timedelta(days=4, hours=17)
    done = await repo.create_request(
        new_request("U1", at=friday, ttl=timedelta(days=5)),
        AuditEntry(friday, "U1", "request.created"),
    )
    approved_at = friday + timedelta(days=3, hours=-8)  # Monday 9:00
    assert await repo.approve(
        done.id,
        (ResetAction.CLEAR_MFA,),
        AuditEntry(approved_at, "UADMIN", "request.approved", done.id),
        at=approved_at,
        first_approver_is=None,
    )
    for status, minutes in ((Status.EXECUTING, 1), (Status.DONE, 30)):
        moved = AuditEntry(approved_at + timedelta(minutes=minutes), "system", "", done.id)
        assert await repo.transition(
            done.id,
            frozenset({Status.APPROVED, Status.EXECUTING}),
            status,
            replace(moved, event=f"request.{status.value}"),
        )
    tuesday = MON + timedelta(days=1, hours=10)
    denied = await repo.create_request(
        replace(new_request("U2", at=tuesday), team_id="T1"),
        AuditEntry(tuesday, "U2", "request.created"),
    )
    no = tuesday + timedelta(minutes=20)
    assert await repo.deny(
        denied.id, "UADMIN2", no, "call us", AuditEntry(no, "UADMIN2", "request.denied", denied.id)
    )
    await repo.record_audit(AuditEntry(no, "U2", "request.reported_not_me", denied.id))
    other_team = replace(new_request("U3", at=tuesday), team_id="T2")
    await repo.create_request(other_team, AuditEntry(tuesday, "U3", "request.created"))


async def test_a_periods_counts_and_the_figures_made_of_them(engine: AsyncEngine) -> None:
    await _history(engine)
    counted = await SqlInsights(engine).count(WEEK)
    assert counted.walks == {
        ("lost-phone", "worked"): 1,
        ("lost-phone", "escalated"): 1,
        ("new-phone", "abandoned"): 3,
    }
    assert counted.abandoned_at == {("new-phone", "scan-qr"): 2, ("new-phone", "start"): 1}
    assert counted.walks_by_day == {
        ("2026-11-02", "worked"): 1,
        ("2026-11-02", "escalated"): 1,
        ("2026-11-03", "abandoned"): 1,
        ("2026-11-04", "abandoned"): 2,
    }
    assert counted.approved_actions == {"clear_mfa": 1}
    assert counted.decisions == {
        ("UADMIN", "request.approved"): 1,
        ("UADMIN2", "request.denied"): 1,
    }
    assert counted.events == {"request.reported_not_me": 1}
    times = {r.request_id: r for r in counted.requests}
    assert [r.status for r in counted.requests] == [Status.DONE, Status.DENIED, Status.OPEN]
    first = counted.requests[0]
    assert first.first_decision_at == MON + timedelta(days=7, hours=9)
    assert first.done_at == MON + timedelta(days=7, hours=9, minutes=30)
    assert first.first_decision_at.tzinfo is not None
    assert first.proposed == (
        "clear_mfa",
        "revoke_sessions",
    )
    assert len(times) == 3

    found = figures(counted, WEEK, None)
    assert found.deflection == pytest.approx(1 / 5)
    assert found.abandoned_most == ("new-phone", "scan-qr", 2)
    assert found.waits.to_decision.count == 2


async def test_one_workspace_sees_its_own_walks_requests_and_decisions(engine: AsyncEngine) -> None:
    await _history(engine)
    t2 = await SqlInsights(engine).count(WEEK, "T2")
    assert t2.walks == {("new-phone", "abandoned"): 1}
    assert [r.status for r in t2.requests] == [Status.OPEN]
    assert t2.decisions == {}
    assert t2.events == {}
    assert t2.approved_actions == {}
    t1 = await SqlInsights(engine).count(WEEK, "T0TEAM")
    assert [r.status for r in t1.requests] == [Status.DONE]
    assert t1.decisions == {("UADMIN", "request.approved"): 1}
