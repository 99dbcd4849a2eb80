"""Reading a person's admin roles: Entra (a fake Graph), Okta (a fake Okta), demo, manual."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.domain.identity import DirectoryUser, IdentityError, TemporaryIdentityError
from bot.identity.demo import DemoProvider, demo_users_from
from bot.identity.entra import EntraConfig, EntraProvider
from bot.identity.manual import ManualProvider
from bot.identity.okta import OktaConfig, OktaProvider
from storage.demo import SqlDemoStore
from storage.engine import create_engine, session_factory
from storage.migrate import migrate
from tests.conftest import FixedClock
from tests.fakes.graph import FakeGraph
from tests.fakes.okta import FakeOkta


@pytest.fixture
def graph(graph_directory: FakeGraph) -> FakeGraph:
    """An empty directory: each test adds its people."""
    return graph_directory


@pytest.fixture
def okta(okta_directory: FakeOkta) -> FakeOkta:
    """An empty directory: each test adds its people."""
    return okta_directory


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def _entra(graph: FakeGraph, http: aiohttp.ClientSession) -> EntraProvider:
    config = EntraConfig(
        tenant_id=graph.tenant,
        client_id="app-1",
        client_secret=graph.secret,
        login_url=graph.origin,
        graph_url=f"{graph.origin}/v1.0",
    )
    return EntraProvider(config, http, FixedClock())


async def test_entra_reads_active_roles_across_pages_and_eligible_ones(
    graph: FakeGraph, http: aiohttp.ClientSession
) -> None:
    person = graph.add_user("ada@example.com")
    person.groups = ["All staff", "Finance", "London office"]
    person.roles = ["Helpdesk Administrator", "Global Administrator"]
    person.eligible_roles = ["Privileged Role Administrator"]
    graph.page_size = 2
    entra = _entra(graph, http)
    roles = await entra.admin_roles(await entra.find_user("ada@example.com"))
    assert roles == (
        "Helpdesk Administrator",
        "Global Administrator",
        "Privileged Role Administrator (eligible)",
    )
    pages = [p for v, p in graph.requests if "transitiveMemberOf" in p]
    assert len(pages) == 3  # five memberships, two a page
    assert all("/microsoft.graph." not in p for p in pages)  # no cast: no stale index
    eligible = [p for v, p in graph.requests if "roleEligibilityScheduleInstances" in p]
    assert eligible == [
        "/roleManagement/directory/roleEligibilityScheduleInstances"
        f"?$filter=principalId eq '{person.id}'&$expand=roleDefinition"
    ]


async def test_entra_without_p2_has_no_eligible_roles_and_no_error(
    graph: FakeGraph, http: aiohttp.ClientSession
) -> None:
    graph.add_user("ada@example.com")
    graph.pim_licensed = False
    entra = _entra(graph, http)
    assert await entra.admin_roles(await entra.find_user("ada@example.com")) == ()


async def test_entra_failures_raise_so_the_core_fails_closed(
    graph: FakeGraph, http: aiohttp.ClientSession
) -> None:
    graph.add_user("ada@example.com")
    entra = _entra(graph, http)
    user = await entra.find_user("ada@example.com")
    graph.fail("GET", "roleEligibilityScheduleInstances", 503)
    with pytest.raises(TemporaryIdentityError, match="503"):
        await entra.admin_roles(user)
    graph.granted.discard("RoleManagement.Read.Directory")
    with pytest.raises(IdentityError, match=r"RoleManagement\.Read\.Directory"):
        await entra.admin_roles(user)
    with pytest.raises(IdentityError, match="no longer in Entra ID"):
        await entra.admin_roles(DirectoryUser(id="gone", email="gone@example.com"))


async def test_entra_refuses_a_next_page_on_another_address(
    graph: FakeGraph, http: aiohttp.ClientSession
) -> None:
    person = graph.add_user("ada@example.com")
    person.groups = ["All staff", "Finance"]
    graph.page_size = 1
    entra = _entra(graph, http)
    user = await entra.find_user("ada@example.com")
    graph.origin = "http://graph.example.invalid"  # next links now point elsewhere
    with pytest.raises(IdentityError, match="next page on another address"):
        await entra.admin_roles(user)
    assert not any("invalid" in p for _, p in graph.requests)


async def test_check_idp_reports_the_role_permission(
    graph: FakeGraph, http: aiohttp.ClientSession
) -> None:
    graph.add_user("ada@example.com")
    entra = _entra(graph, http)
    lines = {what: ok for ok, what in await entra.check()}
    assert lines[
        "application permission RoleManagement.Read.Directory (name the admin roles of the "
        "person, and see roles they are eligible for)"
    ]
    assert lines["read a person's admin roles (active and eligible)"]
    graph.granted.discard("RoleManagement.Read.Directory")
    missing = [what for ok, what in await entra.check() if not ok]
    assert any(what.startswith("application permission RoleManagement") for what in missing)
    assert any(what.startswith("read admin roles (until it works") for what in missing)


async def test_okta_reads_every_role_and_names_a_missing_right(
    okta: FakeOkta, http: aiohttp.ClientSession
) -> None:
    person = okta.add_user("ada@example.com")
    person.roles = ["SUPER_ADMIN", "HELP_DESK_ADMIN"]
    provider = OktaProvider(OktaConfig(org_url=okta.origin, api_token=okta.token), http)
    user = await provider.find_user("ada@example.com")
    assert await provider.admin_roles(user) == (
        "Super Administrator (SUPER_ADMIN)",
        "Help Desk Administrator (HELP_DESK_ADMIN)",
    )
    assert ("GET", f"/users/{person.id}/roles?") in okta.requests
    okta.fail("GET", "/roles", 403)
    with pytest.raises(IdentityError, match="view administrator roles"):
        await provider.admin_roles(user)
    okta.fail("GET", "/roles", 403)
    checks = await provider.check()
    assert any(not ok and "read admin roles" in what for ok, what in checks)


async def test_demo_roles_come_from_the_directory_file_and_survive_a_reset(
    database_url: str,
) -> None:
    engine = create_engine(database_url)
    try:
        await migrate(engine)
        store = SqlDemoStore(session_factory(engine))
        [person] = demo_users_from(
            [{"email": "Kim@example.com", "admin_roles": ["Global Administrator"]}]
        )
        await store.save_demo_user(person, FixedClock().now())
        demo = DemoProvider(store, FixedClock())
        user = await demo.find_user("kim@example.com")
        assert await demo.admin_roles(user) == ("Global Administrator",)
        await demo.clear_mfa(user)
        stored = await store.get_demo_user("kim@example.com")
        assert stored is not None
        assert (stored.methods, stored.admin_roles) == ((), ("Global Administrator",))
        with pytest.raises(ValueError, match="admin_roles must be a list"):
            demo_users_from([{"email": "x@example.com", "admin_roles": "Global Administrator"}])
    finally:
        await engine.dispose()


async def test_manual_cannot_tell_and_says_so() -> None:
    manual = ManualProvider()
    assert manual.checks_admin_roles is False
    with pytest.raises(IdentityError, match="cannot read directory roles"):
        await manual.admin_roles(DirectoryUser(id="a@example.com", email="a@example.com"))
