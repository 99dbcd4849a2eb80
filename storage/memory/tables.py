"""The in-memory help desk's rows: requests, their actions and the audit log, under one lock."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.identity import ResetAction
from bot.domain.requests import ActionItem, ActionStatus, AuditEntry, HelpRequest


@dataclass
class ActionRow:
    """One action of a request with the columns the SQL table has beyond ActionItem."""

    id: int
    request_id: int
    position: int
    action: ResetAction
    status: ActionStatus
    updated_at: datetime
    summary: str = ""
    manual_steps: tuple[str, ...] = ()
    link: str | None = None
    attempts: int = 0
    lease_until: datetime | None = None
    lease_owner: str | None = None
    next_attempt_at: datetime | None = None
    done_by: str | None = None
    idp_request_id: str | None = None
    directory_object_id: str | None = None
    notified_at: datetime | None = None

    def item(self) -> ActionItem:
        """What the core reads of it."""
        return ActionItem(
            id=self.id,
            request_id=self.request_id,
            action=self.action,
            status=self.status,
            summary=self.summary,
            manual_steps=self.manual_steps,
            link=self.link,
            attempts=self.attempts,
            done_by=self.done_by,
        )

    def is_due(self, now: datetime) -> bool:
        """Pending with its retry time reached, or running under a lease that ran out."""
        if self.status is ActionStatus.PENDING:
            return self.next_attempt_at is None or self.next_attempt_at <= now
        running = self.status is ActionStatus.RUNNING
        return running and self.lease_until is not None and self.lease_until < now

    def is_held_by(self, owner: str) -> bool:
        """Running under `owner`'s lease (a result counts only then)."""
        return self.status is ActionStatus.RUNNING and self.lease_owner == owner


@dataclass
class Tables:
    """Every row, and the lock each conditional change holds from its check to its write."""

    requests: dict[int, HelpRequest] = field(default_factory=dict)
    # When the posting of each request's card was claimed (a column HelpRequest does not carry).
    announce_started_at: dict[int, datetime] = field(default_factory=dict)
    actions: dict[int, ActionRow] = field(default_factory=dict)
    audit: list[AuditEntry] = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    last_request_id: int = 0
    last_action_id: int = 0

    def append_audit(self, entry: AuditEntry, request_id: int | None) -> None:
        """One audit line for `request_id`, its detail stored as the JSON column stores it."""
        detail = json.loads(json.dumps(entry.detail)) if entry.detail else None
        self.audit.append(AuditEntry(entry.at, entry.actor_id, entry.event, request_id, detail))

    def add_actions(self, request_id: int, actions: tuple[ResetAction, ...], at: datetime) -> None:
        """The approved actions, pending, in the order given."""
        for position, action in enumerate(actions):
            self.last_action_id += 1
            self.actions[self.last_action_id] = ActionRow(
                self.last_action_id, request_id, position, action, ActionStatus.PENDING, at
            )

    def actions_of(self, request_id: int) -> list[ActionRow]:
        """The request's actions in approval order."""
        mine = [row for row in self.actions.values() if row.request_id == request_id]
        return sorted(mine, key=lambda row: (row.position, row.id))
