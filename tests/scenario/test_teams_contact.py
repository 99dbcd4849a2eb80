"""Contact IT in Teams: the form in place of the walk's card, its errors inline with the typed
values kept, and the request's card in the Teams help-desk channel."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import text

from bot.domain.platform import Platform
from storage.engine import session_factory
from storage.helpdesk import SqlRequestRepository
from teams.ids import InputId, Verb
from tests.fakes.teams import DESK_CHANNEL, TENANT_ID
from tests.scenario.teams_flows import (
    ADMIN,
    EMPLOYEE,
    FORM,
    GUID,
    STRANGER,
    asking_form,
    audit,
    contact_form,
    menu,
    request,
    said,
    to_contact_it,
)
from tests.scenario.test_intake import REFUSE_REQUESTS
from tests.teams_driver import CardView, TeamsDriver

LOST, REMAINING = InputId.LOST.value, InputId.REMAINING.value
CORRELATION, CONTACT = InputId.CORRELATION.value, InputId.CONTACT.value
DESCRIPTION, DETAILS = InputId.DESCRIPTION.value, InputId.DETAILS.value


async def test_the_form_replaces_the_walks_card_and_marks_what_is_required(
    installed: TeamsDriver,
) -> None:
    teams = installed
    step = await to_contact_it(teams)
    form = await teams.press(step, Verb.CONTACT_IT)
    assert form.activity_id == step.activity_id
    assert "never ask you for your password" in form.all_text()
    # What the walk's choice told, rather than the topic's title (which names two problems).
    lost = "My phone was lost or stolen, and I have no other way to sign in."
    assert form.input(DESCRIPTION).get("value") == lost
    asking = await asking_form(teams)
    for question in (LOST, REMAINING):
        element = asking.input(question)
        assert element["type"] == "Input.ChoiceSet"
        assert element.get("isRequired") is True, question
        assert element.get("errorMessage"), question
        assert not element.get("value"), f"{question} has an answer chosen in advance"
    assert form.input(CONTACT).get("isRequired") is True
    assert not form.input(CORRELATION).get("isRequired")
    assert {Verb.CONTACT_SEND, Verb.CONTACT_CANCEL} <= set(form.verbs())


async def test_teams_holds_back_a_form_with_a_required_field_empty(
    installed: TeamsDriver,
) -> None:
    teams = installed
    form = await asking_form(teams)
    before = len(teams.fake.calls)
    invoked = await teams.invoke(form, Verb.CONTACT_SEND, inputs={CONTACT: "+1 555 0101"})
    assert invoked.blocked  # the client names the questions and sends nothing
    assert len(teams.fake.calls) == before


async def test_a_correlation_id_that_is_not_a_guid_is_shown_inline_and_typed_values_kept(
    installed: TeamsDriver,
) -> None:
    teams = installed
    form = await asking_form(teams)
    typed = FORM | {CORRELATION: "not-a-guid", CONTACT: "call me on 555 0199", DETAILS: "at home"}
    # Sent as a client that does not check the pattern itself would send it.
    invoked = await teams.invoke(form, Verb.CONTACT_SEND, inputs=typed, as_client=False)
    assert invoked.status == 200
    again = invoked.card
    assert again is not None, said(invoked)
    assert Verb.CONTACT_SEND in again.verbs()  # the same form, not a new message
    assert "looks like" in again.all_text()
    for input_id in (LOST, REMAINING, CORRELATION, CONTACT, DETAILS):
        assert again.input(input_id).get("value") == typed[input_id], input_id
    await teams.settle()
    assert teams.fake.channel(DESK_CHANNEL) == []
    assert await audit(teams.runtime) == []

    fixed = await teams.press(again, Verb.CONTACT_SEND, inputs={CORRELATION: GUID})
    assert "Request #1 is with IT" in fixed.all_text()
    assert GUID in teams.desk_card(ADMIN).all_text()


async def test_unanswered_questions_are_shown_inline_and_nothing_is_stored(
    installed: TeamsDriver,
) -> None:
    teams = installed
    form = await asking_form(teams)
    invoked = await teams.invoke(
        form, Verb.CONTACT_SEND, inputs={CONTACT: "+1 555 0101"}, as_client=False
    )
    text = said(invoked)
    assert "lost or stolen" in text
    assert "sign-in methods" in text
    assert invoked.card is not None
    assert invoked.card.input(CONTACT).get("value") == "+1 555 0101"
    await teams.settle()
    assert teams.fake.channel(DESK_CHANNEL) == []
    assert await audit(teams.runtime) == []


async def test_a_blank_contact_is_refused_inline(installed: TeamsDriver) -> None:
    teams = installed
    form = await contact_form(teams)
    invoked = await teams.invoke(
        form, Verb.CONTACT_SEND, inputs=FORM | {CONTACT: "   "}, as_client=False
    )
    assert invoked.card is not None
    assert Verb.CONTACT_SEND in invoked.card.verbs()
    await teams.settle()
    assert teams.fake.channel(DESK_CHANNEL) == []


async def test_the_request_lands_in_the_teams_help_desk_channel(installed: TeamsDriver) -> None:
    teams = installed
    card = await request(teams)
    text = card.all_text()
    assert "Request #1: I lost my phone or got a new number" in text
    assert "Ada Lovelace" in text
    assert "ada@example.com" in text
    assert GUID in text
    assert "+1 555 0101, desk 4B" in text
    assert "Two ways back into your account" in text
    assert "lost or stolen, and I have no other method" in text
    assert {Verb.APPROVE, Verb.DENY} <= set(card.verbs())
    # Posted as a new thread in the help-desk channel, with the bot's own token.
    [created] = [c for c in teams.fake.calls if c.path == "v3/conversations"]
    assert created.body["channelData"]["channel"]["id"] == DESK_CHANNEL
    assert created.token
    notice = teams.chat_texts(EMPLOYEE)
    assert any("Your request #1 is with IT" in text for text in notice)
    assert Verb.CANCEL_REQUEST in teams.last_card(EMPLOYEE).verbs()

    stored = await SqlRequestRepository(session_factory(teams.runtime.engine)).get_request(1)
    assert stored is not None
    assert stored.platform is Platform.TEAMS
    assert stored.requester_id == EMPLOYEE.aad
    assert stored.team_id == TENANT_ID
    events = [(event, actor) for event, actor, _ in await audit(teams.runtime)]
    assert events[0] == ("request.created", EMPLOYEE.aad)


async def test_a_second_contact_it_shows_the_open_request(installed: TeamsDriver) -> None:
    teams = installed
    await request(teams)
    step = await to_contact_it(teams)
    again = await teams.press(step, Verb.CONTACT_IT)
    assert "You already have request #1" in again.all_text()
    assert Verb.CONTACT_SEND not in again.verbs()
    assert len(teams.fake.channel(DESK_CHANNEL)) == 1


async def test_what_the_employee_typed_makes_no_link_or_markup_on_the_card(
    installed: TeamsDriver,
) -> None:
    teams = installed
    card = await request(
        teams,
        **{
            DESCRIPTION: "[sso.corp](https://evil.test) **urgent**",
            DETAILS: "<at>Everyone</at> # heading",
        },
    )
    raw = json.dumps(card.card)
    assert "[sso.corp](https://evil.test)" not in card.all_text()
    assert "**urgent**" not in card.all_text()
    assert "<at>Everyone</at>" not in raw
    assert "evil.test" in card.all_text()  # shown, as typed, not as a link


async def test_cancel_on_the_form_goes_back_to_the_step(installed: TeamsDriver) -> None:
    teams = installed
    form = await contact_form(teams)
    back = await teams.press(form, Verb.CONTACT_CANCEL)
    assert "Have IT clear your settings" in back.all_text()
    assert Verb.CONTACT_IT in back.verbs()
    assert teams.fake.channel(DESK_CHANNEL) == []


async def test_a_card_teams_refused_before_the_app_was_in_the_team_is_posted_later(
    teams: TeamsDriver,
) -> None:
    await teams.install(EMPLOYEE)
    form = await contact_form(teams)
    sent = await teams.press(form, Verb.CONTACT_SEND, inputs=FORM)
    assert "Request #1 is with IT" in sent.all_text()  # stored: nothing the employee typed is lost
    assert teams.fake.channel(DESK_CHANNEL) == []  # Teams refused: the app is not in the team
    # Told at once, before the card reaches the channel.
    assert sum("Your request #1 is with IT" in t for t in teams.chat_texts(EMPLOYEE)) == 1
    teams.runtime.tasks.failures = 0  # the refused post was logged; the request waits
    await teams.install_in_team(ADMIN)
    await teams.runtime.housekeeping_once()
    await teams.settle()
    [card] = teams.desk_cards(ADMIN)
    assert "Request #1" in card.all_text()
    assert sum("Your request #1 is with IT" in t for t in teams.chat_texts(EMPLOYEE)) == 1
    await teams.runtime.housekeeping_once()
    await teams.settle()
    assert len(teams.desk_cards(ADMIN)) == 1


async def test_a_lost_phone_walk_that_worked_opens_the_form_too(installed: TeamsDriver) -> None:
    """Back in with another device, the person is still asked to tell IT: the form opens, and
    Cancel goes back to what the walk said."""
    teams = installed
    step = await teams.press(await menu(teams), Verb.TOPIC, match={"topic": "lost-phone"})
    worked = await teams.press(step, Verb.WORKED)
    assert "tell IT now" in worked.all_text()
    form = await teams.press(worked, Verb.CONTACT_IT)
    assert form.activity_id == worked.activity_id
    assert form.input(LOST)["type"] == "Input.ChoiceSet"
    back = await teams.press(form, Verb.CONTACT_CANCEL)
    assert "tell IT now" in back.all_text()
    assert back.verbs() == [Verb.CONTACT_IT, Verb.RESTART]


def _facts(view: CardView) -> dict[str, str]:
    """The card's facts, title -> value."""
    found: dict[str, str] = {}

    def visit(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "FactSet":
                found.update({f["title"]: f["value"] for f in node["facts"]})
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    visit(view.card)
    return found


async def test_a_stolen_phone_chosen_in_the_walk_is_not_asked_again_and_its_card_claims_it(
    installed: TeamsDriver,
) -> None:
    teams = installed
    form = await contact_form(teams)  # lost or stolen, no other method
    assert LOST not in form.inputs()
    assert REMAINING not in form.inputs()
    told = (
        "You told me: your phone was lost or stolen, and you can't use any of your sign-in methods."
    )
    assert told in form.all_text()
    # The form's answers are the walk's: a client sending other answers changes nothing.
    forged = {LOST: "no", REMAINING: "other_phone", CONTACT: "+1 555 0101"}
    sent = await teams.press(form, Verb.CONTACT_SEND, inputs=forged)
    assert "Request #1 is with IT" in sent.all_text()
    await teams.settle()
    created = next(d for e, _, d in await audit(teams.runtime) if e == "request.created")
    assert created["lost_or_stolen"] is True
    assert created["proposed"] == ["clear_mfa", "delete_app_passwords", "revoke_sessions"]
    facts = _facts(teams.desk_card(ADMIN))
    assert facts["Lost or stolen"].endswith("Yes")
    assert facts["Can still use"] == "None of my methods"


async def test_a_new_number_chosen_in_the_walk_is_not_asked_again(installed: TeamsDriver) -> None:
    teams = installed
    card = await menu(teams)
    step = await teams.press(card, Verb.TOPIC, match={"topic": "lost-phone"})
    step = await teams.press(step, Verb.CHOICE, match={"choice": 2})  # a new number
    form = await teams.press(step, Verb.CONTACT_IT)
    assert LOST not in form.inputs()
    assert "your phone was not lost or stolen" in form.all_text()
    sent = await teams.press(form, Verb.CONTACT_SEND, inputs={CONTACT: "+1 555 0101"})
    assert "Request #1 is with IT" in sent.all_text()
    await teams.settle()
    facts = _facts(teams.desk_card(ADMIN))
    assert facts["Lost or stolen"] == "No"
    assert facts["Can still use"] == "None of my methods"


async def test_another_persons_walk_answers_nothing(installed: TeamsDriver) -> None:
    """A click or a form naming someone else's walk gets the whole form, and no answer of it."""
    teams = installed
    theirs = await to_contact_it(teams)  # the employee's walk: lost or stolen
    mine = await menu(teams, STRANGER)
    # The stranger's own chat, sending the data of the employee's Contact IT button.
    data = dict(theirs.action(Verb.CONTACT_IT)["data"])
    opened = await teams.send(mine, Verb.CONTACT_IT, data, STRANGER)
    form = opened.card
    assert form is not None, said(opened)
    assert {LOST, REMAINING} <= set(form.inputs())
    assert "You told me" not in form.all_text()
    # Sent with the employee's walk in it: its answers are not the stranger's to claim.
    invoked = await teams.invoke(
        form, Verb.CONTACT_SEND, user=STRANGER, inputs={CONTACT: "+1 555 0102"}, as_client=False
    )
    assert invoked.card is not None, said(invoked)
    assert {LOST, REMAINING} <= set(invoked.card.inputs())
    assert "lost or stolen" in said(invoked)
    await teams.settle()
    assert teams.fake.channel(DESK_CHANNEL) == []
    assert await audit(teams.runtime) == []


async def test_a_form_shown_again_does_not_ask_what_the_walk_answered(
    installed: TeamsDriver,
) -> None:
    teams = installed
    form = await contact_form(teams)  # lost or stolen, no other method
    invoked = await teams.invoke(form, Verb.CONTACT_SEND, inputs={CONTACT: "   "}, as_client=False)
    assert invoked.card is not None, said(invoked)
    assert LOST not in invoked.card.inputs()
    assert REMAINING not in invoked.card.inputs()
    assert "You told me: your phone was lost or stolen" in invoked.card.all_text()


async def test_a_form_that_may_not_be_stored_is_shown_again_without_the_walks_answers(
    installed: TeamsDriver, caplog: pytest.LogCaptureFixture
) -> None:
    teams = installed
    engine = teams.runtime.engine
    postgres = engine.dialect.name == "postgresql"
    async with engine.begin() as conn:
        for statement in REFUSE_REQUESTS[engine.dialect.name]:
            # The function may be left by test_intake's test in this session's database.
            await conn.execute(
                text(statement.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"))
            )
    try:
        form = await contact_form(teams)  # lost or stolen, no other method
        caplog.set_level(logging.CRITICAL)  # the refusal is logged as the bug it would be
        invoked = await teams.invoke(form, Verb.CONTACT_SEND, inputs={CONTACT: "+1 555 0101"})
    finally:
        async with engine.begin() as conn:
            await conn.execute(
                text("DROP TRIGGER refuse_requests" + (" ON help_requests" if postgres else ""))
            )
            if postgres:
                await conn.execute(text("DROP FUNCTION refuse_requests()"))
    assert invoked.card is not None, said(invoked)
    assert "may not have reached IT" in invoked.card.all_text()
    assert LOST not in invoked.card.inputs()
    assert REMAINING not in invoked.card.inputs()
    assert "You told me: your phone was lost or stolen" in invoked.card.all_text()
