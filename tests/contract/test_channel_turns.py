"""The channel turns' contract: one holder of a channel's cards at a time, and bookings of its
next post that never share a time, across replicas."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.domain.platform import Platform
from tests.contract.conftest import NOW, Stores

SLACK, TEAMS = Platform.SLACK, Platform.TEAMS
LEASE = timedelta(seconds=30)
EVERY = timedelta(seconds=1)


async def test_one_holder_of_a_channel_s_cards_at_a_time_until_its_lease_ends(
    stores: Stores,
) -> None:
    repo, other = stores.requests, (await stores.replica()).requests
    assert await repo.take_channel(SLACK, "C0DESK", "p1:a", NOW, NOW + LEASE)  # first use
    assert await repo.take_channel(SLACK, "C0DESK", "p1:a", NOW, NOW + LEASE)  # theirs already
    assert not await other.take_channel(SLACK, "C0DESK", "p2:b", NOW, NOW + LEASE)
    # Another channel, or the same id on another platform, is a turn of its own.
    assert await other.take_channel(SLACK, "C0OTHER", "p2:b", NOW, NOW + LEASE)
    assert await other.take_channel(TEAMS, "C0DESK", "p2:b", NOW, NOW + LEASE)

    later = NOW + timedelta(seconds=20)
    assert await repo.renew_channel(SLACK, "C0DESK", "p1:a", later + LEASE)
    assert not await other.renew_channel(SLACK, "C0DESK", "p2:b", later + LEASE)
    # Held until the renewed lease ends (a lease exactly at its end still holds).
    assert not await other.take_channel(SLACK, "C0DESK", "p2:b", later + LEASE, later + 2 * LEASE)
    lapsed = later + LEASE + timedelta(seconds=1)
    assert await other.take_channel(SLACK, "C0DESK", "p2:b", lapsed, lapsed + LEASE)
    assert not await repo.renew_channel(SLACK, "C0DESK", "p1:a", lapsed + LEASE)  # lost
    assert not await repo.release_channel(SLACK, "C0DESK", "p1:a")
    assert await other.release_channel(SLACK, "C0DESK", "p2:b")
    assert await repo.take_channel(SLACK, "C0DESK", "p1:c", lapsed, lapsed + LEASE)


async def test_a_replica_shutting_down_lets_go_of_every_channel_it_holds(stores: Stores) -> None:
    repo = stores.requests
    assert await repo.take_channel(SLACK, "C1", "p1:a", NOW, NOW + LEASE)
    assert await repo.take_channel(TEAMS, "19:x", "p1:b", NOW, NOW + LEASE)
    assert await repo.take_channel(SLACK, "C2", "p2:a", NOW, NOW + LEASE)
    assert await repo.release_channels("p1:") == 2
    assert await repo.release_channels("p1:") == 0
    assert await repo.take_channel(SLACK, "C1", "p3:a", NOW, NOW + LEASE)
    assert not await repo.take_channel(SLACK, "C2", "p3:a", NOW, NOW + LEASE)


async def test_posts_are_booked_a_second_apart_and_never_before_a_deferral(stores: Stores) -> None:
    repo = stores.requests
    assert await repo.reserve_post(SLACK, "C0DESK", NOW, EVERY) == NOW  # first use: at once
    assert await repo.reserve_post(SLACK, "C0DESK", NOW, EVERY) == NOW + EVERY
    assert await repo.reserve_post(TEAMS, "C0DESK", NOW, EVERY) == NOW  # a turn of its own
    # Slack said 429, Retry-After 3: nobody posts before then.
    await repo.defer_posts(SLACK, "C0DESK", NOW + timedelta(seconds=3))
    assert await repo.reserve_post(SLACK, "C0DESK", NOW, EVERY) == NOW + timedelta(seconds=3)
    # A deferral never brings the next post earlier.
    await repo.defer_posts(SLACK, "C0DESK", NOW + timedelta(seconds=1))
    assert await repo.reserve_post(SLACK, "C0DESK", NOW, EVERY) == NOW + timedelta(seconds=4)
    much_later = NOW + timedelta(minutes=5)
    assert await repo.reserve_post(SLACK, "C0DESK", much_later, EVERY) == much_later
    # A deferral is a first use too.
    await repo.defer_posts(SLACK, "C0NEW", NOW + timedelta(seconds=2))
    assert await repo.reserve_post(SLACK, "C0NEW", NOW, EVERY) == NOW + timedelta(seconds=2)


async def test_replicas_booking_at_once_get_times_of_their_own(stores: Stores) -> None:
    replicas = [stores.requests] + [(await stores.replica()).requests for _ in range(3)]
    booked = await asyncio.gather(
        *(replicas[n % 4].reserve_post(SLACK, "C0DESK", NOW, EVERY) for n in range(20))
    )
    assert sorted(booked) == [NOW + n * EVERY for n in range(20)]
