"""Who may post to /api/messages: Bot Framework tokens checked with the SDK's JWT validator against
the signing keys TEAMS_OPENID_METADATA_URL names, the service-URL rule, and the anonymous mode."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from jwt import PyJWK, get_unverified_header
from microsoft_agents.hosting.core.authorization import AgentAuthConfiguration, ClaimsIdentity
from microsoft_agents.hosting.core.authorization.jwt import JwtTokenValidator

from bot.domain.ports import Clock

log = logging.getLogger(__name__)

BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
SERVICE_URL_CLAIM = "serviceurl"
TEAMS_CHANNEL = "msteams"
# Bot Framework rotates its keys rarely and announces new ones ahead: a day's cache is what its
# documentation asks for. A token naming a key not in the cache sends us to read the keys
# again, at most once a minute, so forged tokens cannot make us fetch at their pace.
KEYS_FRESH = timedelta(hours=24)
UNKNOWN_KEY_RETRY = timedelta(minutes=1)
FETCH_TIMEOUT_S = 10
# The SDK lets a token run 300 s past its expiry; Bot Framework's tokens live an hour and are
# renewed well before, so a minute covers clock skew without keeping a stolen one alive.
EXPIRY_LEEWAY_S = 60
LOOPBACK_NAMES = frozenset({"localhost"})


class KeysUnavailableError(Exception):
    """The signing keys could not be read and none are cached: nothing can be verified."""


class Refused(Exception):
    """The request is refused with `status` (401, 403, 400 or 503); `why` goes to the log."""

    def __init__(self, status: int, why: str) -> None:
        super().__init__(why)
        self.status = status
        self.why = why


@dataclass(frozen=True)
class _KeySet:
    keys: Mapping[str, PyJWK]
    endorsements: Mapping[str, frozenset[str]]
    read_at: datetime


class OpenIdKeys:
    """The signing keys from the OpenID metadata's jwks_uri, cached (a day, or until a token
    names a key we do not have)."""

    def __init__(self, metadata_url: str, http: aiohttp.ClientSession, clock: Clock) -> None:
        self._metadata_url = metadata_url
        self._http = http
        self._clock = clock
        self._keys: _KeySet | None = None
        self._lock = asyncio.Lock()
        self._last_try: datetime | None = None

    async def get_signing_key(self, jwks_uri: str, header: dict[str, Any]) -> PyJWK:
        """The key the token's header names (`jwks_uri`, the SDK's guess, is not used);
        LookupError for a key we do not have, KeysUnavailableError when none can be read."""
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise LookupError("the token names no signing key")
        keys = await self._current(kid)
        found = keys.keys.get(kid)
        if found is None:
            raise LookupError("the token names a signing key that is not published")
        return found

    def endorsements(self, kid: str) -> frozenset[str] | None:
        """The channels the key is endorsed for; None when the key says nothing about it."""
        if self._keys is None:
            return None
        return self._keys.endorsements.get(kid)

    async def _current(self, kid: str) -> _KeySet:
        async with self._lock:
            now = self._clock.now()
            keys = self._keys
            if keys is not None and now - keys.read_at < KEYS_FRESH and kid in keys.keys:
                return keys
            if self._last_try is not None and now - self._last_try < UNKNOWN_KEY_RETRY:
                # Looked a moment ago (read or failed): a token cannot make us look again.
                if keys is None:
                    raise KeysUnavailableError("the signing keys could not be read a moment ago")
                return keys
            self._last_try = now
            try:
                self._keys = await self._read(now)
            except KeysUnavailableError:
                if keys is None:
                    raise
                log.warning("could not read the signing keys again; keeping the ones read before")
                return keys
            return self._keys

    async def _read(self, now: datetime) -> _KeySet:
        metadata = await self._get_json(self._metadata_url, "the OpenID metadata")
        jwks_uri = metadata.get("jwks_uri")
        if not isinstance(jwks_uri, str) or urlsplit(jwks_uri).scheme not in ("http", "https"):
            raise KeysUnavailableError("the OpenID metadata names no jwks_uri")
        published = await self._get_json(jwks_uri, "the signing keys")
        keys: dict[str, PyJWK] = {}
        endorsements: dict[str, frozenset[str]] = {}
        raw_keys = published.get("keys")
        for raw in raw_keys if isinstance(raw_keys, list) else []:
            if not isinstance(raw, dict) or raw.get("kty") != "RSA":
                continue  # the tokens are RS256: an RSA key is the only kind that can sign them
            kid = raw.get("kid")
            if not isinstance(kid, str) or not kid:
                continue
            try:
                keys[kid] = PyJWK(raw, algorithm="RS256")
            except Exception as exc:  # a malformed key is skipped, the others still serve
                log.warning("skipped a signing key that does not load (%s)", type(exc).__name__)
                continue
            channels = raw.get("endorsements")
            if isinstance(channels, list):
                endorsements[kid] = frozenset(str(channel) for channel in channels)
        if not keys:
            raise KeysUnavailableError("the jwks_uri lists no RSA signing key")
        log.info("read %d signing key(s) for Bot Framework tokens", len(keys))
        return _KeySet(keys, endorsements, now)

    async def _get_json(self, url: str, what: str) -> dict[str, Any]:
        try:
            async with self._http.get(
                url,
                timeout=aiohttp.ClientTimeout(total=FETCH_TIMEOUT_S),
                allow_redirects=False,
            ) as response:
                if response.status != 200:
                    raise KeysUnavailableError(f"{what} answered {response.status}")
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise KeysUnavailableError(f"{what} could not be read ({type(exc).__name__})") from exc
        if not isinstance(body, dict):
            raise KeysUnavailableError(f"{what} is not a JSON object")
        return body


class TeamsTokenValidator(JwtTokenValidator):
    """The SDK's validator (signature, RS256, expiry, audience) with our source of keys.

    The SDK reads Bot Framework's keys from login.botframework.com; these come from
    TEAMS_OPENID_METADATA_URL, so an operator (or a test) can point it elsewhere.
    """

    def __init__(self, configuration: AgentAuthConfiguration, keys: OpenIdKeys) -> None:
        super().__init__(configuration)
        # The SDK asks its class-wide key manager for keys; this instance asks ours.
        self._jwk_client_manager = keys  # type: ignore[assignment]


class TeamsAuth:
    """Decides whether an activity posted to /api/messages is Teams' own, before anything runs."""

    def __init__(
        self,
        app_id: str | None,
        keys: OpenIdKeys | None,
        tenant_id: str | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._app_id = app_id
        self._keys = keys
        self._tenant_id = tenant_id
        self._wall_clock = wall_clock  # the tokens' exp is in the issuer's Unix time
        self._validator = (
            TeamsTokenValidator(AgentAuthConfiguration(client_id=app_id), keys)
            if app_id is not None and keys is not None
            else None
        )

    @property
    def anonymous(self) -> bool:
        """True in the anonymous mode (no app ID): no token is checked, loopback only."""
        return self._validator is None

    async def authenticate(
        self, authorization: str | None, activity: Mapping[str, Any]
    ) -> ClaimsIdentity:
        """The caller's claims; Refused (401, 403, 400, 503) for anything that is not Teams'."""
        identity = await self.verify(authorization)
        self.admit(identity, activity)
        return identity

    async def verify(self, authorization: str | None) -> ClaimsIdentity:
        """The token's claims (none in the anonymous mode), checked before the request's body is
        looked at, so a caller without a token learns nothing of the other rules; Refused (401,
        503) otherwise."""
        if self._validator is None:
            return ClaimsIdentity()  # anonymous: the SDK replies without a token
        identity = await _verified(self._validator, authorization)
        claims = identity.claims
        if claims.get("iss") != BOT_FRAMEWORK_ISSUER:
            raise Refused(401, "a token not issued by Bot Framework")
        expiry, not_before = claims.get("exp"), claims.get("nbf")
        if not isinstance(expiry, int | float):
            raise Refused(401, "a token without an expiry")
        now = self._wall_clock()
        if expiry + EXPIRY_LEEWAY_S < now:
            raise Refused(401, "an expired token")
        if isinstance(not_before, int | float) and not_before - EXPIRY_LEEWAY_S > now:
            raise Refused(401, "a token not valid yet")
        endorsed = self._keys.endorsements(_kid(identity)) if self._keys else None
        if endorsed is not None and TEAMS_CHANNEL not in endorsed:
            raise Refused(401, "a token signed with a key not endorsed for Teams")
        return identity

    def admit(self, identity: ClaimsIdentity, activity: Mapping[str, Any]) -> None:
        """Refused (401, 403, 400) unless the verified caller's activity is a Teams activity
        for our tenant, whose serviceUrl the token names (loopback in the anonymous mode)."""
        channel = activity.get("channelId")
        if channel != TEAMS_CHANNEL:
            # Bot Framework signs for Web Chat, Direct Line or the Emulator too: not ours.
            raise Refused(403, f"an activity from the channel {str(channel)[:40]!r}, not Teams")
        service_url = activity.get("serviceUrl")
        if not isinstance(service_url, str) or not service_url:
            raise Refused(400, "an activity without a serviceUrl")
        if self._validator is None:
            if not is_loopback_url(service_url):
                raise Refused(401, "an anonymous activity whose serviceUrl is not on loopback")
        else:
            claimed = identity.claims.get(SERVICE_URL_CLAIM)
            if not isinstance(claimed, str) or _same_url(claimed) != _same_url(service_url):
                raise Refused(401, "an activity whose serviceUrl is not the token's")
        self._check_tenant(activity)

    def _check_tenant(self, activity: Mapping[str, Any]) -> None:
        if self._tenant_id is None:
            return
        if tenant_of(activity) != self._tenant_id:
            raise Refused(403, "an activity from another tenant")


async def _verified(validator: JwtTokenValidator, authorization: str | None) -> ClaimsIdentity:
    """The token's claims once the SDK's validator accepts it; Refused otherwise."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or any(char.isspace() for char in token):
        raise Refused(401, "no bearer token")
    try:
        return await validator.validate_token(token)
    except KeysUnavailableError as exc:
        raise Refused(503, f"the signing keys cannot be read: {exc}") from None
    except Exception as exc:  # whatever a forged token breaks is a refusal, never a 500
        raise Refused(401, f"a token that does not verify ({type(exc).__name__})") from None


def tenant_of(activity: Mapping[str, Any]) -> str:
    """The Entra tenant an activity comes from (channelData.tenant.id), lower case; "" if none."""
    channel_data = activity.get("channelData")
    tenant = channel_data.get("tenant") if isinstance(channel_data, dict) else None
    found = tenant.get("id") if isinstance(tenant, dict) else None
    if not isinstance(found, str):
        conversation = activity.get("conversation")
        found = conversation.get("tenantId") if isinstance(conversation, dict) else None
    return found.lower() if isinstance(found, str) else ""


def is_loopback_url(url: str) -> bool:
    """True for an http(s) URL on this machine (127.0.0.0/8, ::1, localhost) and nothing else."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host or parts.username or parts.password:
        return False
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _same_url(url: str) -> str:
    """A service URL as compared: a trailing slash and the host's case do not count."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def _kid(identity: ClaimsIdentity) -> str:
    """The signing key's id from the verified token's header."""
    token = identity.security_token or ""
    try:
        kid = get_unverified_header(token).get("kid")
    except Exception:
        return ""
    return kid if isinstance(kid, str) else ""
