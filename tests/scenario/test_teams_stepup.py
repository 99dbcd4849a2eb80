"""Admin step-up in Teams: enrollment in the admin's personal chat (the QR code nowhere else), the
authenticator code asked in the approve view and never echoed anywhere Teams receives."""

from __future__ import annotations

import json
import re
from typing import Any

import pyotp
import pytest

from bot.crypto import new_key
from teams.ids import InputId, Verb
from tests.conftest import FixedClock
from tests.scenario.teams_flows import (
    ADMIN,
    ADMIN2,
    EMPLOYEE,
    STRANGER,
    audit,
    everything_sent,
    menu,
    request,
    said,
)
from tests.teams_driver import CardView, TeamsDriver

CODE = InputId.CODE.value


@pytest.fixture
def teams_env(teams_env: dict[str, Any]) -> dict[str, Any]:
    """A help desk whose admins confirm with their authenticator."""
    return {**teams_env, "stepup_required": True, "stepup_key": new_key()}


def _wrong(totp: pyotp.TOTP, clock: FixedClock) -> str:
    return "000000" if totp.at(clock.now()) != "000000" else "111111"


def _appears(code: str, text: str) -> bool:
    """`code` as a value of its own in `text` (not inside a longer run of digits)."""
    return re.search(rf"(?<!\d){re.escape(code)}(?!\d)", text) is not None


async def _enroll(teams: TeamsDriver, clock: FixedClock, admin: Any = ADMIN) -> pyotp.TOTP:
    card = await menu(teams, admin, text="enroll")
    uri = re.search(r"(otpauth://totp/[^\s`*)\]\"]+)", card.all_text())
    assert uri is not None, card.all_text()
    totp = pyotp.parse_uri(uri.group(1))
    assert isinstance(totp, pyotp.TOTP)
    assert len(totp.secret) == 32
    assert "data:image/png;base64," in json.dumps(card.card)  # the QR code, in the card
    # The QR code and the key went to the admin's personal chat and nowhere else.
    for call in teams.fake.calls:
        body = json.dumps(call.body)
        if "data:image/png" in body or totp.secret in body:
            assert admin.personal_chat in call.path, call.path
    code_inputs = [i for i in card.inputs() if i == CODE]
    confirm = card if code_inputs else await teams.press(card, Verb.ENROLL_CONFIRM)
    wrong = await teams.invoke(
        confirm, Verb.ENROLL_CONFIRM, inputs={CODE: _wrong(totp, clock)}, as_client=False
    )
    assert "not right" in said(wrong)
    right = await teams.press(confirm, Verb.ENROLL_CONFIRM, inputs={CODE: totp.at(clock.now())})
    assert "set up" in right.all_text()
    assert totp.secret not in json.dumps(right.card)
    assert "data:image/png" not in json.dumps(right.card)
    # "This message and the QR code are deleted once you are set up": none is left in the chat.
    left = json.dumps([m.activity for m in teams.chat(admin)])
    assert totp.secret not in left
    assert "data:image/png" not in left
    clock.advance(seconds=30)
    return totp


async def _approve_view(teams: TeamsDriver, card: CardView, admin: Any = ADMIN) -> CardView:
    view = await teams.press(card.as_seen_by(admin), Verb.APPROVE)
    code = view.input(CODE)
    assert code["type"] == "Input.Text"
    assert str(code.get("style")).lower() == "password"
    assert not code.get("value")
    return view


async def test_enroll_then_approve_with_the_code_never_echoed(
    installed: TeamsDriver, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    teams = installed
    totp = await _enroll(teams, clock)
    card = await request(teams)
    view = await _approve_view(teams, card)
    assert "Waiting for a decision" in teams.current(card).all_text()  # nothing decided yet

    wrong = _wrong(totp, clock)
    refused = await teams.invoke(view, Verb.APPROVE_CONFIRM, inputs={CODE: wrong})
    await teams.settle()
    assert "not right" in said(refused)
    if refused.card is not None:
        assert not refused.card.input(CODE).get("value")  # asked again, the code not kept
    assert Verb.APPROVE in teams.current(card).verbs()

    code = totp.at(clock.now())
    confirmed = await teams.invoke(view, Verb.APPROVE_CONFIRM, inputs={CODE: code})
    assert confirmed.status == 200
    await teams.settle()
    assert "Done" in teams.current(card).all_text()
    sent = everything_sent(teams)
    assert not _appears(code, sent)
    assert not _appears(wrong, sent)
    assert not _appears(code, confirmed.reply.body if confirmed.reply else "")
    assert not _appears(code, caplog.text)
    assert not _appears(code, json.dumps(await audit(teams.runtime)))
    assert totp.secret not in caplog.text
    assert ("stepup.enrolled", ADMIN.aad) in [(e, a) for e, a, _ in await audit(teams.runtime)]


async def test_the_same_code_is_refused_the_second_time(
    installed: TeamsDriver, clock: FixedClock
) -> None:
    teams = installed
    totp = await _enroll(teams, clock)
    card = await request(teams)
    code = totp.at(clock.now())
    view = await _approve_view(teams, card)
    await teams.invoke(view, Verb.APPROVE_CONFIRM, inputs={CODE: code})
    await teams.settle()
    second = await request(teams, user=STRANGER)
    view = await _approve_view(teams, second)
    again = await teams.invoke(view, Verb.APPROVE_CONFIRM, inputs={CODE: code})
    await teams.settle()
    assert "used already" in said(again)
    assert Verb.APPROVE in teams.current(second).verbs()


async def test_an_admin_without_an_authenticator_is_told_how_to_enroll(
    installed: TeamsDriver,
) -> None:
    teams = installed
    card = await request(teams)
    invoked = await teams.invoke(card.as_seen_by(ADMIN2), Verb.APPROVE)
    await teams.settle()
    assert "enroll" in said(invoked)
    assert "Waiting for a decision" in teams.current(card).all_text()


async def test_a_non_admin_is_refused_before_the_code_is_asked(installed: TeamsDriver) -> None:
    teams = installed
    card = await request(teams)
    invoked = await teams.invoke(card.as_seen_by(STRANGER), Verb.APPROVE)
    await teams.settle()
    assert "Only IT admins" in said(invoked)
    assert invoked.card is None or CODE not in invoked.card.inputs()


async def test_only_an_admin_can_enroll(installed: TeamsDriver) -> None:
    teams = installed
    await teams.say("enroll", EMPLOYEE)
    everything = json.dumps([m.activity for m in teams.chat(EMPLOYEE)])
    assert "otpauth://" not in everything
    assert "data:image/png" not in everything
