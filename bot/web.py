"""The HTTP surface: POST /slack/events (signature checked, body never logged), GET /healthz."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.tasks import TaskTracker

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
MAX_BODY_BYTES = 1024 * 1024


def create_web_app(
    bolt: AsyncApp,
    signing_secret: str | None,
    database_ok: Callable[[], Awaitable[bool]],
    tasks: TaskTracker,
) -> web.Application:
    """An aiohttp application serving Slack's requests and the health check."""
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    verifier = SignatureVerifier(signing_secret) if signing_secret else None

    async def handle_slack(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        if verifier is None:
            raise web.HTTPNotFound
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        if not timestamp.isdigit() or not verifier.is_valid(body, timestamp, signature):
            log.warning("refused a request with a bad or stale signature from %s", request.remote)
            return web.json_response({"error": "invalid request"}, status=401)
        tasks.request_arrived()  # only Slack's own requests hold background work back
        bolt_request = AsyncBoltRequest(
            body=body.decode("utf-8"),
            query=request.query_string,
            headers={key: [value] for key, value in request.headers.items()},
        )
        return await to_aiohttp_response(await bolt.async_dispatch(bolt_request))

    async def handle_health(_request: web.Request) -> web.StreamResponse:
        reachable = await database_ok()
        return web.json_response(
            {"status": "ok", "database": "up" if reachable else "down", "background": tasks.pending}
        )

    app.router.add_post(EVENTS_PATH, handle_slack)
    app.router.add_get(HEALTH_PATH, handle_health)
    return app
