"""The HTTP surface: POST /slack/events (signature checked, body never logged), Slack OAuth's
/slack/install and /slack/oauth_redirect (several workspaces), POST /api/messages (Teams, its
token checked by the Teams front end), health checks, the guide's pictures, /metrics."""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from bot import correlation
from bot.domain import workspace
from bot.guide import PICTURES_PATH
from bot.metrics import CONTENT_TYPE, Metrics
from bot.tasks import TaskTracker
from handlers.payloads import DECODED, decode
from handlers.reply import request_scope

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
INSTALL_PATH = "/slack/install"
OAUTH_REDIRECT_PATH = "/slack/oauth_redirect"
TEAMS_PATH = "/api/messages"
HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
METRICS_PATH = "/metrics"
MAX_BODY_BYTES = 1024 * 1024
# Slack's timestamps are Unix seconds (10 digits); a longer one is not Slack's, and converting a
# very long one costs the CPU an attacker wants us to spend.
MAX_TIMESTAMP_DIGITS = 12
# The payload kinds a metric's label may name; anything else is "other" (labels stay few).
SLACK_KINDS = frozenset(
    {
        "command",
        "block_actions",
        "view_submission",
        "view_closed",
        "event_callback",
        "url_verification",
        "block_suggestion",
        "shortcut",
        "message_action",
    }
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class MetricsEndpoint:
    """/metrics: the app's series, the text they render to, and the bearer token it asks for."""

    metrics: Metrics
    render: Callable[[], Awaitable[bytes]]
    token: str | None  # None: /metrics is served on a port of its own only, if at all
    own_port: bool = False  # METRICS_PORT: /metrics is not on the main listener

    def app(self) -> web.Application:
        """The metrics listener's application (METRICS_PORT): /metrics alone, with the token
        asked for when one is set."""
        app = web.Application(middlewares=[_correlated])
        app.router.add_get(METRICS_PATH, _metrics_handler(self.render, self.token))
        return app


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
    teams: Handler | None = None,
    pictures: Mapping[str, bytes] | None = None,
    metrics: MetricsEndpoint | None = None,
) -> web.Application:
    """An aiohttp application serving the health checks, Slack's requests given a secret, and
    Teams' activities given the Teams front end.

    Without a signing secret (Socket Mode, or Teams only) there is no /slack/events at all:
    nothing on HOST accepts Slack's payloads; without Teams there is no /api/messages. The
    guide's pictures (file name -> PNG) are served at /guide/pictures/<file name>. /metrics is
    served only with a token to ask for (METRICS_TOKEN).
    """
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[_correlated])

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
    meter = metrics.metrics if metrics is not None else None
    if signing_secret:
        slack = _slack_handler(bolt, SignatureVerifier(signing_secret), tasks)
        app.router.add_post(EVENTS_PATH, _measured("slack", slack, meter))
        if bolt.oauth_flow is not None:  # several workspaces: installs through Slack OAuth
            app.router.add_get(INSTALL_PATH, _oauth_handler(bolt, install=True))
            app.router.add_get(OAUTH_REDIRECT_PATH, _oauth_handler(bolt, install=False))
    if teams is not None:
        app.router.add_post(TEAMS_PATH, _measured("teams", teams, meter))
    if metrics is not None and metrics.token and not metrics.own_port:
        app.router.add_get(METRICS_PATH, _metrics_handler(metrics.render, metrics.token))
    return app


@web.middleware
async def _correlated(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Each request's work under an id of its own: a connection kept alive serves several
    requests in one task, whose context would otherwise carry the last one's id over."""
    correlation.begin()
    return await handler(request)


def _measured(front_end: str, handler: Handler, metrics: Metrics | None) -> Handler:
    """The handler with its answer counted and its time measured (and logged at DEBUG)."""

    async def measured(request: web.Request) -> web.StreamResponse:
        started = asyncio.get_running_loop().time()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as answer:  # an answer raised rather than returned
            status = answer.status
            raise
        finally:
            elapsed = asyncio.get_running_loop().time() - started
            kind = correlation.kind() or "unread"
            if metrics is not None:
                metrics.answered(front_end, kind, status, elapsed)
            log.debug("answered %s %s with %d in %.1f ms", front_end, kind, status, elapsed * 1000)

    return measured


def _metrics_handler(render: Callable[[], Awaitable[bytes]], token: str | None) -> Handler:
    """GET /metrics: 401 without the bearer token (compared in constant time) when there is
    one to ask for, else the text."""
    expected = f"Bearer {token}".encode() if token else None

    async def handle_metrics(request: web.Request) -> web.StreamResponse:
        given = request.headers.get("Authorization", "").encode("utf-8", "replace")
        if expected is not None and not hmac.compare_digest(given, expected):
            return web.json_response(
                {"error": "unauthorized"}, status=401, headers={"WWW-Authenticate": "Bearer"}
            )
        body = await render()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})

    return handle_metrics


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
        _note_slack_request(bolt_request.body)
        payload, problem = decode(bolt_request.body)
        if problem is not None:
            return _malformed(f"of the wrong shape ({problem})")
        if payload is not None:  # decoded once: the listener takes it from its context
            bolt_request.context[DECODED] = payload
        with workspace.scope(), request_scope():
            return await to_aiohttp_response(await bolt.async_dispatch(bolt_request))

    return handle_slack


def _oauth_handler(bolt: AsyncApp, *, install: bool) -> Handler:
    """GET /slack/install (a new signed state, its cookie, and the way to Slack's consent page)
    or GET /slack/oauth_redirect (the state checked and used up, the code exchanged, the
    installation stored): Bolt's OAuth flow, served by this server."""

    async def handle_oauth(request: web.Request) -> web.StreamResponse:
        flow = bolt.oauth_flow
        assert flow is not None
        bolt_request = AsyncBoltRequest(
            body="",
            query=request.query_string,
            headers={key: [value] for key, value in request.headers.items()},
        )
        if install:
            answer = await flow.handle_installation(bolt_request)
        else:
            answer = await flow.handle_callback(bolt_request)
        return await to_aiohttp_response(answer)

    return handle_oauth


def _note_slack_request(body: dict[str, Any]) -> None:
    """Log the work under the envelope's event id, and note the payload's kind for the metrics."""
    event_id = body.get("event_id")
    correlation.identify(event_id if isinstance(event_id, str) else None)
    kind = "command" if "command" in body else body.get("type")
    correlation.note_kind(kind if isinstance(kind, str) and kind in SLACK_KINDS else "other")


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
