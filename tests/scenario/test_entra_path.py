"""The help desk with IDENTITY_PROVIDER=entra: Slack, the bot and a fake Microsoft Graph."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import text as sql

from handlers.ids import ActionId
from tests.conftest import FixedClock
from tests.driver import SlackDriver
from tests.fakes.graph import PASSWORD, FakeGraph
from tests.fakes.slack import FakeSlack
from tests.scenario.test_helpdesk import ADMIN, DESK, _audit, _card, _dms, _request


@pytest.fixture
def bot_env(bot_env: dict[str, Any], graph: FakeGraph, fake_slack: FakeSlack) -> dict[str, Any]:
    """A help desk acting on Entra ID through the fake Graph."""
    return {
        **bot_env,
        "helpdesk_channel": DESK,
        "it_admin_users": ADMIN,
        "identity_provider": "entra",
        "entra_tenant_id": graph.tenant,
        "entra_client_id": "app-1",
        "entra_client_secret": graph.secret,
        "entra_login_url": graph.origin,
        "entra_graph_url": f"{graph.origin}/v1.0",
    }


async def test_approving_changes_entra_and_the_pass_reaches_only_the_employee(
    slack: SlackDriver, graph: FakeGraph, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    card = await _request(slack)
    selected = ["clear_mfa", "delete_app_passwords", "revoke_sessions", "issue_tap"]
    await slack.click(card, ActionId.APPROVE, user=ADMIN, selected=selected)
    await slack.settle()
    person = next(iter(graph.users.values()))
    remaining = [m["@odata.type"].rsplit(".", 1)[-1] for m in person.methods]
    assert remaining == ["passwordAuthenticationMethod", "temporaryAccessPassAuthenticationMethod"]
    assert person.sessions_revoked == 1
    text = _card(slack).all_text()
    assert "Removed 4 methods" in text
    assert "no API" in text
    assert any(a.startswith(ActionId.MANUAL_DONE) for a in _card(slack).action_ids())
    tap = graph.tap_issued[-1]
    assert any(tap in dm for dm in _dms(slack))
    elsewhere = json.dumps([c.params for c in slack.fake.calls if c.params.get("channel") != "D1"])
    assert tap not in elsewhere
    assert tap not in caplog.text
    assert tap not in json.dumps(await _audit(slack))
    assert next(m["id"] for m in person.methods) == PASSWORD
    async with slack.runtime.engine.connect() as conn:
        for table in ("help_requests", "request_actions", "audit_log"):
            rows = (await conn.execute(sql(f"SELECT * FROM {table}"))).fetchall()  # noqa: S608
            assert tap not in repr(rows), table


async def test_two_503s_then_success_runs_the_call_once_more_each_time(
    slack: SlackDriver, graph: FakeGraph, clock: FixedClock
) -> None:
    card = await _request(slack)
    graph.fail("POST", "revokeSignInSessions", 503, times=2)
    await slack.click(card, ActionId.APPROVE, user=ADMIN, selected=["revoke_sessions"])
    await slack.settle()
    helpdesk = slack.runtime.deps.helpdesk
    assert helpdesk is not None
    assert "trying again (attempt 2 of 5)" in _card(slack).all_text()
    clock.advance(seconds=2)
    await helpdesk.work_due()
    clock.advance(seconds=4)
    await helpdesk.work_due()
    await slack.settle()
    calls = [p for v, p in graph.requests if v == "POST" and p.endswith("revokeSignInSessions")]
    assert len(calls) == 3
    assert next(iter(graph.users.values())).sessions_revoked == 1
    assert "*Done*" in _card(slack).all_text()


async def test_500_every_time_ends_failed_and_retry_succeeds_once_graph_recovers(
    slack: SlackDriver, graph: FakeGraph, clock: FixedClock
) -> None:
    card = await _request(slack)
    graph.fail("POST", "revokeSignInSessions", 500, times=5)
    await slack.click(card, ActionId.APPROVE, user=ADMIN, selected=["revoke_sessions"])
    helpdesk = slack.runtime.deps.helpdesk
    assert helpdesk is not None
    for _ in range(5):
        await slack.settle()
        clock.advance(minutes=10)
        await helpdesk.work_due()
    await slack.settle()
    failed = _card(slack)
    assert "gave up after 5 attempts" in failed.all_text()
    await slack.click(failed, ActionId.RETRY, user=ADMIN)
    await slack.settle()
    assert "*Done*" in _card(slack).all_text()
    assert next(iter(graph.users.values())).sessions_revoked == 1


async def test_a_missing_permission_is_named_on_the_card(
    slack: SlackDriver, graph: FakeGraph
) -> None:
    graph.granted.discard("UserAuthenticationMethod.ReadWrite.All")
    card = await _request(slack)
    await slack.click(card, ActionId.APPROVE, user=ADMIN, selected=["clear_mfa"])
    await slack.settle()
    assert "UserAuthenticationMethod.ReadWrite.All" in _card(slack).all_text()
