"""The help desk's figures in Slack: the admins' board on the Home tab, redrawn in the background,
and `/mfa-admin stats`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from slack_sdk.models.blocks import Block

from bot.charts import draw_all
from bot.domain.insights import Figures, Insights
from bot.report import Names
from bot.tasks import Lane
from handlers.blocks.guide import Message
from handlers.blocks.insights import build_board, build_stats
from handlers.deps import Deps

log = logging.getLogger(__name__)

# What to do once the board is drawn again: publish the admin's Home once more.
type Republish = Callable[[], Awaitable[None]]


class AdminBoard:
    """The board on an admin's Home: shown as last drawn, drawn again when it is due."""

    def __init__(self, deps: Deps, insights: Insights) -> None:
        self.deps = deps
        self.insights = insights

    async def blocks(self, team_id: str, republish: Republish | None) -> list[Block]:
        """The board as last drawn; when it is due, it is drawn again in the background and
        `republish` called with it (None: don't, as when showing a board just drawn)."""
        board, due = await self.insights.board(team_id)
        if due and republish is not None:
            self.deps.tasks.spawn(self._redraw(team_id, republish), "redraw-board", Lane.BULK)
        return build_board(board)

    async def _redraw(self, team_id: str, republish: Republish) -> None:
        drawn = await self.insights.redraw(team_id, self._draw)
        if drawn is None:
            return  # another replica is drawing it
        _board, replaced = drawn
        for file_id in replaced:  # the pictures no Home shows any more
            await self.deps.replier.delete(None, None, file_id)
        await republish()

    async def _draw(self, this: Figures, before: Figures) -> tuple[str, ...]:
        """Draw the pictures (on a thread: the event loop keeps acking) and upload them, private
        to the bot, which may show its own files in the views it publishes."""
        pictures = await asyncio.to_thread(draw_all, this, before)
        uploaded = []
        for number, (alt, png) in enumerate(pictures, start=1):
            name = f"help-desk-{this.period.until:%Y%m%d-%H%M}-{number}.png"
            file_id = await self.deps.replier.upload_file(None, png, name, alt)
            if file_id is not None:
                uploaded.append(file_id)
        return tuple(uploaded)

    async def stats(self, team_id: str, asked: str) -> Message:
        """`/mfa-admin stats [period]`: the period's figures beside the period before's
        (PeriodError when `asked` is no period)."""
        this, before = await self.insights.compared(self.insights.asked(asked), team_id)
        return build_stats(this, before, Names(self.deps.walks.guide))
