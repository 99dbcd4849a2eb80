"""The Teams help-desk buttons under a forged or misplaced click: the request card for an IT admin
in the help-desk channel only, each button answered only where its card lives, an invoke no card
of ours sends answered 400, and a manual step's Done answered with the step's own request."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from storage.engine import session_factory
from storage.helpdesk import SqlRequestRepository
from teams.ids import InputId, Verb
from tests.scenario.teams_flows import (
    ADMIN,
    ADMIN2,
    EMPLOYEE,
    STRANGER,
    approve,
    audit,
    deny,
    request,
    said,
)
from tests.teams_driver import Invoked, TeamsDriver

# What the employee typed and who they are: a refused clicker reads none of it.
PRIVATE = ("Ada Lovelace", "555 0101", "desk 4B")


def _shows_nothing_of_the_request(answer: Invoked) -> None:
    assert answer.status == 200, answer.reply
    assert answer.card is None, said(answer)
    assert answer.reply is not None
    for private in PRIVATE:
        assert private not in answer.reply.body


def _versions(teams: TeamsDriver, conversation: str, activity_id: str) -> int:
    """How often the bot has updated a message."""
    return len(teams.fake.messages[(conversation, activity_id)].versions)


# -- 1. the request card for an IT admin in the help-desk channel only -----------------------


async def test_someone_not_an_admin_in_the_channel_reads_a_refusal_and_no_card(
    installed: TeamsDriver,
) -> None:
    teams = installed
    card = await request(teams)
    view = await teams.press(card, Verb.APPROVE)  # an admin's view, with its Back button
    before = len(await audit(teams.runtime))
    stranger = view.as_seen_by(STRANGER)
    answers = [
        await teams.invoke(stranger, Verb.DESK_BACK),
        await teams.invoke(card.as_seen_by(STRANGER), Verb.APPROVE),
        await teams.invoke(card.as_seen_by(STRANGER), Verb.DENY),
        await teams.send(card, Verb.RETRY, {"request": 1}, STRANGER),
        await teams.invoke(stranger, Verb.APPROVE_CONFIRM),
        await teams.send(
            card, Verb.DENY_CONFIRM, {"request": 1, InputId.DENY_REASON.value: "no"}, STRANGER
        ),
    ]
    await teams.settle()
    for answer in answers:
        _shows_nothing_of_the_request(answer)
        assert "Only IT admins" in said(answer)
    refused = (await audit(teams.runtime))[before:]
    assert refused == [("decision.refused", STRANGER.aad, {"reason": "not_an_admin"})] * 6
    assert Verb.APPROVE in teams.current(card).verbs()


async def test_an_admin_in_the_channel_still_reads_the_card_with_the_refusal(
    installed: TeamsDriver,
) -> None:
    teams = installed
    card = await request(teams)
    view = await teams.press(card.as_seen_by(ADMIN2), Verb.APPROVE)
    await deny(teams, card, "We could not reach you")
    late = await teams.invoke(view, Verb.APPROVE_CONFIRM)
    assert late.card is not None, said(late)
    assert "already denied" in said(late)
    assert "Request #1" in said(late)
    back = await teams.invoke(view, Verb.DESK_BACK)
    assert back.card is not None, said(back)
    assert "Denied" in said(back)
    assert "Ada Lovelace" in said(back)


# -- 2. each button answered only where its card lives -------------------------------------


async def test_an_employees_button_sent_on_the_help_desk_card_leaves_it_as_it_is(
    installed: TeamsDriver,
) -> None:
    teams = installed
    card = await request(teams)
    updates = _versions(teams, card.conversation, card.activity_id)
    answers = [
        await teams.send(card, Verb.TOPIC, {"topic": "lost-phone"}, STRANGER),
        await teams.send(card, Verb.CANCEL_REQUEST, {"request": 1}, EMPLOYEE),
    ]
    await teams.settle()
    for answer in answers:
        _shows_nothing_of_the_request(answer)
        assert "personal chat" in said(answer)
    assert _versions(teams, card.conversation, card.activity_id) == updates
    waiting = teams.current(card)
    assert waiting.card == card.card
    assert Verb.APPROVE in waiting.verbs()
    assert "request.cancelled" not in [event for event, _, _ in await audit(teams.runtime)]


async def test_a_help_desk_button_sent_in_a_personal_chat_is_refused_there(
    installed: TeamsDriver,
) -> None:
    teams = installed
    card = await request(teams)
    before = await audit(teams.runtime)
    sent = teams.last_card(EMPLOYEE)  # "your request is with IT"
    menu = teams.last_card(ADMIN)
    answers = [
        await teams.send(sent, Verb.DESK_BACK, {"request": 1}, EMPLOYEE),
        await teams.send(menu, Verb.DESK_BACK, {"request": 1}, ADMIN),
        await teams.send(menu, Verb.APPROVE, {"request": 1}, ADMIN),
        await teams.send(menu, Verb.RETRY, {"request": 1}, ADMIN),
        await teams.send(menu, Verb.MANUAL_DONE, {"request": 1, "item": 1}, ADMIN),
    ]
    await teams.settle()
    for answer in answers:
        _shows_nothing_of_the_request(answer)
        assert "help-desk channel" in said(answer)
    for view in (sent, menu):
        assert _versions(teams, view.conversation, view.activity_id) == 0
        assert teams.current(view).card == view.card
    # Each forged desk click is refused by the core too, so the audit log says who tried.
    after = await audit(teams.runtime)
    assert after[: len(before)] == before
    tried = [(event, actor, detail.get("reason")) for event, actor, detail in after[len(before) :]]
    assert sorted(tried) == sorted(
        [("decision.refused", EMPLOYEE.aad, "wrong_place")]
        + [("decision.refused", ADMIN.aad, "wrong_place")] * 4
    )
    assert Verb.APPROVE in teams.current(card).verbs()


# -- 3. an invoke no card of ours sends ----------------------------------------------------

NOT_OURS: list[tuple[str, dict[str, Any]]] = [
    ("mfa-nope", {}),
    ("mfa-", {"request": 1}),
    ("mfa-desk-nope", {"request": 1}),
    ("mfa-" + "x" * 5000, {}),
    (Verb.APPROVE, {"request": "9" * 5000}),
    (Verb.APPROVE, {"request": 10**40}),
    (Verb.APPROVE, {"request": 1.5}),
    (Verb.DENY_CONFIRM, {"request": 1, InputId.DENY_REASON.value: "x" * 100_000}),
    (Verb.MANUAL_DONE, {"request": 1, "item": {"id": 1}}),
    (Verb.TOPIC, {"topic": ["lost-phone"]}),
]


async def test_an_invoke_no_card_of_ours_sends_is_answered_400_and_changes_nothing(
    installed: TeamsDriver, caplog: pytest.LogCaptureFixture
) -> None:
    teams = installed
    card = await request(teams)
    before = await audit(teams.runtime)
    caplog.set_level(logging.INFO)
    for verb, data in NOT_OURS:
        answer = await teams.send(card, verb, data, ADMIN)
        assert answer.status == 400, (verb[:20], answer.reply)
        assert answer.reply is not None
        assert "not an action of this bot" in answer.reply.body
    await teams.settle()
    assert await audit(teams.runtime) == before
    assert teams.current(card).card == card.card
    refused = [r for r in caplog.records if "not ours" in r.getMessage()]
    assert len(refused) == len(NOT_OURS)
    assert all(len(r.getMessage()) < 300 for r in refused)  # a value is never logged whole
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# Invoke values the SDK cannot read as an Action.Execute, or that name no verb of ours at all.
UNREADABLE: list[Any] = [
    {"action": {"type": "Action.Execute", "verb": Verb.APPROVE.value, "data": [1]}},
    {"action": {"type": "Action.Execute", "verb": Verb.APPROVE.value, "data": "1"}},
    {"action": {"type": "Action.Execute", "verb": "", "data": {"request": 1}}},
    {"action": {"type": "Action.Execute", "verb": 5, "data": {"request": 1}}},
    {"action": {"type": "Action.Execute", "verb": "approve", "data": {"request": 1}}},
    {"verb": Verb.APPROVE.value, "data": {"request": 1}},
    Verb.APPROVE.value,
    [1],
    None,
]


async def test_an_invoke_the_sdk_cannot_read_is_answered_400_too(
    installed: TeamsDriver, caplog: pytest.LogCaptureFixture
) -> None:
    teams = installed
    card = await request(teams)
    before = await audit(teams.runtime)
    for value in UNREADABLE:
        activity = teams.invoke_activity(card, {"verb": Verb.APPROVE.value}, {}, ADMIN)
        activity["value"] = value
        reply = await teams.post(activity)
        assert reply.status == 200, (value, reply)
        assert reply.json()["statusCode"] == 400, (value, reply)
        assert "not an action of this bot" in reply.body
    await teams.settle()
    assert await audit(teams.runtime) == before
    assert teams.current(card).card == card.card
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_body_nested_past_the_json_parsers_depth_is_a_400(
    teams: TeamsDriver, caplog: pytest.LogCaptureFixture
) -> None:
    activity = teams.personal("invoke", EMPLOYEE, name="adaptiveCard/action")
    activity["value"] = {"action": {"type": "Action.Execute", "verb": Verb.TOPIC.value}}
    nested = "[" * 50_000 + "]" * 50_000
    body = json.dumps(activity)[:-1] + f', "extra": {nested}}}'
    headers = {"Content-Type": "application/json", "Authorization": teams.signed(activity)}
    async with teams.http.post(teams.url, data=body, headers=headers) as answer:
        assert answer.status == 400, await answer.text()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# -- 4. a manual step's Done answered with the step's own request ---------------------------


class TestManualStepDone:
    """With IDENTITY_PROVIDER=manual every approved action waits for an admin's Done."""

    @pytest.fixture
    def teams_env(self, teams_env: dict[str, Any]) -> dict[str, Any]:
        return {**teams_env, "identity_provider": "manual"}

    async def test_a_done_naming_another_request_marks_and_shows_the_steps_own(
        self, installed: TeamsDriver, caplog: pytest.LogCaptureFixture
    ) -> None:
        teams = installed
        first = await request(teams)  # Ada's request #1
        second = await request(teams, user=STRANGER)  # Sam's request #2
        for card in (first, second):
            await approve(teams, card)
        first, second = teams.current(first), teams.current(second)
        steps = [a["data"]["item"] for a in first.actions() if a.get("verb") == Verb.MANUAL_DONE]
        waiting = second.card
        assert steps
        assert Verb.MANUAL_DONE in second.verbs()
        # Done for a step of #1, sent on #2's card naming #2.
        answer = await teams.send(second, Verb.MANUAL_DONE, {"request": 2, "item": steps[0]}, ADMIN)
        await teams.settle()
        assert answer.card is not None, said(answer)
        assert "Request #1" in said(answer)
        assert "Request #2" not in said(answer)
        assert "Ada Lovelace" in said(answer)
        assert teams.current(second).card == waiting  # #2 neither marked nor updated
        assert (await _actions(teams, 2)) == ["manual"] * len(steps)
        assert (await _actions(teams, 1)) == ["done"] + ["manual"] * (len(steps) - 1)
        left = teams.current(first).actions()
        assert [a["data"]["item"] for a in left if a.get("verb") == Verb.MANUAL_DONE] == steps[1:]
        assert any("named request #2 for a step of #1" in r.getMessage() for r in caplog.records)


async def _actions(teams: TeamsDriver, request_id: int) -> list[str]:
    """The status of each of a request's actions, as stored."""
    repo = SqlRequestRepository(session_factory(teams.runtime.engine))
    return [item.status.value for item in await repo.actions_of(request_id)]


async def test_someone_not_an_admin_pressing_on_it_or_ask_reads_a_refusal_and_no_card(
    installed: TeamsDriver,
) -> None:
    teams = installed
    card = await request(teams)
    for verb in (Verb.ON_IT, Verb.ASK):
        answer = await teams.invoke(card.as_seen_by(STRANGER), verb)
        await teams.settle()
        _shows_nothing_of_the_request(answer)
        assert "Only IT admins" in said(answer)
    assert teams.current(card).card == card.card
