"""Protocols the core needs from the outside world: the chat platform, mail, clock, background."""

from __future__ import annotations

from collections.abc import Coroutine
from datetime import datetime
from enum import Enum
from typing import Any, Protocol

from bot.domain.notices import Notice
from bot.domain.requests import (
    ActionItem,
    Card,
    HelpRequest,
)
from bot.domain.reset_email import ResetNotice
from bot.domain.workspace import WorkspaceSettings


class Clock(Protocol):
    """Tells the time; injected so that expiry and lockouts can be tested."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class AdminRoster(Protocol):
    """Answers who is an IT admin right now (re-checked at every click)."""

    async def is_admin(self, user_id: str) -> bool:
        """True for IT_ADMIN_USERS and the members of IT_ADMIN_USERGROUP."""
        ...

    async def is_privileged(self, user_id: str) -> bool:
        """True for PRIVILEGED_USERS, PRIVILEGED_USERGROUP members and every IT admin."""
        ...

    async def privilege_reasons(self, user_id: str) -> tuple[str, ...]:
        """Why the operator's lists make the person privileged, in words (empty: they do not);
        a list that cannot be read is a reason too (fail closed)."""
        ...


class HelpDesks(Protocol):
    """Where each workspace's help desk is, when each sets its own (Slack OAuth installs)."""

    async def desk_of(self, team_id: str) -> str:
        """The workspace's help-desk channel; "" before it is set up."""
        ...

    async def save(self, settings: WorkspaceSettings) -> None:
        """Store a workspace's settings (its help-desk channel and admins)."""
        ...


class PeopleDirectory(Protocol):
    """The chat platform's profile of a person."""

    async def profile(self, user_id: str) -> tuple[str, str]:
        """(display name, email); empty strings for what the platform does not tell."""
        ...

    async def manager_of(self, user_id: str) -> str | None:
        """The person's manager on the chat platform (a user id), when it is known."""
        ...


class Notifier(Protocol):
    """Tells the help desk and the employee what happened (a Slack or Teams front end)."""

    async def post_request(self, request: HelpRequest, actions: list[ActionItem]) -> Card:
        """Post the new request to the help-desk channel; where its card is."""
        ...

    async def tell(self, notice: Notice) -> str | None:
        """Deliver one notice: a request's change (its card, thread and employee) or an alert
        for the help desk (and security, when the alert is `for_security`). For a new request,
        where the employee's message about it is (the front end's own reference, stored with the
        request so that the message can be updated once the request ends); else None."""
        ...

    async def deliver_secret(self, request: HelpRequest, text: str, expires_at: datetime) -> None:
        """Give the employee, and only them, something secret (a temporary access pass) and
        when it expires."""
        ...

    async def ask_manager(self, request: HelpRequest, manager_id: str) -> None:
        """Ask the manager whether the employee really asked IT for this."""
        ...


class WorkKind(Enum):
    """What background work is, so that the runner can give it its place in line."""

    FOLLOW_UP = "follow_up"  # what follows a person's click: they wait to see it
    CARD = "card"  # a new request's card and walk: bookkeeping that may wait for a burst to end
    EMAIL = "email"  # an email with retries: slow, kept apart from the rest


class Background(Protocol):
    """Runs work after the current call returned, tracked and drained on shutdown."""

    def __call__(self, work: Coroutine[Any, Any, None], name: str, kind: WorkKind) -> None:
        """Schedule `work` (named for the logs)."""
        ...


class Mailer(Protocol):
    """Emails the account holder: a second channel, apart from the chat that asked for a reset."""

    delivers: bool  # False for the log-only stand-in used when no transport is configured

    async def send_reset_notice(self, notice: ResetNotice) -> None:
        """Hand the notice to the mail system; MailError when it could not be."""
        ...


class Meter(Protocol):
    """Counts what the core did, for the operator's metrics: topic ids and outcomes only,
    never a person's data. Each call is a counter bump: nothing slow, nothing awaited."""

    def walk(self, topic_id: str, outcome: str, count: int = 1) -> None:
        """Walks of `topic_id` that started ("started") or ended (a WalkOutcome's value)."""
        ...

    def stepup_failed(self, *, locked: bool) -> None:
        """A step-up code was refused (wrong or used already); `locked`: it used the last try."""
        ...

    def stepup_locked_out(self) -> None:
        """A step-up attempt was refused without a look at the code: the admin is locked out."""
        ...


class NoMeter:
    """The Meter when nobody reads the metrics: counts nothing."""

    def walk(self, topic_id: str, outcome: str, count: int = 1) -> None:
        """Count nothing."""

    def stepup_failed(self, *, locked: bool) -> None:
        """Count nothing."""

    def stepup_locked_out(self) -> None:
        """Count nothing."""
