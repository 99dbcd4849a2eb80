"""Each action's audit line and row name the identity provider's request and the person's
directory object, so that the provider's own logs can be matched to them (Entra and Okta)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text

from handlers.ids import ActionId
from tests.driver import SlackDriver
from tests.fakes.graph import FakeGraph
from tests.fakes.okta import FakeOkta
from tests.scenario.test_helpdesk import ADMIN, DESK, _audit, _card, _request


@pytest.fixture(params=["entra", "okta"])
async def idp(request: pytest.FixtureRequest) -> AsyncIterator[FakeGraph | FakeOkta]:
    """A fake Graph or a fake Okta with Ada in it."""
    fake: FakeGraph | FakeOkta = FakeGraph() if request.param == "entra" else FakeOkta()
    await fake.start()
    fake.add_user("ada@example.com")
    yield fake
    await fake.stop()


@pytest.fixture
def bot_env(bot_env: dict[str, Any], idp: FakeGraph | FakeOkta) -> dict[str, Any]:
    """A help desk acting on the fake provider."""
    desk = {**bot_env, "helpdesk_channel": DESK, "it_admin_users": ADMIN}
    if isinstance(idp, FakeOkta):
        return {
            **desk,
            "identity_provider": "okta",
            "okta_org_url": idp.origin,
            "okta_api_token": idp.token,
        }
    return {
        **desk,
        "identity_provider": "entra",
        "entra_tenant_id": idp.tenant,
        "entra_client_id": "app-1",
        "entra_client_secret": idp.secret,
        "entra_login_url": idp.origin,
        "entra_graph_url": f"{idp.origin}/v1.0",
    }


def _answer_to(idp: FakeGraph | FakeOkta, verb: str, tail: str) -> tuple[str, str | None]:
    """(request id, client-request-id sent) of the provider's last answer to that call."""
    if isinstance(idp, FakeGraph):
        return next(
            (rid, ours) for v, p, rid, ours in reversed(idp.answers) if v == verb and tail in p
        )
    return next((rid, None) for v, p, rid in reversed(idp.answers) if v == verb and tail in p)


async def _action_rows(slack: SlackDriver) -> dict[str, tuple[str | None, str | None]]:
    async with slack.runtime.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT action, idp_request_id, directory_object_id FROM request_actions")
        )
        return {row.action: (row.idp_request_id, row.directory_object_id) for row in rows}


async def test_each_action_names_the_providers_request_and_the_person(
    slack: SlackDriver, idp: FakeGraph | FakeOkta
) -> None:
    card = await _request(slack)
    await slack.click(card, ActionId.APPROVE, user=ADMIN, selected=["clear_mfa", "revoke_sessions"])
    await slack.settle()
    assert "*Done*" in _card(slack).all_text()
    person = next(iter(idp.users.values()))
    done = {d["action"]: d for event, _, d in await _audit(slack) if event == "action.done"}
    last_call = {
        # Graph: the last method deleted, then the revocation; Okta: its two calls.
        "clear_mfa": ("DELETE", "/authentication/")
        if isinstance(idp, FakeGraph)
        else ("POST", "/lifecycle/reset_factors"),
        "revoke_sessions": ("POST", "/revokeSignInSessions")
        if isinstance(idp, FakeGraph)
        else ("DELETE", "/sessions"),
    }
    rows = await _action_rows(slack)
    for action, (verb, tail) in last_call.items():
        request_id, ours = _answer_to(idp, verb, tail)
        assert done[action]["directory_object_id"] == person.id
        assert done[action]["idp_request_id"] == request_id
        assert rows[action] == (request_id, person.id)
        if isinstance(idp, FakeGraph):  # one client-request-id for all of an action's calls
            assert done[action]["idp_client_request_id"] == ours
            calls = [(v, p) for v, p, _, sent in idp.answers if sent == ours]
            assert calls[-1][0] == verb
            assert all(p.startswith(f"/users/{person.id}/") for _, p in calls)
        else:
            assert "idp_client_request_id" not in done[action]
    if isinstance(idp, FakeGraph):  # looking the person up is no action: no id of ours
        lookups = [sent for v, p, _, sent in idp.answers if p.startswith("/users/ada")]
        assert lookups
        assert set(lookups) == {None}


async def test_a_refused_call_is_named_in_the_failed_actions_audit_line(
    slack: SlackDriver, idp: FakeGraph | FakeOkta
) -> None:
    verb, tail = (
        ("POST", "/revokeSignInSessions") if isinstance(idp, FakeGraph) else ("DELETE", "/sessions")
    )
    idp.fail(verb, tail, 403)
    card = await _request(slack)
    await slack.click(card, ActionId.APPROVE, user=ADMIN, selected=["revoke_sessions"])
    await slack.settle()
    person = next(iter(idp.users.values()))
    refused, _ = _answer_to(idp, verb, tail)
    detail = next(d for e, _, d in await _audit(slack) if e == "action.failed")
    assert "refused" in detail["why"]
    assert detail["idp_request_id"] == refused
    assert detail["directory_object_id"] == person.id
    assert (await _action_rows(slack))["revoke_sessions"] == (refused, person.id)
