"""The admin's day in Teams: no form for a click that cannot count, every approver on the card,
"I'm on it", and a question to the requester answered into the card's thread."""

from __future__ import annotations

import json

from teams.cards.text import escape
from teams.ids import InputId, Verb
from tests.scenario.teams_flows import (
    ADMIN,
    ADMIN2,
    ADMIN3,
    EMPLOYEE,
    STRANGER,
    approve,
    audit,
    request,
    said,
)
from tests.teams_driver import TeamsDriver


async def test_a_second_approval_by_the_first_approver_is_refused_before_the_view(
    installed: TeamsDriver,
) -> None:
    teams = installed
    card = await request(teams, user=ADMIN)  # an admin's own account: two others approve
    await approve(teams, card, ADMIN2)
    again = await teams.invoke(teams.current(card).as_seen_by(ADMIN2), Verb.APPROVE)
    await teams.settle()
    assert again.card is not None
    assert Verb.APPROVE_CONFIRM not in again.card.verbs()
    assert InputId.CODE.value not in again.card.inputs()
    assert "second, different admin" in said(again)
    refused = ("decision.refused", ADMIN2.aad, {"reason": "same_approver"})
    assert refused in await audit(teams.runtime)


async def test_the_status_line_names_both_approvers(installed: TeamsDriver) -> None:
    teams = installed
    card = await request(teams, user=ADMIN)
    await approve(teams, card, ADMIN2)
    await approve(teams, teams.current(card), ADMIN3, actions=["clear_mfa"])
    status = next(line for line in teams.current(card).all_text().splitlines() if "Done" in line)
    assert "by Omar Admin and Rui Admin" in status


async def test_im_on_it_shows_who_calls_back_and_a_second_admin_is_told(
    installed: TeamsDriver,
) -> None:
    teams = installed
    card = await request(teams)
    assert Verb.ON_IT in card.verbs()
    mine = await teams.press(card.as_seen_by(ADMIN), Verb.ON_IT)
    assert "Ines Admin is calling the employee back" in mine.all_text()
    everyone = teams.current(card)
    assert "Ines Admin is calling the employee back" in everyone.all_text()
    assert Verb.ON_IT not in everyone.verbs()
    assert Verb.APPROVE in everyone.verbs()
    assert any("Calling the employee back by Ines Admin" in n for n in teams.thread(card))

    second = await teams.invoke(card.as_seen_by(ADMIN2), Verb.ON_IT)  # the card as it was
    await teams.settle()
    assert "Ines Admin is already calling the employee back" in said(second)
    events = await audit(teams.runtime)
    assert [a for e, a, _ in events if e == "request.callback"] == [ADMIN.aad]
    assert ("decision.refused", ADMIN2.aad, {"reason": "callback_taken"}) in events


async def test_ask_the_requester_and_the_answer_lands_in_the_cards_thread(
    installed: TeamsDriver,
) -> None:
    teams = installed
    card = await request(teams)
    refused = await teams.invoke(card.as_seen_by(STRANGER), Verb.ASK)
    assert refused.card is None or Verb.ASK_CONFIRM not in refused.card.verbs()
    assert "Only IT admins" in said(refused)

    view = await teams.press(card.as_seen_by(ADMIN), Verb.ASK)
    assert InputId.QUESTION.value in view.inputs()
    question = "Which **phone** was it? [link](https://evil.example)"
    await teams.press(view, Verb.ASK_CONFIRM, inputs={InputId.QUESTION.value: question})
    asked = teams.last_card(EMPLOYEE)
    assert "IT has a question about your request #1" in asked.all_text()
    assert "Ines Admin" in asked.all_text()
    assert escape(question) in asked.all_text()  # no bold, no link: as typed
    assert "[link](https" not in json.dumps(asked.card)
    assert any("Ines Admin asked the employee" in note for note in teams.thread(card))

    answer = "The old one, ask <at>Omar</at>"
    done = await teams.press(asked, Verb.ANSWER, inputs={InputId.ANSWER.value: answer})
    assert "your answer is with IT" in done.all_text()
    answered = [note for note in teams.thread(card) if "answered" in note]
    assert len(answered) == 1
    assert f"Ada Lovelace answered: {escape(answer)}" in answered[0]  # no mention made
    events = await audit(teams.runtime)
    assert ("request.question_asked", ADMIN.aad, {"length": len(question)}) in events
    assert ("request.question_answered", EMPLOYEE.aad, {"length": len(answer)}) in events


async def test_a_question_to_an_employee_without_a_personal_chat_is_refused_in_the_view(
    installed: TeamsDriver,
) -> None:
    teams = installed
    card = await request(teams)
    teams.fake.no_personal_chat.add(EMPLOYEE.aad)  # they removed the app: Teams answers 403
    view = await teams.press(card.as_seen_by(ADMIN), Verb.ASK)
    answer = await teams.press(view, Verb.ASK_CONFIRM, inputs={InputId.QUESTION.value: "Which?"})
    assert "couldn't reach the employee in chat" in answer.all_text()
    assert not any("asked the employee" in note for note in teams.thread(card))
    events = await audit(teams.runtime)
    assert ("decision.refused", ADMIN.aad, {"reason": "unreachable"}) in events


async def test_the_card_keeps_the_callers_name_after_another_admin_decides(
    installed: TeamsDriver,
) -> None:
    teams = installed
    card = await request(teams)
    await teams.press(card.as_seen_by(ADMIN), Verb.ON_IT)
    await approve(teams, teams.current(card), ADMIN2)
    done = teams.current(card).all_text()
    assert "Ines Admin is calling the employee back" in done
    assert ADMIN.aad not in done
