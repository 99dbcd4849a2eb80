"""An admin's decisions, one call per intent: approve, deny, retry, and a manual step done."""

from __future__ import annotations

from collections.abc import Coroutine
from dataclasses import dataclass, replace
from typing import Any

from bot.domain.errors import HelpdeskError, NoReasonError
from bot.domain.helpdesk.config import Place
from bot.domain.helpdesk.core import Core, already
from bot.domain.helpdesk.execution import Execution
from bot.domain.helpdesk.policy import Policy
from bot.domain.identity import ResetAction
from bot.domain.ports import WorkKind
from bot.domain.requests import (
    ActionRecord,
    ActionStatus,
    AuditEntry,
    Change,
    HelpRequest,
    Status,
    with_revocation,
)
from bot.domain.stepup.gate import StepUpGate


@dataclass(frozen=True)
class Approve:
    """Approve the request's ticked actions (revocation is added to every approval)."""

    request_id: int
    actions: tuple[ResetAction, ...]


@dataclass(frozen=True)
class Deny:
    """Deny the request with the reason its employee reads (empty while the form is open)."""

    request_id: int
    reason: str = ""


@dataclass(frozen=True)
class Retry:
    """Try a failed request's failed actions again."""

    request_id: int


Choice = Approve | Deny | Retry


class Decisions:
    """Checks a decision, records it (a conditional update with its audit line), and schedules
    what follows: the card's update and the actions' execution."""

    def __init__(self, core: Core, policy: Policy, gate: StepUpGate, execution: Execution) -> None:
        self._core = core
        self._policy = policy
        self._gate = gate
        self._execution = execution

    async def precheck(self, choice: Choice, actor: str, place: Place) -> HelpRequest:
        """The refusal (audited) the decision would meet now, before its form is filled in:
        who decides from where, the request's state, something ticked, a report, an approval
        of the clicker's already, an authenticator; the request when none."""
        policy = self._policy
        if isinstance(choice, Deny):
            return await policy.open_request(choice.request_id, actor, place)
        if isinstance(choice, Approve):
            request = await policy.approvable(choice.request_id, actor, place, choice.actions)
        else:
            request = await policy.failed_request(choice.request_id, actor, place)
        await self._gate.check_enrolled(actor)
        return request

    async def decide(
        self, choice: Choice, actor: str, place: Place, code: str | None = None
    ) -> HelpRequest:
        """Check and record the decision (after the admin's code when step-up is on), then
        schedule its follow-up; the request as recorded (not read again: the ack waits on this)."""
        if isinstance(choice, Approve):
            return await self._approve(choice, actor, place, code)
        if isinstance(choice, Deny):
            return await self._deny(choice, actor, place)
        return await self._retry(choice, actor, place, code)

    async def _approve(
        self, choice: Approve, actor: str, place: Place, code: str | None
    ) -> HelpRequest:
        core, policy = self._core, self._policy
        request = await policy.approvable(choice.request_id, actor, place, choice.actions)
        selected, actions = choice.actions, with_revocation(choice.actions)  # even if unticked
        await self._gate.verify(actor, request.id, code)
        now = core.clock.now()
        first = request.first_approver
        if await policy.needs_two(request, actions):
            if first is None:
                audit = AuditEntry(
                    now, actor, "request.first_approval", request.id, _approval(selected, actions)
                )
                if not await core.requests.record_first_approval(request.id, actions, audit, now):
                    raise already(await core.get(request.id))
                self._follow_up(self._tell(request.id, Change.FIRST_APPROVAL, actor), "approve")
                return replace(request, first_approver=actor, first_actions=actions)
            actions = await policy.second_approval(request, actor, actions)
        audit = AuditEntry(now, actor, "request.approved", request.id, _approval(selected, actions))
        if not await core.requests.approve(
            request.id, actions, audit, at=now, first_approver_is=first
        ):
            raise already(await core.get(request.id))
        self._follow_up(self._carry_out(request.id, Change.APPROVED, actor), "approve")
        return replace(request, status=Status.APPROVED, decided_by=actor, decided_at=now)

    async def _deny(self, choice: Deny, actor: str, place: Place) -> HelpRequest:
        core = self._core
        request = await self._policy.open_request(choice.request_id, actor, place)
        if not choice.reason.strip():
            raise await core.refused(actor, request.id, NoReasonError("no reason"))
        now = core.clock.now()
        detail = {"reason_length": len(choice.reason)}
        audit = AuditEntry(now, actor, "request.denied", request.id, detail)
        if not await core.requests.deny(request.id, actor, now, choice.reason, audit):
            raise already(await core.get(request.id))
        self._follow_up(self._tell(request.id, Change.DENIED, actor), "deny")
        return replace(
            request,
            status=Status.DENIED,
            decided_by=actor,
            decided_at=now,
            deny_reason=choice.reason,
        )

    async def _retry(
        self, choice: Retry, actor: str, place: Place, code: str | None
    ) -> HelpRequest:
        core = self._core
        request = await self._policy.failed_request(choice.request_id, actor, place)
        await self._gate.verify(actor, request.id, code)
        audit = AuditEntry(core.clock.now(), actor, "request.retried", request.id)
        if request.status is Status.FAILED:
            if not await core.requests.transition(
                request.id, frozenset({Status.FAILED}), Status.EXECUTING, audit, not_suspicious=True
            ):
                raise already(await core.get(request.id))
            await core.requests.reopen_failed_actions(request.id, core.clock.now())
        else:
            # Still executing (a manual step open): the failed actions alone are reopened, and
            # only once however many admins press Retry at the same time.
            if not await core.requests.reopen_failed_actions(request.id, core.clock.now()):
                raise already(await core.get(request.id))
            await core.requests.record_audit(audit)
        self._follow_up(self._carry_out(request.id, Change.RETRIED, actor), "retry")
        return replace(request, status=Status.EXECUTING)

    def _follow_up(self, work: Coroutine[Any, Any, None], what: str) -> None:
        self._core.later(work, f"{what}-request", WorkKind.FOLLOW_UP)

    async def _tell(self, request_id: int, change: Change, actor: str) -> None:
        await self._core.notify(request_id, change, actor)

    async def _carry_out(self, request_id: int, change: Change, actor: str) -> None:
        """After an approval or a retry: update the card, tell the employee, run the actions."""
        await self._core.notify(request_id, change, actor)
        await self._execution.execute(request_id)

    async def mark_manual_done(self, action_id: int, actor: str, place: Place) -> HelpRequest:
        """An admin did a manual step in the admin portal and says so; the step's own request as
        it stands after."""
        core = self._core
        item, request = await core.action(action_id)
        try:
            await self._policy.check_decider(request, actor, place)
        except HelpdeskError as refusal:
            raise await core.refused(actor, request.id, refusal) from None
        audit = AuditEntry(
            core.clock.now(), actor, "action.done", request.id, {"action": item.action.value}
        )
        done = await core.requests.finish_action(
            item.id,
            frozenset({ActionStatus.MANUAL}),
            ActionRecord(ActionStatus.DONE, done_by=actor),
            audit,
        )
        if done:
            await core.notify(request.id, Change.ACTION_DONE, actor)
            await self._execution.settle(request.id)
        return await core.get(request.id)


def _approval(
    selected: tuple[ResetAction, ...], actions: tuple[ResetAction, ...]
) -> dict[str, Any]:
    """The audit detail of an approval: what runs, and whether revocation was added to it."""
    detail: dict[str, Any] = {"actions": [a.value for a in actions]}
    if ResetAction.REVOKE_SESSIONS in actions and ResetAction.REVOKE_SESSIONS not in selected:
        detail["revocation_added"] = True
    return detail
