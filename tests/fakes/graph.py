"""A fake Microsoft identity platform and Microsoft Graph v1.0 on loopback, as documented."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from aiohttp import web

MOBILE = "3179e48a-750b-4051-897c-87b9720928f7"
ALTERNATE_MOBILE = "b6332ec1-7057-4abe-9331-3d72feddfe41"
PASSWORD = "28c10230-6103-485e-b985-444c60001490"
G = "#microsoft.graph."

COLLECTIONS = {
    "phoneMethods": "phoneAuthenticationMethod",
    "microsoftAuthenticatorMethods": "microsoftAuthenticatorAuthenticationMethod",
    "softwareOathMethods": "softwareOathAuthenticationMethod",
    "fido2Methods": "fido2AuthenticationMethod",
    "windowsHelloForBusinessMethods": "windowsHelloForBusinessAuthenticationMethod",
    "temporaryAccessPassMethods": "temporaryAccessPassAuthenticationMethod",
}
# Built-in role template ids (the same in every tenant).
ROLE_TEMPLATES = {
    "Global Administrator": "62e90394-69f5-4237-9190-012177145e10",
    "Helpdesk Administrator": "729827e3-9c14-49f7-bb1b-9608f156bbb8",
    "Privileged Role Administrator": "e8611ab8-c189-46e8-94e1-60213ab1f814",
}
# Who may read a directoryRole's properties; others get only its type and id ("limited info").
ROLE_READERS = {"RoleManagement.Read.Directory", "Directory.Read.All"}
ELIGIBILITY_READERS = {"RoleManagement.Read.Directory", "RoleEligibilitySchedule.Read.Directory"}


@dataclass
class GraphUser:
    """A person in the fake tenant."""

    id: str
    upn: str
    mail: str | None
    display_name: str
    proxy_addresses: list[str] = field(default_factory=list)
    methods: list[dict[str, Any]] = field(default_factory=list)
    default_method: str | None = None
    sessions_revoked: int = 0
    groups: list[str] = field(default_factory=lambda: ["All staff"])
    roles: list[str] = field(default_factory=list)
    eligible_roles: list[str] = field(default_factory=list)
    group_ids: set[str] = field(default_factory=set)  # security groups, by object ID
    manager_id: str | None = None


def typical_methods() -> list[dict[str, Any]]:
    """Password, mobile and alternate phone, Authenticator, a software token."""
    return [
        {"@odata.type": f"{G}passwordAuthenticationMethod", "id": PASSWORD, "password": None},
        {
            "@odata.type": f"{G}phoneAuthenticationMethod",
            "id": MOBILE,
            "phoneNumber": "+1 5550100",
            "phoneType": "mobile",
        },
        {
            "@odata.type": f"{G}phoneAuthenticationMethod",
            "id": ALTERNATE_MOBILE,
            "phoneNumber": "+1 5550101",
            "phoneType": "alternateMobile",
        },
        {
            "@odata.type": f"{G}microsoftAuthenticatorAuthenticationMethod",
            "id": str(uuid.uuid4()),
            "displayName": "iPhone 15",
        },
        {"@odata.type": f"{G}softwareOathAuthenticationMethod", "id": str(uuid.uuid4())},
    ]


class FakeGraph:
    """Token endpoint, users, authentication methods, revokeSignInSessions, TAP."""

    def __init__(self, tenant: str = "tenant-1", secret: str = "app-secret") -> None:
        self.tenant = tenant
        self.secret = secret
        self.users: dict[str, GraphUser] = {}
        self.requests: list[tuple[str, str]] = []
        self.tokens_issued = 0
        self.valid_tokens: set[str] = set()
        self.failures: list[tuple[str, re.Pattern[str], int, dict[str, str]]] = []
        self.granted = {
            "User.Read.All",
            "UserAuthenticationMethod.ReadWrite.All",
            "User.RevokeSessions.All",
            "RoleManagement.Read.Directory",
            "GroupMember.Read.All",
        }
        self.pim_licensed = True
        self.page_size = 100
        self.stalls: list[tuple[str, re.Pattern[str], float]] = []
        self.tap_issued: list[str] = []
        # Each Graph answer: (verb, path, its request-id, the client-request-id sent, if any).
        self.answers: list[tuple[str, str, str, str | None]] = []
        self.mail_sent: list[dict[str, Any]] = []  # sendMail: {"from": mailbox, "message": ...}
        self.delays: list[tuple[str, re.Pattern[str], float]] = []
        self._stopping = asyncio.Event()  # ends the delays, so that stopping never waits on them
        self._counter = itertools.count(1)
        self.origin = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Listen on a free loopback port."""
        app = web.Application(middlewares=[self._request_ids])
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self._token)
        app.router.add_route("*", "/v1.0/{tail:.*}", self._graph)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.origin = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        """Stop listening."""
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()

    def add_user(
        self, upn: str, mail: str | None = None, object_id: str | None = None, **extra: Any
    ) -> GraphUser:
        """A person with the typical methods unless `methods` is given; `object_id` (the
        aadObjectId a Teams activity carries) is a new one unless given."""
        user = GraphUser(
            id=(object_id or str(uuid.uuid4())).lower(),
            upn=upn,
            mail=mail if mail is not None else upn,
            display_name=upn.split("@")[0],
            methods=extra.pop("methods", typical_methods()),
            **extra,
        )
        self.users[user.id] = user
        return user

    def fail(self, verb: str, path_regex: str, status: int, times: int = 1, **headers: str) -> None:
        """Answer the next `times` matching requests with `status`."""
        for _ in range(times):
            self.failures.append((verb, re.compile(path_regex), status, headers))

    def stall(self, verb: str, path_regex: str, seconds: float) -> None:
        """Hold the next matching request for `seconds` before answering it."""
        self.stalls.append((verb, re.compile(path_regex), seconds))

    def slow(self, verb: str, path_regex: str, seconds: float, times: int = 1) -> None:
        """Hold the next `times` matching requests for `seconds` before answering them (a slow or
        hanging Graph); a request whose caller gives up in the meantime changes nothing."""
        for _ in range(times):
            self.delays.append((verb, re.compile(path_regex), seconds))

    def revoke_tokens(self) -> None:
        """Every token issued so far stops working (Graph then answers 401)."""
        self.valid_tokens.clear()

    # -- handlers ---------------------------------------------------------------------------

    @web.middleware
    async def _request_ids(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """Graph's request-id on every answer, and the client's client-request-id echoed when
        it asks (return-client-request-id)."""
        response = await handler(request)
        request_id = str(uuid.uuid4())
        response.headers["request-id"] = request_id
        ours = request.headers.get("client-request-id")
        if ours and request.headers.get("return-client-request-id", "").lower() == "true":
            response.headers["client-request-id"] = ours
        if request.path.startswith("/v1.0/"):
            self.answers.append((request.method, request.path[5:], request_id, ours))
        return response

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        self.requests.append(("POST", f"/{request.match_info['tenant']}/oauth2/v2.0/token"))
        if request.match_info["tenant"] != self.tenant or form.get("client_secret") != self.secret:
            return web.json_response(
                {
                    "error": "invalid_client",
                    "error_description": "AADSTS7000215: Invalid client secret provided.",
                    "error_codes": [7000215],
                },
                status=401,
            )
        if form.get("scope") != "https://graph.microsoft.com/.default":
            return web.json_response({"error": "invalid_scope"}, status=400)
        self.tokens_issued += 1
        claims = {"roles": sorted(self.granted), "n": self.tokens_issued}
        payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
        token = f"eyJhbGciOiJub25lIn0.{payload}.sig"
        self.valid_tokens.add(token)
        return web.json_response(
            {"token_type": "Bearer", "expires_in": 3599, "access_token": token}
        )

    async def _graph(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        query = unquote(request.query_string)
        self.requests.append((request.method, f"{path}?{query}" if query else path))
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.valid_tokens:
            return _error(401, "InvalidAuthenticationToken", "Access token has expired.")
        injected = await self._injected(request, path)
        if injected is not None:
            return injected
        parts = path.strip("/").split("/")
        if parts[:2] == ["roleManagement", "directory"]:
            return self._role_management(request, parts[2:])
        if parts == ["users"]:
            return self._list_users(request)
        user = self._user(parts[1]) if len(parts) > 1 else None
        if user is None:
            return _error(
                404,
                "Request_ResourceNotFound",
                f"Resource '{parts[1] if len(parts) > 1 else ''}' does not exist.",
            )
        return await self._user_route(request, user, parts[2:])

    async def _injected(self, request: web.Request, path: str) -> web.Response | None:
        """A stall, delay or failure a test asked for on this call, if any."""
        await self._stall(request.method, path)
        for index, (verb, pattern, seconds) in enumerate(self.delays):
            if verb == request.method and pattern.search(path):
                del self.delays[index]
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), seconds)
                if request.transport is None or request.transport.is_closing():
                    return web.Response(status=499)  # the caller is gone: nothing is done
                break
        for index, (verb, pattern, status, headers) in enumerate(self.failures):
            if verb == request.method and pattern.search(path):
                del self.failures[index]
                error = "TooManyRequests" if status == 429 else "serviceError"
                return _error(status, error, "injected", headers)
        return None

    async def _user_route(
        self, request: web.Request, user: GraphUser, rest: list[str]
    ) -> web.Response:
        """The calls on one user: read, revoke sessions, roles, mail, authentication methods."""
        if not rest and request.method == "GET":  # by object ID or UPN
            if "User.Read.All" not in self.granted:
                return _error(403, "Authorization_RequestDenied", "Insufficient privileges.")
            return web.json_response(_user_json(user))
        if rest == ["revokeSignInSessions"] and request.method == "POST":
            if "User.RevokeSessions.All" not in self.granted:
                return _error(
                    403,
                    "Authorization_RequestDenied",
                    "Access to invalidate refresh tokens operation is denied.",
                )
            user.sessions_revoked += 1
            return web.json_response({"value": True})
        if rest == ["transitiveMemberOf"] and request.method == "GET":
            return self._transitive_member_of(request, user)
        if (request.method, rest) in (("POST", ["checkMemberGroups"]), ("GET", ["manager"])):
            return await self._groups_and_manager(request, user)
        if rest == ["sendMail"] and request.method == "POST":
            return await self._send_mail(request, user)
        if rest[:1] == ["authentication"]:
            if "UserAuthenticationMethod.ReadWrite.All" not in self.granted:
                return _error(403, "accessDenied", "Request Authorization failed")
            return await self._methods(request, user, rest[1:])
        return _error(400, "BadRequest", "No HTTP resource was found that matches the request URI.")

    async def _groups_and_manager(self, request: web.Request, user: GraphUser) -> web.Response:
        """POST /users/{id}/checkMemberGroups or GET /users/{id}/manager."""
        if request.method == "GET":
            return self._manager(user)
        if not self.granted & {"GroupMember.Read.All", "Directory.Read.All"}:
            return _error(403, "Authorization_RequestDenied", "Insufficient privileges.")
        asked = (await request.json()).get("groupIds") or []
        if not isinstance(asked, list) or len(asked) > 20:
            return _error(400, "Request_BadRequest", "groupIds: at most 20 group ids.")
        return web.json_response({"value": [g for g in asked if g in user.group_ids]})

    def _manager(self, user: GraphUser) -> web.Response:
        """GET /users/{id}/manager: the person's manager, 404 when they have none."""
        if "User.Read.All" not in self.granted:
            return _error(403, "Authorization_RequestDenied", "Insufficient privileges.")
        manager = self.users.get(user.manager_id or "")
        if manager is None:
            return _error(404, "Request_ResourceNotFound", "Resource 'manager' does not exist.")
        return web.json_response(_user_json(manager))

    def _list_users(self, request: web.Request) -> web.Response:
        if "User.Read.All" not in self.granted:
            return _error(403, "Authorization_RequestDenied", "Insufficient privileges.")
        condition = request.query.get("$filter", "")
        mail = re.fullmatch(r"mail eq '(.*)'", condition)
        proxy = re.fullmatch(r"proxyAddresses/any\(p:p eq '(.*)'\)", condition)
        found = []
        for user in self.users.values():
            if (
                (mail and (user.mail or "").lower() == mail.group(1).replace("''", "'").lower())
                or (proxy and proxy.group(1).lower() in [a.lower() for a in user.proxy_addresses])
                or not condition
            ):
                found.append(user)
        top = int(request.query.get("$top", "999"))
        return web.json_response({"value": [_user_json(u) for u in found[:top]]})

    async def _methods(
        self, request: web.Request, user: GraphUser, rest: list[str]
    ) -> web.Response:
        if rest == ["methods"] and request.method == "GET":
            return web.json_response({"value": user.methods})
        if rest == ["methods"] or (rest[:1] == ["methods"] and request.method == "DELETE"):
            return _error(
                400, "BadRequest", "No HTTP resource was found that matches the request URI."
            )
        collection = rest[0] if rest else ""
        if collection not in COLLECTIONS:
            return _error(400, "BadRequest", "unknown collection")
        if request.method == "POST" and collection == "temporaryAccessPassMethods":
            body = await request.json()
            lifetime = body.get("lifetimeInMinutes", 60)
            if not 60 <= lifetime <= 480:
                return _error(
                    400,
                    "badRequest",
                    "Invalid LifetimeInMinutes specified. The valid range between 60 and 480.",
                )
            secret = f"TAP-{next(self._counter):04d}-xyz"
            self.tap_issued.append(secret)
            user.methods = [
                m
                for m in user.methods
                if not m["@odata.type"].endswith("temporaryAccessPassAuthenticationMethod")
            ]
            method = {
                "@odata.type": f"{G}temporaryAccessPassAuthenticationMethod",
                "id": str(uuid.uuid4()),
                "lifetimeInMinutes": lifetime,
                "isUsableOnce": body.get("isUsableOnce", False),
            }
            user.methods.append({**method, "temporaryAccessPass": None})
            return web.json_response({**method, "temporaryAccessPass": secret}, status=201)
        if request.method == "DELETE" and len(rest) == 2:
            method_id = rest[1]
            match = [
                m
                for m in user.methods
                if m["id"] == method_id and m["@odata.type"] == f"{G}{COLLECTIONS[collection]}"
            ]
            if not match:
                return _error(404, "itemNotFound", "The method was not found.")
            others = [
                m
                for m in user.methods
                if m["id"] != method_id
                and not m["@odata.type"].endswith("passwordAuthenticationMethod")
            ]
            if method_id == user.default_method and others:
                return _error(
                    400,
                    "badRequest",
                    "Cannot delete default method with other methods configured. "
                    "Please change default method before deletion.",
                )
            if method_id == MOBILE and any(m["id"] == ALTERNATE_MOBILE for m in user.methods):
                return _error(400, "badRequest", "alternateMobile must be removed first.")
            user.methods = [m for m in user.methods if m["id"] != method_id]
            return web.Response(status=204)
        return _error(405, "MethodNotAllowed", "not supported")

    async def _stall(self, verb: str, path: str) -> None:
        for index, (stall_verb, pattern, seconds) in enumerate(self.stalls):
            if stall_verb == verb and pattern.search(path):
                del self.stalls[index]
                await asyncio.sleep(seconds)
                return

    def _transitive_member_of(self, request: web.Request, user: GraphUser) -> web.Response:
        """Groups and directory roles, paged; role properties only for an app that may read
        them."""
        readable = bool(self.granted & ROLE_READERS)
        items: list[dict[str, Any]] = [
            {"@odata.type": f"{G}group", "id": _stable_id(name), "displayName": name}
            for name in user.groups
        ]
        for name in user.roles:
            template = ROLE_TEMPLATES.get(name, _stable_id(name))
            items.append(
                {
                    "@odata.type": f"{G}directoryRole",
                    "id": _stable_id("role:" + name),
                    "displayName": name if readable else None,
                    "roleTemplateId": template if readable else None,
                }
            )
        size = min(int(request.query.get("$top", "100")), 999, self.page_size)
        start = int(request.query.get("$skiptoken", "0"))
        body: dict[str, Any] = {"value": items[start : start + size]}
        if start + size < len(items):
            body["@odata.nextLink"] = (
                f"{self.origin}/v1.0/users/{user.id}/transitiveMemberOf"
                f"?$top={size}&$skiptoken={start + size}"
            )
        return web.json_response(body)

    def _role_management(self, request: web.Request, rest: list[str]) -> web.Response:
        """roleEligibilityScheduleInstances filtered by principalId (PIM needs Entra ID P2)."""
        if rest != ["roleEligibilityScheduleInstances"] or request.method != "GET":
            return _error(400, "BadRequest", "No HTTP resource was found.")
        if not self.granted & ELIGIBILITY_READERS:
            return _error(403, "AccessDenied", "Request Authorization failed")
        if not self.pim_licensed:
            return _error(
                400,
                "AadPremiumLicenseRequired",
                "The tenant needs to have Microsoft Entra ID P2 or Microsoft Entra ID "
                "Governance license.",
            )
        match = re.fullmatch(r"principalId eq '(.*)'", request.query.get("$filter", ""))
        if match is None:
            return _error(400, "BadRequest", "unsupported filter")
        user = self.users.get(match.group(1))
        expand = request.query.get("$expand") == "roleDefinition"
        value = []
        for name in user.eligible_roles if user else []:
            template = ROLE_TEMPLATES.get(name, _stable_id(name))
            item: dict[str, Any] = {
                "id": _stable_id("eligible:" + name),
                "principalId": user.id if user else "",
                "roleDefinitionId": template,
                "directoryScopeId": "/",
                "memberType": "Direct",
            }
            if expand:
                item["roleDefinition"] = {"id": template, "displayName": name}
            value.append(item)
        return web.json_response({"value": value})

    async def _send_mail(self, request: web.Request, user: GraphUser) -> web.Response:
        if "Mail.Send" not in self.granted:
            return _error(403, "ErrorAccessDenied", "Access is denied. Check credentials.")
        body = await request.json()
        message = body.get("message") or {}
        if not message.get("toRecipients") or "content" not in (message.get("body") or {}):
            return _error(400, "ErrorInvalidRecipients", "At least one recipient is not valid.")
        self.mail_sent.append({"from": user.upn, "message": message})
        return web.Response(status=202)

    def _user(self, key: str) -> GraphUser | None:
        key = unquote(key).lower()
        return next((u for u in self.users.values() if u.id == key or u.upn.lower() == key), None)


def _stable_id(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, name))


def _user_json(user: GraphUser) -> dict[str, Any]:
    return {
        "id": user.id,
        "userPrincipalName": user.upn,
        "mail": user.mail,
        "displayName": user.display_name,
    }


def _error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    return web.json_response(
        {
            "error": {
                "code": code,
                "message": message,
                "innerError": {"request-id": str(uuid.uuid4())},
            }
        },
        status=status,
        headers=headers or {},
    )
