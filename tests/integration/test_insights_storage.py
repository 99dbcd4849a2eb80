"""The figures' counts read from SQLite and PostgreSQL, on a history written through the same
repositories the bot writes with."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.insights import Period, figures
from bot.domain.requests import Status
from storage.insights import SqlInsights
from tests.history import MON, write_history
from tests.integration.test_storage import engine

__all__ = ["engine"]  # a migrated database, on SQLite and PostgreSQL

# Two weeks: the Friday's request is decided on the Monday after.
WEEK = Period(MON, MON + timedelta(days=14))


async def test_a_periods_counts_and_the_figures_made_of_them(engine: AsyncEngine) -> None:
    await write_history(engine)
    counted = await SqlInsights(engine).count(WEEK)
    assert counted.walks == {
        ("lost-phone", "worked"): 1,
        ("lost-phone", "escalated"): 1,
        ("new-phone", "abandoned"): 3,
    }
    assert counted.abandoned_at == {
        ("new-phone", "new-phone-old-gone"): 2,
        ("new-phone", "new-phone-add"): 1,
    }
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
    assert found.abandoned_most == ("new-phone", "new-phone-old-gone", 2)
    assert found.waits.to_decision.count == 2


async def test_one_workspace_sees_its_own_walks_requests_and_decisions(engine: AsyncEngine) -> None:
    await write_history(engine)
    t2 = await SqlInsights(engine).count(WEEK, "T2")
    assert t2.walks == {("new-phone", "abandoned"): 1}
    assert [r.status for r in t2.requests] == [Status.OPEN]
    assert t2.decisions == {}
    assert t2.events == {}
    assert t2.approved_actions == {}
    t1 = await SqlInsights(engine).count(WEEK, "T0TEAM")
    assert [r.status for r in t1.requests] == [Status.DONE]
    assert t1.decisions == {("UADMIN", "request.approved"): 1}
