"""One process serving Slack and Teams: one number series, each request on its own platform's
help desk, a Teams request decided in Teams, audited, and carried out once in Entra ID."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from storage.engine import session_factory
from storage.helpdesk import SqlRequestRepository
from teams.ids import Verb
from tests.conftest import FixedClock
from tests.fakes.graph import PASSWORD, FakeGraph
from tests.fakes.slack import FakeSlack
from tests.fakes.teams import DESK_CHANNEL
from tests.scenario.conftest import Both
from tests.scenario.teams_flows import ADMIN, ADMIN2, EMPLOYEE, PEOPLE, approve, request, said
from tests.scenario.test_helpdesk import _card as slack_card
from tests.scenario.test_helpdesk import _request as slack_request
from tests.teams_driver import CardView, TeamsDriver

SLACK_DESK = "C0DESK"


@pytest.fixture
def both_env(
    both_env: dict[str, Any], graph_directory: FakeGraph, fake_slack: FakeSlack
) -> dict[str, Any]:
    """Both front ends acting on Entra ID through the fake Graph, where the Teams employee's
    object ID is theirs."""
    fake_slack.add_user("U2", "Bo Worker", "bo@example.com")
    fake_slack.add_user("UADMIN1", "Ines Admin", "ines@example.com")
    ada = graph_directory.add_user(EMPLOYEE.email)
    del graph_directory.users[ada.id]
    ada.id = EMPLOYEE.aad
    graph_directory.users[ada.id] = ada
    graph_directory.add_user("bo@example.com")
    return {
        **both_env,
        "identity_provider": "entra",
        "entra_tenant_id": graph_directory.tenant,
        "entra_client_id": "app-1",
        "entra_client_secret": graph_directory.secret,
        "entra_login_url": graph_directory.origin,
        "entra_graph_url": f"{graph_directory.origin}/v1.0",
    }


async def _install(teams: TeamsDriver) -> None:
    await teams.install_in_team(ADMIN)
    for person in PEOPLE:
        await teams.install(person)


async def _events_of(both: Both, request_id: int) -> list[tuple[str, str]]:
    repo = SqlRequestRepository(session_factory(both.runtime.engine))
    entries = await repo.audit_since(FixedClock().now().replace(year=2000))
    return [(e.event, e.actor_id) for e in entries if e.request_id == request_id]


async def test_one_process_one_number_series_each_request_on_its_own_help_desk(
    both: Both,
) -> None:
    slack_first = await slack_request(both.slack, user="U2")
    assert "Request #1" in slack_first.all_text()
    await _install(both.teams)
    teams_card = await request(both.teams)
    assert "Request #2" in teams_card.all_text()
    # Each card on its own platform's help desk only.
    assert len(both.teams.fake.channel(DESK_CHANNEL)) == 1
    slack_cards = [
        m for (c, _), m in both.slack.fake.messages.items() if c == SLACK_DESK and m.get("blocks")
    ]
    assert len([m for m in slack_cards if not m.get("thread_ts")]) == 1
    assert "Request #2" not in str(both.slack.fake.calls)
    assert "Request #1" not in str([c.body for c in both.teams.fake.calls])
    stored = await SqlRequestRepository(session_factory(both.runtime.engine)).get_request(2)
    assert stored is not None
    assert stored.requester_id == EMPLOYEE.aad


async def test_a_teams_request_is_decided_in_teams_audited_and_done_once_in_entra(
    both: Both, graph_directory: FakeGraph
) -> None:
    await slack_request(both.slack, user="U2")
    await _install(both.teams)
    card = await request(both.teams)
    ada = graph_directory.users[EMPLOYEE.aad]
    # The person is looked up by the object ID Teams vouches for, not by email.
    assert any(v == "GET" and f"/users/{EMPLOYEE.aad}" in p for v, p in graph_directory.requests)

    await approve(both.teams, card)
    again = await both.teams.invoke(card.as_seen_by(ADMIN2), Verb.APPROVE)
    await both.teams.settle()
    assert "already" in said(again)
    remaining = [m["@odata.type"].rsplit(".", 1)[-1] for m in ada.methods]
    assert remaining == ["passwordAuthenticationMethod"]
    assert ada.methods[0]["id"] == PASSWORD
    assert ada.sessions_revoked == 1
    deleted = [p for v, p in graph_directory.requests if v == "DELETE"]
    assert len(deleted) == len(set(deleted)) == 4  # each method removed once
    # Graph has no API for app passwords: an admin marks them done by hand, in Teams.
    waiting = both.teams.current(card)
    assert "no API for app passwords" in waiting.all_text()
    await both.teams.press(waiting, Verb.MANUAL_DONE)
    done = both.teams.current(card)
    assert "**Done**" in done.all_text()
    assert Verb.MANUAL_DONE not in done.verbs()
    events = await _events_of(both, 2)
    assert events.count(("request.approved", ADMIN.aad)) == 1
    assert events.count(("request.done", "system")) == 1
    assert [e for e, _ in events].count("action.done") == 3
    assert ("decision.refused", ADMIN2.aad) in events
    # The Slack request is untouched, its card still waiting in Slack.
    assert "Waiting for a decision" in slack_card(both.slack).all_text()
    slack_events = [event for event, _ in await _events_of(both, 1)]
    assert slack_events == ["request.created", "request.not_privileged"]
    chat = both.teams.chat_texts(EMPLOYEE)
    assert sum("is done" in text for text in chat) == 1


async def test_teams_cannot_decide_a_slack_request(both: Both) -> None:
    await slack_request(both.slack, user="U2")
    await _install(both.teams)
    card = await request(both.teams)
    # A Teams click naming the Slack request #1 (its data changed by hand).
    tampered = copy.deepcopy(card.card)
    for action in CardView(tampered, ADMIN, card.conversation, card.activity_id).actions():
        if isinstance(action.get("data"), dict) and "request" in action["data"]:
            action["data"]["request"] = 1
    view = CardView(tampered, ADMIN, card.conversation, card.activity_id, channel=True)
    invoked = await both.teams.invoke(view, Verb.APPROVE)
    await both.teams.settle()
    if invoked.card is not None and Verb.APPROVE_CONFIRM in invoked.card.verbs():
        invoked = await both.teams.invoke(invoked.card, Verb.APPROVE_CONFIRM)
        await both.teams.settle()
    assert "help-desk channel" in said(invoked)
    assert ("request.approved", ADMIN.aad) not in await _events_of(both, 1)
    assert "Waiting for a decision" in slack_card(both.slack).all_text()


async def test_pending_in_teams_lists_the_teams_requests_only(both: Both) -> None:
    await slack_request(both.slack, user="U2")
    await _install(both.teams)
    await request(both.teams)
    await both.teams.say("pending", ADMIN)
    answer = both.teams.chat_texts(ADMIN)[-1]
    assert "1 request in progress" in answer
    assert "#2" in answer
    assert "#1" not in answer
