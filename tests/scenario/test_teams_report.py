"""Reports of an attack in Teams: Report it for a prompt the person didn't start, "this wasn't
me" carried through, the alert's Claim, and what a later request of theirs shows."""

from __future__ import annotations

from teams.ids import Verb
from tests.scenario.teams_flows import (
    ADMIN,
    ADMIN2,
    EMPLOYEE,
    STRANGER,
    approve,
    audit,
    menu,
    request,
    said,
)
from tests.teams_driver import CardView, TeamsDriver

SETTINGS_URL = "https://mysignins.microsoft.com/security-info"


async def _report_step(teams: TeamsDriver) -> CardView:
    """The prompt topic walked to its step with Report it."""
    card = await menu(teams)
    deny = await teams.press(card, Verb.TOPIC, match={"topic": "unexpected-prompt"})
    assert "Never approve a prompt you didn't start" in deny.all_text()
    step = await teams.press(deny, Verb.CHOICE, match={"choice": 0})  # "I denied it, what now?"
    assert Verb.REPORT_PROMPT in step.verbs()
    return step


def _alerts(teams: TeamsDriver, words: str) -> list[CardView]:
    return [view for view in teams.desk_cards(ADMIN) if words in view.all_text()]


async def test_report_it_alerts_the_desk_and_files_one_request(installed: TeamsDriver) -> None:
    teams = installed
    step = await _report_step(teams)
    answer = await teams.press(step, Verb.REPORT_PROMPT)
    text = answer.all_text()
    assert "IT security and the help desk have been alerted" in text
    assert "once an admin approves request #1" in text
    assert f"[your security info]({SETTINGS_URL})" in text
    assert answer.verbs() == []  # the step and its button are gone, for good
    assert teams.current(step).verbs() == []

    [alert] = _alerts(teams, "got a sign-in prompt they didn't start")
    assert alert.verbs() == [Verb.CLAIM_ALERT]
    assert "Ada Lovelace" in alert.all_text()
    [card] = [view for view in teams.desk_cards(ADMIN) if Verb.APPROVE in view.verbs()]
    assert "Request #1: I got a sign-in prompt I didn't start" in card.all_text()
    assert "Reset their password by hand" in card.all_text()

    again = await teams.invoke(step, Verb.REPORT_PROMPT)
    await teams.settle()
    assert "You reported this already" in said(again)
    assert len(_alerts(teams, "got a sign-in prompt they didn't start")) == 1
    created = [a for e, a, _ in await audit(teams.runtime) if e == "request.created"]
    assert created == [EMPLOYEE.aad]


async def test_an_admin_claims_the_alert_and_the_next_learns_who_has_it(
    installed: TeamsDriver,
) -> None:
    teams = installed
    await teams.press(await _report_step(teams), Verb.REPORT_PROMPT)
    [alert] = _alerts(teams, "got a sign-in prompt they didn't start")
    refused = await teams.invoke(alert.as_seen_by(STRANGER), Verb.CLAIM_ALERT)
    await teams.settle()
    assert "Only IT admins" in said(refused)
    assert teams.current(alert).verbs() == [Verb.CLAIM_ALERT]

    claimed = await teams.press(alert, Verb.CLAIM_ALERT)
    assert "Ines Admin is on it" in claimed.all_text()
    assert teams.current(alert).verbs() == []
    second = await teams.invoke(alert.as_seen_by(ADMIN2), Verb.CLAIM_ALERT)
    await teams.settle()
    assert "Ines Admin is on it" in said(second)
    claims = [(e, a) for e, a, _ in await audit(teams.runtime) if e == "alert.claimed"]
    assert claims == [("alert.claimed", ADMIN.aad)]


async def test_this_wasnt_me_finishes_the_job_and_a_later_pass_needs_two(
    installed: TeamsDriver,
) -> None:
    teams = installed
    await approve(teams, await request(teams), actions=["delete_app_passwords"])
    done = next(view for view in teams.chat_cards(EMPLOYEE) if Verb.NOT_ME in view.verbs())
    updated = await teams.press(done, Verb.NOT_ME)
    assert Verb.NOT_ME not in updated.verbs()
    assert "You reported this as not you" in teams.current(done).all_text()
    reply = teams.chat_texts(EMPLOYEE)
    assert any("IT security has been alerted about request #1" in text for text in reply)
    assert any(f"[your security info]({SETTINGS_URL})" in text for text in reply)
    [alert] = _alerts(teams, "did NOT ask for request #1")
    assert alert.verbs() == [Verb.CLAIM_ALERT]

    again = await teams.invoke(done, Verb.NOT_ME)
    await teams.settle()
    assert again.status == 200
    assert "You reported request #1 already" in teams.chat_texts(EMPLOYEE)[-1]

    card = await request(teams)
    assert "Reported request #1 as not them" in card.all_text()
    await approve(teams, card, actions=["issue_tap"])
    assert "1 of 2 approvals" in teams.current(card).all_text()
    await approve(teams, teams.current(card), ADMIN2, actions=["issue_tap"])
    assert "Done" in teams.current(card).all_text()
