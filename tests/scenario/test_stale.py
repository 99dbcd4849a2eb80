"""Nothing stale, nothing circular (issue 18), driven as Slack drives it: the employee's messages
brought up to date, one thread line per change, one message for a quick approval, the hours."""

from __future__ import annotations

import json
from typing import Any

import pytest

from handlers.ids import ActionId, FieldId
from tests.driver import Screen, SlackDriver
from tests.fakes.slack import FakeSlack
from tests.scenario.test_helpdesk import (
    ADMIN,
    ADMIN2,
    DESK,
    GUID,
    STRANGER,
    _card,
    _dms,
    _request,
    _thread,
)

HOURS = "Mon-Fri 8:00-18:00 CET"
NEW_NUMBER = "I got a new phone number, and I have no other way to sign in."


@pytest.fixture
def bot_env(bot_env: dict[str, Any], fake_slack: FakeSlack) -> dict[str, Any]:
    """The help desk of test_helpdesk, with the hours IT usually answers."""
    for user, name in ((ADMIN, "Ines Admin"), (ADMIN2, "Omar Admin"), (STRANGER, "Sam Stranger")):
        fake_slack.add_user(user, name, f"{name.split()[0].lower()}@example.com")
    return {
        **bot_env,
        "helpdesk_channel": DESK,
        "it_admin_users": f"{ADMIN},{ADMIN2}",
        "identity_provider": "demo",
        "helpdesk_hours": HOURS,
    }


def _first_dm(slack: SlackDriver) -> Screen:
    """The employee's first DM about their request ("... is with IT"), as it stands now."""
    keys = sorted(k for k in slack.fake.messages if k[0] == "D1")
    assert keys, "no DM"
    return slack.channel_screen(keys[0][0], keys[0][1], "U1")


async def _deny(slack: SlackDriver, card: Screen, reason: str) -> None:
    await slack.click(card, ActionId.DENY, user=ADMIN)
    await slack.settle()
    await slack.submit(slack.opened_view(), {FieldId.DENY_REASON: reason}, user=ADMIN)
    await slack.settle()


async def test_a_denied_request_loses_its_cancel_button_and_says_what_to_do(
    slack: SlackDriver,
) -> None:
    card = await _request(slack)
    first = _first_dm(slack)
    assert ActionId.CANCEL_REQUEST in first.action_ids()

    await _deny(slack, card, "We could not reach you")
    now = _first_dm(slack)
    assert now.ts == first.ts  # the same message, updated in place
    assert ActionId.CANCEL_REQUEST not in now.action_ids()
    assert "Now:* denied" in now.all_text()
    updates = [
        c
        for c in slack.fake.calls_to("chat.update")
        if c.params["channel"] == "D1" and c.params["ts"] == first.ts
    ]
    assert len(updates) == 1

    denial = next(dm for dm in _dms(slack) if "declined your request #1" in dm)
    assert "send a new request with more detail" in denial
    assert "Or call IT: call 555-0100 or mail it@example.com." in denial
    assert "contact IT:" not in denial  # IT just said no: not "contact IT" again


async def test_the_dm_after_a_request_says_when_it_usually_answers(slack: SlackDriver) -> None:
    await _request(slack)
    assert f"IT usually answers {HOURS}." in _first_dm(slack).all_text()


async def test_a_quick_approval_is_one_message_and_its_thread_one_line_per_change(
    slack: SlackDriver,
) -> None:
    card = await _request(slack)
    await slack.click(card, ActionId.APPROVE, user=ADMIN)
    await slack.settle()
    assert "*Done* by <@UADMIN1>" in _card(slack).all_text()

    dms = _dms(slack)
    # The confirmation (now without its Cancel button) and one message for approved and done.
    assert len(dms) == 2, dms
    assert "Now:* done" in dms[0]
    assert ActionId.CANCEL_REQUEST not in _first_dm(slack).action_ids()
    assert "is done: IT approved it and made the changes" in dms[1]
    assert "Or contact IT (call 555-0100 or mail it@example.com) at once." in dms[1]

    thread = _thread(slack)
    # Approved, done: not one line per action state. The card says it was received (the employee
    # is told before it is posted, so no line in its thread says so).
    assert len(thread) == 2, thread
    assert "Approved by <@UADMIN1>" in thread[0]
    assert thread[1].startswith(":white_check_mark: Done: Clear MFA settings")


async def test_the_guide_message_that_led_to_a_request_says_it_was_sent(
    slack: SlackDriver,
) -> None:
    _, menu = await slack.command()
    assert menu is not None
    step = await slack.click_and_see(menu, f"{ActionId.TOPIC}lost-phone")
    step = await slack.click_and_see(step, f"{ActionId.CHOICE}1")
    assert ActionId.CONTACT_IT in step.action_ids()
    _, url = await slack.click(step, ActionId.CONTACT_IT)
    await slack.settle()
    form = {FieldId.LOST: "yes", FieldId.REMAINING: "none", FieldId.CONTACT: "+1 555 0101"}
    await slack.submit(slack.opened_view(), form)
    await slack.settle()
    shown = slack.fake.response_posts(url)[-1]
    assert shown["replace_original"] is True
    assert "Request #1 sent" in json.dumps(shown)
    assert ActionId.CONTACT_IT not in json.dumps(shown)


async def test_a_guide_message_in_the_dm_is_updated_in_place_once_sent(slack: SlackDriver) -> None:
    await slack.dm("I lost my phone")
    await slack.settle()
    shown = slack.dm_screen()
    if ActionId.CHOICE + "1" not in shown.action_ids():  # the menu, or the topic opened
        shown = await slack.click_and_see(shown, f"{ActionId.TOPIC}lost-phone")
    step = await slack.click_and_see(shown, f"{ActionId.CHOICE}1")
    guide_ts = step.ts
    await slack.click(step, ActionId.CONTACT_IT)
    await slack.settle()
    form = {FieldId.LOST: "yes", FieldId.REMAINING: "none", FieldId.CONTACT: "+1 555 0101"}
    await slack.submit(slack.opened_view(), form)
    await slack.settle()
    guide = slack.channel_screen("D1", guide_ts or "", "U1")
    assert "Request #1 sent" in guide.all_text()
    assert ActionId.CONTACT_IT not in guide.action_ids()


async def test_the_form_says_what_the_walk_learned(slack: SlackDriver) -> None:
    _, menu = await slack.command()
    assert menu is not None
    step = await slack.click_and_see(menu, f"{ActionId.TOPIC}lost-phone")
    step = await slack.click_and_see(step, f"{ActionId.CHOICE}2")  # a new number
    await slack.click(step, ActionId.CONTACT_IT)
    await slack.settle()
    view = slack.opened_view()
    description = next(b for b in view["blocks"] if b.get("block_id") == FieldId.DESCRIPTION)
    assert description["element"]["initial_value"] == NEW_NUMBER
    form = {
        FieldId.LOST: "no",
        FieldId.REMAINING: "none",
        FieldId.CORRELATION: GUID,
        FieldId.CONTACT: "+1 555 0101",
    }
    await slack.submit(view, form)
    await slack.settle()
    assert NEW_NUMBER in _card(slack).all_text()


async def test_without_a_walk_choice_the_form_keeps_the_topic_title(slack: SlackDriver) -> None:
    _, menu = await slack.command()
    assert menu is not None
    step = await slack.click_and_see(menu, f"{ActionId.TOPIC}lost-phone")
    step = await slack.click_and_see(step, f"{ActionId.CHOICE}0")  # another device
    while ActionId.CONTACT_IT not in step.action_ids():
        step = await slack.click_and_see(step, ActionId.NEXT)
    await slack.click(step, ActionId.CONTACT_IT)
    await slack.settle()
    view = slack.opened_view()
    description = next(b for b in view["blocks"] if b.get("block_id") == FieldId.DESCRIPTION)
    assert description["element"]["initial_value"] == "I lost my phone or got a new number"
