"""Protocols the core needs from storage: walks, handled events, requests with their actions and
audit lines; every change a conditional update."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from bot.domain.identity import ResetAction
from bot.domain.platform import Platform
from bot.domain.requests import (
    ActionItem,
    ActionRecord,
    ActionStatus,
    AuditEntry,
    Card,
    HelpRequest,
    Intake,
    Status,
)
from bot.domain.walks import WalkRecord


class WalkRepository(Protocol):
    """Stores each employee's walk through the guide."""

    async def get_walk(self, walk_id: str) -> WalkRecord | None:
        """The walk with this id, or None."""

    async def add_walk(self, walk: WalkRecord) -> bool:
        """Store a new walk; False when a walk with its id exists already."""

    async def update_walk(self, walk: WalkRecord, expected_version: int) -> bool:
        """Store the walk if its stored version is still `expected_version`; False otherwise."""

    async def abandon_walks_before(self, cutoff: datetime) -> int:
        """Mark walks still in progress and untouched since `cutoff` abandoned; how many."""


class EventLedger(Protocol):
    """Remembers which Events API deliveries were handled, across replicas."""

    async def claim_event(self, event_id: str, at: datetime) -> bool:
        """True the first time an event id is seen, False for every later delivery."""

    async def forget_events_before(self, cutoff: datetime) -> int:
        """Drop the record of events older than `cutoff`; the number dropped."""


class ChannelTurns(Protocol):
    """Each chat channel's posting turn, shared by the replicas: the earliest time its next post
    may go (`not_before`, which spaces posts as the platform allows), and who posts its waiting
    request cards (a lease, so that they go out one at a time, in order)."""

    async def take_channel(
        self, platform: Platform, channel_id: str, owner: str, now: datetime, until: datetime
    ) -> bool:
        """Take the channel's cards for `owner` until `until`: True if nobody holds them, the
        holder's lease ended before `now`, or `owner` holds them already."""

    async def renew_channel(
        self, platform: Platform, channel_id: str, owner: str, until: datetime
    ) -> bool:
        """Extend `owner`'s hold on the channel's cards to `until`; False when it is not theirs."""

    async def release_channel(self, platform: Platform, channel_id: str, owner: str) -> bool:
        """Let go of the channel's cards, if `owner` holds them; True if they did."""

    async def release_channels(self, owner_prefix: str) -> int:
        """Let go of every channel whose holder starts with `owner_prefix`; how many."""

    async def reserve_post(
        self, platform: Platform, channel_id: str, now: datetime, every: timedelta
    ) -> datetime:
        """Book the channel's next post: the later of `now` and its `not_before`, which moves
        `every` past the time booked (atomically: two callers never book the same time)."""

    async def defer_posts(self, platform: Platform, channel_id: str, until: datetime) -> None:
        """No post in the channel before `until` (its `not_before` only ever moves later)."""


class RequestRepository(ChannelTurns, Protocol):
    """Stores help-desk requests, their actions and the audit log; every change is conditional;
    and the posting turns of the channels their cards go to."""

    async def create_request(
        self, request: HelpRequest, audit: AuditEntry, announcing_at: datetime | None = None
    ) -> HelpRequest:
        """Store a new request (its id is assigned here); AlreadySubmittedError if one with its
        `submission_key` is stored already, AlreadyOpenError if one is active.
        `announcing_at` claims the posting of its card for the caller."""

    async def intake_of(self, user_id: str, submission_key: str | None, since: datetime) -> Intake:
        """Before storing a form: the request this submission made already, the employee's
        request in progress, how many requests they made at or after `since` (whatever became
        of them), their last reset, their last request reported as "this wasn't me"."""

    async def get_request(self, request_id: int) -> HelpRequest | None:
        """The request with this number, or None."""

    async def active_request_of(self, user_id: str) -> HelpRequest | None:
        """The employee's request that is open, approved or executing, if any."""

    async def requests_in(self, statuses: frozenset[Status]) -> list[HelpRequest]:
        """Requests in these states, oldest first."""

    async def cards_to_post(self, platform: Platform) -> list[HelpRequest]:
        """The platform's open requests whose card is not posted, in number order; no request
        stored later with a lower number shows up after this answer (ids are handed out before
        their requests are stored, and stored requests may commit out of order)."""

    async def claim_announcement(
        self, request_id: int, now: datetime, stale: datetime, owner: str
    ) -> bool:
        """Claim posting the request's card for `owner`: True if no card exists and the claim
        is free, older than `stale`, or `owner`'s already."""

    async def record_card(
        self, request_id: int, owner: str, card: Card, requester_name: str, requester_email: str
    ) -> bool:
        """Store where the card was posted and the profile read for it, only while `owner`
        holds the claim on posting it and no card is stored; True if stored."""

    async def record_privilege(
        self, request_id: int, privileged: bool, reason: str, audit: AuditEntry
    ) -> None:
        """Store whether the requester is privileged and why, with its audit line, in one
        transaction."""

    async def record_manager(self, request_id: int, manager_id: str) -> None:
        """Store who the requester's manager is (asked to confirm the request)."""

    async def record_employee_message(self, request_id: int, message: str) -> None:
        """Store where the front end told the employee of their request (its reference)."""

    async def approve(
        self,
        request_id: int,
        actions: tuple[ResetAction, ...],
        audit: AuditEntry,
        *,
        at: datetime,
        first_approver_is: str | None,
    ) -> bool:
        """OPEN -> APPROVED by `audit.actor_id` at `at`, only if not expired at `at`, not
        reported suspicious, and first approved by `first_approver_is` (None: no first
        approval); writes the actions (the outbox) and the audit line in the same transaction."""

    async def deny(
        self, request_id: int, by: str, at: datetime, reason: str, audit: AuditEntry
    ) -> bool:
        """OPEN -> DENIED by `by` at `at` with the reason the employee reads."""

    async def transition(
        self,
        request_id: int,
        expected: frozenset[Status],
        new: Status,
        audit: AuditEntry,
        *,
        not_suspicious: bool = False,
    ) -> bool:
        """Move to `new` only if in `expected` (and, given `not_suspicious`, not reported),
        with the audit line."""

    async def record_first_approval(
        self, request_id: int, actions: tuple[ResetAction, ...], audit: AuditEntry, now: datetime
    ) -> bool:
        """The first of two approvals (by `audit.actor_id`), if none was recorded yet."""

    async def claim_callback(self, request_id: int, audit: AuditEntry) -> bool:
        """Record `audit.actor_id` as calling the employee back, if no admin is yet."""

    async def mark_suspicious(self, request_id: int, audit: AuditEntry) -> bool:
        """Flag the request as reported by its employee ("this wasn't me": a later request of
        theirs names it); False if it was flagged already."""

    async def claim_alert(self, request_id: int, audit: AuditEntry) -> bool:
        """Record `audit.actor_id` as handling the security alert about the request (audited);
        False when someone claimed it before."""

    async def record_manager_answer(self, request_id: int, answer: str, audit: AuditEntry) -> bool:
        """The manager's yes or no (by `audit.actor_id`), once; a no marks it suspicious."""

    async def actions_of(self, request_id: int) -> list[ActionItem]:
        """The request's approved actions, in approval order."""

    async def get_action(self, action_id: int) -> ActionItem | None:
        """One action by its id, or None."""

    async def claim_action(
        self, action_id: int, now: datetime, lease_until: datetime, owner: str = ""
    ) -> bool:
        """Take an action that is due (pending, its retry time reached) or whose worker's lease
        ran out, until `lease_until`; False when another worker has it or it is not due."""

    async def claim_due_actions(
        self,
        now: datetime,
        lease_until: datetime,
        owner: str,
        limit: int = 1,
        request_id: int | None = None,
    ) -> list[ActionItem]:
        """Take up to `limit` actions that are due or abandoned (as `claim_action` takes one)
        of the request `request_id`, or of any request being carried out: the oldest request's
        first, each request's in approval order. The actions taken, as they are now (running,
        this attempt counted). Workers that claim at the same time never get the same action,
        and none waits for another's claim."""

    async def retry_action_later(
        self, action_id: int, at: datetime, audit: AuditEntry, summary: str, owner: str = ""
    ) -> bool:
        """Put a running action back to pending, to be tried again at `at`."""

    async def mark_notified(self, action_ids: list[int], at: datetime) -> list[int]:
        """Note that the account holder is being told of these actions, where they were not
        before; the ids noted now (each action is told of once)."""

    async def reopen_failed_actions(self, request_id: int, at: datetime) -> int:
        """Make the request's failed actions pending again, with a fresh count of attempts."""

    async def requests_with_due_actions(self, now: datetime) -> list[int]:
        """Requests being carried out that have an action due or abandoned by its worker."""

    async def finish_action(
        self,
        action_id: int,
        expected: frozenset[ActionStatus],
        result: ActionRecord,
        audit: AuditEntry,
        owner: str | None = None,
    ) -> bool:
        """Record an action's result if it is still in `expected` (and, given `owner`, still
        leased to that worker), with its audit line; what `result` leaves unset (None, no
        manual steps) keeps its stored value."""

    async def renew_action_lease(self, action_id: int, owner: str, lease_until: datetime) -> bool:
        """Extend a running action's lease to `lease_until` while `owner` still holds it."""

    async def release_actions(self, owner_prefix: str, audit: AuditEntry) -> int:
        """Put back to pending, at once and without counting an attempt, every running action
        whose lease owner starts with `owner_prefix`; one audit line (a copy of `audit` with its
        request and action) per action; how many."""

    async def renew_announcement(self, request_id: int, owner: str, at: datetime) -> bool:
        """Move `owner`'s claim on posting the request's card to `at`, while no card exists;
        False when the claim is no longer theirs."""

    async def release_announcements(self, owner_prefix: str) -> int:
        """Drop every claim on posting a card whose owner starts with `owner_prefix`, where no
        card exists yet; how many."""

    async def record_audit(self, entry: AuditEntry) -> None:
        """Append one audit line."""

    async def audit_since(self, since: datetime) -> list[AuditEntry]:
        """Audit lines at or after `since`, oldest first."""
