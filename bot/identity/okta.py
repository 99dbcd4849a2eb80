"""The `okta` provider: the Okta Management API with an SSWS API token."""

from __future__ import annotations

import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.domain.identity import (
    ActionOutcome,
    ActionResult,
    DirectoryUser,
    IdentityError,
    TemporaryIdentityError,
    UserNotFoundError,
    no_email,
)
from bot.identity.trace import note_answer, traced

CALL_TIMEOUT_S = 30


@dataclass(frozen=True)
class OktaConfig:
    """The org and its API token (SSWS: it acts with the rights of the admin who created it)."""

    org_url: str
    api_token: str


class OktaProvider:
    """Resets factors and clears sessions in Okta; app passwords do not exist there."""

    name = "okta"
    checks_admin_roles = True
    revokes_sessions = True

    def __init__(self, config: OktaConfig, http: aiohttp.ClientSession) -> None:
        self._config = config
        self._http = http

    async def find_user(self, email: str, object_id: str | None = None) -> DirectoryUser:
        """By login first, then by profile.email; none or several is refused."""
        if not email:
            raise UserNotFoundError(no_email(object_id))
        status, body = await self._call("GET", f"/api/v1/users/{quote(email, safe='@')}", allow=404)
        if status == 200 and isinstance(body, dict):
            return _user(body, email)
        literal = email.replace('"', '\\"')
        condition = quote('profile.email eq "' + literal + '"')
        _, found = await self._call("GET", f"/api/v1/users?filter={condition}")
        people = found if isinstance(found, list) else []
        if len(people) == 1:
            return _user(people[0], email)
        if len(people) > 1:
            raise UserNotFoundError(f"{len(people)} Okta users have the email {email}")
        raise UserNotFoundError(f"no Okta user has the login or email {email}")

    async def admin_roles(self, user: DirectoryUser) -> tuple[str, ...]:
        """Every admin role assignment, direct or through a group (any role is an admin role)."""
        status, body = await self._call(
            "GET", f"/api/v1/users/{quote(user.id, safe='')}/roles", allow=(403,)
        )
        if status == 403:
            code = body.get("errorCode", "") if isinstance(body, dict) else ""
            raise IdentityError(
                f"Okta refused to list the person's admin roles (403 {code}): the API token's "
                "admin must be allowed to view administrator roles (scope okta.roles.read)"
            )
        if not isinstance(body, list):
            raise IdentityError("Okta answered the list of roles with something else")
        names = []
        for role in body:
            name = str(role.get("label") or role.get("type") or "a custom role")
            if role.get("type") and role.get("label") and role["type"] != role["label"]:
                name = f"{role['label']} ({role['type']})"
            names.append(name)
        return tuple(dict.fromkeys(names))

    @traced
    async def clear_mfa(self, user: DirectoryUser) -> ActionResult:
        """reset_factors: every factor enrollment returns to unenrolled; the user stays active."""
        status, _ = await self._call(
            "POST", f"/api/v1/users/{user.id}/lifecycle/reset_factors", allow=(400,)
        )
        if status >= 400:
            return ActionResult(ActionOutcome.DONE, "No factors were enrolled; nothing to reset.")
        return ActionResult(
            ActionOutcome.DONE,
            "All factors reset: the person enrolls again at the next sign-in.",
        )

    async def delete_app_passwords(self, user: DirectoryUser) -> ActionResult:
        """Okta has no app passwords: nothing to do, and the admin is told so."""
        return ActionResult(ActionOutcome.DONE, "Okta has no app passwords: nothing to delete.")

    @traced
    async def revoke_sessions(self, user: DirectoryUser) -> ActionResult:
        """Clear sessions, OAuth tokens and remembered devices."""
        await self._call(
            "DELETE", f"/api/v1/users/{user.id}/sessions?oauthTokens=true&forgetDevices=true"
        )
        return ActionResult(
            ActionOutcome.DONE,
            "Okta sessions and OAuth tokens revoked, remembered devices forgotten. Sessions "
            "held inside individual apps end when those apps next check.",
        )

    async def issue_temporary_access_pass(
        self, user: DirectoryUser, lifetime_minutes: int
    ) -> ActionResult:
        """Okta's temporary access code is a limited feature: handed to a person to issue."""
        return ActionResult(
            ActionOutcome.MANUAL,
            "Issue a temporary access code in the Okta Admin Console",
            (
                f"Open Directory > People > {user.email} in the Okta Admin Console.",
                f"Issue a temporary access code valid {lifetime_minutes} minutes, for one use.",
                "Give it to the person yourself, after you have verified who they are.",
            ),
        )

    async def check(self) -> list[tuple[bool, str]]:
        """Read-only checks for `mfa-helpdesk check-idp`: (works, what) lines."""
        try:
            _, users = await self._call("GET", "/api/v1/users?limit=1")
        except IdentityError as exc:
            return [(False, f"read users with the API token: {exc}")]
        lines = [(True, "read users with the API token")]
        if isinstance(users, list) and users and isinstance(users[0], dict):
            try:
                await self.admin_roles(_user(users[0], ""))
                lines.append((True, "read a user's admin roles (GET /api/v1/users/{id}/roles)"))
            except IdentityError as exc:
                lines.append(
                    (False, f"read admin roles (until it works, every request needs two): {exc}")
                )
        return [
            *lines,
            (
                True,
                "resetting factors and clearing sessions need a help desk (or super) admin "
                "role for the token's admin: not checked without changing someone",
            ),
        ]

    async def _call(
        self, verb: str, path: str, allow: int | tuple[int, ...] = ()
    ) -> tuple[int, Any]:
        allowed = (allow,) if isinstance(allow, int) else allow
        try:
            async with self._http.request(
                verb,
                f"{self._config.org_url.rstrip('/')}{path}",
                headers={
                    "Authorization": f"SSWS {self._config.api_token}",
                    "Accept": "application/json",
                },
                timeout=aiohttp.ClientTimeout(total=CALL_TIMEOUT_S),
                allow_redirects=False,
            ) as response:
                body: Any = None
                if response.status != 204:
                    try:
                        body = await response.json(content_type=None)
                    except ValueError:
                        body = None
                status, headers = response.status, response.headers
                note_answer(headers, "X-Okta-Request-Id")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TemporaryIdentityError(f"Okta did not answer ({type(exc).__name__})") from exc
        if status < 300 or status in allowed:
            return status, body
        summary = body.get("errorSummary", "") if isinstance(body, dict) else ""
        code = body.get("errorCode", "") if isinstance(body, dict) else ""
        if status == 429:
            raise TemporaryIdentityError(f"Okta rate limit ({code})", _wait_until_reset(headers))
        if status >= 500:
            raise TemporaryIdentityError(f"Okta answered {status} {code}".strip())
        if status == 403:
            raise IdentityError(
                f"Okta refused ({code}: {summary}): the API token's admin needs a role that may "
                "manage this user (help desk or super admin for admins)"
            )
        if status == 401:
            raise IdentityError(f"Okta refused the API token ({code}): check OKTA_API_TOKEN")
        if status == 404:
            raise UserNotFoundError(f"Okta no longer has this user ({code})")
        raise IdentityError(f"Okta answered {status} {code}: {summary}".strip(": "))


def _wait_until_reset(headers: Any) -> float | None:
    """Seconds until X-Rate-Limit-Reset (epoch seconds), measured against Okta's own Date."""
    reset, date = headers.get("X-Rate-Limit-Reset"), headers.get("Date")
    if not reset or not str(reset).isdigit():
        return None
    try:
        now = parsedate_to_datetime(date).timestamp() if date else time.time()
    except (TypeError, ValueError):
        now = time.time()
    return max(1.0, int(reset) - now + 1)


def _user(body: dict[str, Any], email: str) -> DirectoryUser:
    profile = body.get("profile") or {}
    name = " ".join(filter(None, (profile.get("firstName"), profile.get("lastName"))))
    return DirectoryUser(
        id=str(body["id"]), email=str(profile.get("email") or email), display_name=name
    )
