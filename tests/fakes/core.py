"""In-process doubles of the help desk's ports, shared by the unit and integration tiers."""

from __future__ import annotations

from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.domain.frontends import FrontEnd
from bot.domain.identity import ActionOutcome, ActionResult, DirectoryUser, IdentityError
from bot.domain.notices import Notice, RequestChanged
from bot.domain.platform import Platform
from bot.domain.ports import WorkKind
from bot.domain.requests import ActionItem, Card, Change, HelpRequest

ADMIN = "UADMIN"
"""The one IT admin `Admins` knows."""


@dataclass
class FlakyDirectory:
    """A directory whose answers the test scripts: errors to raise before it succeeds."""

    name: str = "flaky"
    errors: list[IdentityError] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    lookups: list[tuple[str, str | None]] = field(default_factory=list)  # (email, object ID)
    checks_admin_roles: bool = True
    revokes_sessions: bool = True

    async def find_user(self, email: str, object_id: str | None = None) -> DirectoryUser:
        self.lookups.append((email, object_id))
        return DirectoryUser(id=object_id or "u-1", email=email)

    async def admin_roles(self, user: DirectoryUser) -> tuple[str, ...]:
        return ()

    async def _act(self, what: str) -> ActionResult:
        self.calls.append(what)
        if self.errors:
            raise self.errors.pop(0)
        return ActionResult(outcome=ActionOutcome.DONE, summary=f"{what} done")

    async def clear_mfa(self, user: DirectoryUser) -> ActionResult:
        return await self._act("clear_mfa")

    async def delete_app_passwords(self, user: DirectoryUser) -> ActionResult:
        return await self._act("delete_app_passwords")

    async def revoke_sessions(self, user: DirectoryUser) -> ActionResult:
        return await self._act("revoke_sessions")

    async def issue_temporary_access_pass(
        self, user: DirectoryUser, lifetime_minutes: int
    ) -> ActionResult:
        return await self._act("issue_tap")


class Admins:
    """A roster of one admin, ADMIN, who is also the one privileged person."""

    async def is_admin(self, user_id: str) -> bool:
        return user_id == ADMIN

    async def is_privileged(self, user_id: str) -> bool:
        return user_id == ADMIN

    async def privilege_reasons(self, user_id: str) -> tuple[str, ...]:
        return ("an IT admin",) if user_id == ADMIN else ()


class People:
    """Everyone is Ada, and nobody has a manager on file."""

    async def profile(self, user_id: str) -> tuple[str, str]:
        return "Ada", "ada@example.com"

    async def manager_of(self, user_id: str) -> str | None:
        return None


@dataclass
class Notices:
    """A notifier that posts nothing and keeps the changes it was told of."""

    changes: list[Change] = field(default_factory=list)

    async def post_request(self, request: HelpRequest, actions: list[ActionItem]) -> Card:
        return Card("C0DESK", "1.1")

    async def tell(self, notice: Notice) -> None:
        if isinstance(notice, RequestChanged):
            self.changes.append(notice.change)

    async def deliver_secret(self, request: HelpRequest, text: str, expires_at: datetime) -> None:
        return None

    async def ask_manager(self, request: HelpRequest, manager_id: str) -> None:
        return None


@dataclass
class Later:
    """The background runner of these tests: scheduled work waits until the test runs it."""

    waiting: list[Coroutine[Any, Any, None]] = field(default_factory=list)

    def __call__(self, work: Coroutine[Any, Any, None], name: str, kind: WorkKind) -> None:
        self.waiting.append(work)

    async def run(self) -> None:
        """Run what was scheduled, and what that schedules, in order."""
        while self.waiting:
            await self.waiting.pop(0)

    def drop(self) -> None:
        """Forget what the test left unrun."""
        for work in self.waiting:
            work.close()
        self.waiting.clear()


@dataclass
class Side:
    """One platform's front end (roster, directory and notifier in one), recording what reached
    it: the double of a Slack or Teams front end under bot.domain.frontends.FrontEnds."""

    platform: Platform
    admins: frozenset[str]
    desk: str = "C0DESK"  # where its cards are posted
    privileged: frozenset[str] = frozenset()
    emails: dict[str, str] = field(default_factory=dict)  # by id; else made up from the id
    asked: list[str] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    cards: list[int] = field(default_factory=list)
    secrets: list[int] = field(default_factory=list)
    managers: list[str] = field(default_factory=list)

    async def is_admin(self, user_id: str) -> bool:
        self.asked.append(f"is_admin {user_id}")
        return user_id in self.admins

    async def is_privileged(self, user_id: str) -> bool:
        self.asked.append(f"is_privileged {user_id}")
        return user_id in self.privileged | self.admins

    async def privilege_reasons(self, user_id: str) -> tuple[str, ...]:
        self.asked.append(f"privilege_reasons {user_id}")
        return (f"listed on {self.platform}",) if user_id in self.privileged else ()

    async def profile(self, user_id: str) -> tuple[str, str]:
        self.asked.append(f"profile {user_id}")
        email = self.emails.get(user_id, f"{user_id[:4].lower()}@example.com")
        return f"{self.platform} person", email

    async def manager_of(self, user_id: str) -> str | None:
        self.asked.append(f"manager_of {user_id}")
        return f"manager on {self.platform}"

    async def post_request(self, request: HelpRequest, actions: list[ActionItem]) -> Card:
        self.cards.append(request.id)
        return Card(self.desk, f"{self.platform}-{request.id}")

    async def tell(self, notice: Notice) -> None:
        self.notices.append(notice)

    async def deliver_secret(self, request: HelpRequest, text: str, expires_at: datetime) -> None:
        self.secrets.append(request.id)

    async def ask_manager(self, request: HelpRequest, manager_id: str) -> None:
        self.managers.append(manager_id)

    def front_end(self) -> FrontEnd:
        """The side as FrontEnds takes it."""
        return FrontEnd(notifier=self, admins=self, people=self)
