"""Admin step-up through Slack: enrollment in the DM, a code for every approval, lockout."""

from __future__ import annotations

import json
import re
from typing import Any

import pyotp
import pytest

from bot.crypto import new_key
from handlers.ids import ActionId, FieldId
from tests.conftest import FixedClock
from tests.driver import SlackDriver
from tests.fakes.slack import FakeSlack
from tests.scenario.test_helpdesk import ADMIN, ADMIN2, DESK, _audit, _card, _request

SECURITY = "C0SECURITY"


@pytest.fixture
def bot_env(bot_env: dict[str, Any], fake_slack: FakeSlack) -> dict[str, Any]:
    """A help desk whose admins confirm with their authenticator."""
    fake_slack.add_user(ADMIN, "Ines Admin", "ines@example.com")
    fake_slack.add_user(ADMIN2, "Omar Admin", "omar@example.com")
    return {
        **bot_env,
        "helpdesk_channel": DESK,
        "it_admin_users": f"{ADMIN},{ADMIN2}",
        "identity_provider": "demo",
        "stepup_required": True,
        "stepup_key": new_key(),
        "security_channel": SECURITY,
    }


def _view(call_params: dict[str, Any]) -> dict[str, Any]:
    view = call_params["view"]
    return json.loads(view) if isinstance(view, str) else view


async def _enroll(slack: SlackDriver, clock: FixedClock, admin: str = ADMIN) -> pyotp.TOTP:
    reply, _ = await slack.command("enroll", user=admin, command="/mfa-admin")
    assert reply.status == 200
    await slack.settle()
    dm = slack.dm_screen(admin)
    uri = re.search(r"`(otpauth://[^`]+)`", dm.all_text())
    assert uri is not None
    totp = pyotp.parse_uri(uri.group(1))
    assert isinstance(totp, pyotp.TOTP)
    assert len(totp.secret) == 32
    upload = next(iter(slack.fake.uploads.values()))
    assert upload.startswith(b"\x89PNG")
    assert list(slack.fake.shared_files.values()) == ["D" + admin.lstrip("U")]
    await slack.click(dm, ActionId.ENROLL_CONFIRM)
    await slack.settle()
    modal = slack.opened_view()
    wrong = await slack.submit(
        modal,
        {FieldId.CODE: "000000" if totp.at(clock.now()) != "000000" else "111111"},
        user=admin,
    )
    assert FieldId.CODE in wrong.json()["errors"]
    right = await slack.submit(modal, {FieldId.CODE: totp.at(clock.now())}, user=admin)
    assert right.json()["response_action"] == "update"
    assert "set up" in json.dumps(right.json()["view"])
    await slack.settle()
    assert not slack.fake.uploads  # the QR code and the message with the key are gone
    assert not any(totp.secret in json.dumps(m) for m in slack.fake.messages.values())
    clock.advance(seconds=30)
    return totp


async def _approval_modal(
    slack: SlackDriver, clock: FixedClock
) -> tuple[pyotp.TOTP, dict[str, Any]]:
    """An enrolled admin presses Approve on a new request: their authenticator, the code modal."""
    totp = await _enroll(slack, clock)
    card = await _request(slack)
    await slack.click(card, ActionId.APPROVE, user=ADMIN)
    await slack.settle()
    return totp, slack.opened_view()


async def test_enroll_then_approve_with_a_code_computed_from_the_uri(
    slack: SlackDriver, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    totp, modal = await _approval_modal(slack, clock)
    assert modal["callback_id"] == "mfa-desk-stepup"
    assert "Waiting for a decision" in _card(slack).all_text()  # nothing decided before the code
    code = totp.at(clock.now())
    reply = await slack.submit(modal, {FieldId.CODE: code}, user=ADMIN)
    assert reply.status == 200
    assert reply.body in ("", "{}")
    await slack.settle()
    assert "*Done* by <@UADMIN1>" in _card(slack).all_text()
    assert totp.secret not in caplog.text
    assert code not in caplog.text
    assert ("stepup.enrolled", ADMIN) in [(e, a) for e, a, _ in await _audit(slack)]


async def test_the_same_code_is_refused_the_second_time(
    slack: SlackDriver, clock: FixedClock
) -> None:
    totp, modal = await _approval_modal(slack, clock)
    code = totp.at(clock.now())
    await slack.submit(modal, {FieldId.CODE: code}, user=ADMIN)
    await slack.settle()
    second = await _request(slack, user="U2")
    slack.fake.add_user("U2", "Bo Worker", "bo@example.com")
    await slack.click(second, ActionId.APPROVE, user=ADMIN)
    await slack.settle()
    again = await slack.submit(slack.opened_view(), {FieldId.CODE: code}, user=ADMIN)
    assert "used already" in again.json()["errors"][FieldId.CODE]


async def test_an_admin_without_an_authenticator_is_told_how_to_enroll(slack: SlackDriver) -> None:
    card = await _request(slack)
    await slack.click(card, ActionId.APPROVE, user=ADMIN2)
    await slack.settle()
    refused = slack.opened_view()
    assert "/mfa-admin enroll" in json.dumps(refused)
    assert FieldId.CODE not in json.dumps(refused)  # no code asked for in vain
    assert "Waiting for a decision" in _card(slack).all_text()


async def test_five_wrong_codes_lock_the_admin_and_tell_the_help_desk_and_security(
    slack: SlackDriver, clock: FixedClock
) -> None:
    totp, modal = await _approval_modal(slack, clock)
    wrong = "000000" if totp.at(clock.now()) != "000000" else "111111"
    for _ in range(5):
        refused = await slack.submit(modal, {FieldId.CODE: wrong}, user=ADMIN)
        assert FieldId.CODE in refused.json()["errors"]
    await slack.settle()
    locked = await slack.submit(modal, {FieldId.CODE: totp.at(clock.now())}, user=ADMIN)
    assert "locked" in locked.json()["errors"][FieldId.CODE]
    notices = [
        c.params.get("text", "")
        for c in slack.fake.calls_to("chat.postMessage")
        if c.params.get("channel") == DESK and not c.params.get("thread_ts")
    ]
    assert any("locked for 15 minutes" in text for text in notices)
    alerts = [
        c.params.get("text", "")
        for c in slack.fake.calls_to("chat.postMessage")
        if c.params.get("channel") == SECURITY
    ]
    assert alerts == [
        f"Step-up for <@{ADMIN}> is locked for 15 minutes after five attempts without a success."
    ]
    events = [e for e, _, _ in await _audit(slack)]
    assert "stepup.locked" in events
    assert events.count("decision.refused") >= 6
    clock.advance(minutes=16)
    ok = await slack.submit(modal, {FieldId.CODE: totp.at(clock.now())}, user=ADMIN)
    assert ok.status == 200
    assert ok.body in ("", "{}")


async def test_the_fifth_wrong_code_says_locked_even_when_slack_refuses_the_alert(
    slack: SlackDriver, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    totp, modal = await _approval_modal(slack, clock)
    wrong = "000000" if totp.at(clock.now()) != "000000" else "111111"
    for _ in range(4):
        await slack.submit(modal, {FieldId.CODE: wrong}, user=ADMIN)
    await slack.settle()
    posted = len(slack.fake.calls_to("chat.postMessage"))
    slack.fake.fail_next("chat.postMessage", 503, error="service_unavailable")
    fifth = await slack.submit(modal, {FieldId.CODE: wrong}, user=ADMIN)
    assert fifth.status == 200, fifth
    assert fifth.json()["errors"][FieldId.CODE] == (
        "That code is not right: wrong code: step-up is now locked for 15 minutes."
    )
    alerts = slack.fake.calls_to("chat.postMessage")[posted:]
    # The help desk's copy was refused; security's is still posted.
    assert [c.params["channel"] for c in alerts] == [DESK, SECURITY]
    assert "locked" in alerts[1].params["text"]
    assert "stepup.locked" in [e for e, _, _ in await _audit(slack)]
    assert "could not alert the help desk to the step-up lockout" in caplog.text


async def test_replacing_an_authenticator_needs_the_current_one_and_alerts_security(
    slack: SlackDriver, clock: FixedClock
) -> None:
    old = await _enroll(slack, clock)
    await slack.command("enroll", user=ADMIN, command="/mfa-admin")
    await slack.settle()
    dm = slack.dm_screen(ADMIN)
    uri = re.search(r"`(otpauth://[^`]+)`", dm.all_text())
    assert uri is not None
    new = pyotp.parse_uri(uri.group(1))
    assert isinstance(new, pyotp.TOTP)
    await slack.click(dm, ActionId.ENROLL_CONFIRM)
    await slack.settle()
    modal = slack.opened_view()
    assert FieldId.CURRENT_CODE in json.dumps(modal)
    wrong_old = "000000" if old.at(clock.now()) != "000000" else "111111"
    refused = await slack.submit(
        modal, {FieldId.CURRENT_CODE: wrong_old, FieldId.CODE: new.at(clock.now())}, user=ADMIN
    )
    assert FieldId.CURRENT_CODE in refused.json()["errors"]
    ok = await slack.submit(
        modal,
        {FieldId.CURRENT_CODE: old.at(clock.now()), FieldId.CODE: new.at(clock.now())},
        user=ADMIN,
    )
    assert ok.json()["response_action"] == "update"
    await slack.settle()
    notices = [c.params.get("text", "") for c in slack.fake.calls_to("chat.postMessage")]
    assert any("replaced their authenticator" in text for text in notices)
    events = [e for e, _, _ in await _audit(slack)]
    assert "stepup.replaced" in events


async def test_a_code_modal_whose_metadata_names_no_channel_decides_nothing(
    slack: SlackDriver, clock: FixedClock
) -> None:
    # No channel is no place: it never skips the help-desk channel check.
    totp, modal = await _approval_modal(slack, clock)
    meta = json.loads(modal["private_metadata"])
    stripped = {**modal, "private_metadata": json.dumps({**meta, "channel_id": None})}
    reply = await slack.submit(stripped, {FieldId.CODE: totp.at(clock.now())}, user=ADMIN)
    assert reply.status == 200
    assert reply.json()["errors"][FieldId.CODE] == (
        "Requests are decided on their card in the help-desk channel."
    )
    await slack.settle()
    assert "Waiting for a decision" in _card(slack).all_text()
