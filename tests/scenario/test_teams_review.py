"""The Teams help-desk buttons under a forged or misplaced click: the request card for an IT admin
in the help-desk channel only, each button answered only where its card lives, an invoke no card
of ours sends answered 400, and a manual step's Done answered with the step's own request."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from teams.ids import InputId, Verb
from tests.scenario.teams_flows import ADMIN, audit, request
from tests.teams_driver import TeamsDriver

# -- 3. an invoke no card of ours sends ----------------------------------------------------

NOT_OURS: list[tuple[str, dict[str, Any]]] = [
    ("mfa-nope", {}),
    ("mfa-", {"request": 1}),
    ("mfa-desk-nope", {"request": 1}),
    ("mfa-" + "x" * 5000, {}),
    (Verb.APPROVE, {"request": "9" * 5000}),
    (Verb.APPROVE, {"request": 10**40}),
    (Verb.APPROVE, {"request": 1.5}),
    (Verb.DENY_CONFIRM, {"request": 1, InputId.DENY_REASON.value: "x" * 100_000}),
    (Verb.MANUAL_DONE, {"request": 1, "item": {"id": 1}}),
    (Verb.TOPIC, {"topic": ["lost-phone"]}),
]


async def test_an_invoke_no_card_of_ours_sends_is_answered_400_and_changes_nothing(
    installed: TeamsDriver, caplog: pytest.LogCaptureFixture
) -> None:
    teams = installed
    card = await request(teams)
    before = await audit(teams.runtime)
    caplog.set_level(logging.INFO)
    for verb, data in NOT_OURS:
        answer = await teams.send(card, verb, data, ADMIN)
        assert answer.status == 400, (verb[:20], answer.reply)
        assert answer.reply is not None
        assert "not an action of this bot" in answer.reply.body
    await teams.settle()
    assert await audit(teams.runtime) == before
    assert teams.current(card).card == card.card
    refused = [r for r in caplog.records if "not ours" in r.getMessage()]
    assert len(refused) == len(NOT_OURS)
    assert all(len(r.getMessage()) < 300 for r in refused)  # a value is never logged whole
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
