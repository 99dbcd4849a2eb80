"""A Teams request through the core on SQL storage with the Entra provider against a fake Graph:
stored as Teams's, its person found by object ID, decided in the Teams help desk only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.errors import WrongPlaceError
from bot.domain.frontends import FrontEnds
from bot.domain.helpdesk import Approve, Helpdesk, HelpdeskConfig, Place
from bot.domain.identity import ResetAction
from bot.domain.platform import Platform
from bot.domain.requests import ContactForm, Remaining, Status
from bot.domain.walks import Walks
from bot.guide import load_guide
from bot.identity.entra import EntraConfig, EntraProvider
from storage.engine import create_engine, session_factory
from storage.helpdesk import SqlRequestRepository
from storage.migrate import migrate
from storage.walks import SqlWalkRepository
from tests.conftest import FixedClock
from tests.fakes.core import Later, Side
from tests.fakes.graph import PASSWORD, FakeGraph

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
TEAMS_DESK = "19:5c1e0f3a9b2d4e6f8a7b6c5d4e3f2a1b@thread.tacv2"
KIM = "5d7e4c2a-91b3-4f0e-8a6d-2c1b0e9f7a31"  # her aadObjectId, her Entra object ID
ADMIN = "a1b2c3d4-0000-4000-8000-00000000a001"
FORM = ContactForm("lost my phone", True, Remaining.NONE, None, "+1 555 0100")


@dataclass
class Desk:
    service: Helpdesk
    graph: FakeGraph
    teams: Side
    slack: Side
    later: Later


@pytest.fixture
async def desk(database_url: str, graph_directory: FakeGraph) -> AsyncIterator[Desk]:
    engine: AsyncEngine = create_engine(database_url)
    await migrate(engine)
    clock, later = FixedClock(), Later()
    # Teams shows Kim's old address, which Entra gave to someone else since.
    teams = Side(Platform.TEAMS, frozenset({ADMIN}), TEAMS_DESK, emails={KIM: "kim@example.com"})
    slack = Side(Platform.SLACK, frozenset({"UA1"}), emails={"U1": "ada@example.com"})
    ports = FrontEnds({Platform.SLACK: slack.front_end(), Platform.TEAMS: teams.front_end()})
    config = EntraConfig(
        tenant_id=graph_directory.tenant,
        client_id="app-1",
        client_secret=graph_directory.secret,
        login_url=graph_directory.origin,
        graph_url=f"{graph_directory.origin}/v1.0",
    )
    async with aiohttp.ClientSession() as http:
        service = Helpdesk(
            HelpdeskConfig(channel_id="C0DESK", teams_channel_id=TEAMS_DESK),
            SqlRequestRepository(session_factory(engine)),
            Walks(load_guide(), SqlWalkRepository(engine), clock),
            EntraProvider(config, http, clock),
            ports,
            ports,
            ports,
            clock,
            background=later,
        )
        yield Desk(service, graph_directory, teams, slack, later)
        later.drop()
    await engine.dispose()


async def test_a_teams_request_acts_on_the_account_of_its_object_id(desk: Desk) -> None:
    kim = desk.graph.add_user("kim@corp.onmicrosoft.com", mail="kim.new@example.com", object_id=KIM)
    other = desk.graph.add_user("kim.other@corp.onmicrosoft.com", mail="kim@example.com")
    submitted = await desk.service.submit(
        TENANT, KIM, "lost-phone", None, FORM, "teams-form-1", platform=Platform.TEAMS
    )
    await desk.later.run()  # its card
    request = await desk.service.get(submitted.request.id)
    assert (request.platform, request.team_id, request.requester_id) == (
        Platform.TEAMS,
        TENANT,
        KIM,
    )
    assert (request.channel_id, request.requester_email) == (TEAMS_DESK, "kim@example.com")
    assert desk.teams.cards == [request.id]
    assert desk.slack.cards == []
    # Her admin roles were read for her object ID: not the stranger with her old address.
    assert f"/users/{KIM}/transitiveMemberOf" in {
        path.split("?")[0] for _, path in desk.graph.requests
    }

    with pytest.raises(WrongPlaceError):
        await desk.service.decide(
            Approve(request.id, (ResetAction.CLEAR_MFA,)), ADMIN, Place("T0TEAM", "C0DESK")
        )
    approved = await desk.service.decide(
        Approve(request.id, (ResetAction.CLEAR_MFA,)),
        ADMIN,
        Place(TENANT, TEAMS_DESK, Platform.TEAMS),
    )
    assert approved.status is Status.APPROVED
    await desk.later.run()
    assert (await desk.service.get(request.id)).status is Status.DONE
    assert [m["id"] for m in kim.methods] == [PASSWORD]
    assert kim.sessions_revoked == 1
    assert len(other.methods) == 5
    assert other.sessions_revoked == 0
    # Found by object ID each time; Graph was never asked who has the email.
    assert not [path for _, path in desk.graph.requests if "$filter=mail" in path]
    assert not [path for _, path in desk.graph.requests if "/users/kim@example.com" in path]


async def test_a_slack_request_still_finds_its_person_by_email(desk: Desk) -> None:
    ada = desk.graph.add_user("ada@example.com")
    submitted = await desk.service.submit("T0TEAM", "U1", "lost-phone", None, FORM)
    await desk.later.run()
    request = await desk.service.get(submitted.request.id)
    assert request.platform is Platform.SLACK
    await desk.service.decide(
        Approve(request.id, (ResetAction.CLEAR_MFA,)), "UA1", Place("T0TEAM", "C0DESK")
    )
    await desk.later.run()
    assert (await desk.service.get(request.id)).status is Status.DONE
    assert ada.sessions_revoked == 1
    assert ("GET", "/users/ada@example.com?$select=id,userPrincipalName,mail,displayName") in (
        desk.graph.requests
    )
    assert desk.teams.cards == []
