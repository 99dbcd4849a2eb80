"""Microsoft's side of Teams on loopback: the OpenID metadata and signing keys, the sign-in
endpoint that issues the bot's token, and the Bot Connector v3 REST API recording every activity.

An activity whose Adaptive Card Teams would not render is refused (400) and noted in
`violations`, which fails the test at teardown, as the fake Slack does for Block Kit.
"""

from __future__ import annotations

import base64
import functools
import itertools
import json
import secrets
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

from teams.card_rules import CONTENT_TYPE, card_problems

APP_ID = "5a1e7b2c-9d3f-4e6a-8b1c-0d2e3f4a5b6c"
APP_PASSWORD = "fake-teams-app-secret"
TENANT_ID = "0c9d8e7f-6a5b-4c3d-9e2f-1a0b9c8d7e6f"
BOT_ID = f"28:{APP_ID}"
BOT_NAME = "MFA Helpdesk"
TEAM_ID = "19:Yq0QfC4mX1vL2bT8pWc0@thread.tacv2"  # a team's id is its General channel's
TEAM_NAME = "IT Help Desk"
TEAM_GROUP_ID = "e1d2c3b4-a596-4877-8695-a4b3c2d1e0f9"
DESK_CHANNEL = "19:hd7Kp2Qm4Rt6Vx8Zb0Nc@thread.tacv2"
BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
BOT_FRAMEWORK_SCOPE = "https://api.botframework.com/.default"
KEY_ID = "fake-teams-signing-key"
REGION = "amer"  # the service URL's path, as Teams' regional services have one


@functools.cache
def rsa_key(name: str) -> rsa.RSAPrivateKey:
    """An RSA key made once per test run and name (making one takes a moment)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwk(key: rsa.RSAPrivateKey, kid: str, endorsements: list[str]) -> dict[str, Any]:
    """The public half of `key` as Bot Framework publishes its keys."""
    numbers = key.public_key().public_numbers()
    return {
        "kty": "RSA",
        "use": "sig",
        "kid": kid,
        "n": _b64(numbers.n),
        "e": _b64(numbers.e),
        "endorsements": endorsements,
    }


@dataclass(frozen=True)
class TeamsUser:
    """A person in the fake tenant, as Teams knows them."""

    aad: str  # the Entra object ID (from.aadObjectId)
    name: str
    email: str

    @property
    def id(self) -> str:
        """The person's Teams id for this bot ("29:..."), stable per person."""
        return "29:1" + base64.urlsafe_b64encode(uuid.UUID(self.aad).bytes).decode().rstrip("=")

    @property
    def personal_chat(self) -> str:
        """The id of the person's 1:1 conversation with the bot."""
        return "a:1" + uuid.UUID(self.aad).hex

    def account(self) -> dict[str, Any]:
        """A TeamsChannelAccount, as GET .../members/{id} answers."""
        given, _, surname = self.name.partition(" ")
        return {
            "id": self.id,
            "name": self.name,
            "aadObjectId": self.aad,
            "email": self.email,
            "userPrincipalName": self.email,
            "givenName": given,
            "surname": surname,
            "tenantId": TENANT_ID,
            "userRole": "user",
        }


@dataclass
class Call:
    """One request the bot made to the Bot Connector."""

    method: str
    path: str  # after the service URL, e.g. v3/conversations/a:1.../activities
    body: Any
    token: str  # the bearer token it carried ("" when none)
    status: int = 0


@dataclass
class Message:
    """A message the bot posted, as it stands now (an update replaces its activity)."""

    conversation: str  # the conversation's id without ";messageid=..."
    id: str
    activity: dict[str, Any]
    thread: str | None = None  # the root message a channel reply belongs to
    versions: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False

    def cards(self) -> list[dict[str, Any]]:
        """The Adaptive Cards the message carries."""
        return [
            a["content"]
            for a in self.activity.get("attachments") or []
            if a.get("contentType") == CONTENT_TYPE
        ]


class FakeTeams:
    """OpenID metadata + JWKS, the token endpoint, and the Bot Connector, on one loopback port."""

    def __init__(
        self,
        *,
        app_id: str = APP_ID,
        password: str = APP_PASSWORD,
        tenant: str = TENANT_ID,
    ) -> None:
        self.app_id = app_id
        self.password = password
        self.tenant = tenant
        self.key = rsa_key("teams")
        self.kid = KEY_ID
        self.endorsements = ["msteams"]
        self.reads = {"metadata": 0, "keys": 0}
        self.keys_down = False
        self.tokens_issued = 0
        self.token_requests: list[dict[str, str]] = []  # each form, without the secret
        self.token_lifetime_s = 3599
        self._tokens: set[str] = set()
        self.users: dict[str, TeamsUser] = {}
        self.channels = {TEAM_ID, DESK_CHANNEL}
        # Teams lets a bot post in a team's channels only once the app is installed there.
        self.installed_in_team = False
        self.no_personal_chat: set[str] = set()  # aad ids who removed the app: no 1:1
        self.anonymous = False  # the Agents Playground's connector: no token asked
        self.calls: list[Call] = []
        self.refused: list[Call] = []  # calls answered 401 (no or a wrong token)
        self.messages: dict[tuple[str, str], Message] = {}
        self.violations: list[str] = []
        self._failures: dict[str, list[int]] = {}
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.origin = ""

    # -- set-up ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on a free loopback port."""
        app = web.Application()
        app.router.add_get("/botframework/openidconfiguration", self._metadata)
        app.router.add_get("/botframework/keys", self._keys)
        app.router.add_post("/login/{tenant}/oauth2/v2.0/token", self._token)
        app.router.add_route("*", "/{tail:.*}", self._connector)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.origin = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def metadata_url(self) -> str:
        """TEAMS_OPENID_METADATA_URL."""
        return f"{self.origin}/botframework/openidconfiguration"

    @property
    def login_url(self) -> str:
        """TEAMS_LOGIN_URL."""
        return f"{self.origin}/login"

    @property
    def service_url(self) -> str:
        """The serviceUrl Teams puts in its activities (ends with a slash, as Teams' do)."""
        return f"{self.origin}/{REGION}/"

    def add_user(self, aad: str, name: str, email: str) -> TeamsUser:
        """A person in the tenant, who has the app in personal chat."""
        user = TeamsUser(aad.lower(), name, email)
        self.users[user.aad] = user
        return user

    def jwks(self) -> dict[str, Any]:
        """The published signing keys."""
        return {"keys": [jwk(self.key, self.kid, self.endorsements)]}

    # -- inspection -----------------------------------------------------------------------

    def chat(self, user: TeamsUser) -> list[Message]:
        """What the bot posted in its 1:1 chat with a person, oldest first."""
        return self._in(user.personal_chat)

    def channel(self, channel: str = DESK_CHANNEL) -> list[Message]:
        """The root messages the bot posted in a channel, oldest first."""
        return [m for m in self._in(channel) if m.thread is None]

    def thread(self, root: Message) -> list[Message]:
        """The replies under a channel message, oldest first."""
        return [m for m in self._in(root.conversation) if m.thread == root.id]

    def sent(self) -> list[dict[str, Any]]:
        """Every activity the bot sent or updated, in order (the bodies as received)."""
        return [
            call.body.get("activity", call.body) if isinstance(call.body, dict) else call.body
            for call in self.calls
            if call.method in ("POST", "PUT") and call.status < 300
        ]

    def _in(self, conversation: str) -> list[Message]:
        found = [m for m in self.messages.values() if m.conversation == conversation]
        return [m for m in sorted(found, key=lambda m: int(m.id)) if not m.deleted]

    # -- OpenID metadata and the signing keys ----------------------------------------------

    async def _metadata(self, _request: web.Request) -> web.Response:
        self.reads["metadata"] += 1
        if self.keys_down:
            return web.Response(status=503)
        return web.json_response(
            {
                "issuer": BOT_FRAMEWORK_ISSUER,
                "authorization_endpoint": "https://invalid.botframework.test",
                "jwks_uri": f"{self.origin}/botframework/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            }
        )

    async def _keys(self, _request: web.Request) -> web.Response:
        self.reads["keys"] += 1
        if self.keys_down:
            return web.Response(status=503)
        return web.json_response(self.jwks())

    # -- the bot's own token ----------------------------------------------------------------

    async def _token(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        self.token_requests.append(
            {k: str(v) for k, v in form.items() if k != "client_secret"}
            | {"tenant": request.match_info["tenant"]}
        )
        if request.match_info["tenant"] != self.tenant:
            return _aad_error(400, "invalid_request", "AADSTS90002: Tenant not found.")
        if form.get("grant_type") != "client_credentials":
            return _aad_error(400, "unsupported_grant_type", "AADSTS70003: grant type")
        if form.get("client_id") != self.app_id:
            return _aad_error(400, "unauthorized_client", "AADSTS700016: Application not found.")
        if form.get("client_secret") != self.password:
            return _aad_error(401, "invalid_client", "AADSTS7000215: Invalid client secret.")
        if form.get("scope") != BOT_FRAMEWORK_SCOPE:
            return _aad_error(400, "invalid_scope", "AADSTS70011: The scope is not valid.")
        self.tokens_issued += 1
        token = f"fake-bf-token-{self.tokens_issued}-{secrets.token_hex(8)}"
        self._tokens.add(token)
        return web.json_response(
            {
                "token_type": "Bearer",
                "expires_in": self.token_lifetime_s,
                "ext_expires_in": self.token_lifetime_s,
                "access_token": token,
            }
        )

    def fail_next(self, operation: str, status: int = 500) -> None:
        """Answer the next `operation` ("create", "send", "reply", "update", "delete",
        "member") with `status`, as Teams does when it has trouble."""
        self._failures.setdefault(operation, []).append(status)

    def revoke_tokens(self) -> None:
        """Every token issued so far stops working (as when it has expired at Microsoft)."""
        self._tokens.clear()

    # -- the Bot Connector ----------------------------------------------------------------

    async def _connector(self, request: web.Request) -> web.Response:
        region, _, path = request.match_info["tail"].partition("/")
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        call = Call(request.method, path, body, token if scheme == "Bearer" else "")
        self.calls.append(call)
        if region != REGION:
            self.violations.append(f"a call outside the service URL: {request.method} /{region}/")
            return _connector_error(call, 404, "NotFound", "no such service")
        if call.token not in self._tokens and not (self.anonymous and not call.token):
            call.status = 401
            self.refused.append(call)
            return web.json_response({"message": "Authorization has been denied"}, status=401)
        return self._route(call, path.split("/"))

    def _route(self, call: Call, parts: list[str]) -> web.Response:
        routes = {
            ("POST", 2): ("create", self._create_conversation),
            ("POST", 4): ("send", self._send),
            ("POST", 5): ("reply", self._reply),
            ("PUT", 5): ("update", self._update),
            ("DELETE", 5): ("delete", self._delete),
            ("GET", 4): ("member", self._members),
            ("GET", 5): ("member", self._member),
        }
        route = None
        if parts[:2] == ["v3", "conversations"]:
            route = routes.get((call.method, len(parts)))
        expected = ("members", "pagedMembers") if call.method == "GET" else ("activities",)
        if route is None or (len(parts) > 3 and parts[3] not in expected):
            self.violations.append(f"unknown Bot Connector call {call.method} {call.path}")
            return _connector_error(call, 404, "NotFound", "unknown operation")
        operation, handler = route
        failures = self._failures.get(operation)
        if failures:
            status = failures.pop(0)
            headers = {"Retry-After": "1"} if status == 429 else {}
            call.status = status
            return web.json_response(
                {"error": {"code": "ServiceError", "message": "injected"}},
                status=status,
                headers=headers,
            )
        return handler(call, parts)

    def _create_conversation(self, call: Call, _parts: list[str]) -> web.Response:
        body = call.body if isinstance(call.body, dict) else {}
        channel_data = body.get("channelData") or {}
        channel = (channel_data.get("channel") or {}).get("id")
        activity = body.get("activity")
        if channel:
            if channel not in self.channels:
                return _connector_error(call, 404, "ConversationNotFound", "no such channel")
            if not self.installed_in_team:
                return _not_in_roster(call)
            if not isinstance(activity, dict):
                return _connector_error(call, 400, "BadArgument", "a channel thread needs a post")
            problem = self._refusal(call, activity, f"create in {channel}")
            if problem is not None:
                return problem
            message = self._store(channel, activity)
            call.status = 201
            return web.json_response(
                {"id": f"{channel};messageid={message.id}", "activityId": message.id}, status=201
            )
        members = body.get("members") or []
        user = self._user(str(members[0].get("id", ""))) if len(members) == 1 else None
        if user is None or user.aad in self.no_personal_chat:
            return _connector_error(call, 403, "Forbidden", "the app is not installed for them")
        tenant = (channel_data.get("tenant") or {}).get("id") or body.get("tenantId")
        if tenant != self.tenant:
            return _connector_error(call, 400, "BadArgument", "a 1:1 needs the tenant")
        answer: dict[str, Any] = {"id": user.personal_chat}
        if isinstance(activity, dict):
            problem = self._refusal(call, activity, f"create with {user.name}")
            if problem is not None:
                return problem
            answer["activityId"] = self._store(user.personal_chat, activity).id
        call.status = 201
        return web.json_response(answer, status=201)

    def _send(self, call: Call, parts: list[str]) -> web.Response:
        conversation, root = _split(parts[2])
        known = self._known(call, conversation)
        if known is not None:
            return known
        problem = self._refusal(call, call.body, f"send to {parts[2]}")
        if problem is not None:
            return problem
        reply_to = call.body.get("replyToId") if isinstance(call.body, dict) else None
        thread = None
        if conversation in self.channels:
            thread = root or self._thread_of(reply_to)
        message = self._store(conversation, call.body, thread=thread)
        call.status = 201
        return web.json_response({"id": message.id}, status=201)

    def _reply(self, call: Call, parts: list[str]) -> web.Response:
        conversation, root = _split(parts[2])
        known = self._known(call, conversation)
        if known is not None:
            return known
        problem = self._refusal(call, call.body, f"reply in {parts[2]}")
        if problem is not None:
            return problem
        thread = None
        if conversation in self.channels:
            thread = root or self._thread_of(parts[4])
        message = self._store(conversation, call.body, thread=thread)
        call.status = 201
        return web.json_response({"id": message.id}, status=201)

    def _update(self, call: Call, parts: list[str]) -> web.Response:
        conversation, _ = _split(parts[2])
        message = self.messages.get((conversation, parts[4]))
        if message is None or message.deleted:
            self.violations.append(f"update of a message that does not exist: {call.path}")
            return _connector_error(call, 404, "NotFound", "no such activity")
        problem = self._refusal(call, call.body, f"update of {parts[4]}")
        if problem is not None:
            return problem
        message.versions.append(message.activity)
        message.activity = call.body
        call.status = 200
        return web.json_response({"id": message.id})

    def _delete(self, call: Call, parts: list[str]) -> web.Response:
        conversation, _ = _split(parts[2])
        message = self.messages.get((conversation, parts[4]))
        if message is None or message.deleted:
            return _connector_error(call, 404, "NotFound", "no such activity")
        message.deleted = True
        call.status = 200
        return web.Response(status=200)

    def _members(self, call: Call, parts: list[str]) -> web.Response:
        known = self._known(call, _split(parts[2])[0])
        if known is not None:
            return known
        call.status = 200
        members = [user.account() for user in self.users.values()]
        if parts[3] == "pagedMembers":
            return web.json_response({"members": members})
        return web.json_response(members)

    def _member(self, call: Call, parts: list[str]) -> web.Response:
        known = self._known(call, _split(parts[2])[0])
        if known is not None:
            return known
        user = self._user(parts[4])
        if user is None:
            return _connector_error(call, 404, "MemberNotFoundInConversation", "not a member")
        call.status = 200
        return web.json_response(user.account())

    # -- helpers --------------------------------------------------------------------------

    def _user(self, some_id: str) -> TeamsUser | None:
        """A person by their Teams id or their Entra object ID."""
        for user in self.users.values():
            if some_id in (user.id, user.aad):
                return user
        return None

    def _known(self, call: Call, conversation: str) -> web.Response | None:
        personal = {user.personal_chat for user in self.users.values()}
        if conversation in self.channels and not self.installed_in_team:
            return _not_in_roster(call)
        blocked = {self.users[aad].personal_chat for aad in self.no_personal_chat}
        if conversation in blocked:
            return _connector_error(call, 403, "ConversationBlockedByUser", "User blocked the bot")
        if conversation in self.channels or conversation in personal:
            return None
        self.violations.append(f"a call to an unknown conversation: {call.method} {call.path}")
        return _connector_error(call, 404, "ConversationNotFound", "no such conversation")

    def _thread_of(self, activity_id: str | None) -> str | None:
        """The root of the thread `activity_id` is in (itself when it is a root)."""
        for message in self.messages.values():
            if message.id == activity_id:
                return message.thread or message.id
        return None

    def _refusal(self, call: Call, activity: Any, where: str) -> web.Response | None:
        """Teams' 400 for an activity it would not show, noted as a violation; else None."""
        problems = list(activity_problems(activity))
        if not problems:
            return None
        self.violations.extend(f"{where}: {problem}" for problem in problems)
        return _connector_error(call, 400, "BadArgument", "; ".join(problems)[:500])

    def _store(
        self, conversation: str, activity: dict[str, Any], *, thread: str | None = None
    ) -> Message:
        message_id = str(1_764_000_000_000 + next(self._ids))
        message = Message(conversation, message_id, activity, thread)
        self.messages[(conversation, message_id)] = message
        return message


class Tripwire:
    """A loopback server that should never be called: it records whatever reaches it."""

    def __init__(self) -> None:
        self.hits: list[tuple[str, str]] = []
        self._runner: web.AppRunner | None = None
        self.origin = ""

    async def start(self) -> None:
        """Listen on a free loopback port."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._hit)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.origin = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def service_url(self) -> str:
        """A service URL on this server."""
        return f"{self.origin}/{REGION}/"

    async def _hit(self, request: web.Request) -> web.Response:
        self.hits.append((request.method, request.path))
        return web.json_response({"id": "1"}, status=201)


def activity_problems(activity: Any) -> Iterator[str]:
    """Why Teams would refuse or mis-show an activity the bot sends: its cards broken, or no
    content at all."""
    if not isinstance(activity, Mapping):
        yield "the body is not an activity"
        return
    kind = activity.get("type")
    if kind not in ("message", "typing", "invokeResponse"):
        yield f"an activity of type {str(kind)[:40]!r}"
        return
    attachments = activity.get("attachments") or []
    if kind == "message" and not attachments and not activity.get("text"):
        yield "a message with neither text nor an attachment"
    for index, attachment in enumerate(attachments):
        if not isinstance(attachment, Mapping):
            yield f"attachments[{index}] is not an object"
        elif attachment.get("contentType") == CONTENT_TYPE:
            for problem in card_problems(attachment.get("content") or {}):
                yield f"attachments[{index}].{problem}"


def _split(conversation: str) -> tuple[str, str | None]:
    """A conversation id and the root message it names (";messageid=...", a channel thread)."""
    base, _, rest = conversation.partition(";messageid=")
    return base, rest or None


def _not_in_roster(call: Call) -> web.Response:
    """Teams' answer to a bot posting in a team it is not installed in."""
    return _connector_error(
        call, 403, "BotNotInConversationRoster", "The bot is not part of the conversation roster."
    )


def _aad_error(status: int, error: str, description: str) -> web.Response:
    return web.json_response(
        {"error": error, "error_description": description, "error_codes": [0]}, status=status
    )


def _connector_error(call: Call, status: int, code: str, message: str) -> web.Response:
    call.status = status
    return web.json_response({"error": {"code": code, "message": message}}, status=status)
