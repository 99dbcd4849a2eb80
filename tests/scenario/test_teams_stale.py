"""Nothing stale, nothing circular (issue 18) in Teams: the employee's first message brought up to
date, one thread line per change, one message for a quick approval, the hours, the form's words,
and a failed action retried while a manual step waits."""

from __future__ import annotations

from typing import Any

import pytest

from teams.ids import InputId, Verb
from tests.fakes.graph import FakeGraph
from tests.scenario.teams_flows import (
    ADMIN,
    EMPLOYEE,
    FORM,
    approve,
    audit,
    deny,
    menu,
    request,
)
from tests.teams_driver import CardView, TeamsDriver

HOURS = "Mon-Fri 8:00-18:00 CET"


@pytest.fixture
def teams_env(teams_env: dict[str, Any], graph_directory: FakeGraph) -> dict[str, Any]:
    """Teams acting on Entra ID through the fake Graph (Ada's object ID is her Teams one), with
    the hours IT usually answers."""
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
        "helpdesk_hours": HOURS,
    }


def _first_notice(teams: TeamsDriver) -> CardView:
    """The employee's first message about their request, as it stands now."""
    return next(c for c in teams.chat_cards(EMPLOYEE) if "Your request #1" in c.all_text())


async def test_a_denied_request_loses_its_cancel_button_and_says_what_to_do(
    installed: TeamsDriver,
) -> None:
    teams = installed
    card = await request(teams)
    first = _first_notice(teams)
    assert Verb.CANCEL_REQUEST in first.verbs()

    await deny(teams, card, "We could not reach you")
    now = teams.current(first)
    assert Verb.CANCEL_REQUEST not in now.verbs()
    assert "denied" in now.all_text()
    denial = next(t for t in teams.chat_texts(EMPLOYEE) if "declined your request #1" in t)
    assert "send a new request with more detail" in denial
    assert "Or call IT: call 555-0100 or mail it@example.com." in denial
    assert "contact IT:" not in denial


async def test_the_message_after_a_request_says_when_it_usually_answers(
    installed: TeamsDriver,
) -> None:
    teams = installed
    await request(teams)
    assert f"IT usually answers {HOURS}." in _first_notice(teams).all_text()


async def test_a_quick_approval_is_one_message_and_its_thread_one_line_per_change(
    installed: TeamsDriver,
) -> None:
    teams = installed
    card = await request(teams)
    first = _first_notice(teams)
    await approve(teams, card, actions=["clear_mfa", "revoke_sessions"])
    assert "Done" in teams.current(card).all_text()
    chat = teams.chat_texts(EMPLOYEE)
    assert not any("is making these changes" in text for text in chat)
    assert sum("is done: IT approved it" in text for text in chat) == 1
    assert Verb.CANCEL_REQUEST not in teams.current(first).verbs()
    thread = teams.thread(teams.current(card))
    # Approved, done: the card itself says it was received (the employee is told before it is
    # posted, so no line in its thread says so).
    assert len(thread) == 2, thread
    assert "Approved by" in thread[0]
    assert "Done: Clear MFA settings" in thread[1]


async def test_the_form_says_what_the_walk_learned(installed: TeamsDriver) -> None:
    teams = installed
    card = await menu(teams)
    step = await teams.press(card, Verb.TOPIC, match={"topic": "lost-phone"})
    step = await teams.press(step, Verb.CHOICE, match={"choice": 2})  # a new number
    form = await teams.press(step, Verb.CONTACT_IT)
    said = "I got a new phone number, and I have no other way to sign in."
    assert form.input(InputId.DESCRIPTION.value).get("value") == said
    sent = await teams.press(form, Verb.CONTACT_SEND, inputs=FORM)
    assert "Request #1 is with IT" in sent.all_text()
    assert Verb.CONTACT_IT not in sent.verbs()  # the guide's card says it was sent
    assert said in teams.desk_card(ADMIN).all_text()


async def test_a_failed_action_is_retried_while_a_manual_step_is_still_open(
    installed: TeamsDriver, graph_directory: FakeGraph
) -> None:
    teams = installed
    card = await request(teams)
    graph_directory.fail("POST", "revokeSignInSessions", 403)
    await approve(teams, card, actions=["delete_app_passwords", "revoke_sessions"])
    waiting = teams.current(card)
    assert Verb.MANUAL_DONE in waiting.verbs()
    assert Verb.RETRY in waiting.verbs()
    chat = teams.chat_texts(EMPLOYEE)
    assert sum("IT approved your request #1 and is making" in text for text in chat) == 1
    view = await teams.press(waiting, Verb.RETRY)
    if Verb.RETRY_CONFIRM in view.verbs():
        await teams.press(view, Verb.RETRY_CONFIRM)
    await teams.settle()
    assert graph_directory.users[EMPLOYEE.aad].sessions_revoked == 1
    retried = teams.current(card)
    assert Verb.RETRY not in retried.verbs()
    assert Verb.MANUAL_DONE in retried.verbs()
    events = [(event, actor) for event, actor, _ in await audit(teams.runtime)]
    assert ("request.retried", ADMIN.aad) in events


async def test_the_pass_says_when_it_expires(
    installed: TeamsDriver, graph_directory: FakeGraph
) -> None:
    teams = installed
    card = await request(teams)
    await approve(teams, card, actions=["issue_tap"])
    tap = graph_directory.tap_issued[-1]
    notice = next(text for text in teams.chat_texts(EMPLOYEE) if tap in text)
    # 08:00 UTC now, a pass of 60 minutes; Teams tells no time zone: UTC, written out.
    assert "expires at 09:00 UTC on Friday 27 November" in notice
    assert "expires soon" not in notice
