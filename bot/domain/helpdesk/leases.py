"""Keeping a claim while its work runs: the heartbeat, and losing the claim to another worker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from bot.domain.helpdesk.config import ANNOUNCE_LEASE
from bot.domain.helpdesk.core import Core

log = logging.getLogger(__name__)


class ClaimLostError(Exception):
    """The claim on some work went to another worker while it ran."""


@contextlib.asynccontextmanager
async def renewing(core: Core, action_id: int, owner: str) -> AsyncIterator[None]:
    """Keep the action's lease while the work inside runs (a provider call may be slow)."""
    lease = core.config.action_lease

    async def renew() -> bool:
        return await core.requests.renew_action_lease(action_id, owner, core.clock.now() + lease)

    async with heartbeat(renew, lease.total_seconds() / 3, f"action {action_id}"):
        yield


@contextlib.asynccontextmanager
async def holding_announcement(core: Core, request_id: int, owner: str) -> AsyncIterator[None]:
    """Keep the claim on posting the request's card while the work inside runs; once the
    claim is lost, that work is cancelled (ClaimLostError): another replica posts it."""

    async def renew() -> bool:
        return await core.requests.renew_announcement(request_id, owner, core.clock.now())

    every_s = ANNOUNCE_LEASE.total_seconds() / 3
    async with heartbeat(renew, every_s, "a card", lease_s=ANNOUNCE_LEASE.total_seconds()):
        yield


@contextlib.asynccontextmanager
async def heartbeat(
    renew: Callable[[], Coroutine[Any, Any, bool]],
    every_s: float,
    what: str,
    *,
    lease_s: float | None = None,
) -> AsyncIterator[None]:
    """Call `renew` every `every_s` seconds while the body runs; stop once it says the claim
    is gone (another worker took it: its result will not count, see finish_action).

    Given `lease_s`, the body is cancelled, and ClaimLostError raised, once the claim is gone
    or no renewal succeeded for `lease_s` seconds (another worker may have taken it by then).
    """
    body = asyncio.current_task()
    lost = False

    def give_up() -> None:
        nonlocal lost
        if lease_s is not None and body is not None:
            lost = True
            body.cancel()

    task = asyncio.create_task(_beat(renew, every_s, what, lease_s, give_up), name=f"lease {what}")
    try:
        yield
    except asyncio.CancelledError:
        # Our own cancellation (the claim lost) becomes an error; any other stays a cancellation.
        if lost and body is not None and body.uncancel() == 0:
            raise ClaimLostError(what) from None
        raise
    finally:
        task.cancel()
        await asyncio.wait([task])  # unlike `await task`, never swallows our own cancellation


async def _beat(
    renew: Callable[[], Coroutine[Any, Any, bool]],
    every_s: float,
    what: str,
    lease_s: float | None,
    give_up: Callable[[], None],
) -> None:
    """Renew every `every_s` seconds; `give_up` once the claim is gone or ran out unrenewed."""
    loop = asyncio.get_running_loop()
    renewed = loop.time()
    while True:
        await asyncio.sleep(every_s)
        try:
            if not await renew():
                log.warning("lost the lease on %s while working on it", what)
                give_up()
                return
        except Exception as exc:  # the database may be back before the lease runs out
            log.warning("could not renew the lease on %s: %s", what, exc)
            if lease_s is not None and loop.time() - renewed >= lease_s:
                log.warning("the lease on %s ran out unrenewed", what)
                give_up()
                return
        else:
            renewed = loop.time()
