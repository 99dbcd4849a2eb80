"""With IDENTITY_PROVIDER=manual the admin gets the portal steps and a Done button per action."""

from __future__ import annotations

from typing import Any

import pytest

from handlers.ids import ActionId
from tests.driver import SlackDriver
from tests.fakes.slack import FakeSlack
from tests.scenario.test_helpdesk import (
    ADMIN,
    ADMIN2,
    DESK,
    STRANGER,
    _audit,
    _card,
    _dms,
    _request,
)


@pytest.fixture
def bot_env(bot_env: dict[str, Any], fake_slack: FakeSlack) -> dict[str, Any]:
    """A help desk whose actions are done by hand in the Entra admin center."""
    fake_slack.add_user(STRANGER, "Sam Stranger", "sam@example.com")
    return {**bot_env, "helpdesk_channel": DESK, "it_admin_users": f"{ADMIN},{ADMIN2}"}


async def test_each_action_waits_for_its_done_button(slack: SlackDriver) -> None:
    card = await _request(slack)
    # Manual asks no directory: the lists alone decide, and the card says so (one approver).
    assert (
        "Not privileged: on no privileged list; directory roles not checked (manual provider)."
        in (card.all_text())
    )
    await slack.click(
        card, ActionId.APPROVE, user=ADMIN, selected=["clear_mfa", "delete_app_passwords"]
    )
    await slack.settle()
    waiting = _card(slack)
    text = waiting.all_text()
    assert "Require re-register multifactor authentication" in text
    assert "Delete all existing app passwords" in text
    assert "Revoke sessions" in text  # added to the clear, though not ticked
    assert "https://entra.microsoft.com/" in str(waiting.blocks)
    done_buttons = [a for a in waiting.action_ids() if a.startswith(ActionId.MANUAL_DONE)]
    assert len(done_buttons) == 3
    assert not any("is done" in dm for dm in _dms(slack))

    _, url = await slack.click(waiting, done_buttons[0], user=STRANGER)
    await slack.settle()
    assert "Only IT admins" in slack.fake.response_posts(url)[-1]["text"]
    assert ("decision.refused", STRANGER, {"reason": "not_an_admin"}) in await _audit(slack)

    await slack.click(waiting, done_buttons[0], user=ADMIN2)
    await slack.settle()
    half = _card(slack)
    assert "Marked done by <@UADMIN2>" in half.all_text()
    assert len([a for a in half.action_ids() if a.startswith(ActionId.MANUAL_DONE)]) == 2
    await slack.click(waiting, done_buttons[0], user=ADMIN)  # a stale second click changes nothing
    await slack.settle()
    assert "Marked done by <@UADMIN2>" in _card(slack).all_text()
    await slack.click(half, done_buttons[1], user=ADMIN)
    await slack.click(half, done_buttons[2], user=ADMIN)
    await slack.settle()
    assert "*Done*" in _card(slack).all_text()
    assert sum("is done" in dm for dm in _dms(slack)) == 1
    events = [(event, actor) for event, actor, _ in await _audit(slack)]
    assert events.count(("action.done", ADMIN2)) == 1
    assert events.count(("action.done", ADMIN)) == 2
    assert events[-2:] == [("request.done", "system"), ("notice.skipped", "system")]
