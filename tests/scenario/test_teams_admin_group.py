"""TEAMS_IT_ADMIN_GROUP and the manager in Teams: group membership read through Graph (a minute's
cache, no answer is no admin), and the manager asked in their personal chat."""

from __future__ import annotations

from typing import Any

import pytest

from teams.ids import Verb
from tests.conftest import FixedClock
from tests.fakes.graph import FakeGraph
from tests.fakes.teams import FakeTeams, TeamsUser
from tests.scenario.teams_flows import ADMIN, EMPLOYEE, approve, audit, request, said
from tests.teams_driver import TeamsDriver

GROUP = "6d5c4b3a-2918-4f7e-8d6c-5b4a39281706"
MEMBER = TeamsUser("5d4e6f70-8192-4a3b-9c4d-5e6f708192a3", "Gia Groupadmin", "gia@example.com")
MANAGER = TeamsUser("6e5f7081-92a3-4b4c-8d5e-6f708192a3b4", "Grace Manager", "grace@example.com")


@pytest.fixture
def teams_env(
    teams_env: dict[str, Any], graph_directory: FakeGraph, fake_teams: FakeTeams
) -> dict[str, Any]:
    """A help desk whose admins are also the members of an Entra group; everyone in Graph."""
    for person in (EMPLOYEE, ADMIN, MEMBER, MANAGER):
        graph_directory.add_user(person.email, object_id=person.aad)
        fake_teams.add_user(person.aad, person.name, person.email)
    graph_directory.users[MEMBER.aad].group_ids.add(GROUP)
    return {
        **teams_env,
        "manager_attestation": True,
        "teams_it_admin_group": GROUP,
        "entra_tenant_id": graph_directory.tenant,
        "entra_client_id": "app-1",
        "entra_client_secret": graph_directory.secret,
        "entra_login_url": graph_directory.origin,
        "entra_graph_url": f"{graph_directory.origin}/v1.0",
    }


@pytest.fixture
async def with_group(installed: TeamsDriver) -> TeamsDriver:
    """The app also in the group member's and the manager's personal chats."""
    for person in (MEMBER, MANAGER):
        await installed.install(person)
    return installed


async def test_a_member_of_the_admin_group_may_decide(
    with_group: TeamsDriver, graph_directory: FakeGraph
) -> None:
    teams = with_group
    card = await request(teams)
    await approve(teams, card, MEMBER, actions=["revoke_sessions"])
    assert "**Done**" in teams.current(card).all_text()
    asked = [p for v, p in graph_directory.requests if v == "POST" and "checkMemberGroups" in p]
    assert any(MEMBER.aad in p for p in asked)
    assert ("request.approved", MEMBER.aad) in [(e, a) for e, a, _ in await audit(teams.runtime)]


async def test_removed_from_the_group_is_refused_after_a_minute(
    with_group: TeamsDriver, graph_directory: FakeGraph, clock: FixedClock
) -> None:
    teams = with_group
    card = await request(teams)
    view = await teams.press(card.as_seen_by(MEMBER), Verb.APPROVE)
    assert Verb.APPROVE_CONFIRM in view.verbs()
    graph_directory.users[MEMBER.aad].group_ids.clear()
    clock.advance(minutes=2)
    refused = await teams.invoke(view, Verb.APPROVE_CONFIRM)
    await teams.settle()
    assert "Only IT admins" in said(refused)
    assert Verb.APPROVE in teams.current(card).verbs()


async def test_when_graph_cannot_say_the_group_member_is_no_admin(
    with_group: TeamsDriver, graph_directory: FakeGraph
) -> None:
    teams = with_group
    card = await request(teams)
    graph_directory.fail("POST", "checkMemberGroups", 503, times=20)
    refused = await teams.invoke(card.as_seen_by(MEMBER), Verb.APPROVE)
    await teams.settle()
    assert "Only IT admins" in said(refused)
    assert ("decision.refused", MEMBER.aad, {"reason": "not_an_admin"}) in await audit(
        teams.runtime
    )


@pytest.mark.parametrize("answer", ["yes", "no"])
async def test_the_manager_is_asked_in_their_personal_chat_and_a_no_blocks_approval(
    with_group: TeamsDriver, graph_directory: FakeGraph, answer: str
) -> None:
    teams = with_group
    graph_directory.users[EMPLOYEE.aad].manager_id = MANAGER.aad
    card = await request(teams)
    question = next(view for view in teams.chat_cards(MANAGER) if Verb.MANAGER_YES in view.verbs())
    assert "Ada Lovelace" in question.all_text()
    assert "asked, no answer yet" in teams.current(card).all_text()
    # Someone else pressing the manager's buttons is refused.
    await teams.invoke(question, Verb.MANAGER_YES, user=ADMIN)
    await teams.settle()
    assert "asked, no answer yet" in teams.current(card).all_text()
    verb = Verb.MANAGER_YES if answer == "yes" else Verb.MANAGER_NO
    await teams.press(question, verb)
    if answer == "yes":
        assert "confirmed the request" in teams.current(card).all_text()
        return
    assert "did NOT ask" in teams.current(card).all_text()
    late = await teams.invoke(card, Verb.APPROVE)
    await teams.settle()
    if late.card is not None and Verb.APPROVE_CONFIRM in late.card.verbs():
        late = await teams.invoke(late.card, Verb.APPROVE_CONFIRM)
        await teams.settle()
    assert "can't be approved" in said(late)
    events = [(e, a) for e, a, _ in await audit(teams.runtime)]
    assert ("manager.no", MANAGER.aad) in events
