"""The admin's day in Slack: no code asked in vain, the code's recap, every approver on the card,
"I'm on it", a question to the requester and its answer, and the card's words."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.crypto import new_key
from handlers.ids import ActionId, FieldId, ViewId
from tests.conftest import FixedClock
from tests.driver import Screen, SlackDriver
from tests.fakes.slack import FakeSlack
from tests.scenario.test_helpdesk import ADMIN, ADMIN2, DESK, _audit, _card, _request, _thread
from tests.scenario.test_stepup import _enroll

PRIVILEGED = "UVIP"


@pytest.fixture
def bot_env(bot_env: dict[str, Any], fake_slack: FakeSlack) -> dict[str, Any]:
    """Two admins who confirm with their authenticator; one privileged employee."""
    fake_slack.add_user(ADMIN, "Ines Admin", "ines@example.com")
    fake_slack.add_user(ADMIN2, "Omar Admin", "omar@example.com")
    fake_slack.add_user(PRIVILEGED, "Vera Vip", "vera@example.com")
    return {
        **bot_env,
        "helpdesk_channel": DESK,
        "it_admin_users": f"{ADMIN},{ADMIN2}",
        "privileged_users": PRIVILEGED,
        "identity_provider": "demo",
        "stepup_required": True,
        "stepup_key": new_key(),
    }


def _opened(slack: SlackDriver, before: int) -> list[dict[str, Any]]:
    """The modals the bot opened since `before` views.open calls."""
    views = [call.params["view"] for call in slack.fake.calls_to("views.open")[before:]]
    return [json.loads(v) if isinstance(v, str) else v for v in views]


def _has_code_input(view: dict[str, Any]) -> bool:
    return FieldId.CODE.value in json.dumps(view)


async def _press(
    slack: SlackDriver, action: str, user: str, selected: list[str] | None = None
) -> dict[str, Any]:
    """Press a button on the newest card; the one modal that opened."""
    before = len(slack.fake.calls_to("views.open"))
    await slack.click(_card(slack), action, user=user, selected=selected)
    await slack.settle()
    [modal] = _opened(slack, before)
    return modal


async def test_an_approval_that_cannot_count_asks_for_no_code(
    slack: SlackDriver, clock: FixedClock
) -> None:
    first = await _enroll(slack, clock, ADMIN)
    await _request(slack, user=PRIVILEGED)
    modal = await _press(slack, ActionId.APPROVE, ADMIN, ["clear_mfa"])
    await slack.submit(modal, {FieldId.CODE: first.at(clock.now())}, user=ADMIN)
    await slack.settle()
    assert "1 of 2 approvals" in _card(slack).all_text()

    again = await _press(slack, ActionId.APPROVE, ADMIN, ["clear_mfa"])
    assert not _has_code_input(again)
    assert again.get("callback_id") != ViewId.STEPUP
    assert "second, different admin" in json.dumps(again)
    assert ("decision.refused", ADMIN, {"reason": "same_approver"}) in await _audit(slack)


async def test_a_request_decided_meanwhile_or_ones_own_asks_for_no_code(
    slack: SlackDriver, clock: FixedClock
) -> None:
    await _enroll(slack, clock, ADMIN)
    await _enroll(slack, clock, ADMIN2)
    await _request(slack, user=ADMIN2)
    own = await _press(slack, ActionId.APPROVE, ADMIN2, ["clear_mfa"])
    assert not _has_code_input(own)
    assert "your own request" in json.dumps(own)

    stale = _card(slack)
    await slack.click(stale, ActionId.DENY, user=ADMIN)
    await slack.settle()
    deny = _opened(slack, len(slack.fake.calls_to("views.open")) - 1)[0]
    await slack.submit(deny, {FieldId.DENY_REASON: "Call us"}, user=ADMIN)
    await slack.settle()
    before = len(slack.fake.calls_to("views.open"))
    await slack.click(stale, ActionId.APPROVE, user=ADMIN, selected=["clear_mfa"])
    await slack.settle()
    [late] = _opened(slack, before)
    assert not _has_code_input(late)
    assert "already denied" in json.dumps(late)


async def test_the_code_dialog_recaps_whose_request_and_what_runs(
    slack: SlackDriver, clock: FixedClock
) -> None:
    await _enroll(slack, clock, ADMIN)
    await _request(slack)
    modal = await _press(slack, ActionId.APPROVE, ADMIN, ["clear_mfa"])
    assert modal["callback_id"] == ViewId.STEPUP
    recap = modal["blocks"][0]["text"]["text"]
    assert "*Approve request #1* of <@U1>" in recap
    # What was ticked, and the revocation every clear adds.
    assert "• Clear MFA settings" in recap
    assert "• Revoke remembered devices and sign-in sessions" in recap
    assert "Delete app passwords" not in recap
    assert recap.index("<@U1>") < recap.index("Enter the current code")


async def test_the_status_line_names_both_approvers(slack: SlackDriver, clock: FixedClock) -> None:
    first = await _enroll(slack, clock, ADMIN)
    second = await _enroll(slack, clock, ADMIN2)
    await _request(slack, user=PRIVILEGED)
    modal = await _press(slack, ActionId.APPROVE, ADMIN, ["clear_mfa"])
    await slack.submit(modal, {FieldId.CODE: first.at(clock.now())}, user=ADMIN)
    await slack.settle()
    assert "*1 of 2 approvals*: <@UADMIN1> approved" in _card(slack).all_text()
    modal = await _press(slack, ActionId.APPROVE, ADMIN2, ["clear_mfa"])
    await slack.submit(modal, {FieldId.CODE: second.at(clock.now())}, user=ADMIN2)
    await slack.settle()
    assert "*Done* by <@UADMIN1> and <@UADMIN2>" in _card(slack).all_text()


async def test_im_on_it_shows_who_calls_back_and_a_second_admin_is_told(
    slack: SlackDriver,
) -> None:
    card = await _request(slack)
    assert ActionId.ON_IT in card.action_ids()
    reply, _ = await slack.click(card, ActionId.ON_IT, user=ADMIN)
    assert reply.status == 200
    await slack.settle()
    taken = _card(slack)
    assert "<@UADMIN1> is calling the employee back" in taken.all_text()
    assert ActionId.ON_IT not in taken.action_ids()
    assert ActionId.APPROVE in taken.action_ids()
    assert any("Calling the employee back by <@UADMIN1>" in line for line in _thread(slack))

    _, url = await slack.click(card, ActionId.ON_IT, user=ADMIN2)  # the card as it was
    await slack.settle()
    told = slack.fake.response_posts(url)[-1]["text"]
    assert "<@UADMIN1> is already calling the employee back" in told
    _, url = await slack.click(card, ActionId.ON_IT, user=ADMIN)
    await slack.settle()
    assert "You are on request #1 already" in slack.fake.response_posts(url)[-1]["text"]
    audit = await _audit(slack)
    assert [a for e, a, _ in audit if e == "request.callback"] == [ADMIN]
    assert ("decision.refused", ADMIN2, {"reason": "callback_taken"}) in audit


async def test_only_an_admin_is_on_it(slack: SlackDriver) -> None:
    card = await _request(slack)
    _, url = await slack.click(card, ActionId.ON_IT, user="U1")
    await slack.settle()
    assert "Only IT admins" in slack.fake.response_posts(url)[-1]["text"]
    assert ActionId.ON_IT in _card(slack).action_ids()


async def test_ask_the_requester_and_the_answer_lands_in_the_cards_thread(
    slack: SlackDriver,
) -> None:
    await _request(slack)
    modal = await _press(slack, ActionId.ASK, ADMIN)
    assert modal["callback_id"] == ViewId.ASK
    empty = await slack.submit(modal, {FieldId.QUESTION: "  "}, user=ADMIN)
    assert FieldId.QUESTION in empty.json()["errors"]
    question = "<!channel> When did you last *see* the phone?"
    reply = await slack.submit(modal, {FieldId.QUESTION: question}, user=ADMIN)
    assert reply.status == 200
    await slack.settle()

    dm = slack.dm_screen("U1")
    text = dm.all_text()
    assert "IT has a question about your request #1" in text
    assert "&lt;!channel&gt; When did you last" in text
    assert "<!channel>" not in json.dumps(dm.blocks)
    assert any("<@UADMIN1> asked the employee: &lt;!channel&gt;" in t for t in _thread(slack))

    before = len(slack.fake.calls_to("views.open"))
    await slack.click(dm, ActionId.ANSWER, user="U1")
    await slack.settle()
    [answer_form] = _opened(slack, before)
    assert answer_form["callback_id"] == ViewId.ANSWER
    sent = await slack.submit(answer_form, {FieldId.ANSWER: "Yesterday, ask <@U999>"}, user="U1")
    assert sent.json()["response_action"] == "update"
    assert "your answer is with IT" in json.dumps(sent.json()["view"])
    await slack.settle()
    assert ":speech_balloon: <@U1> answered: Yesterday, ask &lt;@U999&gt;" in _thread(slack)
    done = slack.channel_screen(dm.channel, dm.ts or "", "U1")  # the question's DM, updated
    assert ActionId.ANSWER not in done.action_ids()
    assert "*You answered:* Yesterday, ask &lt;@U999&gt;" in done.all_text()
    audit = await _audit(slack)
    assert ("request.question_asked", ADMIN, {"length": len(question)}) in audit
    assert ("request.question_answered", "U1", {"length": 22}) in audit
    assert question not in json.dumps(audit)


async def test_only_the_requester_answers_and_only_admins_ask(slack: SlackDriver) -> None:
    await _request(slack)
    refused = await _press(slack, ActionId.ASK, "USTRANGER")
    assert refused.get("callback_id") != ViewId.ASK
    assert "Only IT admins" in json.dumps(refused)
    modal = await _press(slack, ActionId.ASK, ADMIN)
    await slack.submit(modal, {FieldId.QUESTION: "Which phone?"}, user=ADMIN)
    await slack.settle()
    dm = slack.dm_screen("U1")
    await slack.click(dm, ActionId.ANSWER, user="U1")
    await slack.settle()
    form = slack.opened_view()
    await slack.submit(form, {FieldId.ANSWER: "not mine to answer"}, user="USTRANGER")
    await slack.settle()
    assert not any("not mine to answer" in line for line in _thread(slack))
    assert ("decision.refused", "USTRANGER", {"reason": "not_requester"}) in await _audit(slack)


async def test_the_card_names_its_topic_once(slack: SlackDriver) -> None:
    card = await _request(slack, **{FieldId.DESCRIPTION: "Dropped it in the lake"})
    assert card.all_text().count("I lost my phone or got a new number") == 1


async def _home(slack: SlackDriver, user: str) -> Screen:
    """Open the Home tab as `user`; what the bot published there."""
    event = {"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"}
    reply = await slack.event({**event, "event_ts": "1.0"})
    assert reply.status == 200
    await slack.settle()
    view = slack.fake.home_views[user]
    return Screen(view["blocks"], "", user, "", ephemeral=False, home=True)


async def test_home_shows_the_employee_their_open_request(slack: SlackDriver) -> None:
    before = (await _home(slack, "U1")).all_text()
    assert "Your request" not in before
    await _request(slack)
    mine = (await _home(slack, "U1")).all_text()
    assert "*Your request #1*: I lost my phone or got a new number" in mine
    assert "Waiting for a decision, sent" in mine
    assert "in progress" not in mine  # the queue is for admins


async def test_home_shows_an_admin_the_queue_oldest_first_with_links(slack: SlackDriver) -> None:
    assert "No requests are waiting" in (await _home(slack, ADMIN)).all_text()
    slack.fake.add_user("U2", "Bo Worker", "bo@example.com")
    await _request(slack, user="U1")
    await _request(slack, user="U2")
    await slack.click(_card(slack), ActionId.ON_IT, user=ADMIN)  # not a decision: still waiting
    await slack.settle()
    text = (await _home(slack, ADMIN)).all_text()
    assert "*2 requests in progress*" in text
    assert "2 waiting for a decision" in text
    first, second = text.index("#1 I lost"), text.index("#2 I lost")
    assert first < second
    cards = sorted(ts for (c, ts), m in slack.fake.messages.items() if c == DESK and m["blocks"])
    assert f"<https://fake.slack.test/archives/{DESK}/p{cards[0]}|#1 I lost" in text


async def test_a_topic_pressed_on_home_says_where_the_walk_went(slack: SlackDriver) -> None:
    home = await _home(slack, "U1")
    await slack.click(home, f"{ActionId.TOPIC}app-passwords")
    await slack.settle()
    assert "Check the app password" in slack.dm_screen("U1").all_text()
    again = Screen(slack.fake.home_views["U1"]["blocks"], "", "U1", "", False, home=True)
    said = again.all_text()
    opened = "I opened *App passwords are not working* in <https://fake.slack.test/archives/D1/"
    assert opened in said
    assert "|our direct messages>" in said


async def test_a_question_that_cannot_reach_the_employee_tells_the_admin(
    slack: SlackDriver,
) -> None:
    await _request(slack)
    modal = await _press(slack, ActionId.ASK, ADMIN)
    slack.fake.fail_next("chat.postMessage", 200, error="cannot_dm_bot")
    await slack.submit(modal, {FieldId.QUESTION: "Which phone?"}, user=ADMIN)
    await slack.settle()
    told = [c.params for c in slack.fake.calls_to("chat.postEphemeral")]
    assert [(t["channel"], t["user"]) for t in told] == [(DESK, ADMIN)]
    assert "couldn't reach the employee in chat" in told[0]["text"]
    assert not any("asked the employee" in line for line in _thread(slack))
    audit = await _audit(slack)
    assert ("decision.refused", ADMIN, {"reason": "unreachable"}) in audit
    assert "request.question_asked" not in [e for e, _, _ in audit]
