"""The help desk: the one facade every front end and the runtime call, built from its use cases."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.errors import NotAnAdminError
from bot.domain.helpdesk.announce import Announcer
from bot.domain.helpdesk.config import (
    ACTION_LEASE,
    ANNOUNCE_LEASE,
    MAX_ATTEMPTS,
    HelpdeskConfig,
    Place,
)
from bot.domain.helpdesk.core import Core
from bot.domain.helpdesk.decisions import Approve, Choice, Decisions, Deny, Retry
from bot.domain.helpdesk.execution import Execution
from bot.domain.helpdesk.housekeeping import Housekeeping
from bot.domain.helpdesk.intake import Form, FormStart, Intake, Submitted
from bot.domain.helpdesk.outreach import Outreach
from bot.domain.helpdesk.policy import Policy
from bot.domain.helpdesk.reports import PromptReport, Reports
from bot.domain.helpdesk.reset_notice import ResetNotices
from bot.domain.identity import IdentityProvider
from bot.domain.notices import AlertClaim, NotMeAnswer, PromptAnswer
from bot.domain.platform import Platform
from bot.domain.ports import (
    AdminRoster,
    Background,
    Clock,
    HelpDesks,
    Mailer,
    Notifier,
    PeopleDirectory,
)
from bot.domain.repositories import RequestRepository
from bot.domain.requests import ActionItem, AuditEntry, ContactForm, HelpRequest, Status
from bot.domain.stepup import StepUp
from bot.domain.stepup.gate import StepUpGate
from bot.domain.walks import Walks
from bot.domain.workspace import WorkspaceSettings, current_workspace


@dataclass(frozen=True)
class Home:
    """The help desk on a person's Home: their `request` in progress, and the `queue` of
    requests in progress, oldest first (None: they are no admin)."""

    request: HelpRequest | None
    queue: tuple[HelpRequest, ...] | None


__all__ = [
    "ACTION_LEASE",
    "ANNOUNCE_LEASE",
    "MAX_ATTEMPTS",
    "Approve",
    "Choice",
    "Deny",
    "FormStart",
    "Helpdesk",
    "HelpdeskConfig",
    "Home",
    "Place",
    "Retry",
    "Submitted",
]


class Helpdesk:
    """Every move of a request, one call per thing a person did (or the runtime does)."""

    def __init__(
        self,
        config: HelpdeskConfig,
        requests: RequestRepository,
        walks: Walks,
        provider: IdentityProvider,
        admins: AdminRoster,
        people: PeopleDirectory,
        notifier: Notifier,
        clock: Clock,
        stepup: StepUp | None = None,
        *,
        background: Background,
        mailer: Mailer | None = None,
        desks: HelpDesks | None = None,
    ) -> None:
        core = Core(config, requests, provider, admins, people, notifier, clock, background, desks)
        self._core = core
        announcer = Announcer(core)
        execution = Execution(core, ResetNotices(core, mailer))
        self._gate = StepUpGate(core, stepup)
        self._intake = Intake(core, walks, announcer)
        self._policy = Policy(core)
        self._decisions = Decisions(core, self._policy, self._gate, execution)
        self._outreach = Outreach(core, self._policy)
        self._execution = execution
        self._housekeeping = Housekeeping(core, announcer)
        self._reports = Reports(core, walks, announcer)

    @property
    def config(self) -> HelpdeskConfig:
        """The operator's choices (the tests change them on a running bot)."""
        return self._core.config

    @config.setter
    def config(self, config: HelpdeskConfig) -> None:
        self._core.config = config

    @property
    def lease_holder(self) -> str:
        """This process's name on every lease and claim it takes."""
        return self._core.lease_holder

    # -- the employee -----------------------------------------------------------------------

    async def active_request_of(self, user_id: str) -> HelpRequest | None:
        """The employee's request still in progress, if any."""
        return await self._intake.active_request_of(user_id)

    async def start_form(self, user_id: str, topic_id: str, walk_id: str | None) -> FormStart:
        """What Contact IT opens: the request in progress, or the form pre-filled from the walk
        (see Intake.start_form)."""
        return await self._intake.start_form(user_id, topic_id, walk_id)

    async def submit(
        self,
        team_id: str,
        user_id: str,
        topic_id: str,
        walk_id: str | None,
        form: ContactForm,
        submission_key: str | None = None,
        *,
        platform: Platform = Platform.SLACK,
    ) -> Submitted:
        """Store the contact form as a request of `platform`'s front end and schedule its card
        (see Intake.submit)."""
        sent = Form(team_id, user_id, topic_id, walk_id, form, submission_key, platform)
        return await self._intake.submit(sent)

    async def cancel(self, request_id: int, user_id: str) -> HelpRequest:
        """The employee withdraws their open request."""
        return await self._intake.cancel(request_id, user_id)

    async def answer_manager(self, request_id: int, actor: str, yes: bool) -> HelpRequest:
        """The manager confirms (yes) or denies (no) that the employee asked."""
        return await self._intake.answer_manager(request_id, actor, yes)

    async def report_not_me(self, request_id: int, user_id: str) -> NotMeAnswer:
        """The employee says they never asked: flagged, security alerted, signed out again."""
        return await self._reports.report_not_me(request_id, user_id)

    async def report_prompt(
        self, team_id: str, user_id: str, walk_id: str, *, platform: Platform = Platform.SLACK
    ) -> PromptAnswer:
        """The employee got a sign-in prompt they didn't start (Report it at the end of that
        walk): security alerted, a request filed, once per walk (see Reports.report_prompt)."""
        return await self._reports.report_prompt(PromptReport(team_id, user_id, walk_id, platform))

    # -- the help desk ----------------------------------------------------------------------

    @property
    def stepup_required(self) -> bool:
        """True when decisions are confirmed with the admin's authenticator code."""
        return self._gate.required

    async def precheck(self, choice: Choice, actor: str, place: Place) -> HelpRequest:
        """The refusal (audited) a decision would meet, checked before its form opens; the
        request when there is none."""
        return await self._decisions.precheck(choice, actor, place)

    async def decide(
        self, choice: Choice, actor: str, place: Place, code: str | None = None
    ) -> HelpRequest:
        """Approve, deny or retry: checked, recorded, and its follow-up scheduled."""
        return await self._decisions.decide(choice, actor, place, code)

    async def mark_manual_done(self, action_id: int, actor: str, place: Place) -> HelpRequest:
        """An admin did a manual step in the admin portal and says so; the request the step
        belongs to (whatever the click named), as it stands after."""
        return await self._decisions.mark_manual_done(action_id, actor, place)

    async def card_of(self, request_id: int, actor: str, place: Place) -> HelpRequest:
        """The request, if `actor` may see its card from `place` (an IT admin in its help-desk
        channel); WrongPlaceError or NotAnAdminError (audited) otherwise."""
        return await self._policy.viewable(request_id, actor, place)

    async def claim_alert(self, request_id: int, actor: str) -> AlertClaim:
        """An admin claims the security alert about a request, or learns who has it."""
        return await self._reports.claim_alert(request_id, actor)

    async def take_callback(self, request_id: int, actor: str, place: Place) -> HelpRequest:
        """ "I'm on it": `actor` calls the employee back (CallbackTakenError when an admin is)."""
        return await self._outreach.take_callback(request_id, actor, place)

    async def check_ask(self, request_id: int, actor: str, place: Place) -> HelpRequest:
        """The refusal (audited) a question to the employee would meet, before it is typed."""
        return await self._outreach.check_ask(request_id, actor, place)

    async def ask_requester(
        self, request_id: int, actor: str, place: Place, question: str
    ) -> HelpRequest:
        """An admin's question, sent to the employee with a way to answer (audited)."""
        return await self._outreach.ask(request_id, actor, place, question)

    async def answer_question(self, request_id: int, user_id: str, answer: str) -> HelpRequest:
        """The employee answers IT's question; it lands in the card's thread (audited)."""
        return await self._outreach.answer(request_id, user_id, answer)

    async def require_admin(self, actor: str) -> None:
        """NotAnAdminError (audited) unless `actor` is an IT admin right now."""
        await self._core.require_admin(actor)

    async def set_up_workspace(self, settings: WorkspaceSettings, workspace_admin: bool) -> None:
        """A workspace's help-desk channel and admins, set by an admin or owner of that
        workspace (`workspace_admin`, as the chat platform says); audited, and refused
        (NotAnAdminError, audited) for anyone else or where workspaces set up nothing."""
        core = self._core
        actor = settings.updated_by
        if not workspace_admin or core.desks is None:
            raise await core.refused(actor, None, NotAnAdminError("workspace admins only"))
        await core.desks.save(settings)
        detail = {
            "workspace": settings.workspace,
            "channel": settings.helpdesk_channel,
            "admins": list(settings.admin_users),
            "usergroup": settings.admin_usergroup,
        }
        await core.requests.record_audit(
            AuditEntry(core.clock.now(), actor, "workspace.setup", None, detail)
        )

    async def is_admin(self, user_id: str) -> bool:
        """True when the person may decide on requests right now."""
        return await self._core.admins.is_admin(user_id)

    async def pending(self, platform: Platform = Platform.SLACK) -> list[HelpRequest]:
        """A platform's requests waiting for a decision or being carried out, oldest first
        (each help desk lists what it can decide: with several workspaces, its own only)."""
        waiting = await self._core.requests.requests_in(
            frozenset({Status.OPEN, Status.APPROVED, Status.EXECUTING, Status.FAILED})
        )
        workspace = current_workspace()
        return [
            request
            for request in waiting
            if request.platform is platform and workspace in (None, request.team_id)
        ]

    async def home_of(self, user_id: str, platform: Platform = Platform.SLACK) -> Home:
        """What a person's Home shows of the help desk: their request in progress, and the
        queue (oldest first) when they are an admin."""
        mine = await self._intake.active_request_of(user_id)
        queue = await self.pending(platform) if await self.is_admin(user_id) else None
        return Home(mine, None if queue is None else tuple(queue))

    async def get(self, request_id: int) -> HelpRequest:
        """The request; RequestNotFoundError when there is none."""
        return await self._core.get(request_id)

    async def actions_of(self, request_id: int) -> list[ActionItem]:
        """The request's actions as stored, in order (what its card lists)."""
        return await self._core.requests.actions_of(request_id)

    # -- step-up enrollment -----------------------------------------------------------------

    async def begin_enrollment(self, actor: str) -> tuple[str, str]:
        """An admin starts (re-)enrolling their authenticator; (otpauth URI, secret)."""
        return await self._gate.begin_enrollment(actor)

    async def confirm_enrollment(
        self, actor: str, code: str, current_code: str | None = None
    ) -> None:
        """The new authenticator's first code (and the current one's when replacing it)."""
        await self._gate.confirm_enrollment(actor, code, current_code)

    async def is_enrolled(self, actor: str) -> bool:
        """True when the admin has a confirmed authenticator."""
        return await self._gate.is_enrolled(actor)

    # -- the runtime ------------------------------------------------------------------------

    async def work_due(self) -> list[int]:
        """Carry on every request with an action due now; their numbers."""
        return await self._execution.work_due()

    async def resume_unfinished(self) -> list[int]:
        """Carry on with approved requests whose actions were not all started (a restart)."""
        return await self._execution.resume_unfinished()

    async def expire_due(self) -> list[int]:
        """Expire every open request past its TTL; their numbers."""
        return await self._housekeeping.expire_due()

    async def announce_unposted(self) -> list[int]:
        """Post the cards that never reached the channel; the requests tried."""
        return await self._housekeeping.announce_unposted()

    def stop_claiming(self) -> None:
        """Shutdown begins: take no new action; the ones running may finish."""
        self._core.stopping = True

    async def release_leases(self) -> int:
        """Shutdown: hand back this process's leases and claims; how many actions."""
        return await self._execution.release_leases()
