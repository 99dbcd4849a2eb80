"""The employee's side: a contact form becomes a request; cancel, and the manager's answer."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from bot.domain.errors import (
    AlreadyOpenError,
    AlreadySubmittedError,
    IncompleteFormError,
    NotRequesterError,
    TooManyRequestsError,
)
from bot.domain.helpdesk.announce import Announcer
from bot.domain.helpdesk.config import REQUEST_WINDOW
from bot.domain.helpdesk.core import OPEN, Core
from bot.domain.notices import (
    ManagerSaidNo,
)
from bot.domain.platform import Platform
from bot.domain.ports import WorkKind
from bot.domain.requests import (
    Answered,
    AuditEntry,
    Change,
    ContactForm,
    HelpRequest,
    Status,
    propose_actions,
)
from bot.domain.requests import Intake as IntakeFacts
from bot.domain.walks import Walks


@dataclass(frozen=True)
class Submitted:
    """What a contact form became: its request, and whether this submission stored it (False
    for a replay of a form stored before)."""

    request: HelpRequest
    new: bool


@dataclass(frozen=True)
class Form:
    """A contact form as sent: who sent it, from which walk and topic, under which key, through
    which front end."""

    team_id: str
    user_id: str
    topic_id: str
    walk_id: str | None
    form: ContactForm
    submission_key: str | None = None
    platform: Platform = Platform.SLACK


@dataclass(frozen=True)
class FormStart:
    """What pressing Contact IT opens: the request already in progress (`active`), or the form
    with "What happened" pre-filled (`description`), without the questions the walk's choices
    answered (`answered`)."""

    active: HelpRequest | None
    description: str
    answered: Answered = field(default_factory=Answered)


class Intake:
    """Requests as their employees make, withdraw and question them."""

    def __init__(self, core: Core, walks: Walks, announcer: Announcer) -> None:
        self._core = core
        self._walks = walks  # what the employee tried, and the walk's end: the walks' own rules
        self._announcer = announcer

    async def active_request_of(self, user_id: str) -> HelpRequest | None:
        """The employee's request still in progress, if any."""
        return await self._core.requests.active_request_of(user_id)

    async def start_form(self, user_id: str, topic_id: str, walk_id: str | None) -> FormStart:
        """What Contact IT opens: the request in progress, or the form, its "What happened"
        saying what the walk's choices told (else the topic's title)."""
        active = await self.active_request_of(user_id)
        if active is not None:
            return FormStart(active, "")
        facts = await self._walks.facts(walk_id, user_id)
        told, answered = facts.told, facts.answered
        if told:
            return FormStart(None, told, answered)
        try:
            return FormStart(None, self._walks.guide.topic(topic_id).title, answered)
        except KeyError:  # a topic the guide no longer has
            return FormStart(None, "", answered)

    async def submit(self, sent: Form) -> Submitted:
        """Store request #N, before the form is acked (database work only, no chat and no
        provider call), then schedule the posting of its card and the marking of its walk as
        escalated. The form stored under the same key before gives its request back (a replay,
        nothing scheduled again). AlreadyOpenError while one is in progress;
        TooManyRequestsError (audited) past `requests_per_hour`; IncompleteFormError for a form
        its front end should have sent back (each front end shows `problems` in the form).
        The questions the walk's choices answered take the walk's answers, read from the
        stored walk: the form neither asks them nor decides them."""
        facts = await self._walks.facts(sent.walk_id, sent.user_id)
        sent = replace(sent, form=facts.answered.fill(sent.form))
        problems = sent.form.problems(sent.topic_id)
        if problems:
            raise IncompleteFormError(problems, facts.answered)
        core = self._core
        now = core.clock.now()
        intake = await core.requests.intake_of(
            sent.user_id, sent.submission_key, now - REQUEST_WINDOW
        )
        if intake.submitted_as is not None:
            return self._replayed(await core.get(intake.submitted_as), sent.user_id)
        if intake.open_request is not None:  # before the limit: the person can follow this one
            raise AlreadyOpenError(intake.open_request)
        await self._within_limit(sent.user_id, intake)
        request = self._new_request(sent, intake, facts.tried)
        audit = AuditEntry(
            now,
            sent.user_id,
            "request.created",
            detail={
                "topic": sent.topic_id,
                "lost_or_stolen": sent.form.lost_or_stolen,
                "proposed": [a.value for a in request.proposed],
                "recent_reset": request.recent_reset_at is not None,
                "reported_before": request.reported_before,
            },
        )
        try:
            stored = await core.requests.create_request(request, audit, announcing_at=now)
        except AlreadySubmittedError as replay:  # the same form, stored by another replica
            return self._replayed(await core.get(replay.request_id), sent.user_id)
        core.later(self._announcer.announce_new(stored), "confirm-request", WorkKind.FOLLOW_UP)
        if stored.walk_id:
            escalated = self._walks.escalate(stored.walk_id, stored.requester_id)
            core.later(escalated, "walk-escalated", WorkKind.CARD)
        return Submitted(stored, new=True)

    async def _within_limit(self, user_id: str, intake: IntakeFacts) -> None:
        """TooManyRequestsError (audited) once the person sent `requests_per_hour` already."""
        # Counted, then inserted: not atomic, but the unique index on a requester's active
        # request keeps one person's submissions from racing each other past the limit.
        sent, limit = intake.sent_since, self._core.config.requests_per_hour
        if sent < limit:
            return
        await self._core.requests.record_audit(
            AuditEntry(
                self._core.clock.now(),
                user_id,
                "request.refused",
                detail={"reason": TooManyRequestsError.code, "sent": sent, "limit": limit},
            )
        )
        raise TooManyRequestsError(limit)

    def _new_request(self, sent: Form, intake: IntakeFacts, tried: tuple[str, ...]) -> HelpRequest:
        config, now = self._core.config, self._core.clock.now()
        last_reset = intake.last_reset
        recent = last_reset if last_reset and now - last_reset < config.reset_cooldown else None
        form = sent.form.as_asked(sent.topic_id)
        return HelpRequest(
            id=0,
            team_id=sent.team_id,
            requester_id=sent.user_id,
            topic_id=sent.topic_id,
            walk_id=sent.walk_id,
            form=form,
            proposed=propose_actions(sent.topic_id, form.lost_or_stolen),
            tried=tried,
            status=Status.OPEN,
            created_at=now,
            expires_at=now + config.ttl,
            updated_at=now,
            # Not assessed yet (announce_new does it): two approvers until then.
            privileged=True,
            privileged_reason=None,
            recent_reset_at=recent,
            reported_before=intake.reported_not_me,
            submission_key=sent.submission_key,
            announce_owner=self._core.run_owner(),  # its card's posting is claimed with it
            platform=sent.platform,
        )

    def _replayed(self, stored: HelpRequest, user_id: str) -> Submitted:
        if stored.requester_id != user_id:  # a form is its sender's: never show another's
            raise NotRequesterError("not yours")
        return Submitted(stored, new=False)

    async def cancel(self, request_id: int, user_id: str) -> HelpRequest:
        """The employee withdraws an open request."""
        core = self._core
        request = await core.get(request_id)
        if request.requester_id != user_id:
            raise await core.refused(user_id, request.id, NotRequesterError("not yours"))
        return await core.move(request, OPEN, Status.CANCELLED, user_id, Change.CANCELLED)

    async def answer_manager(self, request_id: int, actor: str, yes: bool) -> HelpRequest:
        """The manager confirms (yes) or denies (no) that the employee asked; a no blocks it."""
        core = self._core
        request = await core.get(request_id)
        answer = "yes" if yes else "no"
        audit = AuditEntry(core.clock.now(), actor, f"manager.{answer}", request.id)
        if request.manager_id != actor:
            raise await core.refused(actor, request.id, NotRequesterError("not their manager"))
        if not await core.requests.record_manager_answer(request.id, answer, audit):
            return request
        changed = await core.notify(request.id, Change.MANAGER_ANSWERED, actor)
        if not yes:
            await core.notifier.tell(ManagerSaidNo(request))
        return changed
