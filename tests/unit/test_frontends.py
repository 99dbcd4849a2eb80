"""Slack and Teams on one core: each call reaches its own front end, a Teams request is decided in
Teams only, and a platform the process does not serve fails closed."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta

import pytest

from bot.domain.errors import NotAnAdminError, WrongPlaceError
from bot.domain.frontends import FrontEnds, PlatformNotServedError
from bot.domain.helpdesk import Approve, Deny, Helpdesk, HelpdeskConfig, Place
from bot.domain.identity import ResetAction
from bot.domain.notices import (
    AuthenticatorEnrolled,
    ManagerSaidNo,
    RequestChanged,
    StepUpLocked,
)
from bot.domain.platform import Platform, is_object_id, platform_of
from bot.domain.requests import (
    Card,
    Change,
    ContactForm,
    HelpRequest,
    Remaining,
    Status,
)
from bot.domain.walks import Walks
from bot.guide import load_guide
from storage.memory import MemoryRequestRepository, MemoryWalkRepository
from tests.conftest import FixedClock
from tests.fakes.core import FlakyDirectory, Later, Side

GUIDE = load_guide()
FORM = ContactForm("lost it", False, Remaining.NONE, None, "+1 555 0100")

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
TEAMS_DESK = "19:5c1e0f3a9b2d4e6f8a7b6c5d4e3f2a1b@thread.tacv2"
TEAMS_ADMIN = "a1b2c3d4-0000-4000-8000-00000000a001"
TEAMS_ADMIN_2 = "a1b2c3d4-0000-4000-8000-00000000a002"
TEAMS_PERSON = "e5f6a7b8-0000-4000-8000-00000000e001"
SLACK_DESK = Place("T0TEAM", "C0DESK")
IN_TEAMS = Place(TENANT, TEAMS_DESK, Platform.TEAMS)


@dataclass
class Both:
    service: Helpdesk
    slack: Side
    teams: Side
    directory: FlakyDirectory
    later: Later
    repo: MemoryRequestRepository
    clock: FixedClock


def _both(teams_channel: str = TEAMS_DESK) -> Iterator[Both]:
    clock, repo, later, directory = (
        FixedClock(),
        MemoryRequestRepository(),
        Later(),
        FlakyDirectory(),
    )
    slack = Side(Platform.SLACK, frozenset({"UA1"}))
    teams = Side(Platform.TEAMS, frozenset({TEAMS_ADMIN, TEAMS_ADMIN_2}), TEAMS_DESK)
    ports = FrontEnds({Platform.SLACK: slack.front_end(), Platform.TEAMS: teams.front_end()})
    service = Helpdesk(
        HelpdeskConfig(channel_id="C0DESK", teams_channel_id=teams_channel),
        repo,
        Walks(GUIDE, MemoryWalkRepository(), clock),
        directory,
        ports,
        ports,
        ports,
        clock,
        background=later,
    )
    yield Both(service, slack, teams, directory, later, repo, clock)
    later.drop()


@pytest.fixture
def both() -> Iterator[Both]:
    yield from _both()


async def _teams_request(both: Both) -> HelpRequest:
    submitted = await both.service.submit(
        TENANT, TEAMS_PERSON, "lost-phone", None, FORM, "teams-form-1", platform=Platform.TEAMS
    )
    await both.later.run()  # its card
    return await both.service.get(submitted.request.id)


async def _slack_request(both: Both) -> HelpRequest:
    submitted = await both.service.submit("T0TEAM", "U1", "lost-phone", None, FORM)
    await both.later.run()
    return await both.service.get(submitted.request.id)


async def _refusals(both: Both) -> list[str]:
    audit = await both.repo.audit_since(both.clock.now() - timedelta(days=1))
    return [str((e.detail or {})["reason"]) for e in audit if e.event == "decision.refused"]


# -- ids --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user_id", "platform"),
    [
        (TEAMS_PERSON, Platform.TEAMS),
        (TEAMS_PERSON.upper(), Platform.TEAMS),
        ("U012ABCDEF", Platform.SLACK),
        ("W012ABCDEF", Platform.SLACK),
        ("system", Platform.SLACK),
        ("", Platform.SLACK),
        (f"{TEAMS_PERSON}\n", Platform.SLACK),  # a GUID and something more is no GUID
        ("29:1a2b3c-teams-channel-account-id", Platform.SLACK),
        ("00000000-0000-0000-0000-00000000000011", Platform.SLACK),  # one digit too many
    ],
)
def test_an_entra_object_id_is_a_teams_person_and_anything_else_slack(
    user_id: str, platform: Platform
) -> None:
    assert platform_of(user_id) is platform
    assert is_object_id(user_id) is (platform is Platform.TEAMS)


def test_each_platform_has_its_own_help_desk_channel() -> None:
    config = HelpdeskConfig(channel_id="C0DESK", teams_channel_id=TEAMS_DESK)
    assert config.channel_of(Platform.SLACK) == "C0DESK"
    assert config.channel_of(Platform.TEAMS) == TEAMS_DESK
    teams_only = HelpdeskConfig(channel_id="", teams_channel_id=TEAMS_DESK)
    assert teams_only.channel_of(Platform.SLACK) == ""
    assert HelpdeskConfig(channel_id="C0DESK").channel_of(Platform.TEAMS) == ""


# -- the core on two front ends -----------------------------------------------------------------


async def test_a_teams_request_is_stored_as_teams_and_reaches_teams_only(both: Both) -> None:
    request = await _teams_request(both)
    assert (request.platform, request.team_id, request.requester_id) == (
        Platform.TEAMS,
        TENANT,
        TEAMS_PERSON,
    )
    assert (request.channel_id, request.message_ts) == (TEAMS_DESK, f"teams-{request.id}")
    assert both.teams.cards == [request.id]
    assert both.slack.cards == []
    assert [type(n) for n in both.teams.notices] == [RequestChanged]
    assert both.slack.notices == []
    # The profile and the privilege lists are Teams's; Slack was never asked about the person.
    assert request.requester_email == "e5f6@example.com"
    assert f"profile {TEAMS_PERSON}" in both.teams.asked
    assert f"privilege_reasons {TEAMS_PERSON}" in both.teams.asked
    assert both.slack.asked == []
    # The directory is asked by the person's object ID, which the Teams front end vouches for.
    assert both.directory.lookups == [("e5f6@example.com", TEAMS_PERSON)]


async def test_a_slack_request_stays_slack_and_the_directory_gets_no_object_id(
    both: Both,
) -> None:
    request = await _slack_request(both)
    assert request.platform is Platform.SLACK
    assert both.slack.cards == [request.id]
    assert both.teams.cards == []
    assert both.teams.asked == []
    assert both.directory.lookups == [("u1@example.com", None)]


async def test_a_teams_admin_decides_a_teams_request_in_the_teams_help_desk(both: Both) -> None:
    request = await _teams_request(both)
    approved = await both.service.decide(
        Approve(request.id, (ResetAction.CLEAR_MFA,)), TEAMS_ADMIN, IN_TEAMS
    )
    assert (approved.status, approved.decided_by) == (Status.APPROVED, TEAMS_ADMIN)
    await both.later.run()
    assert both.directory.calls == ["clear_mfa", "revoke_sessions"]
    assert both.directory.lookups[-1] == ("e5f6@example.com", TEAMS_PERSON)
    assert (await both.service.get(request.id)).status is Status.DONE
    told = [n for n in both.teams.notices if isinstance(n, RequestChanged)]
    assert [n.change for n in told] == [
        Change.CREATED,
        Change.APPROVED,
        Change.ACTION_DONE,
        Change.ACTION_DONE,
        Change.DONE,
    ]
    assert both.slack.notices == []


@pytest.mark.parametrize(
    "place",
    [
        SLACK_DESK,  # Slack's help desk
        Place(TENANT, TEAMS_DESK),  # the Teams channel, said to be Slack's
        Place(TENANT, "C0DESK", Platform.TEAMS),  # Slack's channel id, in Teams
        Place("T0TEAM", TEAMS_DESK, Platform.TEAMS),  # another workspace
        Place("0f0f0f0f-0000-4000-8000-000000000000", TEAMS_DESK, Platform.TEAMS),  # tenant
        Place(TENANT, "19:elsewhere@thread.tacv2", Platform.TEAMS),  # another Teams channel
        Place(TENANT, "", Platform.TEAMS),  # no channel at all
    ],
)
async def test_a_teams_request_is_decided_nowhere_but_the_teams_help_desk(
    both: Both, place: Place
) -> None:
    request = await _teams_request(both)
    for choice in (Approve(request.id, (ResetAction.CLEAR_MFA,)), Deny(request.id, "no")):
        with pytest.raises(WrongPlaceError):
            await both.service.precheck(choice, TEAMS_ADMIN, place)
        with pytest.raises(WrongPlaceError):
            await both.service.decide(choice, TEAMS_ADMIN, place)
    assert (await both.service.get(request.id)).status is Status.OPEN
    assert await _refusals(both) == ["wrong_place"] * 4
    assert both.later.waiting == []


async def test_a_slack_request_is_not_decided_from_teams(both: Both) -> None:
    request = await _slack_request(both)
    for place in (IN_TEAMS, Place("T0TEAM", "C0DESK", Platform.TEAMS)):
        with pytest.raises(WrongPlaceError):
            await both.service.decide(Approve(request.id, (ResetAction.CLEAR_MFA,)), "UA1", place)
    assert (await both.service.get(request.id)).status is Status.OPEN


async def test_an_admin_of_one_platform_decides_nothing_of_the_other(both: Both) -> None:
    teams_request = await _teams_request(both)
    slack_request = await _slack_request(both)
    # A Slack admin's id given for a click in the Teams help desk (a front end's mistake), and a
    # Teams admin's id in Slack's: neither platform's roster is asked about a stranger.
    with pytest.raises(NotAnAdminError):
        await both.service.decide(
            Approve(teams_request.id, (ResetAction.CLEAR_MFA,)), "UA1", IN_TEAMS
        )
    with pytest.raises(NotAnAdminError):
        await both.service.decide(
            Approve(slack_request.id, (ResetAction.CLEAR_MFA,)), TEAMS_ADMIN, SLACK_DESK
        )
    assert "is_admin UA1" not in both.slack.asked
    assert f"is_admin {TEAMS_ADMIN}" not in both.teams.asked
    assert await _refusals(both) == ["not_an_admin"] * 2


async def test_with_no_teams_help_desk_a_teams_request_cannot_be_decided() -> None:
    for setup in _both(teams_channel=""):
        request = await _teams_request(setup)
        # A click that names no channel matches the missing channel "": still refused.
        for place in (Place(TENANT, "", Platform.TEAMS), IN_TEAMS):
            with pytest.raises(WrongPlaceError):
                await setup.service.decide(
                    Approve(request.id, (ResetAction.CLEAR_MFA,)), TEAMS_ADMIN, place
                )


async def test_a_privileged_teams_person_needs_two_teams_admins(both: Both) -> None:
    both.teams.privileged = frozenset({TEAMS_PERSON})
    request = await _teams_request(both)
    assert request.privileged
    assert "listed on teams" in (request.privileged_reason or "")
    first = await both.service.decide(
        Approve(request.id, (ResetAction.CLEAR_MFA,)), TEAMS_ADMIN, IN_TEAMS
    )
    assert (first.status, first.first_approver) == (Status.OPEN, TEAMS_ADMIN)
    second = await both.service.decide(
        Approve(request.id, (ResetAction.CLEAR_MFA,)), TEAMS_ADMIN_2, IN_TEAMS
    )
    assert second.status is Status.APPROVED


# -- FrontEnds on its own -------------------------------------------------------------------------


def _request(platform: Platform, requester: str) -> HelpRequest:
    now = FixedClock().now()
    return HelpRequest(
        id=7,
        team_id=TENANT if platform is Platform.TEAMS else "T0TEAM",
        requester_id=requester,
        topic_id="lost-phone",
        walk_id=None,
        form=FORM,
        proposed=(),
        tried=(),
        status=Status.OPEN,
        created_at=now,
        expires_at=now + timedelta(hours=1),
        updated_at=now,
        platform=platform,
    )


async def test_calls_with_a_request_go_by_its_platform_and_with_a_person_by_their_id() -> None:
    slack = Side(Platform.SLACK, frozenset({"UA1"}))
    teams = Side(Platform.TEAMS, frozenset({TEAMS_ADMIN}), TEAMS_DESK)
    ports = FrontEnds({Platform.SLACK: slack.front_end(), Platform.TEAMS: teams.front_end()})
    assert ports.platforms == frozenset(Platform)
    teams_request = _request(Platform.TEAMS, TEAMS_PERSON)
    slack_request = _request(Platform.SLACK, "U1")

    assert await ports.post_request(teams_request, []) == Card(TEAMS_DESK, "teams-7")
    await ports.deliver_secret(teams_request, "TAP", FixedClock().now())
    await ports.ask_manager(teams_request, "m-1")
    await ports.tell(ManagerSaidNo(teams_request))
    await ports.tell(RequestChanged(slack_request, (), Change.CREATED, None))
    await ports.tell(StepUpLocked(TEAMS_ADMIN))
    await ports.tell(AuthenticatorEnrolled("UA1", replaced=True))
    assert (teams.cards, teams.secrets, teams.managers) == ([7], [7], ["m-1"])
    assert [type(n) for n in teams.notices] == [ManagerSaidNo, StepUpLocked]
    assert [type(n) for n in slack.notices] == [RequestChanged, AuthenticatorEnrolled]

    assert await ports.is_admin(TEAMS_ADMIN)
    assert await ports.is_admin("UA1")
    assert await ports.is_privileged("UA1")
    assert not await ports.is_admin(TEAMS_PERSON)
    assert await ports.privilege_reasons(TEAMS_PERSON) == ()
    assert await ports.profile(TEAMS_PERSON) == ("teams person", "e5f6@example.com")
    assert await ports.manager_of("U1") == "manager on slack"
    assert [a.split()[1] for a in slack.asked] == ["UA1", "UA1", "U1"]
    assert [a.split()[1] for a in teams.asked] == [TEAMS_ADMIN, *[TEAMS_PERSON] * 3]


async def test_a_platform_not_served_fails_closed(caplog: pytest.LogCaptureFixture) -> None:
    slack = Side(Platform.SLACK, frozenset({"UA1"}))
    ports = FrontEnds({Platform.SLACK: slack.front_end()})
    assert ports.platforms == frozenset({Platform.SLACK})
    # Its people: no admins, privileged, no profile, no manager.
    assert not await ports.is_admin(TEAMS_ADMIN)
    assert await ports.is_privileged(TEAMS_PERSON)
    assert await ports.privilege_reasons(TEAMS_PERSON) == (
        "the lists of teams cannot be read (teams is not served)",
    )
    assert await ports.profile(TEAMS_PERSON) == ("", "")
    assert await ports.manager_of(TEAMS_PERSON) is None
    # Its notices are dropped with a warning; what must reach its front end is refused.
    request = _request(Platform.TEAMS, TEAMS_PERSON)
    with caplog.at_level(logging.WARNING, logger="bot.domain.frontends"):
        await ports.tell(RequestChanged(request, (), Change.APPROVED, TEAMS_ADMIN))
        await ports.tell(StepUpLocked(TEAMS_ADMIN))
    assert [r.getMessage() for r in caplog.records] == [
        "RequestChanged dropped: teams is not served by this process",
        "StepUpLocked dropped: teams is not served by this process",
    ]
    with pytest.raises(PlatformNotServedError, match="card of request #7 needs teams"):
        await ports.post_request(request, [])
    with pytest.raises(PlatformNotServedError, match="secret"):
        await ports.deliver_secret(request, "TAP-secret", FixedClock().now())
    with pytest.raises(PlatformNotServedError, match="manager"):
        await ports.ask_manager(request, "m-1")
    assert (slack.asked, slack.notices, slack.cards) == ([], [], [])
    # A Slack request still goes through.
    await ports.tell(
        RequestChanged(replace(request, platform=Platform.SLACK), (), Change.DONE, None)
    )
    assert len(slack.notices) == 1


async def test_a_teams_request_in_a_slack_only_process_is_never_posted_nor_decided() -> None:
    clock, repo, later = FixedClock(), MemoryRequestRepository(), Later()
    slack = Side(Platform.SLACK, frozenset({"UA1"}))
    ports = FrontEnds({Platform.SLACK: slack.front_end()})
    service = Helpdesk(
        HelpdeskConfig(channel_id="C0DESK"),
        repo,
        Walks(GUIDE, MemoryWalkRepository(), clock),
        FlakyDirectory(),
        ports,
        ports,
        ports,
        clock,
        background=later,
    )
    submitted = await service.submit(
        TENANT, TEAMS_PERSON, "lost-phone", None, FORM, platform=Platform.TEAMS
    )
    await later.run()  # this process has no Teams help-desk channel: no card is lined up
    later.drop()
    stored = await service.get(submitted.request.id)
    assert stored.message_ts is None  # housekeeping tries again, on a replica that serves Teams
    assert stored.privileged  # fail closed: Teams's lists could not be read
    assert (slack.cards, slack.notices) == ([], [])
    with pytest.raises(WrongPlaceError):
        await service.decide(Approve(stored.id, (ResetAction.CLEAR_MFA,)), "UA1", SLACK_DESK)


async def test_each_help_desk_lists_its_own_pending_requests(both: Both) -> None:
    teams_request = await _teams_request(both)
    slack_request = await _slack_request(both)
    assert [r.id for r in await both.service.pending()] == [slack_request.id]
    assert [r.id for r in await both.service.pending(Platform.SLACK)] == [slack_request.id]
    assert [r.id for r in await both.service.pending(Platform.TEAMS)] == [teams_request.id]
