"""The help-desk repository in memory: requests and the audit log, changed conditionally."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.domain.errors import AlreadyOpenError, AlreadySubmittedError
from bot.domain.identity import ResetAction
from bot.domain.platform import Platform
from bot.domain.requests import ACTIVE, AuditEntry, Card, HelpRequest, Intake, Status
from storage.memory.actions import MemoryActions
from storage.memory.posting import MemoryChannelTurns
from storage.memory.tables import Tables

Condition = Callable[[HelpRequest], bool]


class MemoryRequestRepository(MemoryActions, MemoryChannelTurns):
    """Requests, their actions and the audit log in dicts; every change is conditional; and the
    channels' posting turns (storage.memory.posting)."""

    def __init__(self) -> None:
        MemoryActions.__init__(self, Tables())
        MemoryChannelTurns.__init__(self)

    async def create_request(
        self, request: HelpRequest, audit: AuditEntry, announcing_at: datetime | None = None
    ) -> HelpRequest:
        tables = self._tables
        async with tables.lock:
            if request.submission_key:
                same = self._find(lambda r: r.submission_key == request.submission_key)
                if same is not None:
                    raise AlreadySubmittedError(same.id)
            if request.status in ACTIVE:
                existing = self._active_of(request.requester_id)
                if existing is not None:
                    raise AlreadyOpenError(existing.id)
            tables.last_request_id += 1
            stored = _as_new(request, tables.last_request_id)
            tables.requests[stored.id] = stored
            if announcing_at is not None:
                tables.announce_started_at[stored.id] = announcing_at
            tables.append_audit(audit, stored.id)
            return stored

    async def request_by_submission(self, submission_key: str) -> HelpRequest | None:
        """The request this form submission made, if any."""
        return self._find(lambda r: r.submission_key == submission_key)

    async def intake_of(self, user_id: str, submission_key: str | None, since: datetime) -> Intake:
        same = self._find(lambda r: r.submission_key == submission_key) if submission_key else None
        active = self._active_of(user_id)
        mine = [r for r in self._tables.requests.values() if r.requester_id == user_id]
        resets = [r.updated_at for r in mine if r.status is Status.DONE]
        reported = [r.id for r in mine if r.reported_not_me_at is not None]
        return Intake(
            None if same is None else same.id,
            None if active is None else active.id,
            sum(1 for r in mine if r.created_at >= since),
            max(resets, default=None),
            max(reported, default=None),
        )

    async def get_request(self, request_id: int) -> HelpRequest | None:
        return self._tables.requests.get(request_id)

    async def active_request_of(self, user_id: str) -> HelpRequest | None:
        return self._active_of(user_id)

    async def requests_in(self, statuses: frozenset[Status]) -> list[HelpRequest]:
        return [r for _, r in sorted(self._tables.requests.items()) if r.status in statuses]

    async def cards_to_post(self, platform: Platform) -> list[HelpRequest]:
        return [
            request
            for _, request in sorted(self._tables.requests.items())
            if request.status is Status.OPEN
            and request.message_ts is None
            and request.platform is platform
        ]

    async def claim_announcement(
        self, request_id: int, now: datetime, stale: datetime, owner: str
    ) -> bool:
        async with self._tables.lock:
            request = self._tables.requests.get(request_id)
            if request is None or request.message_ts is not None:
                return False
            started = self._tables.announce_started_at.get(request_id)
            if started is not None and started >= stale and request.announce_owner != owner:
                return False
            self._tables.announce_started_at[request_id] = now
            self._tables.requests[request_id] = replace(request, announce_owner=owner)
            return True

    async def record_card(
        self, request_id: int, owner: str, card: Card, requester_name: str, requester_email: str
    ) -> bool:
        return await self._change(
            request_id,
            _announcing(owner),
            None,
            channel_id=card.channel_id,
            message_ts=card.message_ts,
            requester_name=requester_name,
            requester_email=requester_email,
        )

    async def record_privilege(
        self, request_id: int, privileged: bool, reason: str, audit: AuditEntry
    ) -> None:
        async with self._tables.lock:
            request = self._tables.requests.get(request_id)
            if request is not None:
                changed = replace(request, privileged=privileged, privileged_reason=reason)
                self._tables.requests[request_id] = changed
            self._tables.append_audit(audit, request_id)

    async def record_manager(self, request_id: int, manager_id: str) -> None:
        await self._change(request_id, lambda _: True, None, manager_id=manager_id)

    async def record_employee_message(self, request_id: int, message: str) -> None:
        await self._change(request_id, lambda _: True, None, employee_message=message)

    async def approve(
        self,
        request_id: int,
        actions: tuple[ResetAction, ...],
        audit: AuditEntry,
        *,
        at: datetime,
        first_approver_is: str | None,
    ) -> bool:
        def approvable(request: HelpRequest) -> bool:
            return (
                request.status is Status.OPEN
                and request.expires_at > at
                and not request.suspicious
                and request.first_approver == first_approver_is
            )

        values: dict[str, Any] = {
            "status": Status.APPROVED,
            "decided_by": audit.actor_id,
            "decided_at": at,
        }
        return await self._change(request_id, approvable, audit, actions, **values)

    async def deny(
        self, request_id: int, by: str, at: datetime, reason: str, audit: AuditEntry
    ) -> bool:
        values: dict[str, Any] = {"decided_by": by, "decided_at": at, "deny_reason": reason}
        opened = _in({Status.OPEN})
        return await self._change(request_id, opened, audit, status=Status.DENIED, **values)

    async def transition(
        self,
        request_id: int,
        expected: frozenset[Status],
        new: Status,
        audit: AuditEntry,
        *,
        not_suspicious: bool = False,
    ) -> bool:
        def movable(request: HelpRequest) -> bool:
            return request.status in expected and not (not_suspicious and request.suspicious)

        return await self._change(request_id, movable, audit, status=new)

    async def record_first_approval(
        self, request_id: int, actions: tuple[ResetAction, ...], audit: AuditEntry, now: datetime
    ) -> bool:
        def first(request: HelpRequest) -> bool:
            return (
                request.status is Status.OPEN
                and request.first_approver is None
                and not request.suspicious
                and request.expires_at > now
            )

        values: dict[str, Any] = {
            "first_approver": audit.actor_id,
            "first_actions": actions,
            "updated_at": now,
        }
        return await self._change(request_id, first, audit, **values)

    async def claim_callback(self, request_id: int, audit: AuditEntry) -> bool:
        return await self._change(
            request_id,
            lambda r: r.callback_by is None,
            audit,
            callback_by=audit.actor_id,
            callback_at=audit.at,
        )

    async def mark_suspicious(self, request_id: int, audit: AuditEntry) -> bool:
        return await self._change(
            request_id,
            lambda r: not r.suspicious,
            audit,
            suspicious=True,
            reported_not_me_at=audit.at,
        )

    async def claim_alert(self, request_id: int, audit: AuditEntry) -> bool:
        def unclaimed(request: HelpRequest) -> bool:
            return request.alert_claimed_by is None

        return await self._change(request_id, unclaimed, audit, alert_claimed_by=audit.actor_id)

    async def record_manager_answer(self, request_id: int, answer: str, audit: AuditEntry) -> bool:
        def unanswered(request: HelpRequest) -> bool:
            return request.manager_id == audit.actor_id and request.manager_answer is None

        values: dict[str, Any] = {"manager_answer": answer}
        if answer == "no":
            values["suspicious"] = True
        return await self._change(request_id, unanswered, audit, **values)

    async def renew_announcement(self, request_id: int, owner: str, at: datetime) -> bool:
        async with self._tables.lock:
            request = self._tables.requests.get(request_id)
            if request is None or not _announcing(owner)(request):
                return False
            self._tables.announce_started_at[request_id] = at
            return True

    async def release_announcements(self, owner_prefix: str) -> int:
        async with self._tables.lock:
            held = [
                request
                for request in self._tables.requests.values()
                if request.message_ts is None
                and request.announce_owner is not None
                and request.announce_owner.startswith(owner_prefix)
            ]
            for request in held:
                self._tables.requests[request.id] = replace(request, announce_owner=None)
                self._tables.announce_started_at.pop(request.id, None)
            return len(held)

    async def record_audit(self, entry: AuditEntry) -> None:
        async with self._tables.lock:
            self._tables.append_audit(entry, entry.request_id)

    async def audit_since(self, since: datetime) -> list[AuditEntry]:
        # Copies: a reader changing a line's detail must not change the log.
        return [copy.deepcopy(entry) for entry in self._tables.audit if entry.at >= since]

    async def _change(
        self,
        request_id: int,
        condition: Condition,
        audit: AuditEntry | None,
        actions: tuple[ResetAction, ...] = (),
        **values: Any,
    ) -> bool:
        """Change the request where `condition` holds, then add `actions` and the audit line
        (dated `audit.at`, as is the change); False (nothing written) when it does not hold."""
        async with self._tables.lock:
            request = self._tables.requests.get(request_id)
            if request is None or not condition(request):
                return False
            if audit is not None:
                values = {"updated_at": audit.at, **values}
            self._tables.requests[request_id] = replace(request, **values)
            if audit is not None:
                self._tables.add_actions(request_id, actions, audit.at)
                self._tables.append_audit(audit, request_id)
            return True

    def _find(self, condition: Condition) -> HelpRequest | None:
        return next((r for r in self._tables.requests.values() if condition(r)), None)

    def _active_of(self, user_id: str) -> HelpRequest | None:
        return self._find(lambda r: r.requester_id == user_id and r.status in ACTIVE)


def _in(statuses: set[Status]) -> Condition:
    return lambda request: request.status in statuses


def _announcing(owner: str) -> Condition:
    """The request, while its card is unposted and `owner` holds the claim on posting it."""
    return lambda request: request.message_ts is None and request.announce_owner == owner


def _as_new(request: HelpRequest, request_id: int) -> HelpRequest:
    """The request as stored new: its id, and none of the facts a new row leaves empty."""
    return replace(
        request,
        id=request_id,
        channel_id=None,
        message_ts=None,
        decided_by=None,
        decided_at=None,
        deny_reason=None,
        first_approver=None,
        first_actions=(),
        suspicious=False,
        manager_id=None,
        manager_answer=None,
        reported_not_me_at=None,
        alert_claimed_by=None,
    )
