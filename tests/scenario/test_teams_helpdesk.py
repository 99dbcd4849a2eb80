"""The help desk in Teams: Approve and Deny on the channel card (a view for the clicker, the
card refreshed for everyone), the policy's refusals, the two-approver rule, "This wasn't me",
"pending", and the notices in the employee's personal chat."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy import text as sql

from bot.domain.identity import ResetAction
from storage.demo import SqlDemoStore
from storage.engine import session_factory
from storage.models import ChannelTurnRow
from teams.ids import InputId, Verb
from tests.conftest import FixedClock
from tests.fakes.teams import DESK_CHANNEL
from tests.scenario.teams_flows import (
    ADMIN,
    ADMIN2,
    ADMIN3,
    EMPLOYEE,
    STRANGER,
    approve,
    audit,
    deny,
    menu,
    request,
    said,
)
from tests.teams_driver import TeamsDriver


async def _person(teams: TeamsDriver, email: str = "ada@example.com"):  # type: ignore[no-untyped-def]
    found = await SqlDemoStore(session_factory(teams.runtime.engine)).get_demo_user(email)
    assert found is not None
    return found


async def test_approve_shows_the_clicker_a_recap_then_decides_and_refreshes_the_card(
    installed: TeamsDriver,
) -> None:
    teams = installed
    card = await request(teams)
    view = await teams.press(card, Verb.APPROVE)
    # A view for the clicker only: the channel's card is not changed by opening it.
    assert teams.current(card).card == card.card
    recap = view.all_text()
    assert "Request #1" in recap
    assert "Ada Lovelace" in recap
    ticked = {
        input_id.removeprefix(InputId.ACTION.value): element.get("value")
        for input_id, element in view.inputs().items()
        if input_id.startswith(InputId.ACTION.value)
    }
    assert {action for action, on in ticked.items() if on == "true"} == {
        "clear_mfa",
        "delete_app_passwords",
        "revoke_sessions",
    }
    assert all(view.input(i)["type"] == "Input.Toggle" for i in view.inputs() if "action" in i)
    assert {Verb.APPROVE_CONFIRM, Verb.DESK_BACK} <= set(view.verbs())

    confirmed = await teams.invoke(view, Verb.APPROVE_CONFIRM)
    assert confirmed.status == 200
    await teams.settle()
    done = teams.current(card)
    assert done.activity_id == card.activity_id  # the same message, updated for everyone
    assert "Done" in done.all_text()
    assert Verb.APPROVE not in done.verbs()
    chat = teams.chat_texts(EMPLOYEE)
    # Approved and done at once: one message says both.
    assert not any("IT approved your request #1 and is making" in text for text in chat)
    finished = next(text for text in chat if "is done: IT approved it" in text)
    assert "Removed 3 sign-in methods" in finished
    person = await _person(teams)
    assert (person.methods, person.app_passwords, person.sessions) == ((), 0, 0)
    events = [event for event, _, _ in await audit(teams.runtime)]
    assert events == [
        "request.created",
        "request.not_privileged",
        "request.approved",
        "request.executing",
        "action.done",
        "action.done",
        "action.done",
        "request.done",
        "notice.skipped",
    ]
    approved = next((e, a) for e, a, _ in await audit(teams.runtime) if e == "request.approved")
    assert approved == ("request.approved", ADMIN.aad)
    assert any("Approved by" in note for note in teams.thread(done))


async def test_the_card_and_its_thread_name_the_admin_who_decided(installed: TeamsDriver) -> None:
    # The Slack card shows "Done by @Ines"; a Teams reader needs the name, not an object ID.
    teams = installed
    card = await request(teams)
    await approve(teams, card)
    done = teams.current(card)
    status = next(line for line in done.all_text().splitlines() if "Done" in line)
    assert "Ines Admin" in status
    assert ADMIN.aad not in status
    approved = next(note for note in teams.thread(done) if "Approved by" in note)
    assert "Ines Admin" in approved
    assert ADMIN.aad not in approved


async def test_only_the_actions_left_ticked_are_carried_out(installed: TeamsDriver) -> None:
    teams = installed
    card = await request(teams)
    await approve(teams, card, actions=["revoke_sessions"])
    person = await _person(teams)
    assert len(person.methods) == 3
    assert person.sessions == 0


async def test_nothing_ticked_is_refused_in_the_view(installed: TeamsDriver) -> None:
    teams = installed
    card = await request(teams)
    invoked = await approve(teams, card, actions=[])
    assert "Tick at least one action" in said(invoked)
    assert Verb.APPROVE in teams.current(card).verbs()


async def test_a_non_admin_is_refused_before_any_code_and_the_attempt_audited(
    installed: TeamsDriver,
) -> None:
    teams = installed
    card = await request(teams)
    invoked = await teams.invoke(card.as_seen_by(STRANGER), Verb.APPROVE)
    await teams.settle()
    assert "Only IT admins" in said(invoked)
    if invoked.card is not None:
        assert InputId.CODE.value not in invoked.card.inputs()
        assert Verb.APPROVE_CONFIRM not in invoked.card.verbs()
    assert Verb.APPROVE in teams.current(card).verbs()
    assert ("decision.refused", STRANGER.aad, {"reason": "not_an_admin"}) in await audit(
        teams.runtime
    )


async def test_a_stranger_sending_a_confirm_for_the_request_is_refused(
    installed: TeamsDriver,
) -> None:
    teams = installed
    card = await request(teams)
    view = await teams.press(card, Verb.APPROVE)  # the admin's view, replayed by a stranger
    invoked = await teams.invoke(view.as_seen_by(STRANGER), Verb.APPROVE_CONFIRM)
    await teams.settle()
    assert "Only IT admins" in said(invoked)
    assert Verb.APPROVE in teams.current(card).verbs()
    person = await _person(teams)
    assert len(person.methods) == 3


async def test_nobody_decides_their_own_request_and_privileged_needs_two(
    installed: TeamsDriver,
) -> None:
    teams = installed
    card = await request(teams, user=ADMIN)
    own = await teams.invoke(card.as_seen_by(ADMIN), Verb.APPROVE)
    await teams.settle()
    assert "your own request" in said(own)
    assert ("decision.refused", ADMIN.aad, {"reason": "own_request"}) in await audit(teams.runtime)
    # An admin's own account is privileged: two other admins must approve.
    await approve(teams, card, ADMIN2)
    first = teams.current(card).as_seen_by(ADMIN2)
    assert "1 of 2 approvals" in first.all_text()
    assert "Privileged account" in first.all_text()
    again = await teams.invoke(first, Verb.APPROVE)
    await teams.settle()
    if again.card is not None and Verb.APPROVE_CONFIRM in again.card.verbs():
        again = await teams.invoke(again.card, Verb.APPROVE_CONFIRM)
        await teams.settle()
    assert "second, different admin" in said(again)
    await approve(teams, first, ADMIN3, actions=["clear_mfa"])
    done = teams.current(card)
    assert "Done" in done.all_text()
    events = await audit(teams.runtime)
    assert ("request.first_approval", ADMIN2.aad) in [(e, a) for e, a, _ in events]
    approved = next(d for e, _, d in events if e == "request.approved")
    assert approved == {"actions": ["clear_mfa", "revoke_sessions"], "revocation_added": True}


async def test_deny_needs_a_reason_and_the_employee_reads_it(installed: TeamsDriver) -> None:
    teams = installed
    card = await request(teams)
    view = await teams.press(card, Verb.DENY)
    reason = view.input(InputId.DENY_REASON.value)
    assert reason.get("isRequired") is True
    assert reason.get("errorMessage")
    held = await teams.invoke(view, Verb.DENY_CONFIRM)
    assert held.blocked  # Teams itself asks for the reason first
    blank = await teams.invoke(
        view, Verb.DENY_CONFIRM, inputs={InputId.DENY_REASON.value: "   "}, as_client=False
    )
    await teams.settle()
    assert blank.card is not None
    assert Verb.DENY_CONFIRM in blank.card.verbs()  # asked again, in the view
    assert Verb.APPROVE in teams.current(card).verbs()

    await deny(teams, card, "We couldn't reach you [here](https://evil.test)")
    denied = teams.current(card)
    assert "Denied" in denied.all_text()
    assert "[here](https://evil.test)" not in denied.all_text()
    assert Verb.APPROVE not in denied.verbs()
    assert any(
        "declined your request #1" in text and "We couldn't reach you" in text
        for text in teams.chat_texts(EMPLOYEE)
    )
    late = await teams.invoke(card.as_seen_by(ADMIN2), Verb.APPROVE)
    await teams.settle()
    assert "already denied" in said(late)
    assert ("request.denied", ADMIN.aad) in [(e, a) for e, a, _ in await audit(teams.runtime)]


async def test_the_employee_cancels_and_then_nobody_can_approve(installed: TeamsDriver) -> None:
    teams = installed
    card = await request(teams)
    notice = teams.last_card(EMPLOYEE)
    cancelled = await teams.press(notice, Verb.CANCEL_REQUEST)
    assert "You cancelled request #1" in cancelled.all_text()
    assert "Cancelled" in teams.current(card).all_text()
    late = await teams.invoke(card.as_seen_by(ADMIN), Verb.APPROVE)
    await teams.settle()
    assert "already cancelled" in said(late)


async def test_nobody_else_can_cancel_an_employees_request(installed: TeamsDriver) -> None:
    teams = installed
    card = await request(teams)
    notice = teams.last_card(EMPLOYEE)
    await teams.invoke(notice, Verb.CANCEL_REQUEST, user=STRANGER)
    await teams.settle()
    assert Verb.APPROVE in teams.current(card).verbs()
    assert ("decision.refused", STRANGER.aad, {"reason": "not_requester"}) in await audit(
        teams.runtime
    )


async def test_this_wasnt_me_alerts_it_and_signs_the_person_out_again(
    installed: TeamsDriver,
) -> None:
    teams = installed
    card = await request(teams)
    await approve(teams, card, actions=["delete_app_passwords"])
    done_notice = next(view for view in teams.chat_cards(EMPLOYEE) if Verb.NOT_ME in view.verbs())
    assert "is done" in done_notice.all_text()
    sessions_before = (await _person(teams)).sessions
    assert sessions_before > 0
    await teams.press(done_notice, Verb.NOT_ME)
    assert any("IT security has been alerted" in text for text in teams.chat_texts(EMPLOYEE))
    assert (await _person(teams)).sessions == 0
    assert "did not ask for this" in teams.current(card).all_text()
    alerts = [text for text in teams.thread(teams.current(card)) if "did NOT ask" in text]
    alerts += [
        text
        for m in teams.fake.channel(DESK_CHANNEL)
        for text in [str(m.activity)]
        if "did NOT ask" in text
    ]
    assert alerts
    assert ("request.reported_not_me", EMPLOYEE.aad) in [
        (e, a) for e, a, _ in await audit(teams.runtime)
    ]
    # Someone else pressing it is refused.
    await teams.invoke(done_notice, Verb.NOT_ME, user=ADMIN2)
    await teams.settle()
    events = [(e, a) for e, a, _ in await audit(teams.runtime)]
    assert events.count(("request.reported_not_me", EMPLOYEE.aad)) == 1
    assert ("request.reported_not_me", ADMIN2.aad) not in events


async def test_an_admin_writing_pending_gets_the_open_requests(installed: TeamsDriver) -> None:
    teams = installed
    await request(teams)
    await menu(teams, ADMIN, text="pending")
    answer = teams.chat_texts(ADMIN)[-1]
    assert "1 request in progress" in answer
    assert "#1" in answer
    await teams.say("pending", STRANGER)
    assert "for IT admins" in teams.chat_texts(STRANGER)[-1]


async def test_the_temporary_access_pass_reaches_only_the_employee_once(
    installed: TeamsDriver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    teams = installed
    card = await request(teams)
    await approve(teams, card, actions=[a.value for a in ResetAction if a.value != "clear_mfa"])
    secret_messages = [
        m for m in teams.chat(EMPLOYEE) if "temporary access pass for request" in _text(m)
    ]
    assert len(secret_messages) == 1
    tap = _tap(_text(secret_messages[0]))
    stored = await _person(teams)
    assert stored.tap_hash == hashlib.sha256(tap.encode()).hexdigest()  # the pass itself
    elsewhere = [c.body for c in teams.fake.calls if EMPLOYEE.personal_chat not in c.path]
    assert tap not in json.dumps(elsewhere, ensure_ascii=False)
    assert tap not in str(elsewhere)
    assert tap not in caplog.text
    assert tap not in json.dumps(await audit(teams.runtime))
    async with teams.runtime.engine.connect() as conn:
        for table in ("help_requests", "request_actions", "audit_log", "demo_directory"):
            rows = (await conn.execute(sql(f"SELECT * FROM {table}"))).fetchall()  # noqa: S608
            assert tap not in repr(rows), table


async def test_two_approvals_at_the_same_moment_run_each_action_once(
    installed: TeamsDriver,
) -> None:
    teams = installed
    card = await request(teams)
    views = [await teams.press(card.as_seen_by(a), Verb.APPROVE) for a in (ADMIN, ADMIN2)]
    answers = await asyncio.gather(
        *(teams.invoke(view, Verb.APPROVE_CONFIRM) for view in (*views, views[0]))
    )
    await teams.settle()
    assert all(answer.status == 200 for answer in answers)
    events = [event for event, _, _ in await audit(teams.runtime)]
    assert events.count("request.approved") == 1
    assert events.count("action.done") == 3
    assert sum("is done" in text for text in teams.chat_texts(EMPLOYEE)) == 1
    refused = [said(answer).splitlines()[0] for answer in answers]
    assert sum("is already approved" in first_line for first_line in refused) == 2


async def test_a_card_update_teams_refuses_does_not_stop_the_actions(
    installed: TeamsDriver,
) -> None:
    teams = installed
    card = await request(teams)
    teams.fake.fail_next("update", 500)
    await approve(teams, card)
    teams.runtime.tasks.failures = 0  # the failed update was logged
    person = await _person(teams)
    assert person.methods == ()
    assert "Done" in teams.current(card).all_text()  # later updates brought it up to date
    assert any("is done: IT approved it" in text for text in teams.chat_texts(EMPLOYEE))


def _text(message: object) -> str:
    from tests.teams_driver import message_text

    return message_text(message)  # type: ignore[arg-type]


def _tap(text: str) -> str:
    """The pass in the employee's message as they read it: the bold text after "request #N:",
    its Markdown escapes undone."""
    after = text.split("temporary access pass for request", 1)[1]
    shown = re.search(r"\*\*((?:\\.|[^*\\])+)\*\*", after)
    assert shown, text
    return re.sub(r"\\(.)", r"\1", shown.group(1))


async def test_an_expired_request_cannot_be_approved(
    installed: TeamsDriver, clock: FixedClock
) -> None:
    teams = installed
    card = await request(teams)
    clock.advance(hours=23, minutes=59)
    await teams.runtime.housekeeping_once()
    await teams.settle()
    assert "Waiting for a decision" in teams.current(card).all_text()
    clock.advance(minutes=2)
    late = await teams.invoke(card, Verb.APPROVE)
    await teams.settle()
    assert "expired" in said(late)
    expired = teams.current(card)
    assert "Expired" in expired.all_text()
    assert Verb.APPROVE not in expired.verbs()
    assert any("expired without a decision" in text for text in teams.chat_texts(EMPLOYEE))
    assert len((await _person(teams)).methods) == 3


async def test_the_housekeeping_expires_requests_nobody_touched(
    installed: TeamsDriver, clock: FixedClock
) -> None:
    teams = installed
    card = await request(teams)
    clock.advance(hours=25)
    await teams.runtime.housekeeping_once()
    await teams.settle()
    assert "Expired" in teams.current(card).all_text()
    assert Verb.APPROVE not in teams.current(card).verbs()


async def test_without_a_personal_chat_the_help_desk_is_told_to_reach_them_another_way(
    installed: TeamsDriver,
) -> None:
    teams = installed
    card = await request(teams)
    async with teams.runtime.engine.begin() as conn:  # the reference was never stored
        await conn.execute(sql("DELETE FROM contacts WHERE kind = 'person'"))
    await approve(teams, card)
    done = teams.current(card)
    assert "**Done**" in done.all_text()
    said_on_desk = "\n".join([done.all_text(), *teams.thread(done)])
    assert "no personal chat" in said_on_desk
    assert not any("IT approved" in text for text in teams.chat_texts(EMPLOYEE))


async def test_an_employee_who_removed_the_app_is_reported_on_the_desk(
    installed: TeamsDriver,
) -> None:
    teams = installed
    card = await request(teams)
    teams.fake.no_personal_chat.add(EMPLOYEE.aad)  # they removed the app: Teams answers 403
    await approve(teams, card)
    done = teams.current(card)
    assert "**Done**" in done.all_text()
    said_on_desk = "\n".join([done.all_text(), *teams.thread(done)])
    assert "The employee has been told" not in said_on_desk  # they were not
    assert "no personal chat" in said_on_desk or "could not tell them" in said_on_desk


async def test_invokes_are_answered_at_once_while_teams_is_slow(installed: TeamsDriver) -> None:
    teams = installed
    card = await request(teams)
    view = await teams.press(card, Verb.APPROVE)
    teams.fake.delay_s = 3.0  # every Bot Connector call now takes longer than an invoke may
    confirmed = await teams.invoke(view, Verb.APPROVE_CONFIRM)
    assert confirmed.status == 200
    assert confirmed.reply is not None
    assert confirmed.reply.elapsed_s < 1.5, confirmed.reply.elapsed_s
    teams.fake.delay_s = 0
    await teams.settle()
    assert "**Done**" in teams.current(card).all_text()


async def test_a_message_teams_delivers_twice_is_answered_once(installed: TeamsDriver) -> None:
    teams = installed
    activity = teams.message("help", EMPLOYEE)
    before = len(teams.chat(EMPLOYEE))
    for _ in range(2):
        reply = await teams.post(activity)
        assert reply.status in (200, 201, 202)
    await teams.settle()
    assert len(teams.chat(EMPLOYEE)) == before + 1


async def test_a_form_teams_delivers_twice_makes_one_request(installed: TeamsDriver) -> None:
    from tests.scenario.teams_flows import FORM, contact_form

    teams = installed
    form = await contact_form(teams)
    action = form.action(Verb.CONTACT_SEND)
    activity = teams.invoke_activity(form, action, action["data"] | form.values() | FORM, EMPLOYEE)
    answers = await asyncio.gather(teams.post(activity), teams.post(activity))
    await teams.settle()
    assert all(answer.status == 200 for answer in answers)
    assert len(teams.desk_cards(ADMIN)) == 1
    events = [event for event, _, _ in await audit(teams.runtime)]
    assert events.count("request.created") == 1


async def test_a_name_from_teams_makes_no_link_or_markup_on_the_card(
    installed: TeamsDriver,
) -> None:
    teams = installed
    teams.fake.add_user(EMPLOYEE.aad, "[Eve](https://evil.test) **Boss**", EMPLOYEE.email)
    await teams.install(EMPLOYEE)
    card = await request(teams)
    text = card.all_text()
    assert "[Eve](https://evil.test)" not in text
    assert "**Boss**" not in text
    assert "Eve" in text


@pytest.mark.parametrize(
    "data",
    [
        {"request": 999},
        {"request": "1; DROP TABLE help_requests"},
        {"request": -1},
        {},
        {"request": 1, "mfa-desk-action-clear_mfa": "true" * 5000},
    ],
)
async def test_a_click_with_data_our_card_never_sent_changes_nothing(
    installed: TeamsDriver, data: dict[str, Any]
) -> None:
    teams = installed
    card = await request(teams)
    events = await audit(teams.runtime)
    for verb in (Verb.APPROVE, Verb.APPROVE_CONFIRM, Verb.DENY_CONFIRM):
        activity = teams.invoke_activity(card, card.action(Verb.APPROVE), data, ADMIN)
        activity["value"]["action"]["verb"] = verb.value
        reply = await teams.post(activity)
        assert reply.status < 500, reply
        assert "Traceback" not in reply.body
    await teams.settle()
    added = [e for e, _, _ in await audit(teams.runtime)][len(events) :]
    assert set(added) <= {"decision.refused"}  # a refusal is audited; nothing else happened
    assert Verb.APPROVE in teams.current(card).verbs()


async def test_a_429_from_the_bot_connector_holds_the_channel_then_the_card_goes_once(
    installed: TeamsDriver,
) -> None:
    teams = installed
    teams.fake.fail_next("create", 429)  # the card's new thread: "Retry-After: 1"
    started, wall = time.monotonic(), datetime.now(UTC)
    await request(teams)
    await teams.settle()
    assert len(teams.desk_cards(ADMIN)) == 1  # tried again, posted once
    assert time.monotonic() - started >= 1.0  # not before the second Teams asked for
    turn = select(ChannelTurnRow.not_before).where(ChannelTurnRow.platform == "teams")
    async with teams.runtime.engine.connect() as conn:
        not_before = (await conn.execute(turn)).scalar_one()
    # Every replica reads the hold in the channel's turn (on the wall clock the pacer keeps).
    assert not_before >= wall + timedelta(seconds=1)
    assert teams.runtime.tasks.failures == 0
