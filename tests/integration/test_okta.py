"""The Okta adapter against a fake Okta Management API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.domain.identity import (
    ActionOutcome,
    IdentityError,
    TemporaryIdentityError,
    UserNotFoundError,
)
from bot.identity.okta import OktaConfig, OktaProvider
from tests.fakes.okta import FakeOkta


@pytest.fixture
def okta(okta_directory: FakeOkta) -> FakeOkta:
    """An empty directory: each test adds its people."""
    return okta_directory


@pytest.fixture
async def provider(okta: FakeOkta) -> AsyncIterator[OktaProvider]:
    async with aiohttp.ClientSession() as http:
        yield OktaProvider(OktaConfig(org_url=okta.origin, api_token=okta.token), http)


async def test_finds_by_login_then_by_email(okta: FakeOkta, provider: OktaProvider) -> None:
    ada = okta.add_user("ada@example.com")
    bo = okta.add_user("bo.login", email="bo@example.com")
    assert (await provider.find_user("ada@example.com")).id == ada.id
    assert (await provider.find_user("bo@example.com")).id == bo.id
    with pytest.raises(UserNotFoundError):
        await provider.find_user("nobody@example.com")


async def test_an_entra_object_id_is_ignored(okta: FakeOkta, provider: OktaProvider) -> None:
    ada = okta.add_user("ada@example.com")
    teams_id = "5d7e4c2a-91b3-4f0e-8a6d-2c1b0e9f7a31"  # what a Teams request carries
    assert (await provider.find_user("ada@example.com", object_id=teams_id)).id == ada.id
    with pytest.raises(UserNotFoundError, match="Teams shows no email"):
        await provider.find_user("", object_id=teams_id)


async def test_reset_factors_and_clear_sessions(okta: FakeOkta, provider: OktaProvider) -> None:
    ada = okta.add_user("ada@example.com")
    user = await provider.find_user("ada@example.com")
    assert (await provider.clear_mfa(user)).outcome is ActionOutcome.DONE
    assert ada.factors == []
    assert "nothing to reset" in (await provider.clear_mfa(user)).summary
    await provider.revoke_sessions(user)
    assert (ada.sessions, ada.oauth_tokens_revoked, ada.forgot_devices) == (0, True, True)
    assert "no app passwords" in (await provider.delete_app_passwords(user)).summary


async def test_a_429_waits_until_the_rate_limit_resets(
    okta: FakeOkta, provider: OktaProvider
) -> None:
    okta.add_user("ada@example.com")
    user = await provider.find_user("ada@example.com")
    okta.throttle_next = 1
    with pytest.raises(TemporaryIdentityError) as throttled:
        await provider.revoke_sessions(user)
    assert throttled.value.retry_after is not None
    assert 1 <= throttled.value.retry_after <= 5


async def test_a_bad_token_is_a_clear_permanent_error(okta: FakeOkta) -> None:
    async with aiohttp.ClientSession() as http:
        wrong = OktaProvider(OktaConfig(org_url=okta.origin, api_token="nope"), http)
        with pytest.raises(IdentityError, match="OKTA_API_TOKEN") as refused:
            await wrong.find_user("ada@example.com")
    assert not isinstance(refused.value, TemporaryIdentityError)
    assert "nope" not in str(refused.value)
