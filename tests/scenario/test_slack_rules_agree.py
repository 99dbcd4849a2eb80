"""The test fake Slack and the sandbox's Web API refuse the same payloads with the same answer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.webapi import WebApi
from sandbox.workspace import GENERAL, Source, Workspace
from tests.fakes.slack import FakeSlack

TOKEN = "xoxb-agree"
USER = "U0EMPLOYEE"  # in the sandbox's people; the fake is told about them too


class Slacks:
    """The fake and the sandbox side by side, each with a Web API client."""

    def __init__(self, fake: FakeSlack, workspace: Workspace, sandbox_origin: str) -> None:
        self.fake = fake
        self.workspace = workspace
        self.sandbox_origin = sandbox_origin
        self.clients = {
            "fake": AsyncWebClient(token=TOKEN, base_url=fake.base_url),
            "sandbox": AsyncWebClient(token=TOKEN, base_url=f"{sandbox_origin}/api/"),
        }

    def trigger(self, which: str) -> str:
        """A fresh trigger id from one of the two."""
        if which == "fake":
            return self.fake.new_trigger_id()
        return self.workspace.new_trigger(USER)

    def response_url(self, which: str) -> str:
        """A fresh response URL from one of the two."""
        if which == "fake":
            return self.fake.new_response_url()
        rid = self.workspace.new_response_url(Source(USER, GENERAL))
        return f"{self.sandbox_origin}/response/{rid}"


@pytest.fixture
async def slacks() -> AsyncIterator[Slacks]:
    """The fake Slack and the sandbox's Web API (alone, without the bot), each on loopback."""
    fake = FakeSlack()
    await fake.start()
    fake.add_user(USER, "Jordan Lee", "jordan.lee@example.com")
    workspace = Workspace()
    app = web.Application()
    WebApi(workspace, TOKEN, "http://127.0.0.1").add_routes(app)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield Slacks(fake, workspace, f"http://127.0.0.1:{port}")
    finally:
        await runner.cleanup()
        await fake.stop()


BROKEN_SECTION = [{"type": "section", "text": {"type": "bogus", "text": "hi"}}]
LONG_TITLE = {
    "type": "modal",
    "title": {"type": "plain_text", "text": "A title longer than 24 characters"},
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "one"}}],
}

Call = Callable[[Slacks, str], Awaitable[Any]]

CALLS: dict[str, tuple[Call, str]] = {
    "a broken section": (
        lambda s, w: s.clients[w].chat_postMessage(
            channel=GENERAL, text="x", blocks=BROKEN_SECTION
        ),
        "invalid_blocks",
    ),
    "51 blocks": (
        lambda s, w: s.clients[w].chat_postMessage(
            channel=GENERAL, text="x", blocks=[{"type": "divider"}] * 51
        ),
        "invalid_blocks",
    ),
    "blocks without a fallback": (  # api_call: chat_postMessage would only warn and send it
        lambda s, w: s.clients[w].api_call(
            "chat.postMessage", json={"channel": GENERAL, "blocks": [{"type": "divider"}]}
        ),
        "no_text",
    ),
    "an ephemeral with a duplicate action_id": (
        lambda s, w: s.clients[w].chat_postEphemeral(
            channel=GENERAL,
            user=USER,
            text="x",
            blocks=[
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "action_id": "a",
                            "text": {"type": "plain_text", "text": t},
                        }
                        for t in ("One", "Two")
                    ],
                }
            ],
        ),
        "invalid_blocks",
    ),
    "a modal title over 24": (
        lambda s, w: s.clients[w].views_open(trigger_id=s.trigger(w), view=LONG_TITLE),
        "invalid_arguments",
    ),
    "a modal published as a home tab": (
        lambda s, w: s.clients[w].views_publish(user_id=USER, view=LONG_TITLE),
        "invalid_arguments",
    ),
}


@pytest.mark.parametrize("name", list(CALLS))
async def test_both_refuse_with_the_same_answer(slacks: Slacks, name: str) -> None:
    call, error = CALLS[name]
    answers = {}
    for which in ("fake", "sandbox"):
        with pytest.raises(SlackApiError) as refused:
            await call(slacks, which)
        answers[which] = refused.value.response.data
    assert answers["fake"] == answers["sandbox"]
    assert answers["fake"]["error"] == error
    assert answers["fake"]["errors"]
    assert slacks.fake.violations  # the fake also fails the test that sent it
    slacks.fake.violations.clear()


async def test_both_refuse_a_broken_response_url_answer_alike(slacks: Slacks) -> None:
    answers = {}
    async with aiohttp.ClientSession() as http:
        for which in ("fake", "sandbox"):
            payload = {"replace_original": True, "text": "x", "blocks": BROKEN_SECTION}
            async with http.post(slacks.response_url(which), json=payload) as reply:
                answers[which] = (reply.status, await reply.json())
    assert answers["fake"] == answers["sandbox"]
    assert answers["fake"][0] == 400
    assert answers["fake"][1]["error"] == "invalid_blocks"
    slacks.fake.violations.clear()
