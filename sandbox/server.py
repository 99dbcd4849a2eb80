"""The sandbox: the bot plus a local page that plays Slack for it, on one port, in one process."""

from __future__ import annotations

import logging
import secrets
import socket
import tempfile
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pyotp
from aiohttp import web
from pydantic import AnyHttpUrl, BaseModel, Field, SecretStr, ValidationError

from bot.app import Runtime
from bot.crypto import SecretBox, new_key
from bot.identity.demo import DemoUser, new_demo_user
from bot.settings import IdentityProviderName, Settings
from sandbox.blockkit import render_blocks, render_mrkdwn, render_view
from sandbox.deliver import Deliverer, PageSpot, Refused
from sandbox.history import seed_history
from sandbox.webapi import WebApi
from sandbox.workspace import (
    BOT_USER_ID,
    HELPDESK,
    SECURITY,
    TEAM_ID,
    Ephemeral,
    Message,
    OpenView,
    Workspace,
    keep_newest,
    sandbox_people,
)
from storage.demo import SqlDemoStore
from storage.engine import session_factory
from storage.stepup import SqlAuthenticatorStore

log = logging.getLogger(__name__)

LONG_POLL_S = 25.0
RENDERED_KEPT = 5000
LOG_SHOWN = 120
TOTP_PERIOD_S = 30


def sandbox_settings(origin: str, database_url: str) -> Settings:
    """Settings for the sandbox; nothing in them can reach a real Slack or a real directory."""
    people = sandbox_people()
    admins = [person.id for person in people if person.role == "admin"]
    return Settings(
        slack_bot_token=SecretStr("xoxb-sandbox-" + secrets.token_hex(12)),
        slack_signing_secret=SecretStr(secrets.token_hex(16)),
        slack_app_token=None,
        slack_api_url=AnyHttpUrl(f"{origin}/api/"),
        public_url=AnyHttpUrl(origin),  # the page fetches the guide's pictures from the bot
        database_url=database_url,
        helpdesk_channel=HELPDESK,
        security_channel=SECURITY,
        it_admin_users=admins,
        it_admin_usergroup=None,
        privileged_users=[person.id for person in people if person.privileged],
        privileged_usergroup=None,
        manager_attestation=False,
        manager_profile_field=None,
        identity_provider=IdentityProviderName.DEMO,
        demo_directory_file=None,
        stepup_key=SecretStr(new_key()),
        stepup_required=True,
        migrate_on_start=True,
    )


LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
WILDCARDS = frozenset({"", "0.0.0.0", "::"})  # noqa: S104 - names, compared with --host


def bind(host: str, port: int) -> socket.socket:
    """Take the port now, so the bot's SLACK_API_URL can name it (port 0: any free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def origin_of(sock: socket.socket) -> str:
    """The address the sandbox calls itself on: the bound one, or loopback for a wildcard."""
    host, port = sock.getsockname()[:2]
    if host in WILDCARDS:
        host = "::1" if sock.family == socket.AF_INET6 else "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def temporary_database() -> tuple[str, tempfile.TemporaryDirectory[str]]:
    """A fresh SQLite database for one sandbox run (removed when the directory is cleaned up)."""
    folder = tempfile.TemporaryDirectory(prefix="mfa-helpdesk-sandbox-")
    return f"sqlite+aiosqlite:///{Path(folder.name) / 'sandbox.db'}", folder


Value = str | list[str] | None


class PageRequest(BaseModel):
    """One thing a person did on the page (each verb reads the fields it needs)."""

    user: str
    channel: str = ""
    text: str = Field(default="", max_length=40_000)
    place: PageSpot = PageSpot()
    block_id: str = ""
    action_id: str = ""
    value: Value = None
    view_id: str = ""
    id: str = ""
    state: dict[str, dict[str, Value]] = Field(default_factory=dict)


class _Names:
    """Names for mentions, from the workspace."""

    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace

    def user(self, user_id: str) -> str | None:
        return self._workspace.name_of_user(user_id)

    def channel(self, channel_id: str) -> str | None:
        return self._workspace.name_of_channel(channel_id)


@dataclass
class Sandbox:
    """A running bot and the Slack the page shows; `attach` adds the page to the bot's web app."""

    runtime: Runtime
    workspace: Workspace
    webapi: WebApi
    deliverer: Deliverer
    box: SecretBox
    directory: SqlDemoStore
    authenticators: SqlAuthenticatorStore
    _html: dict[str, tuple[int, str]] = field(default_factory=dict)

    @property
    def names(self) -> _Names:
        """Names for the mentions in what is rendered."""
        return _Names(self.workspace)

    @classmethod
    def create(cls, runtime: Runtime, origin: str) -> Sandbox:
        """Wire a workspace to the built bot (its settings come from sandbox_settings)."""
        settings = runtime.settings
        assert settings.slack_bot_token is not None
        assert settings.slack_signing_secret is not None
        workspace = Workspace()
        webapi = WebApi(workspace, settings.slack_bot_token.get_secret_value(), origin)
        deliverer = Deliverer(
            workspace,
            f"{origin}/slack/events",
            settings.slack_signing_secret.get_secret_value(),
            origin,
        )
        sessions = session_factory(runtime.engine)
        return cls(
            runtime,
            workspace,
            webapi,
            deliverer,
            settings.stepup_box(),
            SqlDemoStore(sessions),
            SqlAuthenticatorStore(sessions),
        )

    def attach(self, app: web.Application, host: str = "127.0.0.1") -> None:
        """The Web API, the page, its JSON API and its static files, on the bot's own app.

        Bound to a loopback address, the page answers only when asked by a loopback name, so a
        web site that rebinds its own name to 127.0.0.1 cannot read the workspace or the codes.
        """
        self.webapi.add_routes(app)
        if host not in WILDCARDS:
            app.middlewares.append(_page_only_by_name(LOOPBACK_NAMES | {host}))
        static = resources.files("sandbox") / "static"
        page = (static / "index.html").read_text(encoding="utf-8")

        async def index(_request: web.Request) -> web.Response:
            return web.Response(text=page, content_type="text/html")

        app.router.add_get("/", index)
        app.router.add_static("/sandbox/static", Path(str(static)))
        app.router.add_get("/sandbox/files/{fid}", self.handle_file)
        app.router.add_get("/sandbox/api/state", self.handle_state)
        app.router.add_get("/sandbox/api/directory", self.handle_directory)
        app.router.add_get("/sandbox/api/codes", self.handle_codes)
        app.router.add_post("/sandbox/api/{verb}", self.handle_post)
        app.on_shutdown.append(self._wake_pages)
        app.on_cleanup.append(self._close)

    async def _wake_pages(self, _app: web.Application) -> None:
        """Answer the pages' long polls now, so that shutting down does not wait for them."""
        self.workspace.touch()

    async def _close(self, _app: web.Application) -> None:
        await self.deliverer.close()

    async def seed(self, *, history: bool = True) -> None:
        """The people in the demo directory, both admins' authenticators set up already, and
        (unless `history` is false) a month of the help desk's history for the admins' Home."""
        now = self.runtime.deps.clock.now()
        if history:
            admins = [p.id for p in self.workspace.people.values() if p.role == "admin"]
            guide = self.runtime.deps.walks.guide
            walks, requests = await seed_history(self.runtime.engine, guide, TEAM_ID, admins, now)
            log.info("sandbox: a month of history, %d walks and %d requests", walks, requests)
        for person in self.workspace.people.values():
            known = new_demo_user(person.email, person.name)
            await self.directory.save_demo_user(
                replace(known, admin_roles=person.directory_roles), now
            )
            if person.role == "admin":
                sealed = self.box.seal(pyotp.random_base32())
                await self.authenticators.set_pending(person.id, sealed, now)
                await self.authenticators.confirm_pending(person.id, sealed, 0, now)

    # -- the page's API ---------------------------------------------------------------------------

    async def handle_state(self, request: web.Request) -> web.Response:
        """What one person sees, once something changed since `since` (a long poll)."""
        user = request.query.get("user", "")
        if user not in self.workspace.people:
            raise web.HTTPBadRequest(text="unknown user")
        try:
            since = int(request.query.get("since", "-1") or -1)
        except ValueError:
            raise web.HTTPBadRequest(text="since must be a number") from None
        version = await self.workspace.wait_past(since, LONG_POLL_S)
        return web.json_response(self.snapshot(user, version))

    async def handle_post(self, request: web.Request) -> web.Response:
        """What a person does on the page, turned into what Slack would send the bot."""
        if request.content_type != "application/json":
            raise web.HTTPUnsupportedMediaType(text="JSON only")
        try:
            asked = PageRequest.model_validate_json(await request.read())
        except ValidationError as exc:
            problems = exc.error_count()
            raise web.HTTPBadRequest(text=f"not a page request: {problems} problem(s)") from None
        user = asked.user
        if user not in self.workspace.people:
            raise web.HTTPBadRequest(text="unknown user")
        try:
            await self._perform(request.match_info["verb"], asked)
        except Refused as exc:
            return web.json_response({"ok": False, "error": str(exc)})
        return web.json_response({"ok": True})

    async def _perform(self, verb: str, asked: PageRequest) -> None:
        """Deliver one thing the person did; HTTPNotFound for a verb the page never sends."""
        deliver, user = self.deliverer, asked.user
        if verb == "send":
            await deliver.send_text(user, asked.channel, asked.text)
        elif verb == "action":
            await deliver.act(
                user, asked.place, asked.block_id, asked.action_id, asked.value, asked.state
            )
        elif verb == "submit":
            await deliver.submit(user, asked.view_id, asked.state)
        elif verb == "close":
            await deliver.close_view(user, asked.view_id)
        elif verb == "home":
            await deliver.home_opened(user)
        elif verb == "dismiss":
            self.workspace.ephemerals.pop(asked.id, None)
            self.workspace.touch()
        else:
            raise web.HTTPNotFound

    async def handle_directory(self, _request: web.Request) -> web.Response:
        """The demo directory: each person's sign-in methods, app passwords and sessions."""
        now = self.runtime.deps.clock.now()
        people = []
        for person in self.workspace.people.values():
            entry = await self.directory.get_demo_user(person.email)
            people.append(_directory_entry(person.name, person.email, entry, now))
        return web.json_response({"people": people})

    async def handle_codes(self, _request: web.Request) -> web.Response:
        """Each admin's current authenticator code (this is a sandbox: there is no phone)."""
        now = time.time()
        admins = []
        for person in self.workspace.people.values():
            if person.role != "admin":
                continue
            row = await self.authenticators.get_authenticator(person.id)
            current = row.sealed_secret if row else None
            pending = row.sealed_pending if row else None
            admins.append(
                {
                    "id": person.id,
                    "name": person.name,
                    "code": self._code(current, now),
                    "new_code": self._code(pending, now) if pending != current else None,
                }
            )
        left = TOTP_PERIOD_S - int(now) % TOTP_PERIOD_S
        return web.json_response({"admins": admins, "seconds_left": left})

    def _code(self, sealed: str | None, now: float) -> str | None:
        return pyotp.TOTP(self.box.open(sealed)).at(now) if sealed else None

    async def handle_file(self, request: web.Request) -> web.Response:
        """A file the bot uploaded, for the page's <img>."""
        stored = self.workspace.files.get(request.match_info["fid"])
        if stored is None:
            raise web.HTTPNotFound
        kind = "image/png" if stored.name.lower().endswith(".png") else "application/octet-stream"
        return web.Response(body=stored.content, content_type=kind)

    # -- rendering --------------------------------------------------------------------------------

    def snapshot(self, user: str, version: int) -> dict[str, Any]:
        """Everything one person's page shows, rendered to HTML."""
        ws = self.workspace
        conversations = ws.visible_to(user)
        messages = {c.id: self._timeline(c.id) for c in conversations}
        ephemerals = [self._ephemeral(e) for e in ws.ephemerals.values() if e.user == user]
        home = ws.homes.get(user)
        modal = ws.top_modal(user)
        return {
            "version": version,
            "people": [
                {
                    "id": p.id,
                    "name": p.name,
                    "title": p.title,
                    "role": p.role,
                    "privileged": p.privileged,
                }
                for p in ws.people.values()
            ],
            "conversations": [{"id": c.id, "name": c.name, "kind": c.kind} for c in conversations],
            "messages": messages,
            "ephemerals": ephemerals,
            "home": self._view(home) if home else None,
            "modal": self._view(modal) if modal else None,
            "log": [
                {"seq": line.seq, "at": line.at, "kind": line.kind, "text": line.text}
                for line in list(ws.log)[-LOG_SHOWN:]
            ],
        }

    def _timeline(self, channel: str) -> list[dict[str, Any]]:
        kept = self.workspace.messages[channel]
        replies: dict[str, list[dict[str, Any]]] = {}
        top: list[dict[str, Any]] = []
        for message in kept.values():
            rendered = self._message(message)
            if message.thread_ts and message.thread_ts in kept:
                replies.setdefault(message.thread_ts, []).append(rendered)
            else:
                top.append(rendered)
        for rendered in top:
            rendered["replies"] = replies.get(rendered["ts"], [])
        return top

    def _message(self, message: Message) -> dict[str, Any]:
        key = f"{message.channel}/{message.ts}"
        html = self._rendered(key, message.rev, message.text, message.blocks)
        for fid in message.files:
            stored = self.workspace.files.get(fid)
            if stored is not None:
                html += (
                    f'<figure class="sb-file"><img src="/sandbox/files/{fid}" alt="">'
                    f"<figcaption>{render_mrkdwn(stored.title, self.names)}</figcaption></figure>"
                )
        return {
            "key": key,
            "channel": message.channel,
            "ts": message.ts,
            "rev": message.rev,
            "author": message.author,
            "author_name": self.workspace.name_of_user(message.author) or message.author,
            "bot": message.author == BOT_USER_ID,
            "edited": message.edited,
            "html": html,
        }

    def _ephemeral(self, ephemeral: Ephemeral) -> dict[str, Any]:
        return {
            "key": ephemeral.id,
            "id": ephemeral.id,
            "channel": ephemeral.channel,
            "ts": ephemeral.ts,
            "rev": ephemeral.rev,
            "html": self._rendered(ephemeral.id, ephemeral.rev, ephemeral.text, ephemeral.blocks),
        }

    def _view(self, opened: OpenView) -> dict[str, Any]:
        return {
            "id": opened.id,
            "rev": opened.rev,
            "html": render_view({**opened.view, "id": opened.id}, self.names, errors=opened.errors),
        }

    def _rendered(self, key: str, rev: int, text: str, blocks: list[dict[str, Any]]) -> str:
        """A message's HTML, rendered once per revision (every page's poll shows it again)."""
        cached = self._html.get(key)
        if cached is not None and cached[0] == rev:
            return cached[1]
        if blocks:
            html = render_blocks(blocks, self.names)
        else:
            html = f'<div class="sb-text">{render_mrkdwn(text, self.names)}</div>'
        keep_newest(self._html, key, (rev, html), RENDERED_KEPT)
        return html


def _page_only_by_name(names: frozenset[str]) -> Any:
    @web.middleware
    async def check_host(request: web.Request, handler: Any) -> web.StreamResponse:
        page = request.path == "/" or request.path.startswith("/sandbox/")
        name = (request.url.host or "").strip("[]")
        if page and name not in names:
            raise web.HTTPForbidden(text="open the sandbox by its own address, such as localhost")
        response: web.StreamResponse = await handler(request)
        return response

    return check_host


def _directory_entry(
    name: str, email: str, entry: DemoUser | None, now: datetime
) -> dict[str, Any]:
    if entry is None:
        return {"name": name, "email": email, "known": False}
    tap = entry.tap_expires_at
    if tap is not None and tap.tzinfo is None:  # SQLite hands datetimes back without a zone
        tap = tap.replace(tzinfo=UTC)
    return {
        "name": name,
        "email": email,
        "known": True,
        "methods": [m.get("detail") or m.get("type") for m in entry.methods],
        "app_passwords": entry.app_passwords,
        "sessions": entry.sessions,
        "remembered_devices": entry.remembered_devices,
        "tap_active_until": tap.isoformat() if tap is not None and tap > now else None,
        "admin_roles": list(entry.admin_roles),
    }
