"""Shutting down hands back the card postings this replica holds, so another one posts them."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import text as sql

from handlers.ids import ActionId, FieldId
from tests.driver import SlackDriver
from tests.scenario.test_helpdesk import GUID, _to_contact_it, bot_env

__all__ = ["bot_env"]  # the help desk of the scenario tests


async def _claim(slack: SlackDriver) -> tuple[object, object] | None:
    async with slack.runtime.engine.connect() as conn:
        row = (
            await conn.execute(sql("SELECT announce_started_at, message_ts FROM help_requests"))
        ).first()
    return None if row is None else (row[0], row[1])


async def test_a_card_being_posted_at_shutdown_is_handed_back(slack: SlackDriver) -> None:
    step = await _to_contact_it(slack)
    await slack.click(step, ActionId.CONTACT_IT)
    await slack.settle()
    slack.fake.delay_s = 3.0  # Slack is slow: the card is still being posted at shutdown
    form = {
        FieldId.LOST: "yes",
        FieldId.REMAINING: "none",
        FieldId.CORRELATION: GUID,
        FieldId.CONTACT: "+1 555 0101",
    }
    asked = len(slack.fake.calls_to("users.info"))
    reply = await slack.submit(slack.opened_view(), form)
    assert reply.status == 200
    deadline = time.monotonic() + 10
    # The card's posting starts with the requester's profile: wait until that is in flight.
    while len(slack.fake.calls_to("users.info")) == asked:
        assert time.monotonic() < deadline, "the card's posting did not start"
        await asyncio.sleep(0.05)
    claim = await _claim(slack)
    assert claim is not None
    assert claim[0] is not None  # claimed by this replica
    await slack.runtime.close(drain_timeout=0.5)
    slack.fake.delay_s = 0.0
    assert await _claim(slack) == (None, None)  # no card, and nobody holds its posting
