"""The reset policy: two approvers for privileged people, recent resets flagged, This wasn't me."""

from __future__ import annotations

from typing import Any

import pytest

from handlers.ids import ActionId
from storage.demo import SqlDemoStore
from storage.engine import session_factory
from tests.conftest import FixedClock
from tests.driver import SlackDriver
from tests.fakes.slack import FakeSlack
from tests.scenario.test_helpdesk import (
    ADMIN,
    ADMIN2,
    DESK,
    GROUP_ADMIN,
    _audit,
    _card,
    _dms,
    _request,
)

VIP = "UVIP"
SECURITY = "C0SEC"


@pytest.fixture
def bot_env(bot_env: dict[str, Any], fake_slack: FakeSlack) -> dict[str, Any]:
    """A help desk where U1 is privileged, with a security channel."""
    fake_slack.usergroups["S0IT"] = [GROUP_ADMIN]
    return {
        **bot_env,
        "helpdesk_channel": DESK,
        "it_admin_users": f"{ADMIN},{ADMIN2}",
        "it_admin_usergroup": "S0IT",
        "identity_provider": "demo",
        "privileged_users": "U1",
        "security_channel": SECURITY,
        "manager_attestation": True,
        "manager_profile_field": "Xf01",
    }


async def test_a_privileged_person_needs_two_different_admins(slack: SlackDriver) -> None:
    card = await _request(slack)
    assert "Privileged account" in card.all_text()
    await slack.click(card, ActionId.APPROVE, user=ADMIN)
    await slack.settle()
    waiting = _card(slack)
    assert "1 of 2 approvals" in waiting.all_text()
    assert ActionId.APPROVE in waiting.action_ids()
    person = await SqlDemoStore(session_factory(slack.runtime.engine)).get_demo_user(
        "ada@example.com"
    )
    # The directory was asked about roles, but nothing was changed after one approval.
    assert person is not None
    assert len(person.methods) == 3
    _, url = await slack.click(waiting, ActionId.APPROVE, user=ADMIN)
    await slack.settle()
    assert "second, different admin" in slack.fake.response_posts(url)[-1]["text"]
    _, url = await slack.click(waiting, ActionId.APPROVE, user="U1")
    await slack.settle()
    assert "Only IT admins" in slack.fake.response_posts(url)[-1]["text"]  # the requester
    await slack.click(waiting, ActionId.APPROVE, user=ADMIN2)
    await slack.settle()
    assert "*Done* by <@UADMIN1> and <@UADMIN2>" in _card(slack).all_text()
    assert ("decision.refused", ADMIN, {"reason": "same_approver"}) in await _audit(slack)


async def test_a_second_reset_within_the_cooldown_is_flagged(
    slack: SlackDriver, clock: FixedClock
) -> None:
    card = await _request(slack)
    await slack.click(card, ActionId.APPROVE, user=ADMIN)
    await slack.settle()
    await slack.click(_card(slack), ActionId.APPROVE, user=ADMIN2)
    await slack.settle()
    clock.advance(hours=3)
    again = await _request(slack)
    assert "This person's MFA was reset" in again.all_text()
    clock.advance(hours=30)
    # (a request after the cooldown is not flagged; see the next test's first request)


async def test_this_wasnt_me_alerts_security_and_revokes_again(slack: SlackDriver) -> None:
    card = await _request(slack)
    assert "This person's MFA was reset" not in card.all_text()
    # Not a clear, which revokes the sessions itself: here they are revoked by the report only.
    chosen = ["delete_app_passwords"]
    await slack.click(card, ActionId.APPROVE, user=ADMIN, selected=chosen)
    await slack.settle()
    await slack.click(_card(slack), ActionId.APPROVE, user=GROUP_ADMIN, selected=chosen)
    await slack.settle()
    done_dm = slack.dm_screen()
    assert ActionId.NOT_ME in done_dm.action_ids()
    store = SqlDemoStore(session_factory(slack.runtime.engine))
    before = await store.get_demo_user("ada@example.com")
    assert before is not None
    assert before.sessions == 3
    await slack.click(done_dm, ActionId.NOT_ME)
    await slack.settle()
    assert "IT security has been alerted" in slack.dm_screen().all_text()
    after = await store.get_demo_user("ada@example.com")
    assert after is not None
    assert after.sessions == 0
    alerts = [
        c.params["text"]
        for c in slack.fake.calls_to("chat.postMessage")
        if c.params["channel"] in (DESK, SECURITY) and "did NOT ask" in c.params.get("text", "")
    ]
    assert len(alerts) == 2  # the help desk and the security channel
    assert "did not ask for this" in _card(slack).all_text()
    events = [(e, a) for e, a, _ in await _audit(slack)]
    assert ("request.reported_not_me", "U1") in events
    # Someone else pressing it is refused.
    _, url = await slack.click(done_dm, ActionId.NOT_ME, user=ADMIN2)
    await slack.settle()
    assert slack.fake.response_posts(url)[-1]["replace_original"] is False
    assert any("What changed" in dm for dm in _dms(slack))


@pytest.fixture
def attested(slack: SlackDriver) -> SlackDriver:
    """The employee's profile names their manager (by email)."""
    slack.fake.add_user("UMGR", "Grace Manager", "grace@example.com")
    slack.fake.users["U1"]["profile"]["fields"] = {"Xf01": {"value": "grace@example.com"}}
    return slack


@pytest.mark.parametrize("answer", ["yes", "no"])
async def test_the_manager_is_asked_and_a_no_blocks_approval(
    bot_env: dict[str, Any], attested: SlackDriver, answer: str
) -> None:
    slack = attested
    card = await _request(slack)
    question = slack.dm_screen("UMGR")
    assert "Did <@U1>" in question.all_text()
    assert "asked, no answer yet" in _card(slack).all_text()
    _, url = await slack.click(question, ActionId.MANAGER_YES, user=ADMIN)  # not the manager
    await slack.settle()
    assert slack.fake.response_posts(url)[-1]["replace_original"] is False
    button = ActionId.MANAGER_YES if answer == "yes" else ActionId.MANAGER_NO
    await slack.click(question, button, user="UMGR")
    await slack.settle()
    if answer == "yes":
        assert "confirmed the request" in _card(slack).all_text()
        return
    assert "did NOT ask" in _card(slack).all_text()
    _, url = await slack.click(card, ActionId.APPROVE, user=ADMIN)
    await slack.settle()
    assert "can't be approved" in slack.fake.response_posts(url)[-1]["text"]
    alerts = [
        c.params["channel"]
        for c in slack.fake.calls_to("chat.postMessage")
        if "did NOT ask" in c.params.get("text", "")
    ]
    assert sorted(alerts) == [DESK, SECURITY]
    events = [(e, a) for e, a, _ in await _audit(slack)]
    assert ("manager.no", "UMGR") in events
    assert ("decision.refused", ADMIN) in events
