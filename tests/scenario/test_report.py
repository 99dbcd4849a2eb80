"""Reports of an attack in Slack: Report it for a prompt the person didn't start, "this wasn't
me" carried through, the security alert's Claim, and what a later request of theirs shows."""

from __future__ import annotations

from typing import Any

import pytest

from handlers.ids import ActionId
from tests.driver import Screen, SlackDriver
from tests.fakes.slack import FakeSlack
from tests.scenario.test_helpdesk import ADMIN, ADMIN2, DESK, STRANGER, _audit, _card, _request

SECURITY = "C0SEC"
SETTINGS_URL = "https://mysignins.microsoft.com/security-info"


@pytest.fixture
def bot_env(bot_env: dict[str, Any], fake_slack: FakeSlack) -> dict[str, Any]:
    """A help desk with two listed admins, the demo directory and a security channel."""
    for user, name in ((ADMIN, "Ines Admin"), (ADMIN2, "Omar Admin"), (STRANGER, "Sam Stranger")):
        fake_slack.add_user(user, name, f"{name.split()[0].lower()}@example.com")
    return {
        **bot_env,
        "helpdesk_channel": DESK,
        "it_admin_users": f"{ADMIN},{ADMIN2}",
        "identity_provider": "demo",
        "security_channel": SECURITY,
    }


async def _report_step(slack: SlackDriver, user: str = "U1") -> Screen:
    """/mfa-help, the prompt topic, "I denied it": the step with Report it."""
    _, menu = await slack.command(user=user)
    assert menu is not None
    deny = await slack.click_and_see(menu, f"{ActionId.TOPIC}unexpected-prompt")
    assert "Never approve a prompt you didn't start" in deny.all_text()
    assert ActionId.REPORT_PROMPT not in deny.action_ids()
    step = await slack.click_and_see(deny, f"{ActionId.CHOICE}0")  # "I denied it, what now?"
    assert ActionId.REPORT_PROMPT in step.action_ids()
    return step


async def _press(
    slack: SlackDriver, screen: Screen, action_id: str, user: str | None = None
) -> str:
    """Press a button and let the bot finish; the click's response URL."""
    reply, url = await slack.click(screen, action_id, user=user)
    assert reply.status == 200, reply
    await slack.settle()
    return url


def _alerts(slack: SlackDriver, words: str) -> list[tuple[str, str]]:
    """(channel, ts) of the alerts posted with `words`, in the help desk and security."""
    return [
        (channel, ts)
        for (channel, ts), m in slack.fake.messages.items()
        if channel in (DESK, SECURITY) and not m.get("thread_ts") and words in m.get("text", "")
    ]


async def test_report_it_alerts_security_and_the_desk_and_files_one_request(
    slack: SlackDriver,
) -> None:
    step = await _report_step(slack)
    url = await _press(slack, step, ActionId.REPORT_PROMPT)
    answer = slack.fake.response_posts(url)[-1]
    shown = Screen(answer["blocks"], answer["text"], "U1", step.channel, ephemeral=True)
    assert answer["replace_original"] is True  # the step with its button is gone
    assert shown.action_ids() == []
    text = shown.all_text()
    assert "IT security and the help desk have been alerted" in text
    assert "once an admin approves request #1" in text
    assert f"*Change your password now*: open <{SETTINGS_URL}|your security info>" in text
    assert "Someone from the IT help desk will contact you" in text

    alerts = _alerts(slack, "got a sign-in prompt they didn't start")
    assert sorted(channel for channel, _ in alerts) == [DESK, SECURITY]
    for channel, ts in alerts:
        alert = slack.channel_screen(channel, ts, ADMIN)
        assert alert.action_ids() == [ActionId.CLAIM_ALERT]
        assert "Request #1 proposes revoking their sign-in sessions" in alert.all_text()

    card = _card(slack)
    assert "Request #1: I got a sign-in prompt I didn't start" in card.all_text()
    assert "Reset their password by hand" in card.all_text()
    assert "Lost or stolen" not in card.all_text()  # nothing was asked, nothing is claimed
    assert "chose: I denied it, what now?" in card.all_text()
    ticked = card.element(ActionId.SELECT_ACTIONS)["initial_options"]
    assert [o["value"] for o in ticked] == ["revoke_sessions"]
    assert ("request.created", "U1", {"topic": "unexpected-prompt", "reported": True}) in (
        await _audit(slack)
    )

    # The step pressed again (a second tab, a double click): said politely, nothing more filed.
    again = await _press(slack, step, ActionId.REPORT_PROMPT)
    assert "You reported this already" in slack.fake.response_posts(again)[-1]["text"]
    assert len(_alerts(slack, "got a sign-in prompt they didn't start")) == 2
    events = [event for event, _, _ in await _audit(slack)]
    assert events.count("request.created") == 1


async def test_report_it_beside_a_request_in_progress_alerts_and_files_nothing(
    slack: SlackDriver,
) -> None:
    await _request(slack)
    step = await _report_step(slack)
    url = await _press(slack, step, ActionId.REPORT_PROMPT)
    assert (
        "with your request #1, which is still in progress"
        in (slack.fake.response_posts(url)[-1]["text"])
    )
    assert len(_alerts(slack, "Their request #1 is still in progress")) == 2
    events = [(event, actor) for event, actor, _ in await _audit(slack)]
    assert events.count(("request.created", "U1")) == 1
    assert ("request.prompt_reported", "U1") in events
    # Pressed again: once per walk.
    again = await _press(slack, step, ActionId.REPORT_PROMPT)
    assert "You reported this already" in slack.fake.response_posts(again)[-1]["text"]
    assert len(_alerts(slack, "Their request #1 is still in progress")) == 2


async def test_nobody_reports_on_another_persons_walk(slack: SlackDriver) -> None:
    step = await _report_step(slack)
    refused = await _press(slack, step, ActionId.REPORT_PROMPT, user=STRANGER)
    assert slack.fake.response_posts(refused)[-1]["replace_original"] is False
    assert _alerts(slack, "got a sign-in prompt") == []
    assert [(e, a, d) for e, a, d in await _audit(slack)] == [
        ("decision.refused", STRANGER, {"reason": "not_requester"})
    ]


async def test_an_admin_claims_the_alert_and_the_next_learns_who_has_it(
    slack: SlackDriver,
) -> None:
    await _press(slack, await _report_step(slack), ActionId.REPORT_PROMPT)
    copies = dict(_alerts(slack, "got a sign-in prompt they didn't start"))
    in_security = slack.channel_screen(SECURITY, copies[SECURITY], ADMIN)
    in_desk = slack.channel_screen(DESK, copies[DESK], ADMIN2)

    refused = await _press(slack, in_desk, ActionId.CLAIM_ALERT, user=STRANGER)
    assert "Only IT admins" in slack.fake.response_posts(refused)[-1]["text"]
    assert ActionId.CLAIM_ALERT in slack.channel_screen(DESK, copies[DESK], ADMIN).action_ids()

    await _press(slack, in_security, ActionId.CLAIM_ALERT)
    claimed = slack.channel_screen(SECURITY, copies[SECURITY], ADMIN)
    assert claimed.action_ids() == []
    assert f"<@{ADMIN}> is on it" in claimed.all_text()
    assert "sign-in prompt they didn't start (request #1)" in claimed.all_text()

    second = await _press(slack, in_desk, ActionId.CLAIM_ALERT)
    assert slack.fake.response_posts(second)[-1]["text"] == (
        f"<@{ADMIN}> has this one already. Thank you for checking."
    )
    assert f"<@{ADMIN}> is on it" in slack.channel_screen(DESK, copies[DESK], ADMIN).all_text()
    claims = [(e, a) for e, a, _ in await _audit(slack) if e == "alert.claimed"]
    assert claims == [("alert.claimed", ADMIN)]


async def _done(slack: SlackDriver) -> Screen:
    """A request approved by one admin and carried out; the employee's DM saying so."""
    card = await _request(slack)
    await _press(slack, card, ActionId.APPROVE)
    done = slack.dm_screen()
    assert ActionId.NOT_ME in done.action_ids()
    return done


async def test_this_wasnt_me_says_what_to_do_now_and_its_button_goes(slack: SlackDriver) -> None:
    done = await _done(slack)
    await _press(slack, done, ActionId.NOT_ME)
    reply = slack.dm_screen().all_text()
    assert "IT security has been alerted about request #1" in reply
    assert f"*Change your password now*: open <{SETTINGS_URL}|your security info>" in reply
    assert "Someone from the IT help desk will contact you" in reply
    updated = slack.channel_screen(done.channel, done.ts or "", "U1")
    assert ActionId.NOT_ME not in updated.action_ids()
    assert "What changed" in updated.all_text()
    assert "You reported this as not you" in updated.all_text()
    assert "press *This wasn't me* at once" not in updated.all_text()

    [(channel, ts), _] = sorted(_alerts(slack, "did NOT ask for request #1"))
    assert slack.channel_screen(channel, ts, ADMIN).action_ids() == [ActionId.CLAIM_ALERT]

    # The old message pressed again: said politely, reported once.
    await _press(slack, done, ActionId.NOT_ME)
    assert "You reported request #1 already, thank you" in slack.dm_screen().all_text()
    events = [event for event, _, _ in await _audit(slack)]
    assert events.count("request.reported_not_me") == 1
    assert len(_alerts(slack, "did NOT ask for request #1")) == 2


@pytest.mark.parametrize("tap", [True, False])
async def test_a_later_request_names_the_report_and_a_pass_needs_two_admins(
    slack: SlackDriver, tap: bool
) -> None:
    await _press(slack, await _done(slack), ActionId.NOT_ME)
    card = await _request(slack)
    top = card.blocks[1]["text"]["text"]
    assert top == (
        ":rotating_light: *Reported request #1 as not them*. A temporary access pass needs two "
        "different admins."
    )
    chosen = ["issue_tap"] if tap else ["delete_app_passwords"]
    await slack.click(card, ActionId.APPROVE, user=ADMIN, selected=chosen)
    await slack.settle()
    after_one = _card(slack).all_text()
    if not tap:  # one admin is enough for anything but a pass
        assert f"*Done* by <@{ADMIN}>" in after_one
        return
    assert "1 of 2 approvals" in after_one
    _, url = await slack.click(_card(slack), ActionId.APPROVE, user=ADMIN, selected=chosen)
    await slack.settle()
    assert "second, different admin" in slack.fake.response_posts(url)[-1]["text"]
    await slack.click(_card(slack), ActionId.APPROVE, user=ADMIN2, selected=chosen)
    await slack.settle()
    assert f"*Done* by <@{ADMIN}> and <@{ADMIN2}>" in _card(slack).all_text()
    created = [d for e, _, d in await _audit(slack) if e == "request.created"]
    assert created[-1]["reported_before"] == 1
