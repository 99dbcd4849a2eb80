"""The `entra` provider: Microsoft Entra ID through Microsoft Graph v1.0, app-only."""

from __future__ import annotations

import base64
import binascii
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
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
from bot.domain.platform import is_object_id
from bot.domain.ports import Clock
from bot.identity.manual import ENTRA_USERS, ManualProvider
from bot.identity.trace import client_request_id, note_answer, traced
from bot.wording import plural

log = logging.getLogger(__name__)

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
TOKEN_MARGIN = timedelta(minutes=5)
CALL_TIMEOUT_S = 30

# Sign-in methods "clear MFA settings" removes, with their delete collections. Passwords and the
# email used for self-service password reset are never touched.
_TYPE = "#microsoft.graph.{}AuthenticationMethod"
MFA_METHODS = {
    _TYPE.format("phone"): "phoneMethods",
    _TYPE.format("microsoftAuthenticator"): "microsoftAuthenticatorMethods",
    _TYPE.format("softwareOath"): "softwareOathMethods",
}
PASSKEY_METHODS = {
    _TYPE.format("fido2"): "fido2Methods",
    _TYPE.format("windowsHelloForBusiness"): "windowsHelloForBusinessMethods",
}
ALTERNATE_MOBILE = "b6332ec1-7057-4abe-9331-3d72feddfe41"

# What each call needs, to name it when Graph answers 403.
PERMISSION = {
    "users": "User.Read.All",
    "methods": "UserAuthenticationMethod.ReadWrite.All",
    "revoke": "User.RevokeSessions.All",
    "roles": "RoleManagement.Read.Directory",
    "mail": "Mail.Send",
}
# Any of these lets the app read role names and PIM eligibility (RoleManagement.Read.Directory is
# the least privileged of them for both).
ROLE_READERS = frozenset(
    {
        "RoleManagement.Read.Directory",
        "RoleManagement.Read.All",
        "RoleManagement.ReadWrite.Directory",
    }
)
DIRECTORY_ROLE = "#microsoft.graph.directoryRole"
MAX_PAGES = 20
_SELECT = "$select=id,userPrincipalName,mail,displayName"


@dataclass(frozen=True)
class EntraConfig:
    """The app registration and the cloud's endpoints."""

    tenant_id: str
    client_id: str
    client_secret: str
    login_url: str = "https://login.microsoftonline.com"
    graph_url: str = "https://graph.microsoft.com/v1.0"
    clear_passkeys: bool = False


class EntraProvider:
    """Finds people and changes their sign-in methods through Microsoft Graph."""

    name = "entra"
    checks_admin_roles = True
    revokes_sessions = True

    def __init__(self, config: EntraConfig, http: aiohttp.ClientSession, clock: Clock) -> None:
        self._config = config
        self._http = http
        self._clock = clock
        self._token: str | None = None
        self._token_expires: datetime | None = None
        self._manual = ManualProvider()

    # -- the protocol -----------------------------------------------------------------------

    async def find_user(self, email: str, object_id: str | None = None) -> DirectoryUser:
        """By object ID when a front end vouches for one (Teams); otherwise by UPN first, then
        `mail`, then `proxyAddresses`. None or several is refused, never guessed."""
        if object_id is not None:
            return await self._by_object_id(object_id, email)
        if not email:
            raise UserNotFoundError(no_email(object_id))
        status, body = await self._call("GET", f"/users/{quote(email)}?{_SELECT}", "users")
        if status == 200:
            return _user(body, email)
        literal = email.replace("'", "''")
        for condition in (
            f"mail eq '{literal}'",
            f"proxyAddresses/any(p:p eq 'smtp:{literal}')",
        ):
            status, body = await self._call(
                "GET", f"/users?$filter={quote(condition)}&{_SELECT}", "users"
            )
            found = body.get("value", []) if status == 200 else []
            if len(found) == 1:
                return _user(found[0], email)
            if len(found) > 1:
                raise UserNotFoundError(
                    f"{len(found)} accounts in Entra ID have the email {email}: "
                    "find the right one in the admin center"
                )
        raise UserNotFoundError(f"no account in Entra ID has the email {email}")

    async def _by_object_id(self, object_id: str, email: str) -> DirectoryUser:
        """GET /users/{id}: the one account with this object ID (the email is not asked: the
        person may have changed it, and it names nobody more surely than the ID)."""
        if not is_object_id(object_id):  # never put something else into Graph's path
            raise UserNotFoundError(f"{object_id!r} is not an Entra object ID")
        status, body = await self._call("GET", f"/users/{object_id}?{_SELECT}", "users")
        if status == 200:
            return _user(body, email)
        raise UserNotFoundError(f"no account in Entra ID has the object ID {object_id}")

    async def admin_roles(self, user: DirectoryUser) -> tuple[str, ...]:
        """Directory roles held now, directly or through a role-assignable group, and the roles
        Privileged Identity Management lets the person activate ("eligible")."""
        active = await self._active_roles(user)
        eligible = [f"{name} (eligible)" for name in await self._eligible_roles(user)]
        return tuple(dict.fromkeys([*active, *eligible]))

    @traced
    async def clear_mfa(self, user: DirectoryUser) -> ActionResult:
        """Delete every MFA method through its own collection, the default one last."""
        collections = dict(MFA_METHODS)
        if self._config.clear_passkeys:
            collections.update(PASSKEY_METHODS)
        _, body = await self._call(
            "GET", f"/users/{user.id}/authentication/methods", "methods", allow=()
        )
        methods = [m for m in body.get("value", []) if m.get("@odata.type") in collections]
        # A user cannot keep an alternate mobile phone without a mobile one: that goes first.
        methods.sort(key=lambda m: 0 if m.get("id") == ALTERNATE_MOBILE else 1)
        removed: list[str] = []
        deferred: list[dict[str, Any]] = []
        for method in methods:
            if await self._delete_method(user, method, collections):
                removed.append(_describe(method))
            else:
                deferred.append(method)
        for method in deferred:  # the default method, now the only one left
            if not await self._delete_method(user, method, collections):
                raise IdentityError(
                    f"Entra ID refused to delete the default method {_describe(method)}; "
                    "change the person's default method in the admin center, then retry"
                )
            removed.append(_describe(method))
        if not removed:
            return ActionResult(
                ActionOutcome.DONE, "No MFA methods were registered; nothing to remove."
            )
        return ActionResult(
            ActionOutcome.DONE,
            f"Removed {plural(len(removed), 'method')}: {', '.join(removed)}. "
            "They register again at the next sign-in.",
        )

    async def delete_app_passwords(self, user: DirectoryUser) -> ActionResult:
        """Graph has no API for app passwords: a person does it on the per-user MFA page."""
        steps = await self._manual.delete_app_passwords(user)
        return ActionResult(
            ActionOutcome.MANUAL,
            "Microsoft Graph has no API for app passwords: delete them by hand",
            steps.manual_steps,
            steps.link,
        )

    @traced
    async def revoke_sessions(self, user: DirectoryUser) -> ActionResult:
        """revokeSignInSessions: refresh tokens and session cookies stop working."""
        await self._call("POST", f"/users/{user.id}/revokeSignInSessions", "revoke", {}, allow=())
        return ActionResult(
            ActionOutcome.DONE,
            "Sign-in sessions revoked: the person is signed out everywhere within a few "
            "minutes. Remembered MFA devices (Revoke MFA sessions) have no API: clear them in "
            "the admin center if the phone was stolen.",
            link=self._manual_link(),
        )

    @traced
    async def issue_temporary_access_pass(
        self, user: DirectoryUser, lifetime_minutes: int
    ) -> ActionResult:
        """A one-time Temporary Access Pass; it replaces any pass the person had."""
        _, body = await self._call(
            "POST",
            f"/users/{user.id}/authentication/temporaryAccessPassMethods",
            "methods",
            {"lifetimeInMinutes": lifetime_minutes, "isUsableOnce": True},
        )
        secret = body.get("temporaryAccessPass")
        if not secret:
            raise IdentityError("Entra ID created no temporary access pass (is the policy on?)")
        return ActionResult(
            ActionOutcome.DONE,
            f"Temporary access pass issued: one use, valid {lifetime_minutes} minutes. "
            "It was sent to the person only.",
            secret_for_user=str(secret),
        )

    async def send_mail(self, mailbox: str, to: str, subject: str, text: str) -> None:
        """sendMail from `mailbox` (application permission Mail.Send); IdentityError, or
        TemporaryIdentityError for what is worth trying again."""
        message = {
            "subject": subject,
            "body": {"contentType": "Text", "content": text},
            "toRecipients": [{"emailAddress": {"address": to}}],
        }
        status, _ = await self._call(
            "POST",
            f"/users/{quote(mailbox)}/sendMail",
            "mail",
            {"message": message, "saveToSentItems": False},
            allow=(404,),
        )
        if status == 404:
            raise IdentityError(f"Entra ID has no mailbox {mailbox} (MAIL_FROM)")

    async def check(self) -> list[tuple[bool, str]]:
        """Read-only checks for `mfa-helpdesk check-idp`: (works, what) lines."""
        lines: list[tuple[bool, str]] = []
        try:
            token = await self._access_token(refresh=True)
        except IdentityError as exc:
            return [(False, f"sign in as the app: {exc}")]
        lines.append((True, "sign in as the app (client credentials)"))
        granted = _roles(token)
        for permission, use in (
            ("User.Read.All", "find people by email"),
            ("UserAuthenticationMethod.ReadWrite.All", "clear MFA methods, issue passes"),
            ("User.RevokeSessions.All", "revoke sign-in sessions"),
        ):
            if granted is None:
                break
            has = permission in granted or (
                permission == "User.RevokeSessions.All" and "User.ReadWrite.All" in granted
            )
            lines.append((has, f"application permission {permission} ({use})"))
        if granted is not None:
            lines.append(
                (
                    bool(granted & ROLE_READERS),
                    "application permission RoleManagement.Read.Directory (name the admin roles "
                    "of the person, and see roles they are eligible for)",
                )
            )
        try:
            _, body = await self._call("GET", "/users?$top=1&$select=id", "users")
            lines.append((True, "read users (GET /users)"))
        except IdentityError as exc:
            lines.append((False, f"read users: {exc}"))
            return lines
        for found in body.get("value", [])[:1]:
            try:
                await self.admin_roles(DirectoryUser(id=str(found["id"]), email=""))
                lines.append((True, "read a person's admin roles (active and eligible)"))
            except IdentityError as exc:
                lines.append(
                    (False, f"read admin roles (until it works, every request needs two): {exc}")
                )
        return lines

    async def _active_roles(self, user: DirectoryUser) -> list[str]:
        """Directory roles among the person's transitive memberships (no OData cast: a cast
        needs the eventually consistent index, which can miss a role assigned a moment ago)."""
        path = (
            f"/users/{quote(user.id, safe='')}/transitiveMemberOf"
            "?$select=id,displayName,roleTemplateId&$top=999"
        )
        items = await self._pages(path, "users")
        return [_role_name(item) for item in items if item.get("@odata.type") == DIRECTORY_ROLE]

    async def _eligible_roles(self, user: DirectoryUser) -> list[str]:
        """Roles the person may activate through PIM (assigned to them directly)."""
        condition = quote("principalId eq '" + user.id.replace("'", "''") + "'")
        path = (
            "/roleManagement/directory/roleEligibilityScheduleInstances"
            f"?$filter={condition}&$expand=roleDefinition"
        )
        try:
            items = await self._pages(path, "roles", allow=(400,))
        except _LicenseMissingError:
            return []  # a tenant without Entra ID P2 has no PIM, so nobody is eligible
        return [_role_name(item.get("roleDefinition") or {}) for item in items]

    async def _pages(
        self, path: str, purpose: str, allow: tuple[int, ...] = ()
    ) -> list[dict[str, Any]]:
        """Every item of a collection, following @odata.nextLink on the same Graph only."""
        items: list[dict[str, Any]] = []
        base = self._config.graph_url.rstrip("/")
        for _ in range(MAX_PAGES):
            status, body = await self._call("GET", path, purpose, allow=allow)
            if status == 400:
                code = str((body.get("error") or {}).get("code", ""))
                if code == "AadPremiumLicenseRequired":
                    raise _LicenseMissingError(code)
                raise IdentityError(f"Microsoft Graph answered 400 {code}".strip())
            items += [item for item in body.get("value", []) if isinstance(item, dict)]
            link = body.get("@odata.nextLink")
            if not link:
                return items
            if not str(link).startswith(base + "/"):
                raise IdentityError("Microsoft Graph sent a next page on another address")
            path = str(link)[len(base) :]
        raise IdentityError(f"more than {MAX_PAGES} pages of results from Microsoft Graph")

    # -- Graph -------------------------------------------------------------------------------

    async def _delete_method(
        self, user: DirectoryUser, method: dict[str, Any], collections: dict[str, str]
    ) -> bool:
        """True when deleted (or already gone); False when Graph says it is the default."""
        collection = collections[method["@odata.type"]]
        path = f"/users/{user.id}/authentication/{collection}/{method['id']}"
        status, body = await self._call("DELETE", path, "methods", allow=(400, 404))
        if status == 400:
            message = str((body.get("error") or {}).get("message", "")).lower()
            if "default" in message:
                return False
            raise IdentityError(f"Entra ID refused to delete {_describe(method)}: {message}")
        return True  # 204, or 404: already gone counts as done

    async def _call(
        self,
        verb: str,
        path: str,
        purpose: str,
        payload: dict[str, Any] | None = None,
        allow: tuple[int, ...] = (404,),
    ) -> tuple[int, dict[str, Any]]:
        for attempt in (1, 2):
            token = await self._access_token(refresh=attempt == 2)
            headers = {"Authorization": f"Bearer {token}"}
            ours = client_request_id()
            if ours is not None:  # one id for every call of an action, echoed back by Graph
                headers |= {"client-request-id": ours, "return-client-request-id": "true"}
            try:
                async with self._http.request(
                    verb,
                    f"{self._config.graph_url.rstrip('/')}{path}",
                    json=payload,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=CALL_TIMEOUT_S),
                    allow_redirects=False,
                ) as response:
                    body = await _json(response)
                    status = response.status
                    retry_after = response.headers.get("Retry-After")
                    note_answer(response.headers, "request-id")
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise TemporaryIdentityError(
                    f"Microsoft Graph did not answer ({type(exc).__name__})"
                ) from exc
            if status == 401 and attempt == 1:
                continue  # the token expired early or was revoked: fetch a new one once
            if status == 401:
                raise IdentityError("Microsoft Graph refused a fresh token of the app (401)")
            return self._check(status, body, retry_after, purpose, allow)
        raise IdentityError("Microsoft Graph refused the app's token twice")

    @staticmethod
    def _check(
        status: int,
        body: dict[str, Any],
        retry_after: str | None,
        purpose: str,
        allow: tuple[int, ...],
    ) -> tuple[int, dict[str, Any]]:
        if status < 300 or status in allow:
            return status, body
        if status == 404:
            raise UserNotFoundError("the person is no longer in Entra ID")
        code = (body.get("error") or {}).get("code", "")
        if status == 429 or status >= 500:
            wait = float(retry_after) if retry_after and retry_after.isdigit() else None
            raise TemporaryIdentityError(f"Microsoft Graph answered {status} {code}".strip(), wait)
        if status == 403:
            raise IdentityError(
                f"Microsoft Graph refused ({code or 'forbidden'}): the app registration needs the "
                f"application permission {PERMISSION[purpose]}, with admin consent"
            )
        message = str((body.get("error") or {}).get("message", ""))[:300]
        raise IdentityError(f"Microsoft Graph answered {status} {code}: {message}".strip(": "))

    async def _access_token(self, *, refresh: bool) -> str:
        now = self._clock.now()
        if (
            not refresh
            and self._token is not None
            and self._token_expires is not None
            and now < self._token_expires
        ):
            return self._token
        url = (
            f"{self._config.login_url.rstrip('/')}/{quote(self._config.tenant_id)}"
            "/oauth2/v2.0/token"
        )
        form = {
            "client_id": self._config.client_id,
            "client_secret": self._config.client_secret,
            "scope": GRAPH_SCOPE,
            "grant_type": "client_credentials",
        }
        try:
            async with self._http.post(
                url,
                data=form,
                timeout=aiohttp.ClientTimeout(total=CALL_TIMEOUT_S),
                allow_redirects=False,
            ) as response:
                body = await _json(response)
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TemporaryIdentityError(
                f"the Entra sign-in endpoint did not answer ({type(exc).__name__})"
            ) from exc
        if status >= 500 or status == 429:
            raise TemporaryIdentityError(f"the Entra sign-in endpoint answered {status}")
        if status != 200 or "access_token" not in body:
            # error_description carries an AADSTS code an admin can look up; never a secret.
            raise IdentityError(
                f"Entra ID refused the app's credentials: {body.get('error', status)} "
                f"{str(body.get('error_description', ''))[:200]}".strip()
            )
        self._token = str(body["access_token"])
        lifetime = timedelta(seconds=int(body.get("expires_in", 3599)))
        self._token_expires = now + max(lifetime - TOKEN_MARGIN, timedelta(seconds=30))
        return self._token

    @staticmethod
    def _manual_link() -> str:
        return ENTRA_USERS


async def _json(response: aiohttp.ClientResponse) -> dict[str, Any]:
    if response.status == 204:
        return {}
    try:
        body = await response.json(content_type=None)
    except (ValueError, aiohttp.ContentTypeError):
        return {}
    return body if isinstance(body, dict) else {}


def _user(body: dict[str, Any], email: str) -> DirectoryUser:
    return DirectoryUser(
        id=str(body["id"]),
        email=str(body.get("mail") or body.get("userPrincipalName") or email),
        display_name=str(body.get("displayName") or ""),
    )


class _LicenseMissingError(IdentityError):
    """Graph says the tenant lacks the licence a feature needs (observed: 400
    AadPremiumLicenseRequired from the PIM APIs without Entra ID P2)."""


def _role_name(role: dict[str, Any]) -> str:
    """The role's name; Graph withholds it from an app that may not read roles."""
    name = role.get("displayName")
    if name:
        return str(name)
    return f"a directory role whose name the app may not read (id {role.get('id', '?')})"


def _describe(method: dict[str, Any]) -> str:
    kind = str(method.get("@odata.type", "")).rsplit(".", 1)[-1].replace("AuthenticationMethod", "")
    detail = method.get("phoneType") or method.get("displayName") or ""
    return f"{kind} ({detail})" if detail else kind


def _roles(token: str) -> set[str] | None:
    """The application permissions granted, from the access token's `roles` claim (not verified:
    for reporting only); None when the token is not a readable JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, binascii.Error):
        return None
    roles = claims.get("roles") if isinstance(claims, dict) else None
    return {str(role) for role in roles} if isinstance(roles, list) else set()
