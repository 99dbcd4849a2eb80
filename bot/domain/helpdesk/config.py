"""The help desk's settings, timing constants, and where a click came from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.domain.platform import Platform

SYSTEM = "system"
# The window REQUESTS_PER_HOUR counts in.
REQUEST_WINDOW = timedelta(hours=1)
# Claims are short and renewed while their work runs (every third of the lease), so the work of
# a replica that died (SIGKILL, a lost machine) is taken over about a lease later.
ANNOUNCE_LEASE = timedelta(seconds=30)
ACTION_LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 5
BACKOFF_FIRST_S = 2.0
BACKOFF_MAX_S = 300.0


def backoff(attempts: int) -> float:
    """Seconds before try number `attempts + 1`: 2, 4, 8, 16, ... up to five minutes."""
    return float(min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** (attempts - 1)))


@dataclass(frozen=True)
class HelpdeskConfig:
    """The operator's choices for the help-desk path.

    `channel_id` is Slack's help-desk channel and `teams_channel_id` the Teams one (a
    conversation id); "" means that platform has no help desk (Slack's is "" when only Teams is
    served)."""

    channel_id: str
    ttl: timedelta = timedelta(hours=24)
    tap_lifetime_minutes: int = 60
    reset_cooldown: timedelta = timedelta(hours=24)
    manager_attestation: bool = False
    # How long the card waits on the identity provider's answer about admin roles; past it the
    # request is privileged (fail closed).
    role_check_timeout: timedelta = timedelta(seconds=20)
    requests_per_hour: int = 3
    action_lease: timedelta = ACTION_LEASE
    # Waits before the second and later tries of the account holder's email.
    notice_retry_s: tuple[float, ...] = (5.0, 30.0)
    teams_channel_id: str = ""
    # Where an employee changes their password (MANAGE_SETTINGS_URL): told after they report
    # "this wasn't me" or a prompt they didn't start.
    password_url: str | None = None

    def channel_of(self, platform: Platform) -> str:
        """The help-desk channel of a platform; "" when it has none."""
        if platform is Platform.TEAMS:
            return self.teams_channel_id
        return self.channel_id


@dataclass(frozen=True)
class Place:
    """Where a click came from: the workspace (Teams: the tenant), the channel of the message
    clicked, and the front end it came through.

    The channel is required: a click that names none is refused (WrongPlaceError), so a
    missing value can never skip the help-desk channel check.
    """

    team_id: str
    channel_id: str
    platform: Platform = Platform.SLACK
