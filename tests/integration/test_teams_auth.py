"""Teams' inbound auth against a loopback OpenID metadata and JWKS server with a local RSA key."""

from __future__ import annotations

import base64
import functools
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import jwt
import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

from teams.auth import BOT_FRAMEWORK_ISSUER, OpenIdKeys, Refused, TeamsAuth, is_loopback_url

APP_ID = "11111111-2222-3333-4444-555555555555"
TENANT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
SERVICE_URL = "https://smba.example.test/emea/"


class Clock:
    def __init__(self) -> None:
        self.current = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current


@functools.cache
def rsa_key(name: str) -> rsa.RSAPrivateKey:
    """An RSA key made once per test run (making one takes a while)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class KeyServer:
    """OpenID metadata and a JWKS on loopback; counts how often each is read."""

    key: rsa.RSAPrivateKey = field(default_factory=lambda: rsa_key("published"))
    kid: str = "test-key"
    endorsements: list[str] = field(default_factory=lambda: ["msteams"])
    reads: dict[str, int] = field(default_factory=lambda: {"metadata": 0, "keys": 0})
    down: bool = False
    url: str = ""

    def jwks(self) -> dict[str, Any]:
        numbers = self.key.public_key().public_numbers()
        return {
            "keys": [
                {
                    "kty": "RSA",
                    "use": "sig",
                    "kid": self.kid,
                    "n": _b64(numbers.n),
                    "e": _b64(numbers.e),
                    "endorsements": self.endorsements,
                }
            ]
        }

    def app(self) -> web.Application:
        async def metadata(_request: web.Request) -> web.Response:
            self.reads["metadata"] += 1
            if self.down:
                return web.Response(status=503)
            return web.json_response(
                {
                    "issuer": BOT_FRAMEWORK_ISSUER,
                    "jwks_uri": f"{self.url}/keys",
                    "id_token_signing_alg_values_supported": ["RS256"],
                }
            )

        async def keys(_request: web.Request) -> web.Response:
            self.reads["keys"] += 1
            return web.json_response(self.jwks())

        app = web.Application()
        app.router.add_get("/openid", metadata)
        app.router.add_get("/keys", keys)
        return app

    def token(self, key: rsa.RSAPrivateKey | None = None, **claims: Any) -> str:
        now = int(time.time())
        body = {
            "iss": BOT_FRAMEWORK_ISSUER,
            "aud": APP_ID,
            "serviceurl": SERVICE_URL,
            "nbf": now - 10,
            "exp": now + 3600,
        } | claims
        body = {name: value for name, value in body.items() if value is not None}
        return jwt.encode(body, key or self.key, algorithm="RS256", headers={"kid": self.kid})


@pytest.fixture
async def keys_server() -> AsyncIterator[KeyServer]:
    server = KeyServer()
    runner = web.AppRunner(server.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    server.url = f"http://127.0.0.1:{port}"
    yield server
    await runner.cleanup()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def activity(service_url: str = SERVICE_URL, tenant: str = TENANT) -> dict[str, Any]:
    return {
        "type": "message",
        "id": str(uuid.uuid4()),
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {"id": "29:1", "aadObjectId": str(uuid.uuid4())},
        "conversation": {"id": "a:1", "conversationType": "personal", "tenantId": tenant},
        "channelData": {"tenant": {"id": tenant}},
        "text": "help",
    }


def auth_for(server: KeyServer, http: aiohttp.ClientSession, clock: Clock) -> TeamsAuth:
    keys = OpenIdKeys(f"{server.url}/openid", http, clock)
    return TeamsAuth(APP_ID, keys, TENANT)


async def test_a_token_signed_by_the_published_key_is_accepted(
    keys_server: KeyServer, http: aiohttp.ClientSession
) -> None:
    auth = auth_for(keys_server, http, Clock())
    identity = await auth.authenticate(f"Bearer {keys_server.token()}", activity())
    assert identity.claims["aud"] == APP_ID
    assert identity.claims["serviceurl"] == SERVICE_URL


async def test_the_keys_are_read_once_and_cached(
    keys_server: KeyServer, http: aiohttp.ClientSession
) -> None:
    auth = auth_for(keys_server, http, Clock())
    for _ in range(5):
        await auth.authenticate(f"Bearer {keys_server.token()}", activity())
    assert keys_server.reads == {"metadata": 1, "keys": 1}


@pytest.mark.parametrize(
    "why",
    ["no token", "forged", "expired", "wrong audience", "other issuer", "no expiry", "garbage"],
)
async def test_a_token_that_does_not_hold_is_refused_with_401(
    keys_server: KeyServer, http: aiohttp.ClientSession, why: str
) -> None:
    other_key = rsa_key("forger's")
    old = int(time.time()) - 3600
    header = {
        "no token": None,
        "forged": f"Bearer {keys_server.token(other_key)}",
        "expired": f"Bearer {keys_server.token(exp=old, nbf=old - 60)}",
        "wrong audience": f"Bearer {keys_server.token(aud=str(uuid.uuid4()))}",
        "other issuer": f"Bearer {keys_server.token(iss='https://sts.example.test/')}",
        "no expiry": f"Bearer {keys_server.token(exp=None)}",
        "garbage": "Bearer not.a.jwt",
    }[why]
    with pytest.raises(Refused) as refused:
        await auth_for(keys_server, http, Clock()).authenticate(header, activity())
    assert refused.value.status == 401


async def test_an_activity_naming_another_service_url_than_its_token_is_refused(
    keys_server: KeyServer, http: aiohttp.ClientSession
) -> None:
    auth = auth_for(keys_server, http, Clock())
    with pytest.raises(Refused) as refused:
        await auth.authenticate(
            f"Bearer {keys_server.token()}", activity("https://attacker.example.test/")
        )
    assert refused.value.status == 401


async def test_a_key_not_endorsed_for_teams_is_refused(
    keys_server: KeyServer, http: aiohttp.ClientSession
) -> None:
    keys_server.endorsements = ["skype"]
    with pytest.raises(Refused) as refused:
        await auth_for(keys_server, http, Clock()).authenticate(
            f"Bearer {keys_server.token()}", activity()
        )
    assert refused.value.status == 401


async def test_another_tenant_is_refused_with_403(
    keys_server: KeyServer, http: aiohttp.ClientSession
) -> None:
    with pytest.raises(Refused) as refused:
        await auth_for(keys_server, http, Clock()).authenticate(
            f"Bearer {keys_server.token()}", activity(tenant=str(uuid.uuid4()))
        )
    assert refused.value.status == 403


async def test_no_keys_to_read_is_503_and_a_forged_key_id_does_not_refetch_at_once(
    keys_server: KeyServer, http: aiohttp.ClientSession
) -> None:
    clock = Clock()
    keys_server.down = True
    auth = auth_for(keys_server, http, clock)
    with pytest.raises(Refused) as refused:
        await auth.authenticate(f"Bearer {keys_server.token()}", activity())
    assert refused.value.status == 503
    keys_server.down = False
    clock.current += timedelta(minutes=2)
    await auth.authenticate(f"Bearer {keys_server.token()}", activity())
    reads = dict(keys_server.reads)
    clock.current += timedelta(minutes=2)  # the last read is not a moment ago any more
    unknown = jwt.encode(
        {"iss": BOT_FRAMEWORK_ISSUER, "aud": APP_ID, "exp": int(time.time()) + 60},
        keys_server.key,
        algorithm="RS256",
        headers={"kid": "another-key"},
    )
    for _ in range(3):
        with pytest.raises(Refused):
            await auth.authenticate(f"Bearer {unknown}", activity())
    assert keys_server.reads["keys"] == reads["keys"] + 1  # looked once, not at each token


async def test_the_anonymous_mode_accepts_loopback_service_urls_only(
    http: aiohttp.ClientSession,
) -> None:
    auth = TeamsAuth(None, None)
    assert auth.anonymous
    identity = await auth.authenticate(None, activity("http://127.0.0.1:56150/_connector"))
    assert identity.claims == {}
    for elsewhere in ("https://smba.trafficmanager.net/emea/", "http://10.0.0.1/", "file:///x"):
        with pytest.raises(Refused) as refused:
            await auth.authenticate(None, activity(elsewhere))
        assert refused.value.status == 401


def test_loopback_urls() -> None:
    assert is_loopback_url("http://localhost:3978/")
    assert is_loopback_url("http://[::1]:80/x")
    assert is_loopback_url("https://127.0.0.2/")
    assert not is_loopback_url("http://user:pw@127.0.0.1/")
    assert not is_loopback_url("http://127.0.0.1.example.test/")
    assert not is_loopback_url("ftp://127.0.0.1/")
