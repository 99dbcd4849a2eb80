"""A Contact IT request survives the bot killed right after the ack: a real process, SIGKILL."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.domain.helpdesk import ANNOUNCE_LEASE
from bot.guide import load_guide
from handlers.blocks.helpdesk import build_contact_modal
from handlers.ids import FieldId
from storage.engine import create_engine, session_factory
from storage.helpdesk import SqlRequestRepository
from tests.driver import SIGNING_SECRET, signed_headers, submission
from tests.fakes.slack import FakeSlack
from tests.processes import until_healthy

DESK = "C0DESK"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def serve_env(fake_slack: FakeSlack, database_url: str, tmp_path: Path) -> dict[str, str]:
    """`mfa-helpdesk serve` as an operator runs it, on the test's database and the fake Slack."""
    fake_slack.usergroups["S0IT"] = ["UGROUP1"]
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.base_url,
        "DATABASE_URL": database_url,
        "HELPDESK_CHANNEL": DESK,
        "IT_ADMIN_USERS": "UADMIN1",
        "IT_ADMIN_USERGROUP": "S0IT",
        "STEPUP_REQUIRED": "false",
        "HOST": "127.0.0.1",
        "PORT": str(_free_port()),
    }


@pytest.fixture
async def repo(database_url: str) -> AsyncIterator[SqlRequestRepository]:
    """The requests as the database holds them, read from the test process."""
    engine = create_engine(database_url)
    yield SqlRequestRepository(session_factory(engine))
    await engine.dispose()


async def test_a_request_acked_before_a_crash_is_kept_and_posted_after_restart(
    serve_env: dict[str, str],
    fake_slack: FakeSlack,
    repo: SqlRequestRepository,
    tmp_path: Path,
) -> None:
    url = f"http://127.0.0.1:{serve_env['PORT']}"
    view = build_contact_modal(load_guide(), "lost-phone", None).to_dict()
    body = submission(
        view,
        {FieldId.LOST: "yes", FieldId.REMAINING: "none", FieldId.CONTACT: "+1 555 0101"},
        view_id="V1",
    )

    bot = await _start(serve_env, tmp_path / "first.log")
    async with aiohttp.ClientSession() as http:
        try:
            await until_healthy(url, bot)
            # Slack hangs from now on: whatever the bot asks it after the ack never returns.
            fake_slack.hold("usergroups.users.list", "users.info", "chat.postMessage")
            async with http.post(
                f"{url}/slack/events", data=body.encode(), headers=signed_headers(body, FORM)
            ) as reply:
                assert reply.status == 200
                acked: dict[str, Any] = await reply.json()
        finally:
            bot.kill()  # SIGKILL: no shutdown, no draining, nothing more
            await bot.wait()
    fake_slack.release()

    request = await repo.get_request(1)
    assert request is not None, "the request the form was acked for was lost with the process"
    assert acked["response_action"] == "update"
    assert "Request #1 is with IT" in json.dumps(acked["view"])
    assert request.message_ts is None  # its card never reached Slack
    assert not [key for key in fake_slack.messages if key[0] == DESK]

    # The dead process had claimed the posting; a restart takes it over once that lease ran out
    # (the lease is 2 minutes: the claim is dated back rather than the test waiting for it).
    lapsed = datetime.now(UTC) - ANNOUNCE_LEASE - ANNOUNCE_LEASE
    assert request.announce_owner is not None
    # The dead process's own claim, taken again as of then (it is still theirs).
    assert await repo.claim_announcement(request.id, lapsed, lapsed, request.announce_owner)
    bot = await _start(serve_env, tmp_path / "second.log")
    async with aiohttp.ClientSession() as http:
        try:
            await until_healthy(url, bot)
            card = await _card_posted(fake_slack)
        finally:
            bot.terminate()
            await bot.wait()
    assert card["text"].startswith("Request #1: I lost my phone or got a new number")
    assert "+1 555 0101" in json.dumps(card["blocks"])
    dms = [m["text"] for (channel, _), m in fake_slack.messages.items() if channel == "D1"]
    assert dms == ["Your request #1 is with IT."]
    stored = await repo.get_request(1)
    assert stored is not None
    assert stored.message_ts is not None
    assert stored.privileged is False  # assessed before posting, with its reason
    assert stored.privileged_reason == (
        "on no privileged list; directory roles not checked (manual provider)"
    )
    events = [entry.event for entry in await repo.audit_since(datetime(2000, 1, 1, tzinfo=UTC))]
    assert events == ["request.created", "request.not_privileged"]


async def _start(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    with log.open("wb") as out:  # a file, not a pipe nobody reads, for the bot's log
        return await asyncio.create_subprocess_exec(
            str(Path(sys.executable).with_name("mfa-helpdesk")),
            "serve",
            env=env,
            cwd=env["HOME"],
            stdout=out,
            stderr=out,
        )


async def _card_posted(fake: FakeSlack) -> dict[str, Any]:
    """The request card in the help-desk channel, once posted (within 15 s)."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        cards = [
            m
            for (channel, _), m in fake.messages.items()
            if channel == DESK and not m.get("thread_ts")
        ]
        if cards:
            await asyncio.sleep(0.5)  # and the employee's confirmation after it
            return cards[0]
        await asyncio.sleep(0.05)
    raise AssertionError("the card was not posted within 15 s of the restart")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
