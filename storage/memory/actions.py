"""The in-memory outbox: claiming, leasing, retrying and finishing a request's actions."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.domain.requests import ActionItem, ActionRecord, ActionStatus, AuditEntry, Status
from storage.memory.tables import ActionRow, Tables


class MemoryActions:
    """The action half of MemoryRequestRepository (see bot.domain.ports.RequestRepository)."""

    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    async def actions_of(self, request_id: int) -> list[ActionItem]:
        return [row.item() for row in self._tables.actions_of(request_id)]

    async def get_action(self, action_id: int) -> ActionItem | None:
        row = self._tables.actions.get(action_id)
        return None if row is None else row.item()

    async def claim_action(
        self, action_id: int, now: datetime, lease_until: datetime, owner: str = ""
    ) -> bool:
        async with self._tables.lock:
            row = self._tables.actions.get(action_id)
            if row is None or not row.is_due(now):
                return False
            row.status, row.attempts = ActionStatus.RUNNING, row.attempts + 1
            row.lease_until, row.lease_owner = lease_until, owner
            return True

    async def claim_due_actions(
        self,
        now: datetime,
        lease_until: datetime,
        owner: str,
        limit: int = 1,
        request_id: int | None = None,
    ) -> list[ActionItem]:
        async with self._tables.lock:
            of = (
                {request_id}
                if request_id is not None
                else {
                    request.id
                    for request in self._tables.requests.values()
                    if request.status is Status.EXECUTING
                }
            )
            due = sorted(
                (
                    row
                    for row in self._tables.actions.values()
                    if row.request_id in of and row.is_due(now)
                ),
                key=lambda row: (row.request_id, row.position, row.id),
            )[:limit]
            for row in due:
                row.status, row.attempts = ActionStatus.RUNNING, row.attempts + 1
                row.lease_until, row.lease_owner = lease_until, owner
            return [row.item() for row in due]

    async def retry_action_later(
        self, action_id: int, at: datetime, audit: AuditEntry, summary: str, owner: str = ""
    ) -> bool:
        async with self._tables.lock:
            row = self._held(action_id, owner)
            if row is None:
                return False
            row.status, row.next_attempt_at, row.lease_until = ActionStatus.PENDING, at, None
            row.summary, row.updated_at = summary, audit.at
            self._tables.append_audit(audit, audit.request_id)
            return True

    async def mark_notified(self, action_ids: list[int], at: datetime) -> list[int]:
        async with self._tables.lock:
            fresh = [
                row
                for row in self._tables.actions.values()
                if row.id in action_ids and row.notified_at is None
            ]
            for row in fresh:
                row.notified_at = at
            return sorted(row.id for row in fresh)

    async def reopen_failed_actions(self, request_id: int, at: datetime) -> int:
        async with self._tables.lock:
            failed = [
                row
                for row in self._tables.actions_of(request_id)
                if row.status is ActionStatus.FAILED
            ]
            for row in failed:
                row.status, row.attempts, row.updated_at = ActionStatus.PENDING, 0, at
                row.next_attempt_at = row.lease_until = None
            return len(failed)

    async def requests_with_due_actions(self, now: datetime) -> list[int]:
        executing = {
            request.id
            for request in self._tables.requests.values()
            if request.status is Status.EXECUTING
        }
        due = {
            row.request_id
            for row in self._tables.actions.values()
            if row.request_id in executing and row.is_due(now)
        }
        return sorted(due)

    async def finish_action(
        self,
        action_id: int,
        expected: frozenset[ActionStatus],
        result: ActionRecord,
        audit: AuditEntry,
        owner: str | None = None,
    ) -> bool:
        async with self._tables.lock:
            row = self._tables.actions.get(action_id)
            if row is None or row.status not in expected:
                return False
            if owner is not None and row.lease_owner != owner:
                return False
            _record(row, result)
            row.updated_at, row.lease_until = audit.at, None
            self._tables.append_audit(audit, audit.request_id)
            return True

    async def renew_action_lease(self, action_id: int, owner: str, lease_until: datetime) -> bool:
        async with self._tables.lock:
            row = self._held(action_id, owner)
            if row is None:
                return False
            row.lease_until = lease_until
            return True

    async def release_actions(self, owner_prefix: str, audit: AuditEntry) -> int:
        async with self._tables.lock:
            held = [
                row
                for row in self._tables.actions.values()
                if row.status is ActionStatus.RUNNING
                and row.lease_owner is not None
                and row.lease_owner.startswith(owner_prefix)
            ]
            for row in held:
                # The claim counted an attempt; a shutdown is not the action's failure.
                row.status, row.attempts, row.updated_at = (
                    ActionStatus.PENDING,
                    row.attempts - 1,
                    audit.at,
                )
                row.next_attempt_at = row.lease_until = row.lease_owner = None
                detail = {**(audit.detail or {}), "action": row.action.value}
                line = replace(audit, request_id=row.request_id, detail=detail)
                self._tables.append_audit(line, row.request_id)
            return len(held)

    def _held(self, action_id: int, owner: str) -> ActionRow | None:
        row = self._tables.actions.get(action_id)
        return row if row is not None and row.is_held_by(owner) else None


def _record(row: ActionRow, result: ActionRecord) -> None:
    """Write what the result sets; what it leaves unset (None, no manual steps) is kept."""
    row.status = result.status
    if result.summary is not None:
        row.summary = result.summary
    if result.manual_steps:
        row.manual_steps = result.manual_steps
    if result.link is not None:
        row.link = result.link
    if result.idp_request_id is not None:
        row.idp_request_id = result.idp_request_id
    if result.directory_object_id is not None:
        row.directory_object_id = result.directory_object_id
    if result.done_by is not None:
        row.done_by = result.done_by
