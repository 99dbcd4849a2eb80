"""Asking IT, as Slack drives it: a limit per hour, a form sent twice, revocation with any clear."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any

import pytest
from sqlalchemy import text

from bot.settings import Settings
from handlers.ids import ActionId, FieldId
from storage.demo import SqlDemoStore
from storage.engine import session_factory
from tests.conftest import FixedClock
from tests.driver import SlackDriver, submission
from tests.scenario.test_helpdesk import (
    ADMIN,
    DESK,
    _audit,
    _card,
    _request,
    _to_contact_it,
    bot_env,
    second_replica,
)

__all__ = ["bot_env", "second_replica"]  # the help desk's fixtures, used here as they are

FORM = "application/x-www-form-urlencoded"
SECRET_WORDS = "my PIN is 4711"  # typed by the employee: never in a log line

# The database refuses every new request with a constraint error that names no open request:
# what the insert's race meets when the open request it collided with has just closed.
REFUSE_REQUESTS = {
    "sqlite": [
        "CREATE TRIGGER refuse_requests BEFORE INSERT ON help_requests "
        "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse_requests() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION 'refused by the test' USING ERRCODE = 'unique_violation'; END $$",
        "CREATE TRIGGER refuse_requests BEFORE INSERT ON help_requests "
        "FOR EACH ROW EXECUTE FUNCTION refuse_requests()",
    ],
}


def _cards(slack: SlackDriver) -> int:
    return sum(
        1
        for c in slack.fake.calls_to("chat.postMessage")
        if c.params["channel"] == DESK and not c.params.get("thread_ts")
    )


async def _contact_form(slack: SlackDriver) -> dict[str, Any]:
    step = await _to_contact_it(slack)
    await slack.click(step, ActionId.CONTACT_IT)
    await slack.settle()
    return slack.opened_view()


async def _cancel(slack: SlackDriver) -> None:
    cancelled = await slack.click_and_see(slack.dm_screen(), ActionId.CANCEL_REQUEST)
    assert "You cancelled request" in cancelled.all_text()


async def test_past_three_requests_in_an_hour_the_employee_is_told_to_call_it(
    slack: SlackDriver, clock: FixedClock
) -> None:
    for _ in range(3):
        await _request(slack)
        await _cancel(slack)
        clock.advance(minutes=10)
    reply = await slack.submit(
        await _contact_form(slack),
        {FieldId.LOST: "no", FieldId.REMAINING: "none", FieldId.CONTACT: "+1 555 0101"},
    )
    await slack.settle()
    assert _cards(slack) == 3
    refused = [(a, d) for e, a, d in await _audit(slack) if e == "request.refused"]
    assert refused == [("U1", {"reason": "too_many_requests", "sent": 3, "limit": 3})]
    assert reply.status == 200
    assert reply.json()["response_action"] == "update"
    said = json.dumps(reply.json()["view"])
    assert "You have sent 3 requests to IT within the last hour" in said
    assert "call 555-0100 or mail it@example.com" in said  # IT_CONTACT

    clock.advance(minutes=31)  # the first request is more than an hour old now
    await _request(slack)
    assert _cards(slack) == 4
    assert "Request #4" in _card(slack).all_text()


async def test_at_the_limit_with_a_request_open_the_employee_is_shown_that_request(
    slack: SlackDriver,
) -> None:
    for _ in range(2):
        await _request(slack)
        await _cancel(slack)
    form = await _contact_form(slack)  # opened while nothing was in progress
    await _request(slack)  # the third within the hour, still open
    reply = await slack.submit(
        form, {FieldId.LOST: "no", FieldId.REMAINING: "none", FieldId.CONTACT: "+1 555 0101"}
    )
    await slack.settle()
    said = json.dumps(reply.json()["view"])
    assert "You already have request #3 with IT" in said
    assert "within the last hour" not in said
    assert _cards(slack) == 3
    assert "request.refused" not in [e for e, _, _ in await _audit(slack)]


def test_requests_per_hour_is_a_setting() -> None:
    assert Settings(_env_file=None).requests_per_hour == 3  # type: ignore[call-arg]
    assert Settings(_env_file=None, requests_per_hour="5").requests_per_hour == 5  # type: ignore[call-arg]


async def test_a_form_replayed_after_a_cancel_is_the_request_it_made(slack: SlackDriver) -> None:
    body = submission(
        await _contact_form(slack),
        {FieldId.LOST: "no", FieldId.REMAINING: "none", FieldId.CONTACT: "+1 555 0101"},
        view_id="V7",
    )
    await slack.post(body, FORM)
    await slack.settle()
    await _cancel(slack)

    again = await slack.post(body, FORM)  # the same signed form, within Slack's five minutes
    await slack.settle()
    assert _cards(slack) == 1
    events = [event for event, _, _ in await _audit(slack)]
    assert events == ["request.created", "request.not_privileged", "request.cancelled"]
    assert again.status == 200
    said = json.dumps(again.json()["view"])
    assert "This form was sent already, as request #1, which is cancelled" in said


async def test_one_form_sent_to_two_replicas_at_once_makes_one_card(
    slack: SlackDriver, second_replica: SlackDriver
) -> None:
    body = submission(
        await _contact_form(slack),
        {FieldId.LOST: "no", FieldId.REMAINING: "none", FieldId.CONTACT: "+1 555 0101"},
        view_id="V8",
    )
    replies = await asyncio.gather(slack.post(body, FORM), second_replica.post(body, FORM))
    # Both show the one request (on PostgreSQL the loser may have spent number 1 of the sequence).
    said = {re.findall(r"Request #(\d+) is with IT", reply.body)[0] for reply in replies}
    assert len(said) == 1
    await asyncio.gather(slack.settle(), second_replica.settle())
    assert _cards(slack) == 1
    assert f"Request #{said.pop()}:" in _card(slack).all_text()
    events = [event for event, _, _ in await _audit(slack)]
    assert events == ["request.created", "request.not_privileged"]


async def test_clearing_mfa_is_proposed_with_revoking_the_sessions(slack: SlackDriver) -> None:
    card = await _request(slack, choice=2)  # a new number: not lost
    ticked = [o["value"] for o in card.element(ActionId.SELECT_ACTIONS)["initial_options"]]
    assert ticked == ["clear_mfa", "revoke_sessions"]
    assert "always revokes the sign-in sessions too" in card.all_text()


async def test_clearing_mfa_revokes_the_sessions_even_when_unticked(slack: SlackDriver) -> None:
    card = await _request(slack, choice=2)  # a new number: not lost
    await slack.click(card, ActionId.APPROVE, user=ADMIN, selected=["clear_mfa"])
    await slack.settle()
    assert "*Done*" in _card(slack).all_text()
    person = await SqlDemoStore(session_factory(slack.runtime.engine)).get_demo_user(
        "ada@example.com"
    )
    assert person is not None
    assert (person.methods, person.sessions) == ((), 0)
    approved = next(d for e, _, d in await _audit(slack) if e == "request.approved")
    assert approved == {"actions": ["clear_mfa", "revoke_sessions"], "revocation_added": True}


async def test_a_form_the_database_refuses_unexpectedly_is_answered_send_it_again(
    slack: SlackDriver, caplog: pytest.LogCaptureFixture
) -> None:
    engine = slack.runtime.engine
    async with engine.begin() as conn:
        for statement in REFUSE_REQUESTS[engine.dialect.name]:
            await conn.execute(text(statement))
    form = await _contact_form(slack)
    values = {FieldId.LOST: "no", FieldId.REMAINING: "none", FieldId.CONTACT: "+1 555 0101"}
    values[FieldId.DESCRIPTION] = SECRET_WORDS
    caplog.set_level(logging.INFO)
    reply = await slack.submit(form, values, view_id="V9")
    assert reply.status == 200, reply
    assert reply.json() == {
        "response_action": "errors",
        "errors": {
            FieldId.DESCRIPTION: "Something went wrong on our side; your request may not have "
            "reached IT. Send it again: it will not be sent twice."
        },
    }
    failed = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in failed] == ["a contact form may not have been stored"]
    assert failed[0].exc_info is not None
    assert SECRET_WORDS not in caplog.text

    async with engine.begin() as conn:
        await conn.execute(
            text(
                "DROP TRIGGER refuse_requests"
                + (" ON help_requests" if engine.dialect.name == "postgresql" else "")
            )
        )
    again = await slack.submit(form, values, view_id="V9")  # the same modal, sent again
    await slack.settle()
    assert again.json()["response_action"] == "update"
    assert "Request #" in json.dumps(again.json()["view"])
    assert _cards(slack) == 1
