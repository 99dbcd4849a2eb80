"""A Teams request with IDENTITY_PROVIDER=entra: the person found by the object ID Teams vouches
for, a failure shown on the card, and Retry (with its confirmation) from the Teams channel."""

from __future__ import annotations

from typing import Any

import pytest

from teams.ids import Verb
from tests.conftest import FixedClock
from tests.fakes.graph import FakeGraph
from tests.scenario.teams_flows import ADMIN, EMPLOYEE, STRANGER, approve, audit, request, said
from tests.teams_driver import TeamsDriver


@pytest.fixture
def teams_env(teams_env: dict[str, Any], graph_directory: FakeGraph) -> dict[str, Any]:
    """Teams acting on Entra ID through the fake Graph, where Ada's object ID is her Teams one."""
    ada = graph_directory.add_user(EMPLOYEE.email)
    del graph_directory.users[ada.id]
    ada.id = EMPLOYEE.aad
    graph_directory.users[ada.id] = ada
    return {
        **teams_env,
        "identity_provider": "entra",
        "entra_tenant_id": graph_directory.tenant,
        "entra_client_id": "app-1",
        "entra_client_secret": graph_directory.secret,
        "entra_login_url": graph_directory.origin,
        "entra_graph_url": f"{graph_directory.origin}/v1.0",
    }


async def test_the_person_is_the_object_id_teams_vouches_for_even_with_another_email(
    installed: TeamsDriver, graph_directory: FakeGraph
) -> None:
    teams = installed
    # Teams shows an email that belongs to nobody in Entra: the object ID still finds Ada.
    teams.fake.add_user(EMPLOYEE.aad, EMPLOYEE.name, "ada.lovelace@alias.example.com")
    card = await request(teams)
    assert "Not privileged" in card.all_text()
    lookups = [p for v, p in graph_directory.requests if v == "GET" and "/users/" in p]
    assert any(p.startswith(f"/users/{EMPLOYEE.aad}") for p in lookups)
    assert not any("alias.example.com" in p for p in lookups)


async def test_a_failure_shows_on_the_card_and_retry_from_teams_finishes_once(
    installed: TeamsDriver, graph_directory: FakeGraph, clock: FixedClock
) -> None:
    teams = installed
    card = await request(teams)
    graph_directory.fail("POST", "revokeSignInSessions", 500, times=5)
    await approve(teams, card, actions=["revoke_sessions"])
    helpdesk = teams.runtime.deps.helpdesk
    assert helpdesk is not None
    for _ in range(5):
        await teams.settle()
        clock.advance(minutes=10)
        await helpdesk.work_due()
    await teams.settle()
    failed = teams.current(card)
    assert "gave up after 5 attempts" in failed.all_text()
    assert Verb.RETRY in failed.verbs()
    assert any("couldn't finish every change" in text for text in teams.chat_texts(EMPLOYEE))

    refused = await teams.invoke(failed.as_seen_by(STRANGER), Verb.RETRY)
    await teams.settle()
    assert "Only IT admins" in said(refused)
    view = await teams.press(failed, Verb.RETRY)
    if Verb.RETRY_CONFIRM in view.verbs():
        await teams.press(view, Verb.RETRY_CONFIRM)
    done = teams.current(card)
    assert "**Done**" in done.all_text()
    user = graph_directory.users[EMPLOYEE.aad]
    assert user.sessions_revoked == 1
    events = [(event, actor) for event, actor, _ in await audit(teams.runtime)]
    assert ("request.retried", ADMIN.aad) in events
    assert events.count(("request.done", "system")) == 1
