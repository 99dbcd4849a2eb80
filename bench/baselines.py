"""The baselines the bot is measured against, each on the same aiohttp server stack.

`bolt` is a bare Bolt AsyncApp with default settings whose listeners only ack with a static menu,
`bolt-pbr` the same with process_before_response=True, and `plain` an aiohttp handler that only
checks the signature and returns the menu: the floor any Python bot on this stack could reach.
`bolt-reply` is `bolt` whose click listener, after the ack, also sends a screen to the click's
response_url with Bolt's own `respond`: the least any app must do to answer a click, since Slack
takes no message in a click's ack.
"""

from __future__ import annotations

import json
import os
import re
import sys
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.guide import load_guide
from handlers.blocks.guide import build_menu

MENU = build_menu(load_guide())
MENU_BODY = {"text": MENU.text, "blocks": [block.to_dict() for block in MENU.blocks]}


def bolt_app(
    secret: str, api_url: str, *, process_before_response: bool, reply: bool = False
) -> web.Application:
    """A bare Bolt app: every listener acks at once; with `reply`, a click is then answered."""
    bolt = AsyncApp(
        client=AsyncWebClient(token="xoxb-bench", base_url=api_url),
        signing_secret=secret,
        process_before_response=process_before_response,
    )

    @bolt.command("/mfa-help")
    async def menu(ack: AsyncAck) -> None:
        await ack(text=MENU.text, blocks=MENU_BODY["blocks"])

    @bolt.action(re.compile(".*"))
    async def click(ack: AsyncAck, respond: AsyncRespond) -> None:
        await ack()
        if reply:
            await respond(text=MENU.text, blocks=MENU_BODY["blocks"], replace_original=True)

    @bolt.view("mfa-contact-it")
    async def submit(ack: AsyncAck) -> None:
        await ack()

    async def handle(request: web.Request) -> web.StreamResponse:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    app = web.Application()
    app.router.add_post("/slack/events", handle)
    app.router.add_get("/healthz", lambda _r: _ok())
    return app


def plain_app(secret: str) -> web.Application:
    """Signature check and the static menu, nothing else."""
    verifier = SignatureVerifier(secret)
    body = json.dumps(MENU_BODY)

    async def handle(request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        if not verifier.is_valid(
            raw,
            request.headers.get("X-Slack-Request-Timestamp", ""),
            request.headers.get("X-Slack-Signature", ""),
        ):
            return web.json_response({"error": "invalid request"}, status=401)
        if raw.startswith(b"payload="):
            return web.Response(status=200)
        return web.Response(text=body, content_type="application/json")

    app = web.Application()
    app.router.add_post("/slack/events", handle)
    app.router.add_get("/healthz", lambda _r: _ok())
    return app


async def _ok() -> web.Response:
    return web.json_response({"status": "ok"})


def main(argv: list[str]) -> None:
    """baselines.py KIND PORT, with SLACK_SIGNING_SECRET and SLACK_API_URL set."""
    kind, port = argv[0], int(argv[1])
    secret = os.environ["SLACK_SIGNING_SECRET"]
    api_url = os.environ["SLACK_API_URL"]
    apps: dict[str, Any] = {
        "bolt": lambda: bolt_app(secret, api_url, process_before_response=False),
        "bolt-pbr": lambda: bolt_app(secret, api_url, process_before_response=True),
        "bolt-reply": lambda: bolt_app(secret, api_url, process_before_response=False, reply=True),
        "plain": lambda: plain_app(secret),
    }
    web.run_app(apps[kind](), host="127.0.0.1", port=port, access_log=None, print=None)


if __name__ == "__main__":
    main(sys.argv[1:])
