"""The Entra ID adapter against a fake Microsoft Graph: each action, lookups, errors, tokens."""

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
from bot.identity.entra import EntraConfig, EntraProvider
from tests.conftest import FixedClock
from tests.fakes.graph import ALTERNATE_MOBILE, MOBILE, PASSWORD, FakeGraph


@pytest.fixture
def graph(graph_directory: FakeGraph) -> FakeGraph:
    """An empty directory: each test adds its people."""
    return graph_directory


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
async def entra(graph: FakeGraph, clock: FixedClock) -> AsyncIterator[EntraProvider]:
    config = EntraConfig(
        tenant_id=graph.tenant,
        client_id="app-1",
        client_secret=graph.secret,
        login_url=graph.origin,
        graph_url=f"{graph.origin}/v1.0",
    )
    async with aiohttp.ClientSession() as http:
        yield EntraProvider(config, http, clock)


async def test_finds_a_person_by_upn_then_mail_then_proxy_address(
    graph: FakeGraph, entra: EntraProvider
) -> None:
    by_upn = graph.add_user("ada@example.com")
    by_mail = graph.add_user("bo.123@corp.onmicrosoft.com", mail="bo@example.com")
    by_proxy = graph.add_user(
        "cy@corp.onmicrosoft.com",
        mail="cy.other@example.com",
        proxy_addresses=["SMTP:cy@example.com"],
    )
    assert (await entra.find_user("ada@example.com")).id == by_upn.id
    assert (await entra.find_user("bo@example.com")).id == by_mail.id
    assert (await entra.find_user("cy@example.com")).id == by_proxy.id
    assert (
        "GET",
        "/users?$filter=mail eq 'bo@example.com'&$select=id,userPrincipalName,mail,displayName",
    ) in graph.requests


async def test_no_match_or_several_matches_is_never_a_guess(
    graph: FakeGraph, entra: EntraProvider
) -> None:
    with pytest.raises(UserNotFoundError, match="no account"):
        await entra.find_user("nobody@example.com")
    graph.add_user("x1@corp.onmicrosoft.com", mail="twin@example.com")
    graph.add_user("x2@corp.onmicrosoft.com", mail="twin@example.com")
    with pytest.raises(UserNotFoundError, match="2 accounts"):
        await entra.find_user("twin@example.com")


async def test_clear_mfa_deletes_each_method_by_type_default_last_never_the_password(
    graph: FakeGraph, entra: EntraProvider
) -> None:
    person = graph.add_user("ada@example.com")
    authenticator = next(m for m in person.methods if "Authenticator" in m["@odata.type"])
    person.default_method = authenticator["id"]
    user = await entra.find_user("ada@example.com")
    result = await entra.clear_mfa(user)
    assert result.outcome is ActionOutcome.DONE
    assert "Removed 4 methods" in result.summary
    assert [m["id"] for m in person.methods] == [PASSWORD]
    deletes = [path for verb, path in graph.requests if verb == "DELETE"]
    assert deletes.index(f"/users/{person.id}/authentication/phoneMethods/{ALTERNATE_MOBILE}") < (
        deletes.index(f"/users/{person.id}/authentication/phoneMethods/{MOBILE}")
    )
    assert deletes[-1].endswith(authenticator["id"])  # refused while others remained, then last
    assert not any("/authentication/methods/" in path for path in deletes)
    again = await entra.clear_mfa(user)
    assert "nothing to remove" in again.summary


async def test_a_method_already_gone_counts_as_deleted(
    graph: FakeGraph, entra: EntraProvider
) -> None:
    graph.add_user("ada@example.com")
    user = await entra.find_user("ada@example.com")
    graph.fail("DELETE", "softwareOathMethods", 404)
    result = await entra.clear_mfa(user)
    assert "Removed 4" in result.summary


async def test_revoke_sessions_and_a_missing_permission_named(
    graph: FakeGraph, entra: EntraProvider
) -> None:
    person = graph.add_user("ada@example.com")
    user = await entra.find_user("ada@example.com")
    result = await entra.revoke_sessions(user)
    assert person.sessions_revoked == 1
    assert "few minutes" in result.summary
    assert "Revoke MFA sessions" in result.summary
    graph.granted.discard("User.RevokeSessions.All")
    with pytest.raises(IdentityError, match=r"User\.RevokeSessions\.All") as refused:
        await entra.revoke_sessions(user)
    assert not isinstance(refused.value, TemporaryIdentityError)
    graph.granted.discard("UserAuthenticationMethod.ReadWrite.All")
    with pytest.raises(IdentityError, match=r"UserAuthenticationMethod\.ReadWrite\.All"):
        await entra.clear_mfa(user)


async def test_a_temporary_access_pass_is_one_use_and_only_in_the_secret(
    graph: FakeGraph, entra: EntraProvider
) -> None:
    graph.add_user("ada@example.com")
    user = await entra.find_user("ada@example.com")
    result = await entra.issue_temporary_access_pass(user, 60)
    assert result.secret_for_user == graph.tap_issued[-1]
    assert result.secret_for_user not in result.summary
    assert result.secret_for_user not in repr(result)
    person = next(iter(graph.users.values()))
    tap = next(m for m in person.methods if "temporaryAccess" in m["@odata.type"])
    assert tap["isUsableOnce"] is True
    assert tap["lifetimeInMinutes"] == 60
    with pytest.raises(IdentityError, match="valid range between 60 and 480"):
        await entra.issue_temporary_access_pass(user, 30)


async def test_app_passwords_are_honestly_a_manual_step(
    graph: FakeGraph, entra: EntraProvider
) -> None:
    graph.add_user("ada@example.com")
    result = await entra.delete_app_passwords(await entra.find_user("ada@example.com"))
    assert result.outcome is ActionOutcome.MANUAL
    assert "no API" in result.summary
    assert any("Delete all existing app passwords" in step for step in result.manual_steps)


async def test_throttling_and_server_errors_are_temporary(
    graph: FakeGraph, entra: EntraProvider
) -> None:
    graph.add_user("ada@example.com")
    user = await entra.find_user("ada@example.com")
    graph.fail("POST", "revokeSignInSessions", 429, **{"Retry-After": "7"})
    with pytest.raises(TemporaryIdentityError) as throttled:
        await entra.revoke_sessions(user)
    assert throttled.value.retry_after == 7
    graph.fail("POST", "revokeSignInSessions", 503)
    with pytest.raises(TemporaryIdentityError):
        await entra.revoke_sessions(user)


async def test_the_token_is_cached_refreshed_when_old_and_after_a_401(
    graph: FakeGraph, entra: EntraProvider, clock: FixedClock
) -> None:
    graph.add_user("ada@example.com")
    await entra.find_user("ada@example.com")
    await entra.find_user("ada@example.com")
    assert graph.tokens_issued == 1
    clock.advance(minutes=56)  # within five minutes of expiry
    await entra.find_user("ada@example.com")
    assert graph.tokens_issued == 2
    graph.revoke_tokens()
    await entra.find_user("ada@example.com")
    assert graph.tokens_issued == 3


async def test_wrong_credentials_are_a_clear_permanent_error(
    graph: FakeGraph, clock: FixedClock
) -> None:
    config = EntraConfig(
        tenant_id=graph.tenant,
        client_id="app-1",
        client_secret="wrong",
        login_url=graph.origin,
        graph_url=f"{graph.origin}/v1.0",
    )
    async with aiohttp.ClientSession() as http:
        with pytest.raises(IdentityError, match="AADSTS7000215") as refused:
            await EntraProvider(config, http, clock).find_user("ada@example.com")
    assert "wrong" not in str(refused.value)


async def test_check_idp_reports_what_works_and_the_missing_permission(graph: FakeGraph) -> None:
    import asyncio
    import os
    import sys

    graph.granted.discard("User.RevokeSessions.All")
    env = {
        "PATH": os.environ["PATH"],
        "IDENTITY_PROVIDER": "entra",
        "ENTRA_TENANT_ID": graph.tenant,
        "ENTRA_CLIENT_ID": "app-1",
        "ENTRA_CLIENT_SECRET": graph.secret,
        "ENTRA_LOGIN_URL": graph.origin,
        "ENTRA_GRAPH_URL": f"{graph.origin}/v1.0",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "check-idp",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    text = out.decode()
    assert process.returncode == 1, err.decode()
    assert "ok      sign in as the app" in text
    assert "ok      application permission UserAuthenticationMethod.ReadWrite.All" in text
    assert "MISSING application permission User.RevokeSessions.All" in text
    assert "ok      read users" in text
    assert graph.secret not in text + err.decode()


TEAMS_ID = "5d7e4c2a-91b3-4f0e-8a6d-2c1b0e9f7a31"


async def test_a_person_teams_vouches_for_is_found_by_object_id_alone(
    graph: FakeGraph, entra: EntraProvider
) -> None:
    # Their mail changed since Teams last showed it, and a stranger now has the old address:
    # the object ID names the person, and the email is never asked.
    kim = graph.add_user("kim@corp.onmicrosoft.com", mail="kim.new@example.com", object_id=TEAMS_ID)
    graph.add_user("someone.else@example.com", mail="kim@example.com")
    found = await entra.find_user("kim@example.com", object_id=TEAMS_ID.upper())
    assert (found.id, found.email, found.display_name) == (TEAMS_ID, "kim.new@example.com", "kim")
    assert found.id == kim.id
    asked = [path for verb, path in graph.requests if verb == "GET"]
    assert asked == [f"/users/{TEAMS_ID.upper()}?$select=id,userPrincipalName,mail,displayName"]
    # No email at all (a Teams profile may show none): the object ID is enough.
    assert (await entra.find_user("", object_id=TEAMS_ID)).id == TEAMS_ID
    # What the person's actions then call is the account of that object ID.
    await entra.revoke_sessions(found)
    assert kim.sessions_revoked == 1


async def test_an_object_id_nobody_has_is_not_found_and_never_guessed_by_email(
    graph: FakeGraph, entra: EntraProvider
) -> None:
    graph.add_user("kim@example.com")  # has the email, but not that object ID
    gone = "00000000-1111-4222-8333-444444444444"
    with pytest.raises(UserNotFoundError, match=f"no account in Entra ID has the object ID {gone}"):
        await entra.find_user("kim@example.com", object_id=gone)
    assert [path for _, path in graph.requests if path.startswith("/users")] == [
        f"/users/{gone}?$select=id,userPrincipalName,mail,displayName"
    ]


@pytest.mark.parametrize(
    "object_id",
    [
        "kim@example.com",  # an email or a UPN is not an object ID
        "../users?$filter=mail eq 'kim@example.com'",
        "29:1a2b3c-teams-channel-account",  # Teams's channel account id, not the Entra one
        f"{TEAMS_ID}/revokeSignInSessions",
        "",
    ],
)
async def test_only_an_object_id_goes_into_graph_s_path(
    graph: FakeGraph, entra: EntraProvider, object_id: str
) -> None:
    graph.add_user("kim@example.com", object_id=TEAMS_ID)
    with pytest.raises(UserNotFoundError, match="is not an Entra object ID"):
        await entra.find_user("kim@example.com", object_id=object_id)
    assert [path for _, path in graph.requests if path.startswith("/users")] == []


async def test_reading_a_person_by_object_id_needs_user_read_all(
    graph: FakeGraph, entra: EntraProvider
) -> None:
    graph.add_user("kim@example.com", object_id=TEAMS_ID)
    graph.granted.discard("User.Read.All")
    with pytest.raises(IdentityError, match=r"User\.Read\.All") as refused:
        await entra.find_user("kim@example.com", object_id=TEAMS_ID)
    assert not isinstance(refused.value, UserNotFoundError)


async def test_the_other_providers_ignore_the_object_id(graph: FakeGraph) -> None:
    from bot.identity.demo import DemoProvider
    from bot.identity.manual import ManualProvider
    from storage.memory import MemoryDemoStore

    manual = ManualProvider()
    assert (await manual.find_user("kim@example.com", object_id=TEAMS_ID)).id == "kim@example.com"
    with pytest.raises(UserNotFoundError, match="Teams shows no email"):
        await manual.find_user("", object_id=TEAMS_ID)
    demo = DemoProvider(MemoryDemoStore(), FixedClock())
    assert (await demo.find_user("kim@example.com", object_id=TEAMS_ID)).id == "kim@example.com"
    with pytest.raises(UserNotFoundError, match="Teams shows no email"):
        await demo.find_user("", object_id=TEAMS_ID)
