"""A fake Slack Web API on loopback: records every call, answers like Slack, checks Block Kit."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from handlers.slack_rules import Problem, message_problems, refusal, view_problems

TEAM_ID = "T0TEAM"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
TRIGGER_TTL_S = 3.0
RESPONSE_URL_USES = 5


@dataclass
class Call:
    """One request the bot made: the method (or response URL id) and its parameters."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)  # when it arrived


@dataclass
class Workspace:
    """A workspace the app can be installed into through OAuth, and what Slack answers then."""

    team_id: str
    name: str
    bot_token: str
    bot_user_id: str
    bot_id: str
    installer: str
    enterprise_id: str | None = None
    org_wide: bool = False


@dataclass
class Injected:
    """A failure to answer the next call of a method with."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection instead of answering
    channel: str | None = None  # only a call to this channel (None: any call)


class FakeSlack:
    """The Web API methods the bot uses, plus response_url endpoints."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.violations: list[str] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.usergroups: dict[str, list[str]] = {}
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.home_views: dict[str, dict[str, Any]] = {}
        self.responses: dict[str, list[dict[str, Any]]] = {}
        self.uploads: dict[str, bytes] = {}
        self.shared_files: dict[str, str] = {}  # file id -> channel it was shared in
        self._response_uses: dict[str, int] = {}
        self._triggers: dict[str, float] = {}
        self._failures: dict[str, list[Injected]] = {}
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        self.delay_s = 0.0  # a slow Slack: every Web API answer waits this long
        self.method_delays_s: dict[str, float] = {}  # or only these methods' answers
        self._held: set[str] = set()
        self._released = asyncio.Event()
        # Slack's posting limit, when a test turns it on (`limit_posts`): per channel, the time
        # of the last post accepted, and the posts refused for coming too soon.
        self.post_interval_s: float | None = None
        self._last_post: dict[str, float] = {}
        self.too_soon: list[Call] = []
        self.posted_at: dict[tuple[str, str], float] = {}  # (channel, ts) -> when it arrived
        self.socket_acks: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._sockets: list[web.WebSocketResponse] = []
        self.socket_connected = asyncio.Event()
        # Slack OAuth: the app's credentials, the codes the consent page hands out (one use
        # each), and the bot tokens of the workspaces installed.
        self.client_id = "1111.2222"
        self.client_secret = "fake-client-secret"
        self._codes: dict[str, Workspace] = {}
        self.tokens: dict[str, Workspace] = {}
        self._token = ""
        self.revoked: list[str] = []  # tokens the bot gave back (auth.revoke)

    # -- set-up ---------------------------------------------------------------------------

    async def start(self) -> str:
        """Listen on a free loopback port; the Web API base URL."""
        app = web.Application()
        app.router.add_post("/api/{method}", self._handle_api)
        app.router.add_get("/api/{method}", self._handle_api)
        app.router.add_post("/response/{rid}", self._handle_response_url)
        app.router.add_get("/socket", self._handle_socket)
        app.router.add_post("/upload/{fid}", self._handle_upload)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.origin = f"http://127.0.0.1:{port}"
        self.base_url = f"{self.origin}/api/"
        return self.base_url

    async def stop(self) -> None:
        """Stop listening."""
        self.release()
        if self._runner is not None:
            await self._runner.cleanup()

    def add_user(self, user_id: str, name: str, email: str, **extra: Any) -> None:
        """A person users.info knows."""
        self.users[user_id] = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": name.lower().replace(" ", "."),
            "real_name": name,
            "deleted": False,
            "is_bot": False,
            "profile": {"real_name": name, "display_name": name.split()[0], "email": email},
            **extra,
        }

    def consent(self, workspace: Workspace) -> str:
        """A person of `workspace` allows the app on Slack's consent page: the one-time code
        Slack sends back to the redirect URL."""
        code = f"code-{workspace.team_id}-{next(self._ids)}"
        self._codes[code] = workspace
        return code

    def fail_next(
        self,
        method: str,
        status: int = 429,
        *,
        error: str = "ratelimited",
        retry_after: int = 1,
        channel: str | None = None,
    ) -> None:
        """Answer the next call of `method` ("response_url" for response URLs), or the next
        one to `channel` when given, with a failure."""
        headers = {"Retry-After": str(retry_after)} if status == 429 else {}
        self._failures.setdefault(method, []).append(
            Injected(status, {"ok": False, "error": error}, headers, channel=channel)
        )

    def limit_posts(self, interval_s: float = 1.0) -> None:
        """Enforce Slack's posting limit: a chat.postMessage to a channel sooner than
        `interval_s` after the last one accepted there gets 429 with Retry-After: 1, and is
        not recorded as a message."""
        self.post_interval_s = interval_s

    def hold(self, *methods: str) -> None:
        """Leave every call of these methods unanswered until `release` (a Slack that hangs)."""
        self._held.update(methods)
        self._released.clear()

    def release(self) -> None:
        """Answer the held calls, and the next ones at once."""
        self._held.clear()
        self._released.set()

    def drop_next(self, method: str) -> None:
        """Close the connection on the next call of `method` without answering it."""
        self._failures.setdefault(method, []).append(Injected(status=0, body={}, drop=True))

    def new_response_url(self) -> str:
        """A response URL as Slack puts in a command or interaction payload."""
        rid = f"R{next(self._ids)}"
        self.responses[rid] = []
        self._response_uses[rid] = 0
        return f"{self.origin}/response/{rid}"

    def new_trigger_id(self) -> str:
        """A trigger id valid for three seconds, like Slack's."""
        trigger = f"{next(self._ids)}.{int(time.time())}.trigger"
        self._triggers[trigger] = time.monotonic()
        return trigger

    # -- inspection -----------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        """Every recorded call of one method."""
        return [call for call in self.calls if call.method == method]

    def response_posts(self, response_url: str) -> list[dict[str, Any]]:
        """What the bot posted to one response URL, in order."""
        return self.responses[response_url.rsplit("/", 1)[-1]]

    # -- handlers -------------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: dict[str, Any] = dict(request.query)
        raw = await request.read()
        if raw:
            if request.content_type == "application/json":
                params.update(json.loads(raw))
            else:
                params.update(parse_qsl(raw.decode()))
        call = Call(method, params, dict(request.headers))
        self.calls.append(call)
        delay = self.method_delays_s.get(method, self.delay_s)
        if delay:
            await asyncio.sleep(delay)
        if method in self._held:
            await self._released.wait()
        auth = request.headers.get("Authorization", "")
        early = self._answered_early(call, auth)
        if early is not None:
            return early
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            self.violations.append(f"unknown method {method}")
            return web.json_response({"ok": False, "error": "unknown_method"})
        self._token = auth.removeprefix("Bearer ")  # whose call this is (handlers are sync)
        body = handler(params)
        if method == "chat.postMessage" and body.get("ok"):
            self.posted_at[(body["channel"], body["ts"])] = call.at
        return web.json_response(body)

    def _answered_early(self, call: Call, auth: str) -> web.Response | None:
        """The answer before the method runs: OAuth's exchange, a missing token, an injected
        failure, or a post that comes too soon; None when the method answers."""
        method, params = call.method, call.params
        token_kind = "xapp-" if method == "apps.connections.open" else "xoxb-"
        if method == "oauth.v2.access":
            return web.json_response(self._oauth_v2_access(auth, params))
        if not auth.startswith(f"Bearer {token_kind}"):
            return web.json_response({"ok": False, "error": "not_authed"})
        injected = self._take_failure(method, params.get("channel"))
        if injected is not None:
            return web.json_response(
                injected.body, status=injected.status, headers=injected.headers
            )
        if method == "chat.postMessage" and self._too_soon(call, params):
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"}
            )
        return None

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        rid = request.match_info["rid"]
        payload = await request.json()
        self.calls.append(Call("response_url", {"rid": rid, **payload}, dict(request.headers)))
        if rid not in self.responses:
            return web.json_response({"ok": False, "error": "invalid_url"}, status=404)
        injected = self._take_failure("response_url")
        if injected is not None and injected.drop:
            assert request.transport is not None
            request.transport.close()
            return web.Response(status=500)  # never reaches the client
        if injected is not None:
            return web.json_response(
                injected.body, status=injected.status, headers=injected.headers
            )
        self._response_uses[rid] += 1
        if self._response_uses[rid] > RESPONSE_URL_USES:
            self.violations.append(f"response URL {rid} used more than {RESPONSE_URL_USES} times")
            return web.json_response({"ok": False, "error": "used_url"}, status=404)
        refused = self._refused(message_problems(payload), f"response_url {rid}")
        if refused is not None:
            return web.json_response(refused, status=400)
        self.responses[rid].append(payload)
        return web.json_response({"ok": True})

    async def _handle_socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._sockets.append(socket)
        await socket.send_json({"type": "hello", "num_connections": 1})
        self.socket_connected.set()
        async for frame in socket:
            if frame.type == web.WSMsgType.TEXT:
                await self.socket_acks.put(json.loads(frame.data))
        self._sockets.remove(socket)
        return socket

    async def send_envelope(self, kind: str, payload: dict[str, Any]) -> str:
        """Push a Socket Mode envelope to the connected bot; its envelope_id."""
        envelope_id = f"env-{next(self._ids)}"
        await self._sockets[-1].send_json(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": kind != "events_api",
            }
        )
        return envelope_id

    async def close_sockets(self) -> None:
        """Close every Socket Mode connection."""
        for socket in list(self._sockets):
            await socket.close()

    async def _handle_upload(self, request: web.Request) -> web.Response:
        self.uploads[request.match_info["fid"]] = await request.read()
        return web.Response(text=f"OK - {len(self.uploads[request.match_info['fid']])}")

    def _too_soon(self, call: Call, params: dict[str, Any]) -> bool:
        """Under the posting limit: True (and noted) for a post that comes too soon after the
        last accepted in its channel; else the post counts as the last accepted there."""
        channel = str(params.get("channel", ""))
        if self.post_interval_s is None or not channel:
            return False
        last = self._last_post.get(channel)
        if last is not None and call.at - last < self.post_interval_s:
            self.too_soon.append(call)
            return True
        self._last_post[channel] = call.at
        return False

    def _take_failure(self, method: str, channel: str | None = None) -> Injected | None:
        queue = self._failures.get(method) or []
        for n, injected in enumerate(queue):
            if injected.channel is None or injected.channel == channel:
                return queue.pop(n)
        return None

    # -- Web API methods ------------------------------------------------------------------

    def _oauth_v2_access(self, auth: str, p: dict[str, Any]) -> dict[str, Any]:
        """The code exchanged for the workspace's bot token: the app's own credentials (HTTP
        Basic), a code handed out and never used before."""
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if auth != f"Basic {expected}":
            return {"ok": False, "error": "invalid_client_id"}
        workspace = self._codes.pop(str(p.get("code", "")), None)
        if workspace is None:
            return {"ok": False, "error": "invalid_code"}
        self.tokens[workspace.bot_token] = workspace
        enterprise = (
            {"id": workspace.enterprise_id, "name": "Org"} if workspace.enterprise_id else None
        )
        return {
            "ok": True,
            "app_id": "A0APP",
            "authed_user": {"id": workspace.installer},
            "scope": "commands,chat:write,users:read",
            "token_type": "bot",
            "access_token": workspace.bot_token,
            "bot_user_id": workspace.bot_user_id,
            "team": None
            if workspace.org_wide
            else {"id": workspace.team_id, "name": workspace.name},
            "enterprise": enterprise,
            "is_enterprise_install": workspace.org_wide,
        }

    def workspace_of(self, call: Call) -> str | None:
        """The workspace whose bot token a call was made with (None: the single-workspace one)."""
        token = call.headers.get("Authorization", "").removeprefix("Bearer ")
        known = self.tokens.get(token)
        return known.team_id if known else None

    def _m_auth_test(self, _p: dict[str, Any]) -> dict[str, Any]:
        known = self.tokens.get(self._token)
        if known is not None:
            return {
                "ok": True,
                "url": f"https://{known.name.lower()}.slack.test/",
                "team": known.name,
                "user": "mfa-helper",
                "team_id": known.team_id,
                "user_id": known.bot_user_id,
                "bot_id": known.bot_id,
                "enterprise_id": known.enterprise_id,
                "is_enterprise_install": known.org_wide,
            }
        return {
            "ok": True,
            "url": "https://fake.slack.test/",
            "team": "Fake",
            "user": "mfa-helper",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
        }

    def _m_auth_revoke(self, _p: dict[str, Any]) -> dict[str, Any]:
        self.tokens.pop(self._token, None)
        self.revoked.append(self._token)
        return {"ok": True, "revoked": True}

    def _m_apps_connections_open(self, _p: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": self.origin.replace("http://", "ws://") + "/socket"}

    def _m_files_getUploadURLExternal(self, p: dict[str, Any]) -> dict[str, Any]:
        if not p.get("filename") or not str(p.get("length", "")).isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        fid = f"F{next(self._ids)}"
        return {"ok": True, "file_id": fid, "upload_url": f"{self.origin}/upload/{fid}"}

    def _m_files_completeUploadExternal(self, p: dict[str, Any]) -> dict[str, Any]:
        raw = p.get("files") or "[]"
        listed = json.loads(raw) if isinstance(raw, str) else raw
        for item in listed:
            if item["id"] not in self.uploads:
                return {"ok": False, "error": "file_not_found"}
            self.shared_files[item["id"]] = p.get("channel_id", "")
        return {"ok": True, "files": [{"id": i["id"], "title": i.get("title")} for i in listed]}

    def _m_chat_delete(self, p: dict[str, Any]) -> dict[str, Any]:
        key = (p.get("channel", ""), p.get("ts", ""))
        if self.messages.pop(key, None) is None:
            return {"ok": False, "error": "message_not_found"}
        return {"ok": True, "channel": key[0], "ts": key[1]}

    def _m_files_delete(self, p: dict[str, Any]) -> dict[str, Any]:
        if self.uploads.pop(p.get("file", ""), None) is None:
            return {"ok": False, "error": "file_not_found"}
        self.shared_files.pop(p.get("file", ""), None)
        return {"ok": True}

    def _m_chat_getPermalink(self, p: dict[str, Any]) -> dict[str, Any]:
        key = (p.get("channel", ""), p.get("message_ts", ""))
        if key not in self.messages:
            return {"ok": False, "error": "message_not_found"}
        return {"ok": True, "permalink": f"https://fake.slack.test/archives/{key[0]}/p{key[1]}"}

    def _m_chat_postMessage(self, p: dict[str, Any]) -> dict[str, Any]:
        if not p.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        refused = self._refused(message_problems(p), "chat.postMessage")
        if refused is not None:
            return refused
        ts = f"{int(time.time())}.{next(self._ts):06d}"
        message = {
            "ts": ts,
            "text": p.get("text", ""),
            "blocks": _blocks(p),
            "thread_ts": p.get("thread_ts"),
        }
        self.messages[(p["channel"], ts)] = message
        return {"ok": True, "channel": p["channel"], "ts": ts, "message": message}

    def _m_chat_update(self, p: dict[str, Any]) -> dict[str, Any]:
        key = (p.get("channel", ""), p.get("ts", ""))
        if key not in self.messages:
            return {"ok": False, "error": "message_not_found"}
        refused = self._refused(message_problems(p), "chat.update")
        if refused is not None:
            return refused
        self.messages[key] = {"ts": key[1], "text": p.get("text", ""), "blocks": _blocks(p)}
        return {"ok": True, "channel": key[0], "ts": key[1]}

    def _m_chat_postEphemeral(self, p: dict[str, Any]) -> dict[str, Any]:
        refused = self._refused(message_problems(p), "chat.postEphemeral")
        if refused is not None:
            return refused
        return {"ok": True, "message_ts": f"{int(time.time())}.{next(self._ts):06d}"}

    def _m_conversations_open(self, p: dict[str, Any]) -> dict[str, Any]:
        users = p.get("users", "")
        if not users:
            return {"ok": False, "error": "users_list_not_supplied"}
        return {"ok": True, "channel": {"id": "D" + users.split(",")[0].lstrip("U")}}

    def _m_users_info(self, p: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(p.get("user", ""))
        return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}

    def _m_users_profile_get(self, p: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(p.get("user", ""))
        if not user:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "profile": {"fields": {}, **user["profile"]}}

    def _m_users_lookupByEmail(self, p: dict[str, Any]) -> dict[str, Any]:
        for user in self.users.values():
            if user["profile"].get("email") == p.get("email"):
                return {"ok": True, "user": user}
        return {"ok": False, "error": "users_not_found"}

    def _m_usergroups_users_list(self, p: dict[str, Any]) -> dict[str, Any]:
        group = p.get("usergroup", "")
        if group not in self.usergroups:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": self.usergroups[group]}

    def _m_views_publish(self, p: dict[str, Any]) -> dict[str, Any]:
        view = _json_field(p, "view")
        refused = self._refused(view_problems(view, "home"), "views.publish")
        if refused is not None:
            return refused
        self.home_views[p.get("user_id", "")] = view
        return {"ok": True, "view": {"id": f"V{next(self._ids)}", **view}}

    def _m_views_open(self, p: dict[str, Any]) -> dict[str, Any]:
        trigger = p.get("trigger_id", "")
        issued = self._triggers.pop(trigger, None)
        if issued is None or time.monotonic() - issued > TRIGGER_TTL_S:
            return {"ok": False, "error": "expired_trigger_id"}
        view = _json_field(p, "view")
        refused = self._refused(view_problems(view, "modal"), "views.open")
        if refused is not None:
            return refused
        return {"ok": True, "view": {"id": f"V{next(self._ids)}", **view}}

    def _m_views_update(self, p: dict[str, Any]) -> dict[str, Any]:
        view = _json_field(p, "view")
        refused = self._refused(view_problems(view), "views.update")
        if refused is not None:
            return refused
        return {"ok": True, "view": {"id": p.get("view_id", "V0"), **view}}

    _m_views_push = _m_views_open

    # -- Block Kit checks -----------------------------------------------------------------

    def _refused(self, problems: list[Problem], where: str) -> dict[str, Any] | None:
        """Slack's refusal of a payload breaking Slack's rules, noted as a violation; else None."""
        if not problems:
            return None
        self.violations.extend(f"{where}: {problem}" for problem in problems)
        return refusal(problems)


def _json_field(p: dict[str, Any], name: str) -> dict[str, Any]:
    value = p.get(name) or {}
    return json.loads(value) if isinstance(value, str) else value


def _blocks(p: dict[str, Any]) -> list[dict[str, Any]]:
    value = p.get("blocks") or []
    return json.loads(value) if isinstance(value, str) else value
