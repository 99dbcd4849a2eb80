"""A fake Okta Management API on loopback: users, factors, sessions, rate-limit headers."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any
from urllib.parse import unquote

from aiohttp import web

ROLE_LABELS = {
    "SUPER_ADMIN": "Super Administrator",
    "ORG_ADMIN": "Organizational Administrator",
    "HELP_DESK_ADMIN": "Help Desk Administrator",
    "READ_ONLY_ADMIN": "Read-only Administrator",
}


@dataclass
class OktaUser:
    """A person in the fake org."""

    id: str
    login: str
    email: str
    factors: list[str] = field(default_factory=lambda: ["push", "sms", "token:software:totp"])
    sessions: int = 2
    forgot_devices: bool = False
    oauth_tokens_revoked: bool = False
    roles: list[str] = field(default_factory=list)


class FakeOkta:
    """The few Management API calls the bot makes, with Okta's headers and error bodies."""

    def __init__(self, token: str = "okta-token") -> None:
        self.token = token
        self.users: dict[str, OktaUser] = {}
        self.requests: list[tuple[str, str]] = []
        self.throttle_next = 0
        self.failures: list[tuple[str, re.Pattern[str], int]] = []
        self.stalls: list[tuple[str, re.Pattern[str], float]] = []
        # Each answer: (verb, path, its X-Okta-Request-Id).
        self.answers: list[tuple[str, str, str]] = []
        self.origin = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Listen on a free loopback port."""
        app = web.Application(middlewares=[self._request_ids])
        app.router.add_route("*", "/api/v1/{tail:.*}", self._api)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.origin = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()

    def add_user(self, login: str, email: str | None = None) -> OktaUser:
        """A person with Okta Verify, SMS and a TOTP app enrolled."""
        user = OktaUser(id="00u" + uuid.uuid4().hex[:17], login=login, email=email or login)
        self.users[user.id] = user
        return user

    @web.middleware
    async def _request_ids(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """Okta's X-Okta-Request-Id on every answer, errors included."""
        response = await handler(request)
        request_id = "Z" + uuid.uuid4().hex[:23]
        response.headers["X-Okta-Request-Id"] = request_id
        self.answers.append((request.method, request.path, request_id))
        return response

    def fail(self, verb: str, path_regex: str, status: int) -> None:
        """Answer the next matching request with `status` (Okta's error body)."""
        self.failures.append((verb, re.compile(path_regex), status))

    def stall(self, verb: str, path_regex: str, seconds: float) -> None:
        """Hold the next matching request for `seconds` before answering it."""
        self.stalls.append((verb, re.compile(path_regex), seconds))

    async def _injected(self, verb: str, path: str) -> web.Response | None:
        for index, (stall_verb, pattern, seconds) in enumerate(self.stalls):
            if stall_verb == verb and pattern.search(path):
                del self.stalls[index]
                await asyncio.sleep(seconds)
                break
        for index, (fail_verb, pattern, status) in enumerate(self.failures):
            if fail_verb == verb and pattern.search(path):
                del self.failures[index]
                if status == 403:
                    summary = "You do not have permission to perform the requested action"
                    return self._error(403, "E0000006", summary)
                return self._error(status, "E0000009", "Internal Server Error")
        return None

    def _roles(self, user: OktaUser) -> web.Response:
        return web.json_response(
            [
                {
                    "id": "ra" + uuid.uuid5(uuid.NAMESPACE_URL, role).hex[:16],
                    "label": ROLE_LABELS.get(role, role),
                    "type": role,
                    "status": "ACTIVE",
                    "assignmentType": "USER",
                }
                for role in user.roles
            ],
            headers=self._headers(),
        )

    def _headers(self) -> dict[str, str]:
        return {
            "X-Rate-Limit-Limit": "600",
            "X-Rate-Limit-Remaining": "599",
            "X-Rate-Limit-Reset": str(int(time.time()) + 60),
            "Date": formatdate(time.time(), usegmt=True),
        }

    def _error(
        self, status: int, code: str, summary: str, headers: dict[str, str] | None = None
    ) -> web.Response:
        return web.json_response(
            {
                "errorCode": code,
                "errorSummary": summary,
                "errorLink": code,
                "errorId": "oae" + uuid.uuid4().hex[:10],
                "errorCauses": [],
            },
            status=status,
            headers={**self._headers(), **(headers or {})},
        )

    async def _api(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        self.requests.append((request.method, f"{path}?{unquote(request.query_string)}"))
        if request.headers.get("Authorization") != f"SSWS {self.token}":
            return self._error(401, "E0000011", "Invalid token provided")
        if self.throttle_next:
            self.throttle_next -= 1
            now = time.time()
            return self._error(
                429,
                "E0000047",
                "API call exceeded rate limit due to too many requests.",
                {"X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": str(int(now) + 3)},
            )
        injected = await self._injected(request.method, path)
        if injected is not None:
            return injected
        parts = path.strip("/").split("/")
        if parts == ["users"] and request.method == "GET":
            match = re.fullmatch(r'profile\.email eq "(.*)"', request.query.get("filter", ""))
            found = [u for u in self.users.values() if match and u.email == match.group(1)]
            if "filter" not in request.query:  # the whole directory, `limit` at a time
                found = list(self.users.values())[: int(request.query.get("limit", "200"))]
            return web.json_response([self._json(u) for u in found], headers=self._headers())
        user = self._find(unquote(parts[1])) if len(parts) > 1 else None
        if user is None:
            return self._error(
                404,
                "E0000007",
                f"Not found: Resource not found: {parts[1] if len(parts) > 1 else ''} (User)",
            )
        return self._user_route(request, user, parts[2:])

    def _user_route(self, request: web.Request, user: OktaUser, rest: list[str]) -> web.Response:
        """The calls on one user: read, roles, reset factors, clear sessions."""
        if not rest and request.method == "GET":
            return web.json_response(self._json(user), headers=self._headers())
        if rest == ["roles"] and request.method == "GET":
            return self._roles(user)
        if rest == ["lifecycle", "reset_factors"] and request.method == "POST":
            if not user.factors:
                return self._error(400, "E0000001", "Api validation failed: no factors")
            user.factors = []
            return web.Response(status=200, headers=self._headers())
        if rest == ["sessions"] and request.method == "DELETE":
            user.sessions = 0
            user.oauth_tokens_revoked = request.query.get("oauthTokens") == "true"
            user.forgot_devices = request.query.get("forgetDevices") == "true"
            return web.Response(status=204, headers=self._headers())
        return self._error(404, "E0000007", "Not found")

    def _find(self, key: str) -> OktaUser | None:
        return next((u for u in self.users.values() if key in (u.id, u.login)), None)

    @staticmethod
    def _json(user: OktaUser) -> dict[str, Any]:
        return {
            "id": user.id,
            "status": "ACTIVE",
            "profile": {
                "login": user.login,
                "email": user.email,
                "firstName": "Ada",
                "lastName": "Lovelace",
            },
        }
