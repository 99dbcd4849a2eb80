"""The help-desk repository: requests, their actions and the audit log, changed conditionally."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, and_, func, null, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.domain.errors import AlreadyOpenError, AlreadySubmittedError
from bot.domain.identity import ResetAction
from bot.domain.platform import Platform
from bot.domain.requests import (
    ACTIVE,
    ActionItem,
    ActionRecord,
    ActionStatus,
    AuditEntry,
    Card,
    ContactForm,
    HelpRequest,
    Intake,
    Remaining,
    Status,
)
from bot.domain.workspace import current_workspace
from storage.audit import append_audit
from storage.engine import single_statements
from storage.models import ActionRow, AuditRow, HelpRequestRow
from storage.posting import SqlChannelTurns

_ACTIVE_VALUES = [status.value for status in ACTIVE]
_REQUESTS: Table = HelpRequestRow.__table__  # type: ignore[assignment]


class SqlRequestRepository(SqlChannelTurns):
    """Requests in `help_requests`, actions in `request_actions`, audit in `audit_log`; channel
    turns in `channel_turns` (storage.posting)."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], *, tag_workspace: bool = False
    ) -> None:
        self._sessions = sessions
        # Several workspaces: each audit line names the workspace of the work that wrote it.
        self._tag_workspace = tag_workspace
        # A call that is one statement runs without a transaction around it where that saves
        # round trips (storage.engine.single_statements); calls that write more keep theirs.
        self._transactions: AsyncEngine = sessions.kw["bind"]
        self._statements = single_statements(self._transactions)
        self._single = async_sessionmaker(self._statements, expire_on_commit=False)

    def _workspace(self) -> str | None:
        """The workspace an audit line is tagged with (several workspaces only)."""
        return current_workspace() if self._tag_workspace else None

    async def create_request(
        self, request: HelpRequest, audit: AuditEntry, announcing_at: datetime | None = None
    ) -> HelpRequest:
        row = _request_row(request)
        row.announce_started_at = announcing_at
        # Two Core inserts in one transaction: the ORM's unit of work (a flush to learn the id,
        # then another at commit) cost more than both statements.
        try:
            async with self._transactions.begin() as conn:
                inserted = await conn.execute(
                    _REQUESTS.insert().returning(_REQUESTS.c.id), _values_of(row, _REQUESTS)
                )
                row.id = inserted.scalar_one()
                await append_audit(conn, audit, row.id, workspace=self._workspace())
        except IntegrityError:
            # Which unique index refused it, told by what is stored now: the same form
            # (a replay that raced this one, maybe on another replica) first.
            if request.submission_key:
                same = await self.request_by_submission(request.submission_key)
                if same is not None:
                    raise AlreadySubmittedError(same.id) from None
            existing = await self.active_request_of(request.requester_id)
            if existing is None:
                raise
            raise AlreadyOpenError(existing.id) from None
        return _request(row)

    async def request_by_submission(self, submission_key: str) -> HelpRequest | None:
        async with self._single() as session:
            row = await session.scalar(
                select(HelpRequestRow).where(HelpRequestRow.submission_key == submission_key)
            )
            return None if row is None else _request(row)

    async def intake_of(self, user_id: str, submission_key: str | None, since: datetime) -> Intake:
        # One statement, one round trip: this runs before the form is acked.
        table, mine = _REQUESTS, _REQUESTS.c.requester_id == user_id
        same = select(table.c.id).where(table.c.submission_key == submission_key)
        active = select(table.c.id).where(mine, table.c.status.in_(_ACTIVE_VALUES))
        sent = select(func.count()).select_from(table).where(mine, table.c.created_at >= since)
        reset = select(func.max(table.c.updated_at)).where(
            mine, table.c.status == Status.DONE.value
        )
        reported = select(func.max(table.c.id)).where(mine, table.c.reported_not_me_at.is_not(None))
        query = select(
            same.scalar_subquery() if submission_key else null(),
            active.scalar_subquery(),
            sent.scalar_subquery(),
            reset.scalar_subquery(),
            reported.scalar_subquery(),
        )
        async with self._statements.connect() as conn:
            submitted_as, open_request, count, last_reset, not_me = (
                await conn.execute(query)
            ).one()
        return Intake(submitted_as, open_request, int(count or 0), last_reset, not_me)

    async def get_request(self, request_id: int) -> HelpRequest | None:
        async with self._single() as session:
            row = await session.get(HelpRequestRow, request_id)
            return None if row is None else _request(row)

    async def active_request_of(self, user_id: str) -> HelpRequest | None:
        async with self._single() as session:
            row = await session.scalar(
                select(HelpRequestRow).where(
                    HelpRequestRow.requester_id == user_id,
                    HelpRequestRow.status.in_(_ACTIVE_VALUES),
                )
            )
            return None if row is None else _request(row)

    async def requests_in(self, statuses: frozenset[Status]) -> list[HelpRequest]:
        async with self._single() as session:
            rows = await session.scalars(
                select(HelpRequestRow)
                .where(HelpRequestRow.status.in_([s.value for s in statuses]))
                .order_by(HelpRequestRow.id)
            )
            return [_request(row) for row in rows]

    async def cards_to_post(self, platform: Platform) -> list[HelpRequest]:
        async with self._sessions.begin() as session:
            if self._transactions.dialect.name == "postgresql":
                # Numbers come from a sequence, and a request stored after another may commit
                # first: waiting for the requests being stored (their transactions hold ROW
                # EXCLUSIVE) means no lower number can show up after this read. Stores wait
                # for this one read only. SQLite stores one request at a time.
                await session.execute(text("LOCK TABLE help_requests IN SHARE MODE"))
            rows = await session.scalars(
                select(HelpRequestRow)
                .where(
                    HelpRequestRow.status == Status.OPEN.value,
                    HelpRequestRow.message_ts.is_(None),
                    HelpRequestRow.platform == platform.value,
                )
                .order_by(HelpRequestRow.id)
            )
            return [_request(row) for row in rows]

    async def claim_announcement(
        self, request_id: int, now: datetime, stale: datetime, owner: str
    ) -> bool:
        async with self._single.begin() as session:
            result = await session.execute(
                update(HelpRequestRow)
                .where(
                    HelpRequestRow.id == request_id,
                    HelpRequestRow.message_ts.is_(None),
                    or_(
                        HelpRequestRow.announce_started_at.is_(None),
                        HelpRequestRow.announce_started_at < stale,
                        HelpRequestRow.announce_owner == owner,
                    ),
                )
                .values(announce_started_at=now, announce_owner=owner)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def record_card(
        self, request_id: int, owner: str, card: Card, requester_name: str, requester_email: str
    ) -> bool:
        values = {
            "channel_id": card.channel_id,
            "message_ts": card.message_ts,
            "requester_name": requester_name,
            "requester_email": requester_email,
        }
        async with self._statements.begin() as conn:
            result = await conn.execute(
                _REQUESTS.update().where(_announcing(request_id, owner)), values
            )
            return bool(result.rowcount)

    async def record_privilege(
        self, request_id: int, privileged: bool, reason: str, audit: AuditEntry
    ) -> None:
        async with self._transactions.begin() as conn:
            await conn.execute(
                _REQUESTS.update().where(_REQUESTS.c.id == request_id),
                {"privileged": privileged, "privileged_reason": reason},
            )
            await append_audit(conn, audit, request_id, workspace=self._workspace())

    async def record_manager(self, request_id: int, manager_id: str) -> None:
        # A Core statement on a connection: through a session, the ORM's bulk-update machinery
        # (synchronising objects the session does not hold) cost more than the UPDATE itself.
        async with self._statements.begin() as conn:
            await conn.execute(
                _REQUESTS.update().where(_REQUESTS.c.id == request_id), {"manager_id": manager_id}
            )

    async def record_employee_message(self, request_id: int, message: str) -> None:
        async with self._statements.begin() as conn:
            await conn.execute(
                _REQUESTS.update().where(_REQUESTS.c.id == request_id),
                {"employee_message": message},
            )

    async def approve(
        self,
        request_id: int,
        actions: tuple[ResetAction, ...],
        audit: AuditEntry,
        *,
        at: datetime,
        first_approver_is: str | None,
    ) -> bool:
        first = (
            HelpRequestRow.first_approver.is_(None)
            if first_approver_is is None
            else HelpRequestRow.first_approver == first_approver_is
        )
        conditions = [
            HelpRequestRow.status == Status.OPEN.value,
            HelpRequestRow.expires_at > at,
            HelpRequestRow.suspicious.is_(False),
            first,
        ]
        values = {
            "status": Status.APPROVED.value,
            "decided_by": audit.actor_id,
            "decided_at": at,
        }
        return await self._change(request_id, conditions, values, audit, actions)

    async def deny(
        self, request_id: int, by: str, at: datetime, reason: str, audit: AuditEntry
    ) -> bool:
        values = {
            "status": Status.DENIED.value,
            "decided_by": by,
            "decided_at": at,
            "deny_reason": reason,
        }
        opened = [HelpRequestRow.status == Status.OPEN.value]
        return await self._change(request_id, opened, values, audit)

    async def transition(
        self,
        request_id: int,
        expected: frozenset[Status],
        new: Status,
        audit: AuditEntry,
        *,
        not_suspicious: bool = False,
    ) -> bool:
        conditions = [HelpRequestRow.status.in_([s.value for s in expected])]
        if not_suspicious:
            conditions.append(HelpRequestRow.suspicious.is_(False))
        return await self._change(request_id, conditions, {"status": new.value}, audit)

    async def _change(
        self,
        request_id: int,
        conditions: Sequence[ColumnElement[bool]],
        values: dict[str, Any],
        audit: AuditEntry,
        actions: tuple[ResetAction, ...] = (),
    ) -> bool:
        """Update the request where `conditions` hold, then add `actions` and the audit line,
        in one transaction; False (nothing written) when they do not hold."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(HelpRequestRow)
                .where(HelpRequestRow.id == request_id, *conditions)
                .values(updated_at=audit.at, **values)
            )
            if not result.rowcount:  # type: ignore[attr-defined]
                return False
            for position, action in enumerate(actions):
                session.add(
                    ActionRow(
                        request_id=request_id,
                        position=position,
                        action=action.value,
                        status=ActionStatus.PENDING.value,
                        summary="",
                        manual_steps=[],
                        attempts=0,
                        updated_at=audit.at,
                    )
                )
            await session.flush()  # the actions first: the audit line is the last write
            await append_audit(session, audit, request_id, workspace=self._workspace())
        return True

    async def record_first_approval(
        self, request_id: int, actions: tuple[ResetAction, ...], audit: AuditEntry, now: datetime
    ) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(HelpRequestRow)
                .where(
                    HelpRequestRow.id == request_id,
                    HelpRequestRow.status == Status.OPEN.value,
                    HelpRequestRow.first_approver.is_(None),
                    HelpRequestRow.suspicious.is_(False),
                    HelpRequestRow.expires_at > now,
                )
                .values(
                    first_approver=audit.actor_id,
                    first_actions=[a.value for a in actions],
                    updated_at=now,
                )
            )
            if not result.rowcount:  # type: ignore[attr-defined]
                return False
            await append_audit(session, audit, request_id, workspace=self._workspace())
        return True

    async def claim_callback(self, request_id: int, audit: AuditEntry) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(HelpRequestRow)
                .where(HelpRequestRow.id == request_id, HelpRequestRow.callback_by.is_(None))
                .values(callback_by=audit.actor_id, callback_at=audit.at, updated_at=audit.at)
            )
            if not result.rowcount:  # type: ignore[attr-defined]
                return False
            await append_audit(session, audit, request_id, workspace=self._workspace())
        return True

    async def mark_suspicious(self, request_id: int, audit: AuditEntry) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(HelpRequestRow)
                .where(HelpRequestRow.id == request_id, HelpRequestRow.suspicious.is_(False))
                .values(suspicious=True, reported_not_me_at=audit.at, updated_at=audit.at)
            )
            if not result.rowcount:  # type: ignore[attr-defined]
                return False
            await append_audit(session, audit, request_id, workspace=self._workspace())
        return True

    async def claim_alert(self, request_id: int, audit: AuditEntry) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(HelpRequestRow)
                .where(HelpRequestRow.id == request_id, HelpRequestRow.alert_claimed_by.is_(None))
                .values(alert_claimed_by=audit.actor_id, updated_at=audit.at)
            )
            if not result.rowcount:  # type: ignore[attr-defined]
                return False
            await append_audit(session, audit, request_id, workspace=self._workspace())
        return True

    async def record_manager_answer(self, request_id: int, answer: str, audit: AuditEntry) -> bool:
        async with self._sessions.begin() as session:
            values: dict[str, Any] = {"manager_answer": answer, "updated_at": audit.at}
            if answer == "no":
                values["suspicious"] = True
            result = await session.execute(
                update(HelpRequestRow)
                .where(
                    HelpRequestRow.id == request_id,
                    HelpRequestRow.manager_id == audit.actor_id,
                    HelpRequestRow.manager_answer.is_(None),
                )
                .values(**values)
            )
            if not result.rowcount:  # type: ignore[attr-defined]
                return False
            await append_audit(session, audit, request_id, workspace=self._workspace())
        return True

    async def actions_of(self, request_id: int) -> list[ActionItem]:
        async with self._single() as session:
            rows = await session.scalars(
                select(ActionRow)
                .where(ActionRow.request_id == request_id)
                .order_by(ActionRow.position)
            )
            return [_action(row) for row in rows]

    async def get_action(self, action_id: int) -> ActionItem | None:
        async with self._single() as session:
            row = await session.get(ActionRow, action_id)
            return None if row is None else _action(row)

    async def claim_action(
        self, action_id: int, now: datetime, lease_until: datetime, owner: str = ""
    ) -> bool:
        async with self._single.begin() as session:
            result = await session.execute(
                update(ActionRow)
                .where(ActionRow.id == action_id, _claimable(now))
                .values(_claimed(lease_until, owner))
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def claim_due_actions(
        self,
        now: datetime,
        lease_until: datetime,
        owner: str,
        limit: int = 1,
        request_id: int | None = None,
    ) -> list[ActionItem]:
        which = [_claimable(now)]
        if request_id is not None:
            which.append(ActionRow.request_id == request_id)
        else:
            executing = select(HelpRequestRow.id).where(
                HelpRequestRow.status == Status.EXECUTING.value
            )
            which.append(ActionRow.request_id.in_(executing))
        # The oldest request's first, each request's in approval order.
        order = (ActionRow.request_id, ActionRow.position, ActionRow.id)
        oldest = select(ActionRow.id).where(*which).order_by(*order).limit(limit)
        if self._transactions.dialect.name == "postgresql":
            return await self._claim_skipping_locked(oldest, lease_until, owner)
        # SQLite has no row locks to skip: each candidate is claimed by the conditional update,
        # and one another worker took first is passed over.
        async with self._single() as session:
            candidates = list(await session.scalars(oldest))
        claimed = []
        for action_id in candidates:
            if await self.claim_action(action_id, now, lease_until, owner):
                claimed.append(action_id)
        async with self._single() as session:
            rows = await session.scalars(
                select(ActionRow).where(ActionRow.id.in_(claimed)).order_by(*order)
            )
            return [_action(row) for row in rows]

    async def _claim_skipping_locked(
        self, oldest: Select[int], lease_until: datetime, owner: str
    ) -> list[ActionItem]:
        """One statement: lock the oldest due rows nobody else has locked, and lease them."""
        picked = oldest.with_for_update(skip_locked=True, of=ActionRow).cte("picked")
        async with self._single.begin() as session:
            rows = await session.scalars(
                update(ActionRow)
                .where(ActionRow.id == picked.c.id)
                .values(_claimed(lease_until, owner))
                .returning(ActionRow)
                .execution_options(synchronize_session=False)
            )
            claimed = sorted(rows, key=lambda row: (row.request_id, row.position, row.id))
            return [_action(row) for row in claimed]

    async def retry_action_later(
        self, action_id: int, at: datetime, audit: AuditEntry, summary: str, owner: str = ""
    ) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(ActionRow)
                .where(_held_by(action_id, owner))
                .values(
                    status=ActionStatus.PENDING.value,
                    next_attempt_at=at,
                    lease_until=None,
                    summary=summary,
                    updated_at=audit.at,
                )
            )
            if not result.rowcount:  # type: ignore[attr-defined]
                return False
            await append_audit(session, audit, audit.request_id, workspace=self._workspace())
        return True

    async def mark_notified(self, action_ids: list[int], at: datetime) -> list[int]:
        if not action_ids:
            return []
        async with self._single.begin() as session:
            marked = await session.execute(
                update(ActionRow)
                .where(ActionRow.id.in_(action_ids), ActionRow.notified_at.is_(None))
                .values(notified_at=at)
                .returning(ActionRow.id)
                .execution_options(synchronize_session=False)
            )
            return sorted(marked.scalars())

    async def reopen_failed_actions(self, request_id: int, at: datetime) -> int:
        async with self._single.begin() as session:
            result = await session.execute(
                update(ActionRow)
                .where(
                    ActionRow.request_id == request_id,
                    ActionRow.status == ActionStatus.FAILED.value,
                )
                .values(
                    status=ActionStatus.PENDING.value,
                    attempts=0,
                    next_attempt_at=None,
                    lease_until=None,
                    updated_at=at,
                )
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

    async def requests_with_due_actions(self, now: datetime) -> list[int]:
        async with self._single() as session:
            rows = await session.scalars(
                select(ActionRow.request_id)
                .join(HelpRequestRow, HelpRequestRow.id == ActionRow.request_id)
                .where(HelpRequestRow.status == Status.EXECUTING.value, _claimable(now))
                .distinct()
                .order_by(ActionRow.request_id)
            )
            return list(rows)

    async def finish_action(
        self,
        action_id: int,
        expected: frozenset[ActionStatus],
        result: ActionRecord,
        audit: AuditEntry,
        owner: str | None = None,
    ) -> bool:
        conditions = [ActionRow.id == action_id, ActionRow.status.in_([s.value for s in expected])]
        if owner is not None:  # a worker's result counts only while it still holds the lease
            conditions.append(ActionRow.lease_owner == owner)
        async with self._sessions.begin() as session:
            updated = await session.execute(
                update(ActionRow)
                .where(*conditions)
                .values(updated_at=audit.at, lease_until=None, **_record_values(result))
            )
            if not updated.rowcount:  # type: ignore[attr-defined]
                return False
            await append_audit(session, audit, audit.request_id, workspace=self._workspace())
        return True

    async def renew_action_lease(self, action_id: int, owner: str, lease_until: datetime) -> bool:
        async with self._single.begin() as session:
            result = await session.execute(
                update(ActionRow).where(_held_by(action_id, owner)).values(lease_until=lease_until)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def release_actions(self, owner_prefix: str, audit: AuditEntry) -> int:
        async with self._sessions.begin() as session:
            released = await session.execute(
                update(ActionRow)
                .where(
                    ActionRow.status == ActionStatus.RUNNING.value,
                    ActionRow.lease_owner.startswith(owner_prefix, autoescape=True),
                )
                .values(
                    status=ActionStatus.PENDING.value,
                    # The claim counted an attempt; a shutdown is not the action's failure.
                    attempts=ActionRow.attempts - 1,
                    next_attempt_at=None,
                    lease_until=None,
                    lease_owner=None,
                    updated_at=audit.at,
                )
                .returning(ActionRow.request_id, ActionRow.action)
                .execution_options(synchronize_session=False)
            )
            rows = released.all()
            for request_id, action in rows:
                detail = {**(audit.detail or {}), "action": action}
                await append_audit(
                    session,
                    replace(audit, request_id=request_id, detail=detail),
                    request_id,
                    workspace=self._workspace(),
                )
        return len(rows)

    async def renew_announcement(self, request_id: int, owner: str, at: datetime) -> bool:
        async with self._single.begin() as session:
            result = await session.execute(
                update(HelpRequestRow)
                .where(_announcing(request_id, owner))
                .values(announce_started_at=at)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def release_announcements(self, owner_prefix: str) -> int:
        async with self._single.begin() as session:
            result = await session.execute(
                update(HelpRequestRow)
                .where(
                    HelpRequestRow.message_ts.is_(None),
                    HelpRequestRow.announce_owner.startswith(owner_prefix, autoescape=True),
                )
                .values(announce_started_at=None, announce_owner=None)
                .execution_options(synchronize_session=False)
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

    async def record_audit(self, entry: AuditEntry) -> None:
        async with self._statements.begin() as conn:  # one statement (storage.audit)
            await append_audit(conn, entry, entry.request_id, workspace=self._workspace())

    async def audit_since(self, since: datetime) -> list[AuditEntry]:
        async with self._single() as session:
            rows = await session.scalars(
                select(AuditRow).where(AuditRow.at >= since).order_by(AuditRow.id)
            )
            return [
                AuditEntry(row.at, row.actor_id, row.event, row.request_id, row.detail or None)
                for row in rows
            ]


def _announcing(request_id: int, owner: str) -> ColumnElement[bool]:
    """The request, while its card is unposted and `owner` holds the claim on posting it."""
    return and_(
        HelpRequestRow.id == request_id,
        HelpRequestRow.message_ts.is_(None),
        HelpRequestRow.announce_owner == owner,
    )


def _claimable(now: datetime) -> ColumnElement[bool]:
    """An action that is due (pending, its retry time reached) or whose worker's lease ran out."""
    due = and_(
        ActionRow.status == ActionStatus.PENDING.value,
        or_(ActionRow.next_attempt_at.is_(None), ActionRow.next_attempt_at <= now),
    )
    abandoned = and_(ActionRow.status == ActionStatus.RUNNING.value, ActionRow.lease_until < now)
    return or_(due, abandoned)


def _claimed(lease_until: datetime, owner: str) -> dict[str, Any]:
    """What a claim sets: running, one more attempt, under `owner`'s lease."""
    return {
        "status": ActionStatus.RUNNING.value,
        "attempts": ActionRow.attempts + 1,
        "lease_until": lease_until,
        "lease_owner": owner,
    }


def _held_by(action_id: int, owner: str) -> ColumnElement[bool]:
    """The action, while it runs under `owner`'s lease (a result counts only then)."""
    return and_(
        ActionRow.id == action_id,
        ActionRow.status == ActionStatus.RUNNING.value,
        ActionRow.lease_owner == owner,
    )


def _record_values(result: ActionRecord) -> dict[str, Any]:
    """The action row's columns an action's result sets (what it leaves unset is kept)."""
    values: dict[str, Any] = {
        "status": result.status.value,
        "summary": result.summary,
        "manual_steps": list(result.manual_steps) or None,
        "link": result.link,
        "idp_request_id": result.idp_request_id,
        "directory_object_id": result.directory_object_id,
        "done_by": result.done_by,
    }
    return {column: value for column, value in values.items() if value is not None}


def _request_row(request: HelpRequest) -> HelpRequestRow:
    form = request.form
    return HelpRequestRow(
        team_id=request.team_id,
        requester_id=request.requester_id,
        requester_name=request.requester_name,
        requester_email=request.requester_email,
        topic_id=request.topic_id,
        walk_id=request.walk_id,
        description=form.description,
        # A question the topic does not ask is stored as the answer the form once preselected,
        # and read back as not asked (ContactForm.as_asked).
        lost_or_stolen=bool(form.lost_or_stolen),
        remaining=(form.remaining or Remaining.NONE).value,
        correlation_id=form.correlation_id,
        contact=form.contact,
        details=form.details,
        proposed=[a.value for a in request.proposed],
        tried=list(request.tried),
        status=request.status.value,
        created_at=request.created_at,
        expires_at=request.expires_at,
        updated_at=request.updated_at,
        privileged=request.privileged,
        suspicious=False,
        recent_reset_at=request.recent_reset_at,
        privileged_reason=request.privileged_reason,
        submission_key=request.submission_key,
        announce_owner=request.announce_owner,
        platform=request.platform.value,
        reported_before=request.reported_before,
    )


def _request(row: HelpRequestRow) -> HelpRequest:
    return HelpRequest(
        id=row.id,
        team_id=row.team_id,
        requester_id=row.requester_id,
        topic_id=row.topic_id,
        walk_id=row.walk_id,
        form=ContactForm(
            description=row.description,
            lost_or_stolen=row.lost_or_stolen,
            remaining=Remaining(row.remaining),
            correlation_id=row.correlation_id,
            contact=row.contact,
            details=row.details,
        ).as_asked(row.topic_id),
        proposed=tuple(ResetAction(a) for a in row.proposed),
        tried=tuple(row.tried),
        status=Status(row.status),
        created_at=row.created_at,
        expires_at=row.expires_at,
        updated_at=row.updated_at,
        requester_name=row.requester_name,
        requester_email=row.requester_email,
        channel_id=row.channel_id,
        message_ts=row.message_ts,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        deny_reason=row.deny_reason,
        privileged=row.privileged,
        first_approver=row.first_approver,
        first_actions=tuple(ResetAction(a) for a in row.first_actions or ()),
        suspicious=row.suspicious,
        recent_reset_at=row.recent_reset_at,
        manager_id=row.manager_id,
        manager_answer=row.manager_answer,
        privileged_reason=row.privileged_reason,
        submission_key=row.submission_key,
        announce_owner=row.announce_owner,
        platform=Platform(row.platform),
        employee_message=row.employee_message,
        reported_before=row.reported_before,
        reported_not_me_at=row.reported_not_me_at,
        alert_claimed_by=row.alert_claimed_by,
        callback_by=row.callback_by,
        callback_at=row.callback_at,
    )


def _action(row: ActionRow) -> ActionItem:
    return ActionItem(
        id=row.id,
        request_id=row.request_id,
        action=ResetAction(row.action),
        status=ActionStatus(row.status),
        summary=row.summary,
        manual_steps=tuple(row.manual_steps or ()),
        link=row.link,
        attempts=row.attempts,
        done_by=row.done_by,
    )


def _values_of(row: object, table: Table) -> dict[str, Any]:
    """The columns set on a new ORM row, for a Core insert (the table's defaults fill the rest)."""
    return {
        column.key: vars(row)[column.key] for column in table.columns if column.key in vars(row)
    }
