"""The plumbing every help-desk use case shares: its ports, reading a request, notices, refusals."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from bot.domain.errors import (
    AlreadyDecidedError,
    HelpdeskError,
    NotAnAdminError,
    RequestNotFoundError,
)
from bot.domain.helpdesk.config import SYSTEM, HelpdeskConfig
from bot.domain.identity import DirectoryUser, IdentityProvider
from bot.domain.notices import RequestChanged
from bot.domain.platform import Platform
from bot.domain.ports import (
    AdminRoster,
    Background,
    Clock,
    HelpDesks,
    Notifier,
    PeopleDirectory,
    WorkKind,
)
from bot.domain.repositories import RequestRepository
from bot.domain.requests import ACTIVE, ActionItem, AuditEntry, Change, HelpRequest, Status

log = logging.getLogger(__name__)

OPEN = frozenset({Status.OPEN})


@dataclass
class Core:
    """The ports and the process-wide state the use cases share (one per process)."""

    config: HelpdeskConfig
    requests: RequestRepository
    provider: IdentityProvider
    admins: AdminRoster
    people: PeopleDirectory
    notifier: Notifier
    clock: Clock
    background: Background
    # Each workspace's own help-desk channel (several Slack workspaces); None: the config's.
    desks: HelpDesks | None = None
    # Every lease this process takes names it, so that one statement releases them all.
    lease_holder: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    stopping: bool = False
    _locks: dict[int, asyncio.Lock] = field(default_factory=dict)

    def run_owner(self) -> str:
        """A claim's owner: this process's lease holder and the run that claims."""
        return f"{self.lease_holder}:{uuid.uuid4().hex[:16]}"

    def later(self, work: Coroutine[Any, Any, None], name: str, kind: WorkKind) -> None:
        """Run `work` after this call returns, through the injected runner."""
        self.background(work, name, kind)

    async def desk_of(self, request: HelpRequest) -> str:
        """The help-desk channel where the request is decided; "" when there is none."""
        if self.desks is not None and request.platform is Platform.SLACK:
            return await self.desks.desk_of(request.team_id)
        return self.config.channel_of(request.platform)

    async def get(self, request_id: int) -> HelpRequest:
        """The request; RequestNotFoundError when there is none."""
        request = await self.requests.get_request(request_id)
        if request is None:
            raise RequestNotFoundError(f"there is no request #{request_id}")
        return request

    async def action(self, action_id: int) -> tuple[ActionItem, HelpRequest]:
        """An action and its request; RequestNotFoundError when there is none."""
        item = await self.requests.get_action(action_id)
        if item is None:
            raise RequestNotFoundError("that action does not exist")
        return item, await self.get(item.request_id)

    async def find_person(self, request: HelpRequest) -> DirectoryUser:
        """The requester at the identity provider. A Teams request also gives their Entra object
        ID, which the Teams front end vouches for: Entra finds them by it, the other directories
        by the email their chat profile gave."""
        object_id = request.requester_id if request.platform is Platform.TEAMS else None
        return await self.provider.find_user(request.requester_email, object_id=object_id)

    async def notify(self, request_id: int, change: Change, actor: str | None) -> HelpRequest:
        """Tell of a change as stored; never raises for a notice that could not be sent."""
        # One notice per request at a time, each rendered from what is stored, so the card
        # never ends on an older state than the database holds.
        async with self._locks.setdefault(request_id, asyncio.Lock()):
            request = await self.get(request_id)
            actions = tuple(await self.requests.actions_of(request_id))
            try:
                await self.notifier.tell(RequestChanged(request, actions, change, actor))
            except Exception:
                # The change is stored and audited; a failed notice must not undo or repeat it.
                log.exception("could not tell about request #%s (%s)", request_id, change.value)
        if request.status not in ACTIVE | {Status.FAILED}:
            self._locks.pop(request_id, None)
        return request

    async def refused(
        self, actor: str, request_id: int | None, refusal: HelpdeskError
    ) -> HelpdeskError:
        """Audit a refusal; the refusal, for the caller to raise."""
        await self.requests.record_audit(
            AuditEntry(
                self.clock.now(), actor, "decision.refused", request_id, {"reason": refusal.code}
            )
        )
        return refusal

    async def require_admin(self, actor: str) -> None:
        """NotAnAdminError (audited) unless `actor` is an IT admin right now."""
        if not await self.admins.is_admin(actor):
            raise await self.refused(actor, None, NotAnAdminError("admins only"))

    async def move(
        self,
        request: HelpRequest,
        expected: frozenset[Status],
        new: Status,
        actor: str,
        change: Change,
    ) -> HelpRequest:
        """Move the request (audited) and tell of it; AlreadyDecidedError if it moved before."""
        audit = AuditEntry(self.clock.now(), actor, f"request.{new.value}", request.id)
        if not await self.requests.transition(request.id, expected, new, audit):
            raise already(await self.get(request.id))
        return await self.notify(request.id, change, None if actor == SYSTEM else actor)


def already(request: HelpRequest) -> AlreadyDecidedError:
    """The refusal of a move that another click (or housekeeping) made first."""
    return AlreadyDecidedError(request.id, request.status.value, request.decided_by)


def provider_ids(provider_request_id: str | None, client_request_id: str | None) -> dict[str, str]:
    """The identity provider's ids of an action's calls, for its audit line (those known)."""
    ids = {"idp_request_id": provider_request_id, "idp_client_request_id": client_request_id}
    return {key: value for key, value in ids.items() if value}
