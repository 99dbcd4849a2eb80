"""Several front ends in one database: each request keeps its platform, Teams ids fit every
column, and the contact book keeps one contact per (platform, kind, key)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from bot.domain.contacts import Contact, ContactKind
from bot.domain.guide import WalkState
from bot.domain.identity import ResetAction
from bot.domain.platform import Platform
from bot.domain.requests import ActionRecord, ActionStatus, Card, Status
from bot.domain.walks import Surface, WalkRecord
from tests.contract.conftest import NOW, Stores, created, line, new_request

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
PERSON = "e5f6a7b8-0000-4000-8000-00000000e001"
ADMIN = "a1b2c3d4-0000-4000-8000-00000000a001"
ADMIN_2 = "a1b2c3d4-0000-4000-8000-00000000a002"
MANAGER = "b0b0b0b0-0000-4000-8000-00000000b001"
# A help-desk channel's thread, as Teams names it: longer than any Slack id.
THREAD = "19:5c1e0f3a9b2d4e6f8a7b6c5d4e3f2a1b@thread.tacv2;messageid=1764316800123"
ACTIVITY = "1:1" + "Ab3_-" * 20
PERSONAL = "a:1" + "x7Q-" * 40  # a personal chat's conversation id


async def test_a_request_keeps_its_platform_and_old_ones_are_slack(stores: Stores) -> None:
    repo = stores.requests
    slack = await created(stores, "U1")
    teams = await repo.create_request(
        replace(new_request(PERSON), team_id=TENANT, platform=Platform.TEAMS),
        line("request.created", actor=PERSON),
    )
    assert slack.platform is Platform.SLACK
    assert teams.platform is Platform.TEAMS
    assert await repo.get_request(slack.id) == slack
    assert await repo.get_request(teams.id) == teams
    assert await repo.active_request_of(PERSON) == teams
    assert [r.platform for r in await repo.requests_in(frozenset({Status.OPEN}))] == [
        Platform.SLACK,
        Platform.TEAMS,
    ]


async def test_teams_ids_fit_every_column_they_go_to(stores: Stores) -> None:
    """Entra object IDs (36 characters), a thread's conversation id and an activity id: stored
    and read back whole (PostgreSQL enforces the widths that SQLite ignores)."""
    repo = stores.requests
    owner = "p1:run"
    request = await repo.create_request(
        replace(new_request(PERSON), team_id=TENANT, platform=Platform.TEAMS, announce_owner=owner),
        line("request.created", actor=PERSON),
        announcing_at=NOW,
    )
    assert await repo.record_card(request.id, owner, Card(THREAD, ACTIVITY), "Kim", "kim@x.org")
    await repo.record_manager(request.id, MANAGER)
    both = (ResetAction.CLEAR_MFA, ResetAction.REVOKE_SESSIONS)
    first = line("request.first_approval", request.id, actor=ADMIN)
    assert await repo.record_first_approval(request.id, both, first, NOW)
    approved = line("request.approved", request.id, actor=ADMIN_2)
    assert await repo.approve(request.id, both, approved, at=NOW, first_approver_is=ADMIN)
    stored = await repo.get_request(request.id)
    assert stored is not None
    assert (stored.team_id, stored.requester_id, stored.channel_id, stored.message_ts) == (
        TENANT,
        PERSON,
        THREAD,
        ACTIVITY,
    )
    assert (stored.manager_id, stored.first_approver, stored.decided_by) == (
        MANAGER,
        ADMIN,
        ADMIN_2,
    )
    moved = line("request.executing", request.id)
    assert await repo.transition(request.id, frozenset({Status.APPROVED}), Status.EXECUTING, moved)
    item = (await repo.actions_of(request.id))[0]
    manual = ActionRecord(ActionStatus.MANUAL, summary="by hand")
    assert await repo.claim_action(item.id, NOW, NOW + timedelta(minutes=1), owner)
    assert await repo.finish_action(
        item.id, frozenset({ActionStatus.RUNNING}), manual, line("action.waiting"), owner
    )
    marked = ActionRecord(ActionStatus.DONE, done_by=ADMIN)
    assert await repo.finish_action(
        item.id, frozenset({ActionStatus.MANUAL}), marked, line("action.done", actor=ADMIN)
    )
    assert (await repo.actions_of(request.id))[0].done_by == ADMIN
    actors = {entry.actor_id for entry in await repo.audit_since(NOW)}
    assert {PERSON, ADMIN, ADMIN_2} <= actors
    await stores.authenticators.set_pending(ADMIN, "sealed-1", NOW)
    assert await stores.authenticators.confirm_pending(ADMIN, "sealed-1", 100, NOW)
    assert await stores.authenticators.get_authenticator(ADMIN) is not None
    walk = WalkRecord(
        "c" * 32,
        TENANT,
        PERSON,
        Surface.DM,
        WalkState("lost-phone", ("lost-phone-check",), ("lost-phone-check",)),
        NOW,
        NOW,
    )
    assert await stores.walks.add_walk(walk)
    assert await stores.walks.get_walk(walk.id) == walk
    assert await stores.events.claim_event(ACTIVITY, NOW)  # an activity handled once
    assert not await stores.events.claim_event(ACTIVITY, NOW)


def _person(**changes: object) -> Contact:
    contact = Contact(
        platform=Platform.TEAMS,
        kind=ContactKind.PERSON,
        key=PERSON,
        address={
            "serviceUrl": "https://smba.trafficmanager.net/emea/",
            "conversation": {"id": PERSONAL, "conversationType": "personal", "tenantId": TENANT},
            "bot": {"id": "28:bot-app-id", "name": "MFA help"},
            "channelId": "msteams",
        },
        name="Kim Ödegaard",
        email="kim@example.com",
        updated_at=NOW,
    )
    return replace(contact, **changes)  # type: ignore[arg-type]


async def test_a_contact_round_trips_whole(stores: Stores) -> None:
    book = stores.contacts
    assert await book.find_contact(Platform.TEAMS, ContactKind.PERSON, PERSON) is None
    contact = _person()
    await book.save_contact(contact)
    found = await book.find_contact(Platform.TEAMS, ContactKind.PERSON, PERSON)
    assert found == contact
    assert found is not None
    assert found.updated_at is not None
    assert found.updated_at.utcoffset() == timedelta(0)
    bare = Contact(Platform.SLACK, ContactKind.CHANNEL, "C0DESK", {"channel": "C0DESK"})
    await book.save_contact(bare)
    assert await book.find_contact(Platform.SLACK, ContactKind.CHANNEL, "C0DESK") == bare


async def test_a_save_replaces_the_contact_with_the_same_platform_kind_and_key(
    stores: Stores,
) -> None:
    book = stores.contacts
    await book.save_contact(_person())
    moved = _person(
        address={"serviceUrl": "https://smba.trafficmanager.net/amer/", "conversation": {}},
        name="Kim O.",
        email="",
        updated_at=NOW + timedelta(days=1),
    )
    await book.save_contact(moved)
    assert await book.find_contact(Platform.TEAMS, ContactKind.PERSON, PERSON) == moved


async def test_contacts_of_another_platform_kind_or_key_are_apart(stores: Stores) -> None:
    book = stores.contacts
    person = _person()
    channel = _person(kind=ContactKind.CHANNEL, key=THREAD, name="IT help desk", email="")
    slack = _person(platform=Platform.SLACK, key="U012ABCDEF", address={"channel": "D1"})
    other = _person(key=ADMIN, name="Admin")
    for contact in (person, channel, slack, other):
        await book.save_contact(contact)
    assert await book.find_contact(Platform.TEAMS, ContactKind.PERSON, PERSON) == person
    assert await book.find_contact(Platform.TEAMS, ContactKind.CHANNEL, THREAD) == channel
    assert await book.find_contact(Platform.SLACK, ContactKind.PERSON, "U012ABCDEF") == slack
    assert await book.find_contact(Platform.TEAMS, ContactKind.PERSON, ADMIN) == other
    assert await book.find_contact(Platform.SLACK, ContactKind.PERSON, PERSON) is None
    assert await book.find_contact(Platform.TEAMS, ContactKind.CHANNEL, PERSON) is None


async def test_what_the_caller_keeps_of_a_contact_does_not_change_the_saved_one(
    stores: Stores,
) -> None:
    book = stores.contacts
    address = {"conversation": {"id": PERSONAL}}
    await book.save_contact(_person(address=address))
    address["conversation"]["id"] = "changed afterwards"
    found = await book.find_contact(Platform.TEAMS, ContactKind.PERSON, PERSON)
    assert found is not None
    assert found.address == {"conversation": {"id": PERSONAL}}
    found.address["conversation"]["id"] = "changed after reading"  # type: ignore[index]
    again = await book.find_contact(Platform.TEAMS, ContactKind.PERSON, PERSON)
    assert again is not None
    assert again.address == {"conversation": {"id": PERSONAL}}


async def test_replicas_saving_one_contact_at_once_leave_one_of_their_saves(
    stores: Stores,
) -> None:
    replicas = [stores, await stores.replica(), await stores.replica()]
    saves = [
        _person(name=f"Kim {n}", updated_at=NOW + timedelta(seconds=n))
        for n in range(len(replicas))
    ]
    await asyncio.gather(
        *(r.contacts.save_contact(c) for r, c in zip(replicas, saves, strict=True))
    )
    found = await stores.contacts.find_contact(Platform.TEAMS, ContactKind.PERSON, PERSON)
    assert found in saves
