"""The help-desk path: a request is submitted, decided by an admin, carried out, and audited."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from bot.domain.errors import (
    AlreadyDecidedError,
    AlreadyOpenError,
    AlreadySubmittedError,
    HelpdeskError,
    NotAnAdminError,
    NothingSelectedError,
    NotRequesterError,
    OwnRequestError,
    RequestExpiredError,
    RequestNotFoundError,
    SameApproverError,
    SuspiciousError,
    TooManyRequestsError,
    WrongPlaceError,
)
from bot.domain.guide import Guide
from bot.domain.identity import (
    Action,
    DirectoryUser,
    IdentityError,
    IdentityProvider,
    Outcome,
    TemporaryIdentityError,
    run_action,
)
from bot.domain.notice import MailError, ResetNotice, mask_address, mask_addresses
from bot.domain.ports import (
    AdminRoster,
    Clock,
    Mailer,
    Notifier,
    PeopleDirectory,
    RequestRepository,
    WalkRepository,
)
from bot.domain.privilege import RoleCheck, assess
from bot.domain.requests import (
    ACTIVE,
    ActionItem,
    ActionRecord,
    ActionStatus,
    AuditEntry,
    Card,
    Change,
    ContactForm,
    HelpRequest,
    Status,
    propose_actions,
    with_revocation,
)
from bot.domain.stepup import NotEnrolledError, StepUp, StepUpOffError, WrongCodeError
from bot.domain.text import escape_mrkdwn

log = logging.getLogger(__name__)

SYSTEM = "system"
# The window REQUESTS_PER_HOUR counts in.
REQUEST_WINDOW = timedelta(hours=1)
# Claims are short and renewed while their work runs (every third of the lease), so the work of
# a replica that died (SIGKILL, a lost machine) is taken over about a lease later.
ANNOUNCE_LEASE = timedelta(seconds=30)
ACTION_LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 5
BACKOFF_FIRST_S = 2.0
BACKOFF_MAX_S = 300.0


def _backoff(attempts: int) -> float:
    """Seconds before try number `attempts + 1`: 2, 4, 8, 16, ... up to five minutes."""
    return float(min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** (attempts - 1)))


def _provider_ids(provider_request_id: str | None, client_request_id: str | None) -> dict[str, str]:
    """The identity provider's ids of an action's calls, for its audit line (those known)."""
    ids = {"idp_request_id": provider_request_id, "idp_client_request_id": client_request_id}
    return {key: value for key, value in ids.items() if value}


def _action_ids(detail: dict[str, Any]) -> dict[str, Any]:
    """The action row's columns for the provider's request id and the person's directory id."""
    return {
        "idp_request_id": detail.get("idp_request_id"),
        "directory_object_id": detail.get("directory_object_id"),
    }


_OPEN = frozenset({Status.OPEN})


@dataclass(frozen=True)
class HelpdeskConfig:
    """The operator's choices for the help-desk path."""

    channel_id: str
    ttl: timedelta = timedelta(hours=24)
    tap_lifetime_minutes: int = 60
    reset_cooldown: timedelta = timedelta(hours=24)
    manager_attestation: bool = False
    # How long the card waits on the identity provider's answer about admin roles; past it the
    # request is privileged (fail closed).
    role_check_timeout: timedelta = timedelta(seconds=20)
    requests_per_hour: int = 3
    action_lease: timedelta = ACTION_LEASE
    # Waits before the second and later tries of the account holder's email.
    notice_retry_s: tuple[float, ...] = (5.0, 30.0)


@dataclass(frozen=True)
class Submitted:
    """What a contact form became: its request, and whether this submission stored it (False
    for a replay of a form stored before)."""

    request: HelpRequest
    new: bool


@dataclass(frozen=True)
class Place:
    """Where a click came from: the workspace and the channel of the message clicked."""

    team_id: str
    channel_id: str | None


class HelpdeskService:
    """Every move of a request, each a conditional update with its audit line."""

    def __init__(
        self,
        config: HelpdeskConfig,
        requests: RequestRepository,
        walks: WalkRepository,
        guide: Guide,
        provider: IdentityProvider,
        admins: AdminRoster,
        people: PeopleDirectory,
        notifier: Notifier,
        clock: Clock,
        stepup: StepUp | None = None,
        *,
        mailer: Mailer | None = None,
        background: Callable[[Coroutine[Any, Any, None], str], None] | None = None,
    ) -> None:
        self.config = config
        self._requests = requests
        self._walks = walks
        self._guide = guide
        self.provider = provider
        self._admins = admins
        self._people = people
        self._notifier = notifier
        self._clock = clock
        self._stepup = stepup
        self._mailer = mailer
        self._background = background
        self._locks: dict[int, asyncio.Lock] = {}
        # Every lease this process takes names it, so that one statement releases them all.
        self.lease_holder = uuid.uuid4().hex[:16]
        self._stopping = False

    # -- the employee -----------------------------------------------------------------------

    async def active_request_of(self, user_id: str) -> HelpRequest | None:
        """The employee's request still in progress, if any."""
        return await self._requests.active_request_of(user_id)

    async def submit(
        self,
        team_id: str,
        user_id: str,
        topic_id: str,
        walk_id: str | None,
        form: ContactForm,
        submission_key: str | None = None,
    ) -> Submitted:
        """Store request #N, before the form is acked: database work only, no Slack and no
        provider call; `announce_new` follows. The form stored under `submission_key` before
        gives its request back (a replay). AlreadyOpenError while one is in progress;
        TooManyRequestsError (audited) past `requests_per_hour`."""
        now = self._clock.now()
        intake = await self._requests.intake_of(user_id, submission_key, now - REQUEST_WINDOW)
        if intake.submitted_as is not None:
            return self._replayed(await self._get(intake.submitted_as), user_id)
        if intake.open_request is not None:  # before the limit: the person can follow this one
            raise AlreadyOpenError(intake.open_request)
        # Counted, then inserted: not atomic, but the unique index on a requester's active
        # request keeps one person's submissions from racing each other past the limit.
        sent = intake.sent_since
        if sent >= self.config.requests_per_hour:
            limit = self.config.requests_per_hour
            await self._requests.record_audit(
                AuditEntry(
                    now,
                    user_id,
                    "request.refused",
                    detail={"reason": TooManyRequestsError.code, "sent": sent, "limit": limit},
                )
            )
            raise TooManyRequestsError(limit)
        last_reset = intake.last_reset
        recent = (
            last_reset if last_reset and now - last_reset < self.config.reset_cooldown else None
        )
        request = HelpRequest(
            id=0,
            team_id=team_id,
            requester_id=user_id,
            topic_id=topic_id,
            walk_id=walk_id,
            form=form,
            proposed=propose_actions(topic_id, form.lost_or_stolen),
            tried=await self._tried(walk_id, user_id),
            status=Status.OPEN,
            created_at=now,
            expires_at=now + self.config.ttl,
            updated_at=now,
            # Not assessed yet (announce_new does it): two approvers until then.
            privileged=True,
            privileged_reason=None,
            recent_reset_at=recent,
            submission_key=submission_key,
            announce_owner=self._run_owner(),  # its card's posting is claimed with it
        )
        audit = AuditEntry(
            now,
            user_id,
            "request.created",
            detail={
                "topic": topic_id,
                "lost_or_stolen": form.lost_or_stolen,
                "proposed": [a.value for a in request.proposed],
                "recent_reset": recent is not None,
            },
        )
        try:
            stored = await self._requests.create_request(request, audit, announcing_at=now)
        except AlreadySubmittedError as replay:  # the same form, stored by another replica
            return self._replayed(await self._get(replay.request_id), user_id)
        return Submitted(stored, new=True)

    def _replayed(self, stored: HelpRequest, user_id: str) -> Submitted:
        if stored.requester_id != user_id:  # a form is its sender's: never show another's
            raise NotRequesterError("not yours")
        return Submitted(stored, new=False)

    async def announce(self, request_id: int) -> None:
        """Post a request whose card never reached the channel (a retry from housekeeping).

        The posting is claimed in the database first, so a retry (on any replica) never posts a
        second card while an earlier attempt may still succeed.
        """
        now = self._clock.now()
        owner = self._run_owner()
        if not await self._requests.claim_announcement(
            request_id, now, now - ANNOUNCE_LEASE, owner
        ):
            return
        await self.announce_new(await self._get(request_id))

    async def announce_new(self, request: HelpRequest) -> None:
        """Assess whether the requester is privileged and store it, then post the request just
        submitted and confirm it to the employee: all while holding the claim on posting its
        card (taken when it was stored, or by `announce`), so that no other replica posts one."""
        owner = request.announce_owner or self._run_owner()
        now = self._clock.now()
        # Claimed again: work that waited its turn past the lease may find another replica's
        # claim on it, and then leaves the card to them.
        if not await self._requests.claim_announcement(
            request.id, now, now - ANNOUNCE_LEASE, owner
        ):
            log.info("request #%s's card is posted, or being posted elsewhere", request.id)
            return
        try:
            async with self._holding_announcement(request.id, owner):
                name, email = await self._people.profile(request.requester_id)
                request = replace(request, requester_name=name, requester_email=email)
                if request.privileged_reason is None:  # assessed once, not on every retry
                    request = await self._assess_privilege(request)
                # The assessment can be slow: the claim is checked once more right before posting.
                if not await self._requests.renew_announcement(
                    request.id, owner, self._clock.now()
                ):
                    raise _ClaimLostError(f"the card of request #{request.id}")
                channel, ts = await self._notifier.post_request(request, [])
        except _ClaimLostError:
            log.warning("request #%s's card is left to the replica that took it over", request.id)
            return
        except Exception:
            # Let the next housekeeping pass try again at once rather than after the lease.
            await self._requests.release_announcements(owner)
            raise
        if not await self._requests.record_card(request.id, owner, Card(channel, ts), name, email):
            log.warning(
                "request #%s's claim was taken over while its card was posted: the card at %s may "
                "be a second one",
                request.id,
                ts,
            )
            return
        request = replace(request, channel_id=channel, message_ts=ts)
        try:
            await self._notifier.request_changed(request, [], Change.CREATED, None)
        except Exception:
            log.exception("could not confirm request #%s to the employee", request.id)
        if self.config.manager_attestation:
            await self._ask_manager(request)

    def _run_owner(self) -> str:
        """A claim's owner: this process's lease holder and the run that claims."""
        return f"{self.lease_holder}:{uuid.uuid4().hex[:16]}"

    async def _assess_privilege(self, request: HelpRequest) -> HelpRequest:
        """Decide, audit and store whether the person is privileged, before the card is posted:
        the operator's lists and the directory's admin roles, failing closed with the reason."""
        try:
            reasons = await self._admins.privilege_reasons(request.requester_id)
        except Exception:
            log.exception("could not read the admin lists for request #%s", request.id)
            reasons = ("the admin lists could not be read",)
        verdict = assess(reasons, await self._role_check(request.requester_email))
        event = "request.privileged" if verdict.privileged else "request.not_privileged"
        audit = AuditEntry(self._clock.now(), SYSTEM, event, request.id, {"reason": verdict.reason})
        await self._requests.record_privilege(request.id, verdict.privileged, verdict.reason, audit)
        return replace(request, privileged=verdict.privileged, privileged_reason=verdict.reason)

    async def _role_check(self, email: str) -> RoleCheck:
        """The person's admin roles at the identity provider, or why they could not be read."""
        provider = self.provider
        if not provider.checks_admin_roles:
            return RoleCheck(provider.name, checked=False)
        limit = self.config.role_check_timeout.total_seconds()
        try:
            async with asyncio.timeout(limit):
                roles = await provider.admin_roles(await provider.find_user(email))
        except TimeoutError:
            return RoleCheck(provider.name, error=f"no answer within {limit:g} seconds")
        except IdentityError as exc:
            return RoleCheck(provider.name, error=str(exc))
        except Exception:
            log.exception("reading the admin roles of %s failed", provider.name)
            return RoleCheck(provider.name, error="unexpected error (see the logs)")
        return RoleCheck(provider.name, roles=roles)

    async def _ask_manager(self, request: HelpRequest) -> None:
        manager = await self._people.manager_of(request.requester_id)
        if manager is None or manager == request.requester_id:
            await self._requests.record_audit(
                AuditEntry(self._clock.now(), SYSTEM, "manager.unknown", request.id)
            )
            return
        await self._requests.record_manager(request.id, manager)
        await self._notifier.ask_manager(replace(request, manager_id=manager), manager)
        await self._notify(request.id, Change.MANAGER_ASKED, None)

    async def manager_answer(self, request_id: int, actor: str, yes: bool) -> HelpRequest:
        """The manager confirms (yes) or denies (no) that the employee asked; a no blocks it."""
        request = await self._get(request_id)
        answer = "yes" if yes else "no"
        audit = AuditEntry(self._clock.now(), actor, f"manager.{answer}", request.id)
        if request.manager_id != actor:
            raise await self._refused(actor, request.id, NotRequesterError("not their manager"))
        if not await self._requests.record_manager_answer(request.id, answer, audit):
            return request
        changed = await self._notify(request.id, Change.MANAGER_ANSWERED, actor)
        if not yes:
            await self._notifier.tell_helpdesk(
                f":rotating_light: The manager of <@{request.requester_id}> says they did NOT ask "
                f"IT for request #{request.id}. It can no longer be approved.",
                security=True,
            )
        return changed

    async def cancel(self, request_id: int, user_id: str) -> HelpRequest:
        """The employee withdraws an open request."""
        request = await self._get(request_id)
        if request.requester_id != user_id:
            raise await self._refused(user_id, request.id, NotRequesterError("not yours"))
        return await self._move(request, _OPEN, Status.CANCELLED, user_id, Change.CANCELLED)

    # -- the help desk ----------------------------------------------------------------------

    async def authorize(self, request_id: int, actor: str, place: Place) -> HelpRequest:
        """The open request, if `actor` may decide on it from `place`; refusals are audited."""
        request = await self._get(request_id)
        try:
            await self._check_decider(request, actor, place)
            if request.status is not Status.OPEN:
                raise _already(request)
            if request.is_expired(self._clock.now()):
                await self._move(request, _OPEN, Status.EXPIRED, SYSTEM, Change.EXPIRED)
                raise RequestExpiredError(request.id, Status.EXPIRED.value)
        except HelpdeskError as refusal:
            raise await self._refused(actor, request.id, refusal) from None
        return request

    async def require_admin(self, actor: str) -> None:
        """NotAnAdminError (audited) unless `actor` is an IT admin right now."""
        if not await self._admins.is_admin(actor):
            raise await self._refused(actor, None, NotAnAdminError("admins only"))

    @property
    def stepup_required(self) -> bool:
        """True when decisions are confirmed with the admin's authenticator code."""
        return self._stepup is not None

    async def approve(
        self,
        request_id: int,
        actor: str,
        place: Place,
        actions: tuple[Action, ...],
        code: str | None = None,
    ) -> HelpRequest:
        """Record the approval of the selected actions with them (the outbox), after the admin's
        code when step-up is on; `carry_out` then tells everyone and runs them."""
        request = await self.authorize(request_id, actor, place)
        if not actions:
            raise NothingSelectedError("tick at least one action to approve")
        selected, actions = actions, with_revocation(actions)  # even if unticked
        if request.suspicious:
            raise await self._refused(actor, request.id, SuspiciousError("reported"))
        await self._step_up(actor, request.id, code)
        now = self._clock.now()
        first = request.first_approver
        if request.privileged or await self._admins.is_privileged(request.requester_id):
            if first is None:
                audit = AuditEntry(
                    now,
                    actor,
                    "request.first_approval",
                    request.id,
                    _approval(selected, actions),
                )
                if not await self._requests.record_first_approval(request.id, actions, audit, now):
                    raise _already(await self._get(request.id))
                return await self._get(request.id)
            if first == actor:
                raise await self._refused(
                    actor, request.id, SameApproverError("a second admin has to approve")
                )
            # Only what both admins approved is carried out.
            actions = with_revocation(tuple(a for a in actions if a in request.first_actions))
            if not actions:
                raise NothingSelectedError("no action was approved by both admins")
        audit = AuditEntry(now, actor, "request.approved", request.id, _approval(selected, actions))
        moved = await self._requests.approve(
            request.id, actions, audit, at=now, first_approver_is=first
        )
        if not moved:
            raise _already(await self._get(request.id))
        return await self._get(request.id)

    async def carry_out(self, request_id: int, actor: str) -> None:
        """After an approval: update the card, tell the employee, run the actions (or, after
        the first of two approvals, show it and wait for the second)."""
        request = await self._get(request_id)
        if request.status is Status.OPEN:
            await self._notify(request_id, Change.FIRST_APPROVAL, actor)
            return
        await self._notify(request_id, Change.APPROVED, actor)
        await self.execute(request_id)

    async def report_not_me(self, request_id: int, user_id: str) -> str:
        """The employee says they never asked: flag the request, alert the help desk (and
        security), and sign them out again where the provider can; what was done, in words."""
        request = await self._get(request_id)
        if request.requester_id != user_id:
            raise await self._refused(user_id, request.id, NotRequesterError("not yours"))
        audit = AuditEntry(self._clock.now(), user_id, "request.reported_not_me", request.id)
        if not await self._requests.mark_suspicious(request.id, audit):
            return "You reported this already; IT security has been told."
        revoked = await self._revoke_again(request)
        await self._notify(request.id, Change.REPORTED, user_id)
        await self._notifier.tell_helpdesk(
            f":rotating_light: <@{user_id}> says they did NOT ask for request #{request.id}. "
            f"Treat the account as compromised. {revoked}",
            security=True,
        )
        return f"Thank you. IT security has been alerted. {revoked}"

    async def _revoke_again(self, request: HelpRequest) -> str:
        if self.provider.name == "manual":
            return "Sign-in sessions must be revoked by hand (manual provider)."
        try:
            user = await self.provider.find_user(request.requester_email)
            result = await self.provider.revoke_sessions(user)
        except IdentityError as exc:
            log.warning("revoking sessions again for request #%s failed: %s", request.id, exc)
            return f"Revoking the sign-in sessions again failed: {exc}"
        await self._requests.record_audit(
            AuditEntry(
                self._clock.now(),
                SYSTEM,
                "action.done",
                request.id,
                {
                    "action": "revoke_sessions",
                    "why": "reported_not_me",
                    "directory_object_id": user.id,
                    **_provider_ids(result.provider_request_id, result.client_request_id),
                },
            )
        )
        return "The account's sign-in sessions were revoked again."

    async def check_stepup(self, actor: str) -> None:
        """NotEnrolledError (audited) when step-up is on and the admin has no authenticator."""
        if self._stepup is not None and not await self._stepup.is_enrolled(actor):
            raise await self._refused(actor, None, NotEnrolledError("enroll first"))

    async def _step_up(self, actor: str, request_id: int, code: str | None) -> None:
        if self._stepup is None:
            return
        try:
            await self._stepup.verify(actor, code or "")
        except WrongCodeError as wrong:
            await self._refused(actor, request_id, wrong)
            if wrong.locked:
                await self._locked_out(actor, request_id)
            raise
        except HelpdeskError as refusal:
            raise await self._refused(actor, request_id, refusal) from None

    async def _locked_out(self, actor: str, request_id: int | None) -> None:
        """Audit a step-up lockout and alert the help desk and security; never raises (logs)."""
        # The admin must still read "locked" when Slack or the database fails here.
        try:
            await self._requests.record_audit(
                AuditEntry(self._clock.now(), actor, "stepup.locked", request_id)
            )
        except Exception:
            log.exception("could not audit the step-up lockout of %s", actor)
        try:
            await self._notifier.tell_helpdesk(
                f"Step-up for <@{actor}> is locked for 15 minutes after five attempts without "
                "a success.",
                security=True,  # someone may be guessing an admin's codes
            )
        except Exception:
            log.exception("could not alert the help desk to the step-up lockout of %s", actor)

    async def deny(self, request_id: int, actor: str, place: Place, reason: str) -> HelpRequest:
        """Deny with a reason the employee will read."""
        request = await self.authorize(request_id, actor, place)
        now = self._clock.now()
        audit = AuditEntry(now, actor, "request.denied", request.id, {"reason_length": len(reason)})
        if not await self._requests.deny(request.id, actor, now, reason, audit):
            raise _already(await self._get(request.id))
        return await self._notify(request.id, Change.DENIED, actor)

    async def execute(self, request_id: int) -> None:
        """Carry out the approved actions, each at most once, and settle the request."""
        request = await self._get(request_id)
        if request.status is Status.APPROVED:
            audit = AuditEntry(self._clock.now(), SYSTEM, "request.executing", request.id)
            if not await self._requests.transition(
                request.id, frozenset({Status.APPROVED}), Status.EXECUTING, audit
            ):
                return
            request = replace(request, status=Status.EXECUTING)
        if request.status is not Status.EXECUTING or request.suspicious:
            return  # a request reported as not the employee's runs nothing more
        due = [
            item
            for item in await self._requests.actions_of(request.id)
            if item.status in (ActionStatus.PENDING, ActionStatus.RUNNING)
        ]
        user: DirectoryUser | None = None
        lookup_error: IdentityError | None = None
        # This run's lease, under the process's: a result counts only while the run holds it.
        owner = self._run_owner()
        lease = self.config.action_lease
        for item in due:
            if self._stopping:
                return  # shutting down: what is left is for another replica, or a restart
            now = self._clock.now()
            if not await self._requests.claim_action(item.id, now, now + lease, owner):
                continue  # not due yet, or another worker holds it
            if item.attempts >= MAX_ATTEMPTS:  # kept dying mid-run: stop taking it over
                await self._fail(request, item, "gave up: the action never finished", owner)
                continue
            async with self._renewing(item.id, owner):
                if user is None and lookup_error is None:
                    try:
                        user = await self.provider.find_user(request.requester_email)
                    except IdentityError as exc:
                        lookup_error = exc
                    except Exception:
                        log.exception("looking up the person of request #%s failed", request.id)
                        lookup_error = IdentityError("the person could not be looked up (see logs)")
                await self._run_one(request, item, user, lookup_error, owner)
        await self._settle(request.id, user)

    def stop_claiming(self) -> None:
        """Shutdown begins: take no new action; the ones running may finish."""
        self._stopping = True

    async def release_leases(self) -> int:
        """Shutdown: hand back every action and card posting this process still holds, so that
        another replica (or this one after a restart) takes them at once; how many actions."""
        audit = AuditEntry(
            self._clock.now(), SYSTEM, "action.released", detail={"holder": self.lease_holder}
        )
        released = await self._requests.release_actions(f"{self.lease_holder}:", audit)
        # Cards being posted, and those whose posting still waited its turn when it was dropped.
        await self._requests.release_announcements(f"{self.lease_holder}:")
        return released

    @contextlib.asynccontextmanager
    async def _renewing(self, action_id: int, owner: str) -> AsyncIterator[None]:
        """Keep the action's lease while the work inside runs (a provider call may be slow)."""
        lease = self.config.action_lease

        async def renew() -> bool:
            return await self._requests.renew_action_lease(
                action_id, owner, self._clock.now() + lease
            )

        async with _heartbeat(renew, lease.total_seconds() / 3, f"action {action_id}"):
            yield

    @contextlib.asynccontextmanager
    async def _holding_announcement(self, request_id: int, owner: str) -> AsyncIterator[None]:
        """Keep the claim on posting the request's card while the work inside runs; once the
        claim is lost, that work is cancelled (_ClaimLostError): another replica posts it."""

        async def renew() -> bool:
            return await self._requests.renew_announcement(request_id, owner, self._clock.now())

        every_s = ANNOUNCE_LEASE.total_seconds() / 3
        async with _heartbeat(renew, every_s, "a card", lease_s=ANNOUNCE_LEASE.total_seconds()):
            yield

    async def authorize_retry(self, request_id: int, actor: str, place: Place) -> HelpRequest:
        """The failed request, if `actor` may retry it from `place`; refusals are audited."""
        request = await self._get(request_id)
        try:
            await self._check_decider(request, actor, place)
            if request.status is not Status.FAILED:
                raise _already(request)
            if request.suspicious:
                raise SuspiciousError("reported")
        except HelpdeskError as refusal:
            raise await self._refused(actor, request.id, refusal) from None
        return request

    async def work_due(self) -> list[int]:
        """Carry on every request with an action due now (a retry whose time came, or one whose
        worker died holding it); the requests' numbers. The worker loop calls this."""
        due = await self._requests.requests_with_due_actions(self._clock.now())
        for request_id in due:
            await self.execute(request_id)
        return due

    async def retry_failed(
        self, request_id: int, actor: str, place: Place, code: str | None = None
    ) -> None:
        """An admin decides to try a failed request's failed actions again (after their code);
        `carry_out_retry` then tells everyone and runs them."""
        await self.authorize_retry(request_id, actor, place)
        await self._step_up(actor, request_id, code)
        audit = AuditEntry(self._clock.now(), actor, "request.retried", request_id)
        if not await self._requests.transition(
            request_id, frozenset({Status.FAILED}), Status.EXECUTING, audit, not_suspicious=True
        ):
            raise _already(await self._get(request_id))
        await self._requests.reopen_failed_actions(request_id, self._clock.now())

    async def carry_out_retry(self, request_id: int, actor: str) -> None:
        """After a retry was decided: update the card, then run the actions again."""
        await self._notify(request_id, Change.RETRIED, actor)
        await self.execute(request_id)

    async def begin_enrollment(self, actor: str) -> tuple[str, str]:
        """An admin starts (re-)enrolling their authenticator; (otpauth URI, secret)."""
        await self.require_admin(actor)
        if self._stepup is None:
            raise StepUpOffError("STEPUP_REQUIRED=false")
        _, email = await self._people.profile(actor)
        return await self._stepup.begin_enrollment(actor, email or actor)

    async def is_enrolled(self, actor: str) -> bool:
        """True when the admin has a confirmed authenticator."""
        return self._stepup is not None and await self._stepup.is_enrolled(actor)

    async def confirm_enrollment(
        self, actor: str, code: str, current_code: str | None = None
    ) -> None:
        """The new authenticator's first code (and, when replacing one, the current one's);
        audited, and the help desk is told (security too when an authenticator is replaced)."""
        if self._stepup is None:
            raise StepUpOffError("STEPUP_REQUIRED=false")
        try:
            replaced = await self._stepup.confirm_enrollment(actor, code, current_code)
        except WrongCodeError as wrong:
            await self._refused(actor, None, wrong)
            if wrong.locked:
                await self._locked_out(actor, None)
            raise
        except HelpdeskError as refusal:
            raise await self._refused(actor, None, refusal) from None
        event = "stepup.replaced" if replaced else "stepup.enrolled"
        await self._requests.record_audit(AuditEntry(self._clock.now(), actor, event))
        what = "replaced their authenticator" if replaced else "set up an authenticator"
        await self._notifier.tell_helpdesk(
            f":closed_lock_with_key: <@{actor}> {what} for approvals.", security=replaced
        )

    async def mark_manual_done(self, action_id: int, actor: str, place: Place) -> None:
        """An admin did a manual step in the admin portal and says so."""
        item, request = await self._action(action_id)
        try:
            await self._check_decider(request, actor, place)
        except HelpdeskError as refusal:
            raise await self._refused(actor, request.id, refusal) from None
        audit = AuditEntry(
            self._clock.now(), actor, "action.done", request.id, {"action": item.action.value}
        )
        done = await self._requests.finish_action(
            item.id,
            frozenset({ActionStatus.MANUAL}),
            ActionRecord(ActionStatus.DONE, done_by=actor),
            audit,
        )
        if not done:
            return
        await self._notify(request.id, Change.ACTION_DONE, actor)
        await self._settle(request.id)

    async def expire_due(self) -> list[int]:
        """Expire every open request past its TTL; their numbers."""
        now = self._clock.now()
        expired = []
        for request in await self._requests.requests_in(_OPEN):
            if request.is_expired(now):
                try:
                    await self._move(request, _OPEN, Status.EXPIRED, SYSTEM, Change.EXPIRED)
                except AlreadyDecidedError:
                    continue
                expired.append(request.id)
        return expired

    async def unannounced(self) -> list[HelpRequest]:
        """Open requests whose card never reached the channel (Slack was down), to post again."""
        return [r for r in await self._requests.requests_in(_OPEN) if r.message_ts is None]

    async def resume_unfinished(self) -> list[int]:
        """Carry on with approved requests whose actions were not all started (a restart)."""
        resumed = []
        for request in await self._requests.requests_in(
            frozenset({Status.APPROVED, Status.EXECUTING})
        ):
            await self.execute(request.id)
            resumed.append(request.id)
        return resumed

    async def in_progress(self) -> list[HelpRequest]:
        """Requests waiting for a decision or being carried out, oldest first."""
        return await self._requests.requests_in(
            frozenset({Status.OPEN, Status.APPROVED, Status.EXECUTING, Status.FAILED})
        )

    async def is_admin(self, user_id: str) -> bool:
        """True when the person may decide on requests right now."""
        return await self._admins.is_admin(user_id)

    async def get(self, request_id: int) -> HelpRequest:
        """The request; RequestNotFoundError when there is none."""
        return await self._get(request_id)

    async def actions_of(self, request_id: int) -> list[ActionItem]:
        """The request's approved actions."""
        return await self._requests.actions_of(request_id)

    # -- internals --------------------------------------------------------------------------

    async def _check_decider(self, request: HelpRequest, actor: str, place: Place) -> None:
        if place.team_id != request.team_id or (
            place.channel_id is not None and place.channel_id != self.config.channel_id
        ):
            raise WrongPlaceError(
                "decisions are taken on the request's card in the help-desk channel"
            )
        if not await self._admins.is_admin(actor):
            raise NotAnAdminError("only IT admins can decide on requests")
        if actor == request.requester_id:
            raise OwnRequestError("nobody decides on their own request")

    async def _run_one(
        self,
        request: HelpRequest,
        item: ActionItem,
        user: DirectoryUser | None,
        lookup_error: IdentityError | None,
        owner: str,
    ) -> None:
        """Run one claimed action and record its result."""
        running = frozenset({ActionStatus.RUNNING})
        detail: dict[str, Any] = {"action": item.action.value, "provider": self.provider.name}
        if user is not None:
            detail["directory_object_id"] = user.id
        try:
            if user is None:
                raise lookup_error or IdentityError("the person was not found")
            result = await run_action(
                self.provider, item.action, user, self.config.tap_lifetime_minutes
            )
            detail |= _provider_ids(result.provider_request_id, result.client_request_id)
            if result.secret_for_user is not None:
                try:
                    await self._notifier.deliver_secret(request, result.secret_for_user)
                except Exception as exc:
                    raise IdentityError(
                        "the pass was created but could not be sent to the employee; "
                        "issue a new one"
                    ) from exc
        except TemporaryIdentityError as exc:
            detail |= _provider_ids(exc.provider_request_id, exc.client_request_id)
            attempts = item.attempts + 1
            if attempts < MAX_ATTEMPTS:
                wait = exc.retry_after if exc.retry_after is not None else _backoff(attempts)
                audit = AuditEntry(
                    self._clock.now(),
                    SYSTEM,
                    "action.retry_scheduled",
                    request.id,
                    {**detail, "why": str(exc), "attempt": attempts, "wait_s": round(wait, 1)},
                )
                await self._requests.retry_action_later(
                    item.id,
                    self._clock.now() + timedelta(seconds=wait),
                    audit,
                    f"{exc}; trying again (attempt {attempts + 1} of {MAX_ATTEMPTS})",
                    owner,
                )
                await self._notify(request.id, Change.ACTION_RETRYING, None)
                return
            await self._fail(
                request, item, f"{exc} (gave up after {attempts} attempts)", owner, detail
            )
            return
        except Exception as exc:
            why = str(exc) if isinstance(exc, IdentityError) else "unexpected error (see the logs)"
            if isinstance(exc, IdentityError):
                detail |= _provider_ids(exc.provider_request_id, exc.client_request_id)
            else:
                log.exception("action %s of request #%s failed", item.action.value, request.id)
            await self._fail(request, item, why, owner, detail)
            return
        status = ActionStatus.MANUAL if result.outcome is Outcome.MANUAL else ActionStatus.DONE
        audit = AuditEntry(
            self._clock.now(),
            SYSTEM,
            "action.waiting" if status is ActionStatus.MANUAL else "action.done",
            request.id,
            {**detail, "summary": result.summary},
        )
        record = ActionRecord(
            status, result.summary, tuple(result.manual_steps), result.link, **_action_ids(detail)
        )
        await self._requests.finish_action(item.id, running, record, audit, owner)
        change = Change.ACTION_WAITING if status is ActionStatus.MANUAL else Change.ACTION_DONE
        await self._notify(request.id, change, None)

    async def _fail(
        self,
        request: HelpRequest,
        item: ActionItem,
        why: str,
        owner: str,
        detail: dict[str, Any] | None = None,
    ) -> None:
        detail = detail or {"action": item.action.value, "provider": self.provider.name}
        audit = AuditEntry(
            self._clock.now(), SYSTEM, "action.failed", request.id, {**detail, "why": why}
        )
        record = ActionRecord(ActionStatus.FAILED, why, **_action_ids(detail))
        await self._requests.finish_action(
            item.id, frozenset({ActionStatus.RUNNING}), record, audit, owner
        )
        await self._notify(request.id, Change.ACTION_FAILED, None)

    async def _settle(self, request_id: int, user: DirectoryUser | None = None) -> None:
        items = await self._requests.actions_of(request_id)
        unfinished = {ActionStatus.PENDING, ActionStatus.RUNNING, ActionStatus.MANUAL}
        if any(item.status in unfinished for item in items):
            return
        failed = any(item.status is ActionStatus.FAILED for item in items)
        new, change = (Status.FAILED, Change.FAILED) if failed else (Status.DONE, Change.DONE)
        audit = AuditEntry(self._clock.now(), SYSTEM, f"request.{new.value}", request_id)
        if await self._requests.transition(request_id, frozenset({Status.EXECUTING}), new, audit):
            request = await self._notify(request_id, change, None)
            # Only the run that settled the request tells, and only of the actions nobody told
            # of before (a retry after a partial failure names what it added).
            done_ids = [item.id for item in items if item.status is ActionStatus.DONE]
            fresh = set(await self._requests.mark_notified(done_ids, self._clock.now()))
            done = tuple(item.action for item in items if item.id in fresh)
            if done:
                await self._tell_of_reset(request, done, user, complete=not failed)

    async def _tell_of_reset(
        self,
        request: HelpRequest,
        done: tuple[Action, ...],
        user: DirectoryUser | None,
        *,
        complete: bool,
    ) -> None:
        """A reset changed the account: security hears of a privileged one, and the account
        holder gets an email (in background work: a slow mail server delays nothing)."""
        if request.privileged:
            reason = request.privileged_reason
            why = f" ({escape_mrkdwn(reason)})" if reason else ""
            labels = "; ".join(action.label for action in done)
            outcome = "carried out" if complete else "partly carried out (it failed after)"
            try:
                await self._notifier.tell_helpdesk(
                    f":rotating_light: Request #{request.id} for <@{request.requester_id}>, a "
                    f"privileged account{why}, was {outcome}: {labels}.",
                    security=True,
                )
            except Exception:
                log.exception("could not tell security about request #%s", request.id)
        if self._mailer is None:
            return
        work = self._mail_reset_notice(request, done, user, complete)
        if self._background is None:
            await work
        else:
            self._background(work, "reset-notice")

    async def _mail_reset_notice(
        self,
        request: HelpRequest,
        done: tuple[Action, ...],
        user: DirectoryUser | None,
        complete: bool,
    ) -> None:
        """Email the account holder what changed, a few times if the mail system is down; the
        outcome is audited, and the help desk is told when it could not be sent."""
        detail: dict[str, Any] = {"actions": [a.value for a in done]}
        try:
            error = await self._send_reset_notice(request, done, user, complete, detail)
        except asyncio.CancelledError:  # a shutdown before it was sent: leave a trace, then end
            stopped = MailError("the bot shut down before it was sent")
            await asyncio.shield(self._notice_failed(request, detail, stopped))
            raise
        except Exception as exc:
            # A bad address or name, the database gone: whatever it was, it leaves a trace. The
            # text only, masked: an exception about an address repeats the address.
            log.error(
                "the email about request #%s failed (%s): %s",
                request.id,
                type(exc).__name__,
                mask_addresses(str(exc)),
            )
            error = MailError(f"unexpected error ({type(exc).__name__}; see the logs)")
        if error is not None:
            await self._notice_failed(request, detail, error)

    async def _send_reset_notice(
        self,
        request: HelpRequest,
        done: tuple[Action, ...],
        user: DirectoryUser | None,
        complete: bool,
        detail: dict[str, Any],
    ) -> MailError | None:
        """Send the notice and audit it; why it could not be sent, or None."""
        assert self._mailer is not None
        address, name = await self._address_of_record(request, user)
        notice = ResetNotice(request.id, address, name, done, self._clock.now(), complete)
        if not self._mailer.delivers:
            await self._mailer.send_reset_notice(notice)  # only logs
            await self._requests.record_audit(
                AuditEntry(
                    self._clock.now(),
                    SYSTEM,
                    "notice.skipped",
                    request.id,
                    {**detail, "why": "no mail transport is configured"},
                )
            )
            return None
        if not address:
            return MailError("the person has no email address on record", permanent=True)
        detail["to"] = mask_address(address)
        error = await self._send_with_retries(notice)
        if error is None:
            await self._requests.record_audit(
                AuditEntry(self._clock.now(), SYSTEM, "notice.sent", request.id, detail)
            )
        return error

    async def _notice_failed(
        self, request: HelpRequest, detail: dict[str, Any], error: MailError
    ) -> None:
        """Audit a notice that could not be sent and tell the help desk, each as far as it goes."""
        # Never the body, only why; a mail server's reply often repeats the address: masked.
        why = mask_addresses(str(error))[:300]
        try:
            await self._requests.record_audit(
                AuditEntry(
                    self._clock.now(), SYSTEM, "notice.failed", request.id, {**detail, "why": why}
                )
            )
        except Exception:
            log.exception("could not audit request #%s's failed email", request.id)
        try:
            await self._notifier.tell_helpdesk(
                f":warning: The email telling <@{request.requester_id}> about the changes of "
                f"request #{request.id} could not be sent ({escape_mrkdwn(why)}). "
                "Tell them another way, not in Slack alone."
            )
        except Exception:
            log.exception("could not tell the help desk of request #%s's failed email", request.id)

    async def _send_with_retries(self, notice: ResetNotice) -> MailError | None:
        """Send the notice; the last error when every try failed, None once it was sent."""
        assert self._mailer is not None
        error: MailError | None = None
        for wait in (0.0, *self.config.notice_retry_s):
            if wait:
                await asyncio.sleep(wait)
            try:
                await self._mailer.send_reset_notice(notice)
            except MailError as exc:
                error = exc
            except Exception as exc:  # e.g. an address the email library refuses: not retried
                log.error(
                    "the email about request #%s could not be made (%s): %s",
                    notice.request_id,
                    type(exc).__name__,
                    mask_addresses(str(exc)),
                )
                return MailError(
                    f"the email could not be made ({type(exc).__name__}: {exc})", permanent=True
                )
            else:
                return None
            log.warning(
                "the email about request #%s failed: %s",
                notice.request_id,
                mask_addresses(str(error)),
            )
            if error.permanent:
                break
        return error

    async def _address_of_record(
        self, request: HelpRequest, user: DirectoryUser | None
    ) -> tuple[str, str]:
        """(email, name) from the directory; the chat profile's email only when it has none."""
        if user is None:
            try:
                user = await self.provider.find_user(request.requester_email)
            except Exception as exc:
                log.warning("looking up request #%s's person for the email: %s", request.id, exc)
        if user is not None and user.email:
            return user.email, user.display_name or request.requester_name
        return request.requester_email, request.requester_name

    async def _move(
        self,
        request: HelpRequest,
        expected: frozenset[Status],
        new: Status,
        actor: str,
        change: Change,
        detail: dict[str, Any] | None = None,
    ) -> HelpRequest:
        audit = AuditEntry(self._clock.now(), actor, f"request.{new.value}", request.id, detail)
        if not await self._requests.transition(request.id, expected, new, audit):
            raise _already(await self._get(request.id))
        return await self._notify(request.id, change, None if actor == SYSTEM else actor)

    async def _notify(self, request_id: int, change: Change, actor: str | None) -> HelpRequest:
        # One notice per request at a time, each rendered from what is stored, so the card
        # never ends on an older state than the database holds.
        async with self._locks.setdefault(request_id, asyncio.Lock()):
            request = await self._get(request_id)
            actions = await self._requests.actions_of(request_id)
            try:
                await self._notifier.request_changed(request, actions, change, actor)
            except Exception:
                # The change is stored and audited; a failed notice must not undo or repeat it.
                log.exception("could not tell about request #%s (%s)", request_id, change.value)
        if request.status not in ACTIVE | {Status.FAILED}:
            self._locks.pop(request_id, None)
        return request

    async def _refused(
        self, actor: str, request_id: int | None, refusal: HelpdeskError
    ) -> HelpdeskError:
        await self._requests.record_audit(
            AuditEntry(
                self._clock.now(), actor, "decision.refused", request_id, {"reason": refusal.code}
            )
        )
        return refusal

    async def _get(self, request_id: int) -> HelpRequest:
        request = await self._requests.get_request(request_id)
        if request is None:
            raise RequestNotFoundError(f"there is no request #{request_id}")
        return request

    async def _action(self, action_id: int) -> tuple[ActionItem, HelpRequest]:
        item = await self._requests.get_action(action_id)
        if item is None:
            raise RequestNotFoundError("that action does not exist")
        return item, await self._get(item.request_id)

    async def _tried(self, walk_id: str | None, user_id: str) -> tuple[str, ...]:
        walk = await self._walks.get_walk(walk_id) if walk_id else None
        if walk is None or walk.user_id != user_id:
            return ()
        lines = []
        for step_id in walk.state.seen:
            try:
                text = self._guide.step(walk.state.topic_id, step_id).text
            except KeyError:
                continue
            lines.append(text.split("\n", 1)[0].strip("* "))
        lines += [f"chose: {choice.split(':', 1)[1]}" for choice in walk.state.choices]
        return tuple(lines)


def _approval(selected: tuple[Action, ...], actions: tuple[Action, ...]) -> dict[str, Any]:
    """The audit detail of an approval: what runs, and whether revocation was added to it."""
    detail: dict[str, Any] = {"actions": [a.value for a in actions]}
    if Action.REVOKE_SESSIONS in actions and Action.REVOKE_SESSIONS not in selected:
        detail["revocation_added"] = True
    return detail


def _already(request: HelpRequest) -> AlreadyDecidedError:
    return AlreadyDecidedError(request.id, request.status.value, request.decided_by)


class _ClaimLostError(Exception):
    """The claim on some work went to another worker while it ran."""


@contextlib.asynccontextmanager
async def _heartbeat(
    renew: Callable[[], Coroutine[Any, Any, bool]],
    every_s: float,
    what: str,
    *,
    lease_s: float | None = None,
) -> AsyncIterator[None]:
    """Call `renew` every `every_s` seconds while the body runs; stop once it says the claim
    is gone (another worker took it: its result will not count, see finish_action).

    Given `lease_s`, the body is cancelled, and _ClaimLostError raised, once the claim is gone
    or no renewal succeeded for `lease_s` seconds (another worker may have taken it by then).
    """
    body = asyncio.current_task()
    loop = asyncio.get_running_loop()
    lost = False

    def give_up() -> None:
        nonlocal lost
        if lease_s is not None and body is not None:
            lost = True
            body.cancel()

    async def beat() -> None:
        renewed = loop.time()
        while True:
            await asyncio.sleep(every_s)
            try:
                if not await renew():
                    log.warning("lost the lease on %s while working on it", what)
                    give_up()
                    return
            except Exception as exc:  # the database may be back before the lease runs out
                log.warning("could not renew the lease on %s: %s", what, exc)
                if lease_s is not None and loop.time() - renewed >= lease_s:
                    log.warning("the lease on %s ran out unrenewed", what)
                    give_up()
                    return
            else:
                renewed = loop.time()

    task = asyncio.create_task(beat(), name=f"lease {what}")
    try:
        yield
    except asyncio.CancelledError:
        # Our own cancellation (the claim lost) becomes an error; any other stays a cancellation.
        if lost and body is not None and body.uncancel() == 0:
            raise _ClaimLostError(what) from None
        raise
    finally:
        task.cancel()
        await asyncio.wait([task])  # unlike `await task`, never swallows our own cancellation
