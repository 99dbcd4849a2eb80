"""Who may decide in Teams: TEAMS_IT_ADMINS, and TEAMS_IT_ADMIN_GROUP read through a loopback Graph
(checkMemberGroups) with a minute's cache, failing closed; the manager from Graph."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from teams.graph import GraphApp, GraphPeople
from teams.ports import TeamsAdminRoster
from teams.tokens import AppCredentials, ClientCredentials

TENANT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
GROUP = "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9"
LISTED = "11111111-1111-4111-8111-111111111111"
MEMBER = "22222222-2222-4222-8222-222222222222"
OTHER = "33333333-3333-4333-8333-333333333333"
MANAGER = "44444444-4444-4444-8444-444444444444"


class Clock:
    def __init__(self) -> None:
        self.current = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current


@dataclass
class Graph:
    """The token endpoint and the two Graph calls, counting what they were asked."""

    members: set[str] = field(default_factory=lambda: {MEMBER})
    down: bool = False
    tokens: int = 0
    checks: list[str] = field(default_factory=list)
    forms: list[dict[str, str]] = field(default_factory=list)
    url: str = ""

    def app(self) -> web.Application:
        async def token(request: web.Request) -> web.Response:
            self.tokens += 1
            self.forms.append(dict(await request.post()))  # type: ignore[arg-type]
            return web.json_response(
                {"access_token": f"graph-{self.tokens}", "expires_in": 3599, "token_type": "Bearer"}
            )

        async def check(request: web.Request) -> web.Response:
            if self.down:
                return web.json_response({"error": {"code": "ServiceUnavailable"}}, status=503)
            assert request.headers["Authorization"].startswith("Bearer graph-")
            user = request.match_info["user"]
            self.checks.append(user)
            asked: dict[str, Any] = await request.json()
            found = [group for group in asked["groupIds"] if user in self.members]
            return web.json_response({"value": found})

        async def manager(request: web.Request) -> web.Response:
            if request.match_info["user"] == OTHER:
                return web.json_response(
                    {"error": {"code": "Request_ResourceNotFound"}}, status=404
                )
            return web.json_response({"id": MANAGER.upper()})

        app = web.Application()
        app.router.add_post(f"/{TENANT}/oauth2/v2.0/token", token)
        app.router.add_post("/v1.0/users/{user}/checkMemberGroups", check)
        app.router.add_get("/v1.0/users/{user}/manager", manager)
        return app


@pytest.fixture
async def graph() -> AsyncIterator[Graph]:
    fake = Graph()
    runner = web.AppRunner(fake.app())
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    fake.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield fake
    await runner.cleanup()


@pytest.fixture
async def people(graph: Graph) -> AsyncIterator[tuple[GraphPeople, Clock]]:
    clock = Clock()
    async with aiohttp.ClientSession() as http:
        app = AppCredentials(graph.url, TENANT, "client-id", "client-secret")
        yield (
            GraphPeople(GraphApp(f"{graph.url}/v1.0", ClientCredentials(app, http, clock)), http),
            clock,
        )


async def test_listed_admins_and_group_members_decide_others_do_not(
    graph: Graph, people: tuple[GraphPeople, Clock]
) -> None:
    reader, clock = people
    roster = TeamsAdminRoster([LISTED.upper()], GROUP, reader, clock)
    assert await roster.is_admin(LISTED)
    assert await roster.is_admin(MEMBER)
    assert not await roster.is_admin(OTHER)
    assert graph.checks == [MEMBER, OTHER]  # a listed admin needs no Graph call
    assert graph.forms[0]["scope"] == "https://graph.microsoft.com/.default"
    assert graph.forms[0]["grant_type"] == "client_credentials"
    assert graph.tokens == 1  # one token, reused


async def test_membership_is_cached_a_minute(
    graph: Graph, people: tuple[GraphPeople, Clock]
) -> None:
    reader, clock = people
    roster = TeamsAdminRoster([], GROUP, reader, clock)
    assert await roster.is_admin(MEMBER)
    graph.members.clear()  # removed from the group
    assert await roster.is_admin(MEMBER)  # still within the minute
    clock.current += timedelta(seconds=61)
    assert not await roster.is_admin(MEMBER)
    assert graph.checks == [MEMBER, MEMBER]


async def test_a_group_graph_cannot_read_makes_no_admin_and_everyone_privileged(
    graph: Graph, people: tuple[GraphPeople, Clock]
) -> None:
    reader, clock = people
    roster = TeamsAdminRoster([LISTED], GROUP, reader, clock)
    graph.down = True
    assert not await roster.is_admin(MEMBER)
    assert await roster.is_privileged(OTHER)  # fail closed: two approvers
    reasons = await roster.privilege_reasons(OTHER)
    assert any("could not be read" in reason for reason in reasons)
    assert await roster.is_admin(LISTED)  # the list needs no Graph
    graph.down = False
    assert await roster.is_admin(MEMBER)
    assert await roster.privilege_reasons(OTHER) == ()


async def test_the_manager_comes_from_graph(people: tuple[GraphPeople, Clock]) -> None:
    reader, _ = people
    assert await reader.manager_of(MEMBER) == MANAGER
    assert await reader.manager_of(OTHER) is None
