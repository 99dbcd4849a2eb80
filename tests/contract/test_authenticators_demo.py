"""The authenticator store's and the demo directory's contract."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from bot.identity.demo import new_demo_user
from storage.memory import MemoryAuthenticatorStore
from storage.stepup import SqlAuthenticatorStore
from tests.contract.conftest import NOW, Stores

UNTIL = NOW + timedelta(minutes=15)


async def _enrolled(stores: Stores, admin: str = "UADMIN") -> None:
    await stores.authenticators.set_pending(admin, "sealed-1", NOW)
    assert await stores.authenticators.confirm_pending(admin, "sealed-1", 100, NOW)


async def test_a_pending_secret_becomes_active_once_confirmed(stores: Stores) -> None:
    store = stores.authenticators
    assert await store.get_authenticator("UADMIN") is None
    await store.set_pending("UADMIN", "sealed-1", NOW)
    pending = await store.get_authenticator("UADMIN")
    assert pending is not None
    assert (pending.sealed_secret, pending.sealed_pending, pending.last_step) == (
        None,
        "sealed-1",
        0,
    )
    assert not await store.confirm_pending("UADMIN", "sealed-other", 100, NOW)
    assert await store.confirm_pending("UADMIN", "sealed-1", 100, NOW)
    assert not await store.confirm_pending("UADMIN", "sealed-1", 101, NOW)
    await store.set_pending("UADMIN", "sealed-2", NOW)  # re-enrolling: the old one stays active
    row = await store.get_authenticator("UADMIN")
    assert row is not None
    assert (row.sealed_secret, row.sealed_pending, row.last_step) == ("sealed-1", "sealed-2", 100)


async def test_a_time_step_is_used_once_and_never_an_older_one(stores: Stores) -> None:
    store = stores.authenticators
    await _enrolled(stores)
    assert not await store.use_step("UADMIN", 100, NOW)
    assert await store.use_step("UADMIN", 101, NOW)
    assert not await store.use_step("UADMIN", 101, NOW)
    assert not await store.use_step("UADMIN", 99, NOW)
    assert not await store.use_step("UNOBODY", 200, NOW)


async def test_attempts_are_counted_to_a_lock_and_an_ended_lock_counts_afresh(
    stores: Stores,
) -> None:
    store = stores.authenticators
    assert await store.count_attempt("UNOBODY", NOW, 5, UNTIL) is None  # and no row made
    assert await store.get_authenticator("UNOBODY") is None
    await _enrolled(stores)
    counted = [await store.count_attempt("UADMIN", NOW, 5, UNTIL) for _ in range(6)]
    assert [(c.failures, c.locked_until) for c in counted if c is not None] == [
        (1, None),
        (2, None),
        (3, None),
        (4, None),
        (5, UNTIL),
    ]
    assert counted[-1] is None  # locked: not even counted
    assert await store.count_attempt("UADMIN", UNTIL - timedelta(seconds=1), 5, UNTIL) is None
    fresh = await store.count_attempt("UADMIN", UNTIL, 5, UNTIL + timedelta(minutes=15))
    assert fresh is not None
    assert (fresh.failures, fresh.locked_until) == (1, None)


async def test_parallel_attempts_are_counted_one_by_one(stores: Stores) -> None:
    await _enrolled(stores)
    stores_of = [stores.authenticators, (await stores.replica()).authenticators]
    counted = await asyncio.gather(
        *(stores_of[i % 2].count_attempt("UADMIN", NOW, 5, UNTIL) for i in range(30))
    )
    admitted = sorted((c.failures, c.locked_until) for c in counted if c is not None)
    assert admitted == [(1, None), (2, None), (3, None), (4, None), (5, UNTIL)]
    row = await stores.authenticators.get_authenticator("UADMIN")
    assert row is not None
    assert (row.failures, row.locked_until) == (5, UNTIL)


async def test_a_success_clears_the_count_but_not_a_lock_others_set(stores: Stores) -> None:
    store = stores.authenticators
    await _enrolled(stores)
    for _ in range(2):
        await store.count_attempt("UADMIN", NOW, 5, UNTIL)
    assert await store.use_step("UADMIN", 101, NOW)
    row = await store.get_authenticator("UADMIN")
    assert row is not None
    assert (row.failures, row.locked_until) == (0, None)
    mine = await store.count_attempt("UADMIN", NOW, 5, UNTIL)  # the right code, in flight
    assert mine is not None
    assert mine.failures == 1
    for _ in range(4):  # wrong codes racing it take the rest and lock
        assert await store.count_attempt("UADMIN", NOW, 5, UNTIL) is not None
    assert await store.count_attempt("UADMIN", NOW, 5, UNTIL) is None
    assert await store.use_step("UADMIN", 102, NOW)  # judged on its code: it passes
    row = await store.get_authenticator("UADMIN")
    assert row is not None
    assert (row.failures, row.locked_until) == (5, UNTIL)  # the wrong ones' lock stays
    assert not await store.use_step("UADMIN", 102, NOW)  # and it stays once-only
    # The attempt that set the lock itself lifts it with a right code.
    assert await store.use_step("UADMIN", 103, NOW, own_lock=True)
    row = await store.get_authenticator("UADMIN")
    assert row is not None
    assert (row.failures, row.locked_until) == (0, None)


async def test_a_confirmation_clears_the_count_like_a_used_step(stores: Stores) -> None:
    store = stores.authenticators
    await _enrolled(stores)
    await store.set_pending("UADMIN", "sealed-2", NOW)
    for _ in range(5):
        await store.count_attempt("UADMIN", NOW, 5, UNTIL)
    assert await store.confirm_pending("UADMIN", "sealed-2", 110, NOW)
    row = await store.get_authenticator("UADMIN")
    assert row is not None
    assert (row.sealed_secret, row.failures, row.locked_until) == ("sealed-2", 5, UNTIL)
    await store.set_pending("UADMIN", "sealed-3", NOW)
    assert await store.confirm_pending("UADMIN", "sealed-3", 111, UNTIL, own_lock=False)
    row = await store.get_authenticator("UADMIN")
    assert row is not None
    assert (row.sealed_secret, row.failures, row.locked_until) == ("sealed-3", 0, None)


async def test_key_rotation_lists_the_sealed_values_and_replaces_them_if_unchanged(
    stores: Stores,
) -> None:
    store = stores.authenticators
    # Not part of the port (only `mfa-helpdesk rotate-key` uses them), but both stores have them.
    assert isinstance(store, SqlAuthenticatorStore | MemoryAuthenticatorStore)
    await _enrolled(stores, "UADMIN")
    await store.set_pending("UOTHER", "sealed-p", NOW)
    assert sorted(await store.all_sealed()) == [
        ("UADMIN", "sealed-1", None),
        ("UOTHER", None, "sealed-p"),
    ]
    assert not await store.reseal("UADMIN", ("sealed-x", None), ("resealed-1", None))
    assert await store.reseal("UADMIN", ("sealed-1", None), ("resealed-1", None))
    assert await store.reseal("UOTHER", (None, "sealed-p"), (None, "resealed-p"))
    assert not await store.reseal("UOTHER", (None, "sealed-p"), (None, "again"))
    assert sorted(await store.all_sealed()) == [
        ("UADMIN", "resealed-1", None),
        ("UOTHER", None, "resealed-p"),
    ]


async def test_the_demo_directory_stores_and_replaces_people(stores: Stores) -> None:
    demo = stores.demo
    assert await demo.get_demo_user("ada@example.com") is None
    ada = replace(new_demo_user("ada@example.com"), admin_roles=("Helpdesk Administrator",))
    await demo.save_demo_user(ada, NOW)
    assert await demo.get_demo_user("ada@example.com") == ada
    changed = replace(ada, methods=(), sessions=0, tap_hash="h", tap_expires_at=UNTIL)
    await demo.save_demo_user(changed, NOW)
    assert await demo.get_demo_user("ada@example.com") == changed
    assert await demo.get_demo_user("bo@example.com") is None
