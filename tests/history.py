"""A fortnight of the help desk's history, written through the repositories the bot writes with:
walks of every outcome in two workspaces, a request approved and done over a weekend, one denied
and reported "this wasn't me", and one still open."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.guide import WalkOutcome, WalkState
from bot.domain.identity import ResetAction
from bot.domain.requests import AuditEntry, Status
from bot.domain.walks import Surface, WalkRecord
from storage.engine import create_engine, session_factory
from storage.helpdesk import SqlRequestRepository
from storage.migrate import migrate
from storage.walks import SqlWalkRepository
from tests.contract.conftest import new_request

MON = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday


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


async def write_history(engine: AsyncEngine) -> None:
    """The fortnight from MON (see the module's docstring)."""
    walks = SqlWalkRepository(engine)
    await _walk(
        walks,
        "T1",
        "lost-phone",
        ("lost-phone-ways",),
        WalkOutcome.WORKED,
        MON + timedelta(hours=9),
    )
    await _walk(
        walks,
        "T1",
        "lost-phone",
        ("lost-phone-ways", "lost-phone-alternate"),
        WalkOutcome.ESCALATED,
        MON,
    )
    await _walk(
        walks,
        "T1",
        "new-phone",
        ("new-phone-add", "new-phone-old-gone"),
        WalkOutcome.ABANDONED,
        MON + timedelta(1),
    )
    await _walk(
        walks,
        "T1",
        "new-phone",
        ("new-phone-add", "new-phone-old-gone"),
        WalkOutcome.ABANDONED,
        MON + timedelta(2),
    )
    await _walk(
        walks, "T2", "new-phone", ("new-phone-add",), WalkOutcome.ABANDONED, MON + timedelta(2)
    )
    # Outside the week: not counted.
    await _walk(
        walks, "T1", "lost-phone", ("lost-phone-ways",), WalkOutcome.WORKED, MON - timedelta(1)
    )

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


def history_in(database_url: str) -> None:
    """Migrate the database at `database_url` and write the fortnight into it (for a bot or a
    command run as its own process)."""

    async def fill() -> None:
        engine = create_engine(database_url)
        try:
            await migrate(engine)
            await write_history(engine)
        finally:
            await engine.dispose()

    asyncio.run(fill())
