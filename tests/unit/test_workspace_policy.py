"""Several workspaces on one core, on in-memory doubles: each workspace's requests are decided,
listed and set up by its own people only."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.errors import NotAnAdminError, WrongPlaceError
from bot.domain.helpdesk import Approve, Helpdesk, HelpdeskConfig, Place
from bot.domain.identity import ResetAction
from bot.domain.requests import ContactForm, Remaining, Status
from bot.domain.walks import Walks
from bot.domain.workspace import WorkspaceSettings, current_workspace, within
from bot.guide import load_guide
from storage.memory import MemoryHelpDesks, MemoryRequestRepository, MemoryWalkRepository
from tests.conftest import FixedClock
from tests.fakes.core import FlakyDirectory, Later, Notices, People

FORM = ContactForm("lost it", False, Remaining.NONE, None, "+1 555 0100")
AT = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
# Workspace -> (its help-desk channel, its IT admin). UBOTH is an admin in ALPHA only.
DESKS = {"TALPHA": ("CALPHA", "UAADMIN"), "TBETA": ("CBETA", "UBADMIN")}


class WorkspaceRoster:
    """Each workspace's admins, answered for the workspace of the work in hand."""

    def __init__(self) -> None:
        self.asked_in: list[str | None] = []

    async def is_admin(self, user_id: str) -> bool:
        workspace = current_workspace()
        self.asked_in.append(workspace)
        return workspace in DESKS and DESKS[workspace][1] == user_id

    async def is_privileged(self, user_id: str) -> bool:
        self.asked_in.append(current_workspace())
        return False

    async def privilege_reasons(self, user_id: str) -> tuple[str, ...]:
        return ()


@dataclass
class Desks:
    service: Helpdesk
    repo: MemoryRequestRepository
    roster: WorkspaceRoster
    settings: MemoryHelpDesks
    later: Later


@pytest.fixture
def desks() -> Iterator[Desks]:
    clock, repo, later, settings = (
        FixedClock(),
        MemoryRequestRepository(),
        Later(),
        MemoryHelpDesks(),
    )
    roster = WorkspaceRoster()
    for team, (channel, admin) in DESKS.items():
        settings.settings[team] = WorkspaceSettings(team, channel, (admin,), None, "UOWNER", AT)
    service = Helpdesk(
        HelpdeskConfig(channel_id="", ttl=timedelta(hours=1)),
        repo,
        Walks(load_guide(), MemoryWalkRepository(), clock),
        FlakyDirectory(),
        roster,
        People(),
        Notices(),
        clock,
        background=later,
        desks=settings,
    )
    yield Desks(service, repo, roster, settings, later)
    later.drop()


async def _request(desks: Desks, team: str, user: str) -> int:
    stored = await desks.service.submit(team, user, "lost-phone", None, FORM)
    await desks.later.run()
    return stored.request.id


async def test_an_admin_decides_on_their_own_workspace_requests_only(desks: Desks) -> None:
    beta = await _request(desks, "TBETA", "UBEMPLOYEE")
    approve = Approve(beta, (ResetAction.CLEAR_MFA,))
    # From Alpha's help desk, from Beta's channel seen in Alpha, and as if in Beta's own desk.
    for place, refusal in (
        (Place("TALPHA", "CALPHA"), WrongPlaceError),
        (Place("TALPHA", "CBETA"), WrongPlaceError),
        (Place("TBETA", "CBETA"), NotAnAdminError),
    ):
        with pytest.raises(refusal):
            await desks.service.decide(approve, "UAADMIN", place)
    assert (await desks.service.get(beta)).status is Status.OPEN
    # Asked about in Beta, the request's own workspace, whatever the click's.
    assert set(desks.roster.asked_in) <= {"TBETA"}
    await desks.service.decide(approve, "UBADMIN", Place("TBETA", "CBETA"))
    await desks.later.run()
    assert (await desks.service.get(beta)).status is Status.DONE


async def test_pending_lists_the_workspace_in_hand_only(desks: Desks) -> None:
    alpha = await _request(desks, "TALPHA", "UAEMPLOYEE")
    beta = await _request(desks, "TBETA", "UBEMPLOYEE")
    with within("TALPHA"):
        assert [r.id for r in await desks.service.pending()] == [alpha]
    with within("TBETA"):
        assert [r.id for r in await desks.service.pending()] == [beta]
    assert [r.id for r in await desks.service.pending()] == [alpha, beta]  # one workspace


async def test_only_a_workspace_admin_sets_up_its_desk_and_it_is_audited(desks: Desks) -> None:
    new = WorkspaceSettings("TGAMMA", "CGAMMA", ("UGADMIN",), None, "UGUEST", AT)
    with pytest.raises(NotAnAdminError):
        await desks.service.set_up_workspace(new, workspace_admin=False)
    assert await desks.settings.desk_of("TGAMMA") == ""
    await desks.service.set_up_workspace(new, workspace_admin=True)
    assert await desks.settings.desk_of("TGAMMA") == "CGAMMA"
    audit = await desks.repo.audit_since(AT - timedelta(days=365))
    assert [(e.event, e.actor_id) for e in audit] == [
        ("decision.refused", "UGUEST"),
        ("workspace.setup", "UGUEST"),
    ]
    assert audit[1].detail == {
        "workspace": "TGAMMA",
        "channel": "CGAMMA",
        "admins": ["UGADMIN"],
        "usergroup": None,
    }
