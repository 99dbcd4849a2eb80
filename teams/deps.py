"""What the Teams handlers need, handed to them by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.helpdesk import Helpdesk
from bot.domain.insights import Insights
from bot.domain.ports import Clock
from bot.domain.repositories import EventLedger
from bot.domain.walks import Walks
from teams.addresses import Addresses
from teams.cards.guide import TeamsScreens


@dataclass(frozen=True)
class TeamsDeps:
    """The services behind the Teams front end."""

    walks: Walks
    screens: TeamsScreens
    addresses: Addresses
    clock: Clock
    events: EventLedger
    helpdesk: Helpdesk | None = None
    provider: str = ""  # the identity provider's name, as the request card shows it
    it_contact: str | None = None  # IT_CONTACT as typed, None when unset (a notice names it)
    security_channel: str | None = None  # TEAMS_SECURITY_CHANNEL: alerts are claimed there too
    insights: Insights | None = None  # the figures, with a help desk
