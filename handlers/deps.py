"""What the Slack listeners need, handed to them by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.helpdesk import Helpdesk
from bot.domain.insights import Insights
from bot.domain.ports import Clock
from bot.domain.repositories import EventLedger
from bot.domain.walks import Walks
from bot.tasks import TaskTracker
from handlers.blocks.guide import GuideScreens
from handlers.reply import Replier
from handlers.workspaces import Workspaces


@dataclass(frozen=True)
class Deps:
    """The services behind the Slack front end."""

    walks: Walks
    events: EventLedger
    replier: Replier
    tasks: TaskTracker
    clock: Clock
    screens: GuideScreens
    helpdesk: Helpdesk | None = None
    it_contact: str | None = None  # IT_CONTACT escaped for mrkdwn, None when unset
    insights: Insights | None = None  # the figures, with a help desk
    # Several workspaces (Slack OAuth): each one's token and settings; None for one workspace.
    workspaces: Workspaces | None = None
