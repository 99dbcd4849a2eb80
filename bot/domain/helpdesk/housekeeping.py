"""Housekeeping: expiring requests past their time, posting cards that never reached the chat."""

from __future__ import annotations

import logging

from bot.domain.errors import AlreadyDecidedError
from bot.domain.helpdesk.announce import Announcer
from bot.domain.helpdesk.config import SYSTEM
from bot.domain.helpdesk.core import OPEN, Core
from bot.domain.requests import Change, HelpRequest, Status

log = logging.getLogger(__name__)


class Housekeeping:
    """The rounds the runtime makes every few seconds, on every replica."""

    def __init__(self, core: Core, announcer: Announcer) -> None:
        self._core = core
        self._announcer = announcer

    async def expire_due(self) -> list[int]:
        """Expire every open request past its TTL; their numbers."""
        core = self._core
        now = core.clock.now()
        expired = []
        for request in await core.requests.requests_in(OPEN):
            if request.is_expired(now):
                try:
                    await core.move(request, OPEN, Status.EXPIRED, SYSTEM, Change.EXPIRED)
                except AlreadyDecidedError:
                    continue
                expired.append(request.id)
        return expired

    async def unannounced(self) -> list[HelpRequest]:
        """Open requests whose card never reached the channel (the chat was down)."""
        return [r for r in await self._core.requests.requests_in(OPEN) if r.message_ts is None]

    async def announce_unposted(self) -> list[int]:
        """Post every open request's card that never reached the channel, each channel's in
        order (unless another replica is posting them); what fails is tried again next round.
        The requests waiting."""
        waiting = await self.unannounced()
        for platform in sorted({request.platform for request in waiting}):
            await self._announcer.post_cards(platform)
        return [request.id for request in waiting]
