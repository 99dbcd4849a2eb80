"""The outbox worker: carries out approved actions once each, with leases, backoff and resuming."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta
from typing import Any

from bot.domain.helpdesk.config import MAX_ATTEMPTS, SYSTEM, backoff
from bot.domain.helpdesk.core import Core, provider_ids
from bot.domain.helpdesk.leases import renewing
from bot.domain.helpdesk.reset_notice import ResetNotices
from bot.domain.identity import (
    ActionOutcome,
    ActionResult,
    DirectoryUser,
    IdentityError,
    TemporaryIdentityError,
    run_action,
)
from bot.domain.requests import (
    ActionItem,
    ActionRecord,
    ActionStatus,
    AuditEntry,
    Change,
    HelpRequest,
    Status,
)

log = logging.getLogger(__name__)

_RUNNING = frozenset({ActionStatus.RUNNING})


def _action_ids(detail: dict[str, Any]) -> dict[str, Any]:
    """The provider's request id and the person's directory id, as stored with the action."""
    return {
        "idp_request_id": detail.get("idp_request_id"),
        "directory_object_id": detail.get("directory_object_id"),
    }


class _Person:
    """The requester at the identity provider, looked up once per run (or why not)."""

    def __init__(self) -> None:
        self.user: DirectoryUser | None = None
        self.error: IdentityError | None = None

    async def look_up(self, core: Core, request: HelpRequest) -> None:
        if self.user is not None or self.error is not None:
            return
        try:
            self.user = await core.find_person(request)
        except IdentityError as exc:
            self.error = exc
        except Exception:
            log.exception("looking up the person of request #%s failed", request.id)
            self.error = IdentityError("the person could not be looked up (see logs)")


class Execution:
    """Runs each approved action under a lease, records its result, and settles the request."""

    def __init__(self, core: Core, notices: ResetNotices) -> None:
        self._core = core
        self._notices = notices

    async def execute(self, request_id: int) -> None:
        """Carry out the approved actions, each at most once, and settle the request."""
        core = self._core
        request = await core.get(request_id)
        first_run = request.status is Status.APPROVED
        if first_run:
            audit = AuditEntry(core.clock.now(), SYSTEM, "request.executing", request.id)
            if not await core.requests.transition(
                request.id, frozenset({Status.APPROVED}), Status.EXECUTING, audit
            ):
                return
            request = replace(request, status=Status.EXECUTING)
        if request.status is not Status.EXECUTING or request.suspicious:
            return  # a request reported as not the employee's runs nothing more
        person = _Person()
        # This run's lease, under the process's: a result counts only while the run holds it.
        owner = core.run_owner()
        # One action at a time, in order, each leased only while it runs; one that another
        # replica holds is passed over (its worker finishes it, or it falls due again).
        while not core.stopping:  # shutting down: what is left is for another replica
            now = core.clock.now()
            claimed = await core.requests.claim_due_actions(
                now, now + core.config.action_lease, owner, limit=1, request_id=request.id
            )
            if not claimed:
                break
            await self._claimed(request, claimed[0], person, owner)
        await self.settle(request.id, person.user)
        if first_run:
            await self._tell_underway(request.id)

    async def _tell_underway(self, request_id: int) -> None:
        """The approval's first run is over and the request is not settled (a manual step, a
        retry later): the employee hears of the approval now. One settled at once tells of the
        approval with its result, in one message rather than two a second apart."""
        request = await self._core.get(request_id)
        if request.status is Status.EXECUTING:
            await self._core.notify(request_id, Change.UNDERWAY, None)

    async def _claimed(
        self, request: HelpRequest, item: ActionItem, person: _Person, owner: str
    ) -> None:
        """Run an action this run claimed (its attempts count this one)."""
        core = self._core
        if item.attempts > MAX_ATTEMPTS:  # kept dying mid-run: stop taking it over
            await self._fail(request, item, "gave up: the action never finished", owner)
            return
        async with renewing(core, item.id, owner):
            await person.look_up(core, request)
            await self._run_one(request, item, person, owner)

    async def work_due(self) -> list[int]:
        """Carry on every request with an action due now (a retry whose time came, or one whose
        worker died holding it); the requests' numbers. The worker loop calls this."""
        due = await self._core.requests.requests_with_due_actions(self._core.clock.now())
        for request_id in due:
            await self.execute(request_id)
        return due

    async def resume_unfinished(self) -> list[int]:
        """Carry on with approved requests whose actions were not all started (a restart)."""
        resumed = []
        for request in await self._core.requests.requests_in(
            frozenset({Status.APPROVED, Status.EXECUTING})
        ):
            await self.execute(request.id)
            resumed.append(request.id)
        return resumed

    async def release_leases(self) -> int:
        """Shutdown: hand back every action and card posting this process still holds, so that
        another replica (or this one after a restart) takes them at once; how many actions."""
        core = self._core
        audit = AuditEntry(
            core.clock.now(), SYSTEM, "action.released", detail={"holder": core.lease_holder}
        )
        released = await core.requests.release_actions(f"{core.lease_holder}:", audit)
        # Cards being posted, and those whose posting still waited its turn when it was dropped.
        await core.requests.release_announcements(f"{core.lease_holder}:")
        await core.requests.release_channels(f"{core.lease_holder}:")
        return released

    async def _run_one(
        self, request: HelpRequest, item: ActionItem, person: _Person, owner: str
    ) -> None:
        """Run one claimed action and record its result."""
        detail = self._detail(item)
        if person.user is not None:
            detail["directory_object_id"] = person.user.id
        try:
            result = await self._attempt(request, item, person)
        except TemporaryIdentityError as exc:
            detail |= provider_ids(exc.provider_request_id, exc.client_request_id)
            await self._temporary_failure(request, item, exc, owner, detail)
            return
        except IdentityError as exc:
            detail |= provider_ids(exc.provider_request_id, exc.client_request_id)
            await self._fail(request, item, str(exc), owner, detail)
            return
        except Exception:
            log.exception("action %s of request #%s failed", item.action.value, request.id)
            await self._fail(request, item, "unexpected error (see the logs)", owner, detail)
            return
        detail |= provider_ids(result.provider_request_id, result.client_request_id)
        await self._record(request, item, result, owner, detail)

    async def _attempt(
        self, request: HelpRequest, item: ActionItem, person: _Person
    ) -> ActionResult:
        """The provider's call for the action; a pass it made goes to the employee at once."""
        core = self._core
        if person.user is None:
            raise person.error or IdentityError("the person was not found")
        lifetime = core.config.tap_lifetime_minutes
        # A pass is valid from its making: counted from before the call, never later than it is.
        expires_at = core.clock.now() + timedelta(minutes=lifetime)
        result = await run_action(core.provider, item.action, person.user, lifetime)
        if result.secret_for_user is not None:
            try:
                await core.notifier.deliver_secret(request, result.secret_for_user, expires_at)
            except Exception as exc:
                undelivered = IdentityError(
                    "the pass was created but could not be sent to the employee; issue a new one"
                )
                # The audit line still names the provider's call that made the pass.
                undelivered.provider_request_id = result.provider_request_id
                undelivered.client_request_id = result.client_request_id
                raise undelivered from exc
        return result

    async def _temporary_failure(
        self,
        request: HelpRequest,
        item: ActionItem,
        exc: TemporaryIdentityError,
        owner: str,
        detail: dict[str, Any],
    ) -> None:
        """Try again later, after the provider's wait or the backoff; give up after the last."""
        core = self._core
        attempts = item.attempts  # this one included
        if attempts >= MAX_ATTEMPTS:
            why = f"{exc} (gave up after {attempts} attempts)"
            await self._fail(request, item, why, owner, detail)
            return
        wait = exc.retry_after if exc.retry_after is not None else backoff(attempts)
        audit = AuditEntry(
            core.clock.now(),
            SYSTEM,
            "action.retry_scheduled",
            request.id,
            {**detail, "why": str(exc), "attempt": attempts, "wait_s": round(wait, 1)},
        )
        await core.requests.retry_action_later(
            item.id,
            core.clock.now() + timedelta(seconds=wait),
            audit,
            f"{exc}; trying again (attempt {attempts + 1} of {MAX_ATTEMPTS})",
            owner,
        )
        await core.notify(request.id, Change.ACTION_RETRYING, None)

    async def _record(
        self,
        request: HelpRequest,
        item: ActionItem,
        result: ActionResult,
        owner: str,
        detail: dict[str, Any],
    ) -> None:
        """Store what the action did (done, or waiting for a person) and tell of it."""
        core = self._core
        manual = result.outcome is ActionOutcome.MANUAL
        status = ActionStatus.MANUAL if manual else ActionStatus.DONE
        audit = AuditEntry(
            core.clock.now(),
            SYSTEM,
            "action.waiting" if manual else "action.done",
            request.id,
            {**detail, "summary": result.summary},
        )
        record = ActionRecord(
            status, result.summary, tuple(result.manual_steps), result.link, **_action_ids(detail)
        )
        await core.requests.finish_action(item.id, _RUNNING, record, audit, owner)
        await core.notify(request.id, Change.ACTION_WAITING if manual else Change.ACTION_DONE, None)

    def _detail(self, item: ActionItem) -> dict[str, Any]:
        """The start of an action's audit detail: which action, at which provider."""
        return {"action": item.action.value, "provider": self._core.provider.name}

    async def _fail(
        self,
        request: HelpRequest,
        item: ActionItem,
        why: str,
        owner: str,
        detail: dict[str, Any] | None = None,
    ) -> None:
        core = self._core
        detail = detail or self._detail(item)
        audit = AuditEntry(
            core.clock.now(), SYSTEM, "action.failed", request.id, {**detail, "why": why}
        )
        record = ActionRecord(ActionStatus.FAILED, why, **_action_ids(detail))
        await core.requests.finish_action(item.id, _RUNNING, record, audit, owner)
        await core.notify(request.id, Change.ACTION_FAILED, None)

    async def settle(self, request_id: int, user: DirectoryUser | None = None) -> None:
        """Once no action is left to run or wait for: done or failed, and tell of the reset."""
        core = self._core
        items = await core.requests.actions_of(request_id)
        unfinished = {ActionStatus.PENDING, ActionStatus.RUNNING, ActionStatus.MANUAL}
        if any(item.status in unfinished for item in items):
            return
        failed = any(item.status is ActionStatus.FAILED for item in items)
        new, change = (Status.FAILED, Change.FAILED) if failed else (Status.DONE, Change.DONE)
        audit = AuditEntry(core.clock.now(), SYSTEM, f"request.{new.value}", request_id)
        if not await core.requests.transition(
            request_id, frozenset({Status.EXECUTING}), new, audit
        ):
            return
        request = await core.notify(request_id, change, None)
        # Only the run that settled the request tells, and only of the actions nobody told
        # of before (a retry after a partial failure names what it added).
        done_ids = [item.id for item in items if item.status is ActionStatus.DONE]
        fresh = set(await core.requests.mark_notified(done_ids, core.clock.now()))
        done = tuple(item.action for item in items if item.id in fresh)
        if done:
            await self._notices.tell_of_reset(request, done, user, complete=not failed)
