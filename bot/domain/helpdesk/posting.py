"""Posting to a help-desk channel: its cards one replica at a time, in request order, and every
post spaced as the platform allows, shared by the replicas through the database."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from enum import Enum

from bot.domain.helpdesk.config import ANNOUNCE_LEASE
from bot.domain.helpdesk.core import Core
from bot.domain.helpdesk.leases import ClaimLostError, heartbeat
from bot.domain.platform import Platform
from bot.domain.ports import Clock
from bot.domain.repositories import ChannelTurns
from bot.domain.requests import HelpRequest

log = logging.getLogger(__name__)

# How many times a post to a channel is refused for coming too soon (429) before it fails.
LIMITED_TRIES = 5

# How long the queue waits before looking again at a card whose claim another worker holds (its
# employee being told of it, or a worker that died: its claim runs out after ANNOUNCE_LEASE).
CLAIMED_RETRY_S = 0.5


class Posted(Enum):
    """What became of the card at the head of a channel's queue."""

    POSTED = "posted"
    SKIPPED = "skipped"  # posted already, or no longer open: next one
    CLAIMED = "claimed"  # another worker holds its claim for now: wait, then look again


class ChannelPacer:
    """Spaces the posts to a channel, whichever replica makes them: each books its time in the
    channel's turn (a time of its own, `every` after the one before), waits for it, posts; a
    refusal for posting too fast (429 with Retry-After) puts every replica's next post back.

    Runs on wall-clock time (`clock` is the system's), which all replicas share."""

    def __init__(
        self, turns: ChannelTurns, clock: Clock, every: Mapping[Platform, timedelta]
    ) -> None:
        self._turns = turns
        self._clock = clock
        self._every = dict(every)

    def paces(self, platform: Platform) -> bool:
        """False when posts to `platform` go out at once (no spacing set)."""
        return self._every.get(platform, timedelta(0)) > timedelta(0)

    async def wait_turn(self, platform: Platform, channel_id: str) -> None:
        """Book the channel's next post and wait until its time."""
        if not self.paces(platform):
            return
        booked = await self._turns.reserve_post(
            platform, channel_id, self._clock.now(), self._every[platform]
        )
        wait_s = (booked - self._clock.now()).total_seconds()
        if wait_s > 0:
            await asyncio.sleep(wait_s)

    async def posted(self, platform: Platform, channel_id: str) -> None:
        """A post just went: the next waits `every` from now (the post may have reached the
        platform any time up to its answer, so the space is counted from the answer)."""
        if self.paces(platform):
            until = self._clock.now() + self._every[platform]
            await self._turns.defer_posts(platform, channel_id, until)

    async def send[R](
        self,
        platform: Platform,
        channel_id: str,
        post: Callable[[], Awaitable[R]],
        wait_asked: Callable[[Exception], float | None],
    ) -> R:
        """Make a post to a channel in its turn. When the platform refuses it for coming too
        soon (`wait_asked` reads the seconds it asks for, None for any other failure), every
        replica holds off for that long, then the post is tried again (LIMITED_TRIES in all)."""
        for attempt in range(1, LIMITED_TRIES + 1):
            await self.wait_turn(platform, channel_id)
            try:
                result = await post()
            except Exception as exc:
                retry_after = wait_asked(exc)
                if retry_after is None or attempt == LIMITED_TRIES:
                    raise
                log.info("%s asked to wait %ss before posting again", platform.value, retry_after)
                await self.limited(platform, channel_id, retry_after)
                if not self.paces(platform):  # nobody books turns: wait here
                    await asyncio.sleep(retry_after)
                continue
            await self.posted(platform, channel_id)
            return result
        raise AssertionError("unreachable: the last try returns or raises")

    async def limited(self, platform: Platform, channel_id: str, retry_after_s: float) -> None:
        """The platform refused a post for coming too soon: nobody posts there for
        `retry_after_s` seconds."""
        until = self._clock.now() + timedelta(seconds=max(retry_after_s, 0.0))
        await self._turns.defer_posts(platform, channel_id, until)


class CardQueue:
    """A help-desk channel's cards still to post, oldest request first, posted by one replica at
    a time: the one holding the channel's turn (a lease, renewed while it posts; a replica that
    dies loses it and another takes over). Whoever is asked while another holds the turn leaves
    the cards to it: the holder looks for more after letting go of the turn."""

    def __init__(self, core: Core, post: Callable[[HelpRequest, str], Awaitable[Posted]]) -> None:
        self._core = core
        self._post = post  # posts one card under its claim, for an owner
        self._running: set[tuple[Platform, str]] = set()
        self._again: set[tuple[Platform, str]] = set()

    async def pump(self, platform: Platform) -> None:
        """Post the waiting cards of each of the platform's help-desk channels (one, or one per
        workspace), unless this process or another replica is doing so already; never raises
        (what fails is tried again by housekeeping)."""
        for channel in await self._channels(platform):
            await self._pump_channel(platform, channel)

    async def _channels(self, platform: Platform) -> list[str]:
        """The help-desk channels with cards waiting (the platform's one, or each workspace's)."""
        core = self._core
        if core.desks is None or platform is not Platform.SLACK:
            channel = core.config.channel_of(platform)
            return [channel] if channel else []
        desks = [await core.desk_of(request) for request in await self._waiting(platform)]
        return [channel for channel in dict.fromkeys(desks) if channel]

    async def _pump_channel(self, platform: Platform, channel: str) -> None:
        key = (platform, channel)
        if key in self._running:  # this process posts them: it will look again
            self._again.add(key)
            return
        self._running.add(key)
        try:
            while not self._core.stopping:
                self._again.discard(key)
                if not await self._drain(platform, channel):
                    return
                # A card stored while the turn was let go of is ours to post: nobody else took it.
                if key not in self._again and not await self._waiting(platform, channel):
                    return
        finally:
            self._running.discard(key)

    async def _drain(self, platform: Platform, channel: str) -> bool:
        """Take the channel's turn and post its waiting cards in order, then let go of it; True
        when none was left, False when another replica holds the turn or a post failed."""
        core = self._core
        owner = core.run_owner()
        lease = ANNOUNCE_LEASE
        now = core.clock.now()
        if not await core.requests.take_channel(platform, channel, owner, now, now + lease):
            return False

        async def renew() -> bool:
            until = core.clock.now() + lease
            return await core.requests.renew_channel(platform, channel, owner, until)

        what = f"the {platform.value} help-desk channel's cards"
        lease_s = lease.total_seconds()
        try:
            async with heartbeat(renew, lease_s / 3, what, lease_s=lease_s):
                return await self._post_waiting(platform, channel, owner, renew)
        except ClaimLostError:
            log.warning("%s were taken over by another replica", what)
            return False
        except Exception:
            log.exception("could not post %s; housekeeping tries again", what)
            return False
        finally:
            try:
                await core.requests.release_channel(platform, channel, owner)
            except Exception:  # its lease runs out instead
                log.exception("could not let go of %s", what)

    async def _post_waiting(
        self, platform: Platform, channel: str, owner: str, renew: Callable[[], Awaitable[bool]]
    ) -> bool:
        """Post the waiting cards, oldest first, until none is left (True) or shutdown begins;
        the turn is renewed before each card (ClaimLostError once another replica has it: a
        replica that hung past its lease must not post beside the one that took over)."""
        core = self._core
        while not core.stopping:
            waiting = await self._waiting(platform, channel)
            if not waiting:
                return True
            for request in waiting:
                if not await renew():
                    raise ClaimLostError(f"the {platform.value} help-desk channel's cards")
                while await self._post(request, owner) is Posted.CLAIMED:
                    if core.stopping:
                        return False
                    await asyncio.sleep(CLAIMED_RETRY_S)
                if core.stopping:
                    return False
        return False

    async def _waiting(self, platform: Platform, channel: str | None = None) -> list[HelpRequest]:
        """The platform's open requests without a card, oldest first (those of `channel`, when
        each workspace has its own)."""
        core = self._core
        waiting = await core.requests.cards_to_post(platform)
        if channel is None or core.desks is None or platform is not Platform.SLACK:
            return waiting
        return [request for request in waiting if await core.desk_of(request) == channel]
