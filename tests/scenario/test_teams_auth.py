"""Who may post to /api/messages, over real HTTP: a token Teams did not sign gets 401 and changes
nothing, and no call ever goes to a service URL an unauthenticated request named."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from sqlalchemy import text as sql

from bot.app import build_runtime
from bot.settings import Settings
from teams.ids import Verb
from tests.conftest import FixedClock
from tests.fakes.teams import FakeTeams, Tripwire, rsa_key
from tests.scenario.conftest import MESSAGES_PATH, listening
from tests.scenario.teams_flows import ADMIN, EMPLOYEE, audit, menu, request
from tests.teams_driver import Reply, TeamsDriver

FORGERIES = ["forged", "expired", "wrong_audience", "no token", "other service URL"]


def _header(teams: TeamsDriver, activity: dict[str, Any], forgery: str) -> str | None:
    if forgery == "no token":
        return None
    if forgery == "other service URL":
        return teams.for_other_service_url(activity)
    return str(getattr(teams, forgery)(activity))


async def _rows(teams: TeamsDriver) -> dict[str, int]:
    """How many rows each table holds (to show a refused request changed nothing)."""
    counts = {}
    async with teams.runtime.engine.connect() as conn:
        for table in ("walks", "help_requests", "audit_log", "contacts"):
            counts[table] = (await conn.execute(sql(f"SELECT count(*) FROM {table}"))).scalar_one()  # noqa: S608
    return counts


async def test_teams_tokens_are_checked_with_keys_read_once_and_the_bots_token_reused(
    installed: TeamsDriver,
) -> None:
    teams = installed
    for _ in range(3):
        await menu(teams)
    assert teams.fake.reads == {"metadata": 1, "keys": 1}
    assert teams.fake.tokens_issued == 1
    assert teams.fake.refused == []
    assert teams.fake.token_requests[0]["client_id"] == teams.fake.app_id


@pytest.mark.parametrize("forgery", FORGERIES)
async def test_a_message_teams_did_not_sign_gets_401_and_changes_nothing(
    installed: TeamsDriver, tripwire: Tripwire, forgery: str
) -> None:
    teams = installed
    activity = teams.message("help", EMPLOYEE)
    if forgery == "other service URL":
        activity["serviceUrl"] = tripwire.service_url
    before = (len(teams.fake.calls), await _rows(teams))
    reply = await teams.post(activity, _header(teams, activity, forgery))
    await teams.settle()
    assert reply.status == 401, reply
    assert (len(teams.fake.calls), await _rows(teams)) == before
    assert tripwire.hits == []


@pytest.mark.parametrize("forgery", FORGERIES)
async def test_an_approval_teams_did_not_sign_gets_401_and_decides_nothing(
    installed: TeamsDriver, tripwire: Tripwire, forgery: str
) -> None:
    teams = installed
    card = await request(teams)
    events = await audit(teams.runtime)
    view = await teams.press(card, Verb.APPROVE)
    activity = teams.invoke_activity(view, view.action(Verb.APPROVE_CONFIRM), view.values(), ADMIN)
    activity["value"]["action"]["data"] |= view.action(Verb.APPROVE_CONFIRM).get("data") or {}
    if forgery == "other service URL":
        activity["serviceUrl"] = tripwire.service_url
    calls = len(teams.fake.calls)
    reply = await teams.post(activity, _header(teams, activity, forgery))
    await teams.settle()
    assert reply.status == 401, reply
    assert await audit(teams.runtime) == events
    assert len(teams.fake.calls) == calls
    assert Verb.APPROVE in teams.current(card).verbs()
    assert tripwire.hits == []


@pytest.mark.parametrize("channel", ["webchat", "emulator", "directline", "MSTEAMS", None])
async def test_a_signed_activity_from_another_channel_is_refused_and_changes_nothing(
    installed: TeamsDriver, channel: str | None
) -> None:
    teams = installed
    before = (len(teams.fake.calls), await _rows(teams))
    for activity in (
        teams.message("help", EMPLOYEE),
        teams.personal("conversationUpdate", EMPLOYEE, membersAdded=[{"id": "28:bot"}]),
    ):
        activity["channelId"] = channel
        reply = await teams.post(activity)  # signed by Bot Framework's published key
        await teams.settle()
        assert reply.status == 403, reply
    assert (len(teams.fake.calls), await _rows(teams)) == before
    assert (await teams.say("help", EMPLOYEE)).status in (200, 201, 202)  # Teams still is


def _expired_since(teams: TeamsDriver, activity: dict[str, Any], seconds: int) -> str:
    gone = int(time.time()) - seconds
    return f"Bearer {teams.token(activity['serviceUrl'], exp=gone, nbf=gone - 3600)}"


async def test_a_token_past_its_expiry_by_more_than_a_minute_is_refused(
    installed: TeamsDriver,
) -> None:
    teams = installed
    activity = teams.message("help", EMPLOYEE)
    before = (len(teams.fake.calls), await _rows(teams))
    # Two minutes past: within the SDK's five minutes, beyond our one.
    reply = await teams.post(activity, _expired_since(teams, activity, 120))
    await teams.settle()
    assert reply.status == 401, reply
    assert (len(teams.fake.calls), await _rows(teams)) == before
    # A few seconds of clock skew between Bot Framework and us is still fine.
    reply = await teams.post(activity, _expired_since(teams, activity, 20))
    await teams.settle()
    assert reply.status in (200, 201, 202), reply


async def _post_raw(teams: TeamsDriver, body: str, authorization: str | None) -> Reply:
    headers = {"Content-Type": "application/json"}
    if authorization is not None:
        headers["Authorization"] = authorization
    async with teams.http.post(teams.url, data=body, headers=headers) as answer:
        return Reply(answer.status, await answer.text(), 0.0)


@pytest.mark.parametrize("body", ["no serviceUrl", "serviceUrl not text", "not JSON", "a list"])
@pytest.mark.parametrize("forgery", ["no token", "forged"])
async def test_a_request_without_teams_token_gets_401_whatever_its_body(
    installed: TeamsDriver, body: str, forgery: str
) -> None:
    teams = installed
    activity = teams.message("help", EMPLOYEE)
    header = None if forgery == "no token" else teams.forged(activity)
    if body == "no serviceUrl":
        del activity["serviceUrl"]
    if body == "serviceUrl not text":
        activity["serviceUrl"] = {"url": teams.fake.service_url}
    raw = {"not JSON": "{help", "a list": json.dumps([activity])}.get(body, json.dumps(activity))
    before = (len(teams.fake.calls), await _rows(teams))
    reply = await _post_raw(teams, raw, header)
    await teams.settle()
    assert reply.status == 401, reply  # never 400: the body's checks come after the token's
    assert (len(teams.fake.calls), await _rows(teams)) == before
    # Signed, the same malformed body is what it is: a bad request.
    reply = await _post_raw(teams, raw, f"Bearer {teams.token()}")
    assert reply.status == 400, reply


async def test_tokens_naming_unknown_keys_reread_the_keys_at_most_once_a_minute(
    teams: TeamsDriver, fake_teams: FakeTeams, clock: FixedClock
) -> None:
    # The keys cannot be read at first: each request is 503, and only the first one looks.
    fake_teams.keys_down = True
    for _ in range(5):
        assert (await teams.post(teams.message("help", EMPLOYEE))).status == 503
    assert fake_teams.reads["metadata"] == 1
    clock.advance(seconds=30)
    assert (await teams.post(teams.message("help", EMPLOYEE))).status == 503
    assert fake_teams.reads["metadata"] == 1
    fake_teams.keys_down = False
    clock.advance(seconds=31)
    assert (await teams.say("help", EMPLOYEE)).status in (200, 201, 202)
    assert fake_teams.reads == {"metadata": 2, "keys": 1}
    # Now someone sends tokens naming keys nobody published, as fast as they like.
    clock.advance(seconds=61)
    for n in range(10):
        activity = teams.message("help", EMPLOYEE)
        forged = teams.token(activity["serviceUrl"], key=rsa_key("forger"), kid=f"kid-{n}")
        assert (await teams.post(activity, f"Bearer {forged}")).status == 401
    assert fake_teams.reads == {"metadata": 3, "keys": 2}
    clock.advance(seconds=59)
    for n in range(3):
        activity = teams.message("help", EMPLOYEE)
        forged = teams.token(activity["serviceUrl"], key=rsa_key("forger"), kid=f"late-{n}")
        assert (await teams.post(activity, f"Bearer {forged}")).status == 401
    assert fake_teams.reads == {"metadata": 3, "keys": 2}
    clock.advance(seconds=2)
    activity = teams.message("help", EMPLOYEE)
    forged = teams.token(activity["serviceUrl"], key=rsa_key("forger"), kid="a-minute-on")
    assert (await teams.post(activity, f"Bearer {forged}")).status == 401
    assert fake_teams.reads == {"metadata": 4, "keys": 3}
    # Teams' own token still passes all along, on the keys already read.
    assert (await teams.say("help", EMPLOYEE)).status in (200, 201, 202)
    assert fake_teams.reads == {"metadata": 4, "keys": 3}


async def test_a_service_url_from_an_unauthenticated_request_is_never_called(
    installed: TeamsDriver, tripwire: Tripwire
) -> None:
    teams = installed
    # Someone without a token names their own server, in a message, an install and a click.
    for kind in ("message", "conversationUpdate"):
        activity = teams.personal(kind, EMPLOYEE, text="help", membersAdded=[{"id": "28:x"}])
        activity["serviceUrl"] = tripwire.service_url
        reply = await teams.post(activity, None)
        assert reply.status == 401
    # Signed for its own URL by a key nobody published: still not Teams.
    activity = teams.message("help", EMPLOYEE)
    activity["serviceUrl"] = tripwire.service_url
    forged = f"Bearer {teams.token(tripwire.service_url, key=rsa_key('forger'))}"
    assert (await teams.post(activity, forged)).status == 401
    await teams.settle()
    # Later, the bot reaches the employee proactively: at the address Teams itself gave.
    card = await request(teams)
    await teams.press(card, Verb.APPROVE)
    assert tripwire.hits == []
    assert any("is with IT" in text for text in teams.chat_texts(EMPLOYEE))


async def test_the_signing_keys_unreachable_is_503_not_a_crash(
    teams: TeamsDriver, fake_teams: FakeTeams
) -> None:
    fake_teams.keys_down = True
    reply = await teams.post(teams.message("help", EMPLOYEE))
    assert reply.status in (401, 503), reply
    assert fake_teams.calls == []
    fake_teams.keys_down = False


async def test_an_invoke_the_card_never_had_is_refused_without_a_crash(
    installed: TeamsDriver,
) -> None:
    teams = installed
    card = await menu(teams)
    data = {"topic": "../../etc"}
    activity = teams.invoke_activity(card, card.action(Verb.TOPIC), data, EMPLOYEE)
    activity["value"]["action"]["verb"] = "mfa-something-else"
    reply = await teams.post(activity)
    await teams.settle()
    assert reply.status < 500, reply
    assert "Traceback" not in reply.body


async def test_a_signed_activity_from_another_tenant_is_refused(installed: TeamsDriver) -> None:
    teams = installed
    activity = teams.message("help", EMPLOYEE)
    activity["channelData"]["tenant"]["id"] = "99999999-8888-4777-8666-555555555555"
    activity["conversation"]["tenantId"] = "99999999-8888-4777-8666-555555555555"
    before = (len(teams.fake.calls), await _rows(teams))
    reply = await teams.post(activity)
    await teams.settle()
    assert reply.status in (401, 403), reply
    assert (len(teams.fake.calls), await _rows(teams)) == before


@pytest.fixture
def anonymous_env(teams_env: dict[str, Any]) -> dict[str, Any]:
    """The Agents Playground's mode: no app ID, no token checked, loopback only."""
    env = {k: v for k, v in teams_env.items() if not k.startswith("teams_app")}
    return {**env, "teams_anonymous": True, "teams_tenant_id": None}


async def test_the_anonymous_mode_answers_loopback_only_and_asks_no_token(
    anonymous_env: dict[str, Any], clock: FixedClock, fake_teams: FakeTeams, caplog: Any
) -> None:
    fake_teams.anonymous = True
    caplog.set_level("INFO")
    runtime = await build_runtime(Settings(_env_file=None, **anonymous_env), clock)  # type: ignore[call-arg]
    try:
        async with listening(runtime) as (origin, http):
            teams = TeamsDriver(origin + MESSAGES_PATH, fake_teams, runtime, http)
            assert "anonymous" in caplog.text
            elsewhere = teams.message("help", EMPLOYEE)
            elsewhere["serviceUrl"] = "https://smba.trafficmanager.net/amer/"
            assert (await teams.post(elsewhere, None)).status == 401
            emulator = teams.message("help", EMPLOYEE)
            emulator["channelId"] = "emulator"
            assert (await teams.post(emulator, None)).status == 403
            assert fake_teams.calls == []
            reply = await teams.post(teams.message("help", EMPLOYEE), None)
            await teams.settle()
            assert reply.status in (200, 201, 202), reply
            assert teams.last_card(EMPLOYEE).verbs().count(Verb.TOPIC) > 1
            assert fake_teams.tokens_issued == 0
            assert all(call.token == "" for call in fake_teams.calls)
            assert fake_teams.reads == {"metadata": 0, "keys": 0}
    finally:
        await runtime.close()
