"""The help desk's figures in Teams: "stats" in an admin's personal chat, after a request that was
approved; refused to others and outside personal chat."""

from __future__ import annotations

from tests.conftest import FixedClock
from tests.scenario.teams_flows import ADMIN, EMPLOYEE, STRANGER, approve, menu, request
from tests.teams_driver import TeamsDriver


async def test_an_admin_writing_stats_gets_the_figures_with_admins_by_name(
    installed: TeamsDriver, clock: FixedClock
) -> None:
    teams = installed
    await approve(teams, await request(teams))
    clock.advance(minutes=1)
    await menu(teams, ADMIN, text="stats")
    answer = teams.chat_texts(ADMIN)[-1]
    assert "Help desk figures, 20 Nov 2026 to 27 Nov 2026" in answer
    assert "requests sent" in answer
    assert "1 (0)" in answer
    assert f"approvals by {ADMIN.name}" in answer  # the name Teams gave, not the object id
    assert EMPLOYEE.name not in answer  # figures name no employee

    await menu(teams, ADMIN, text="stats month")
    assert "Help desk figures, 28 Oct 2026 to 27 Nov 2026" in teams.chat_texts(ADMIN)[-1]
    await menu(teams, ADMIN, text="stats next tuesday")
    assert "is not a period" in teams.chat_texts(ADMIN)[-1]


async def test_stats_are_for_admins_only(installed: TeamsDriver) -> None:
    teams = installed
    await teams.say("stats", STRANGER)
    answer = teams.chat_texts(STRANGER)[-1]
    assert "for IT admins" in answer
    assert "Help desk figures" not in answer
