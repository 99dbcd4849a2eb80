"""Teams' security alerts: in TEAMS_SECURITY_CHANNEL as well as the help-desk channel; unset, the
help-desk channel alone has them and start-up says so once."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import build_runtime
from bot.settings import Settings
from teams.ids import Verb
from tests.conftest import FixedClock
from tests.fakes.teams import DESK_CHANNEL, FakeTeams
from tests.scenario.teams_flows import ADMIN, EMPLOYEE, approve, audit, request, said
from tests.teams_driver import TeamsDriver, message_text

SECURITY = "19:it-security@thread.tacv2"
UNSET_WARNING = "TEAMS_SECURITY_CHANNEL is not set"


@pytest.fixture
def teams_env(teams_env: dict[str, Any], fake_teams: FakeTeams) -> dict[str, Any]:
    """The Teams settings with a security channel, a channel of the help desk's team."""
    fake_teams.channels.add(SECURITY)
    return {**teams_env, "teams_security_channel": SECURITY}


async def test_this_wasnt_me_in_teams_is_posted_in_the_security_channel_too(
    installed: TeamsDriver,
) -> None:
    teams = installed
    card = await request(teams)
    await approve(teams, card, actions=["delete_app_passwords"])
    assert teams.fake.channel(SECURITY) == []  # the request itself is the help desk's alone
    done = next(view for view in teams.chat_cards(EMPLOYEE) if Verb.NOT_ME in view.verbs())
    await teams.press(done, Verb.NOT_ME)
    security = [message_text(message) for message in teams.fake.channel(SECURITY)]
    assert len(security) == 1, security
    assert "did NOT ask" in security[0]
    assert "#1" in security[0]
    desk = [message_text(message) for message in teams.fake.channel(DESK_CHANNEL)]
    assert any("did NOT ask" in text for text in desk)
    assert ("request.reported_not_me", EMPLOYEE.aad) in [
        (event, actor) for event, actor, _ in await audit(teams.runtime)
    ]


@pytest.mark.parametrize("security_channel", [SECURITY, None])
async def test_start_up_warns_once_when_teams_security_alerts_have_no_channel_of_their_own(
    teams_env: dict[str, Any],
    clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
    security_channel: str | None,
) -> None:
    caplog.set_level("INFO")
    env = {**teams_env, "teams_security_channel": security_channel}
    runtime = await build_runtime(Settings(_env_file=None, **env), clock)  # type: ignore[call-arg]
    try:
        warnings = [r for r in caplog.records if UNSET_WARNING in r.getMessage()]
        assert len(warnings) == (0 if security_channel else 1), caplog.text
        if warnings:
            assert warnings[0].levelname == "WARNING"
            assert "help-desk channel" in warnings[0].getMessage()
    finally:
        await runtime.close()


async def test_the_alert_is_claimed_in_the_security_channel_and_nowhere_else(
    installed: TeamsDriver,
) -> None:
    teams = installed
    card = await request(teams)
    await approve(teams, card, actions=["delete_app_passwords"])
    done = next(view for view in teams.chat_cards(EMPLOYEE) if Verb.NOT_ME in view.verbs())
    await teams.press(done, Verb.NOT_ME)
    [alert] = [v for v in teams.desk_cards(ADMIN, SECURITY) if Verb.CLAIM_ALERT in v.verbs()]
    forged = await teams.send(teams.last_card(ADMIN), Verb.CLAIM_ALERT, {"request": 1}, ADMIN)
    await teams.settle()
    assert "help-desk or security channel" in said(forged)
    assert "alert.claimed" not in [event for event, _, _ in await audit(teams.runtime)]
    claimed = await teams.press(alert, Verb.CLAIM_ALERT)
    assert "Ines Admin is on it" in claimed.all_text()
    assert teams.current(alert).verbs() == []
    claims = [(e, a) for e, a, _ in await audit(teams.runtime) if e == "alert.claimed"]
    assert claims == [("alert.claimed", ADMIN.aad)]
