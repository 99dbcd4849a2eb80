"""The one place refusals, outages and listener failures become what Slack shows."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from pydantic import ValidationError
from slack_bolt.response import BoltResponse

from bot.domain.errors import NotAnAdminError, OwnRequestError, StorageUnavailableError
from bot.domain.stepup import NotEnrolledError
from handlers.payloads import DenyMeta
from handlers.refusals import answer_listener_error, answered, submitted


class Recorder:
    """Stands in for Bolt's ack, or for an Answer: records what it was called with."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    async def __call__(self, *args: Any, **kwargs: Any) -> None:
        self.calls.append({"args": args, **kwargs})


async def _refuse(error: Exception) -> None:
    raise error


async def _fine() -> None:
    return None


async def test_a_refusal_after_the_ack_is_answered_in_the_core_errors_words() -> None:
    answer = Recorder()
    await answered(_refuse(OwnRequestError("own")), answer)
    assert answer.calls == [
        {"args": ("You can't decide on your own request: another IT admin has to.",)}
    ]
    await answered(_fine(), answer)
    assert len(answer.calls) == 1


async def test_anything_but_a_refusal_after_the_ack_is_left_to_the_task_tracker() -> None:
    with pytest.raises(StorageUnavailableError):
        await answered(_refuse(StorageUnavailableError("down")), Recorder())


async def test_a_modal_refused_or_met_by_an_outage_stays_open_with_the_reason() -> None:
    ack = Recorder()
    assert not await submitted(
        ack, _refuse(NotEnrolledError("no")), field="f", undone="approved", what="a test"
    )
    assert "run `/mfa-admin enroll`" in ack.calls[-1]["errors"]["f"]
    assert not await submitted(
        ack, _refuse(StorageUnavailableError("x")), field="f", undone="approved", what="a test"
    )
    assert ack.calls[-1]["errors"] == {
        "f": "The help desk's database is not answering; nothing was approved. "
        "Try again in a minute."
    }
    assert await submitted(ack, _fine(), field="f", undone="approved", what="a test")
    assert len(ack.calls) == 2  # the listener acks a success itself


async def test_bolts_error_handler_answers_before_the_ack_and_stays_quiet_after(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    try:
        DenyMeta.model_validate_json("{}")
    except ValidationError as error:
        not_ours = error
    pending = BoltResponse(status=500)
    answer = await answer_listener_error(not_ours, {"type": "view_submission"}, pending)
    assert answer is not None
    assert answer.status == 400
    assert await answer_listener_error(not_ours, {"type": "block_actions"}, None) is None
    down = StorageUnavailableError("down")
    answer = await answer_listener_error(down, {"command": "/mfa-help"}, pending)
    assert answer is not None
    assert (answer.status, answer.body) == (
        200,
        "The help desk's database is not answering; try again in a minute.",
    )
    assert not [r for r in caplog.records if r.exc_info]
    assert await answer_listener_error(NotAnAdminError("x"), {}, pending) is None
    assert [r.levelname for r in caplog.records if r.exc_info] == ["ERROR"]
