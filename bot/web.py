"""The HTTP surface: POST /slack/events (signature checked, body never logged), POST /api/messages
(Teams, its token checked by the Teams front end), health checks, the guide's pictures."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.guide import PICTURES_PATH
from bot.tasks import TaskTracker
from handlers.payloads import DECODED, decode

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
TEAMS_PATH = "/api/messages"
HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
MAX_BODY_BYTES = 1024 * 1024
# Slack's timestamps are Unix seconds (10 digits); a longer one is not Slack's, and converting a
# very long one costs the CPU an attacker wants us to spend.
MAX_TIMESTAMP_DIGITS = 12


@dataclass(frozen=True, slots=True)
class Readiness:
    """Whether this replica should take traffic, and why not."""

    ready: bool
    database: str
    reason: str | None = None


def create_web_app(
    bolt: AsyncApp,
    signing_secret: str | None,
    database_ok: Callable[[], Awaitable[bool]],
    readiness: Callable[[], Awaitable[Readiness]],
    tasks: TaskTracker,
    teams: Callable[[web.Request], Awaitable[web.StreamResponse]] | None = None,
    pictures: Mapping[str, bytes] | None = None,
) -> web.Application:
    """An aiohttp application serving the health checks, Slack's requests given a secret, and
    Teams' activities given the Teams front end.

    Without a signing secret (Socket Mode, or Teams only) there is no /slack/events at all:
    nothing on HOST accepts Slack's payloads; without Teams there is no /api/messages. The
    guide's pictures (file name -> PNG) are served at /guide/pictures/<file name>.
    """
    app = web.Application(client_max_size=MAX_BODY_BYTES)

    async def handle_health(_request: web.Request) -> web.StreamResponse:
        reachable = await database_ok()
        return web.json_response(
            {"status": "ok", "database": "up" if reachable else "down", "background": tasks.pending}
        )

    async def handle_ready(_request: web.Request) -> web.StreamResponse:
        state = await readiness()
        body: dict[str, Any] = {
            "status": "ready" if state.ready else "not ready",
            "database": state.database,
        }
        if state.reason is not None:
            body["reason"] = state.reason
        return web.json_response(body, status=200 if state.ready else 503)

    async def handle_picture(request: web.Request) -> web.StreamResponse:
        png = (pictures or {}).get(request.match_info["name"])
        if png is None:
            return web.json_response({"error": "not found"}, status=404)
        return web.Response(
            body=png, content_type="image/png", headers={"Cache-Control": "public, max-age=86400"}
        )

    app.router.add_get(HEALTH_PATH, handle_health)
    app.router.add_get(PICTURES_PATH + "/{name}", handle_picture)
    app.router.add_get(READY_PATH, handle_ready)
    if signing_secret:
        app.router.add_post(
            EVENTS_PATH, _slack_handler(bolt, SignatureVerifier(signing_secret), tasks)
        )
    if teams is not None:
        app.router.add_post(TEAMS_PATH, teams)
    return app


def _slack_handler(
    bolt: AsyncApp, verifier: SignatureVerifier, tasks: TaskTracker
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """POST /slack/events: 413 too big, 401 unverified, 400 malformed, else Bolt's answer."""

    async def handle_slack(request: web.Request) -> web.StreamResponse:
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            log.warning("refused a body over %d bytes from %s", MAX_BODY_BYTES, request.remote)
            return web.json_response({"error": "request too large"}, status=413)
        text = _verified_text(verifier, body, request.headers)
        if text is None:
            log.warning("refused a request with a bad or stale signature from %s", request.remote)
            return web.json_response({"error": "invalid request"}, status=401)
        tasks.request_arrived()  # only Slack's own requests hold background work back
        try:
            bolt_request = AsyncBoltRequest(
                body=text,
                query=request.query_string,
                headers={key: [value] for key, value in request.headers.items()},
            )
        except Exception as exc:
            return _malformed(f"whose body does not parse ({type(exc).__name__})")
        payload, problem = decode(bolt_request.body)
        if problem is not None:
            return _malformed(f"of the wrong shape ({problem})")
        if payload is not None:  # decoded once: the listener takes it from its context
            bolt_request.context[DECODED] = payload
        return await to_aiohttp_response(await bolt.async_dispatch(bolt_request))

    return handle_slack


def _verified_text(verifier: SignatureVerifier, body: bytes, headers: Any) -> str | None:
    """The body as text when Slack's signature over it holds; None for anything else."""
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    if not (
        timestamp.isascii()
        and timestamp.isdigit()
        and len(timestamp) <= MAX_TIMESTAMP_DIGITS
        and signature.isascii()  # hmac.compare_digest refuses other text with a TypeError
    ):
        return None
    try:
        text = body.decode("utf-8")  # Slack signs text; a body that is not UTF-8 is not Slack's
    except UnicodeDecodeError:
        return None
    return text if verifier.is_valid(text, timestamp, signature) else None


def _malformed(why: str) -> web.Response:
    """400 for a correctly signed request the listeners could not read, in one log line."""
    log.warning("refused a signed request %s", why)
    return web.json_response({"error": "malformed request"}, status=400)
