"""Who may decide on a request, from where, and when two approvers are needed."""

from __future__ import annotations

from bot.domain.errors import (
    HelpdeskError,
    NotAnAdminError,
    NothingSelectedError,
    OwnRequestError,
    RequestExpiredError,
    SameApproverError,
    SuspiciousError,
    WrongPlaceError,
)
from bot.domain.helpdesk.config import SYSTEM, Place
from bot.domain.helpdesk.core import OPEN, Core, already
from bot.domain.identity import ResetAction
from bot.domain.platform import platform_of
from bot.domain.requests import Change, HelpRequest, Status, retryable, with_revocation
from bot.domain.workspace import within


class Policy:
    """The rules a decision passes before anything is recorded; every refusal is audited."""

    def __init__(self, core: Core) -> None:
        self._core = core

    async def check_decider(self, request: HelpRequest, actor: str, place: Place) -> None:
        """WrongPlaceError, NotAnAdminError or OwnRequestError unless `actor` may decide on
        `request` from `place` (the card in the help-desk channel of the request's own
        platform); not audited here."""
        await self.check_viewer(request, actor, place)
        if actor == request.requester_id:
            raise OwnRequestError("nobody decides on their own request")

    async def check_viewer(self, request: HelpRequest, actor: str, place: Place) -> None:
        """WrongPlaceError or NotAnAdminError unless `actor` may see `request`'s card from
        `place` (an admin, in the help-desk channel of the request's platform); not audited
        here."""
        if not await self._in_place(request, place):
            raise WrongPlaceError(
                "decisions are taken on the request's card in the help-desk channel"
            )
        # Admins are known per platform (and per workspace): a person of another platform than
        # the request's is never asked about, whatever a front end passed, and the admins asked
        # are those of the request's own workspace.
        same_platform = platform_of(actor) is request.platform
        with within(request.team_id):
            admin = same_platform and await self._core.admins.is_admin(actor)
        if not admin:
            raise NotAnAdminError("only IT admins can decide on requests")

    async def viewable(self, request_id: int, actor: str, place: Place) -> HelpRequest:
        """The request, if `actor` may see its card from `place`; refusals are audited."""
        core = self._core
        request = await core.get(request_id)
        try:
            await self.check_viewer(request, actor, place)
        except HelpdeskError as refusal:
            raise await core.refused(actor, request.id, refusal) from None
        return request

    async def _in_place(self, request: HelpRequest, place: Place) -> bool:
        """True when `place` is the help-desk channel of the request's platform and workspace: a
        Teams request is decided in Teams only, a Slack one in Slack only, and a platform with
        no help-desk channel is no place at all."""
        desk = await self._core.desk_of(request)
        return (
            place.platform is request.platform
            and place.team_id == request.team_id
            and bool(place.channel_id)
            and place.channel_id == desk
        )

    async def open_request(self, request_id: int, actor: str, place: Place) -> HelpRequest:
        """The open request, if `actor` may decide on it from `place`; refusals are audited,
        and a request past its time is expired on the way."""
        core = self._core
        request = await core.get(request_id)
        try:
            await self.check_decider(request, actor, place)
            if request.status is not Status.OPEN:
                raise already(request)
            if request.is_expired(core.clock.now()):
                await core.move(request, OPEN, Status.EXPIRED, SYSTEM, Change.EXPIRED)
                raise RequestExpiredError(request.id, Status.EXPIRED.value)
        except HelpdeskError as refusal:
            raise await core.refused(actor, request.id, refusal) from None
        return request

    async def failed_request(self, request_id: int, actor: str, place: Place) -> HelpRequest:
        """The request with failed actions (failed, or still waiting for a manual step), if
        `actor` may retry it from `place`; refusals are audited."""
        core = self._core
        request = await core.get(request_id)
        try:
            await self.check_decider(request, actor, place)
            if not retryable(request, await core.requests.actions_of(request.id)):
                raise already(request)
            if request.suspicious:
                raise SuspiciousError("reported")
        except HelpdeskError as refusal:
            raise await core.refused(actor, request.id, refusal) from None
        return request

    async def approvable(
        self, request_id: int, actor: str, place: Place, actions: tuple[ResetAction, ...]
    ) -> HelpRequest:
        """The open request, if `actor` may approve `actions` on it: something ticked, not
        reported as not the employee's, and not approved by `actor` already."""
        request = await self.open_request(request_id, actor, place)
        if not actions:
            raise NothingSelectedError("tick at least one action to approve")
        if request.suspicious:
            raise await self._core.refused(actor, request.id, SuspiciousError("reported"))
        if request.first_approver == actor:
            raise await self._core.refused(
                actor, request.id, SameApproverError("a second admin has to approve")
            )
        return request

    async def needs_two(self, request: HelpRequest, actions: tuple[ResetAction, ...]) -> bool:
        """True when a second admin must approve: a privileged (or not yet assessed) account, or
        a temporary access pass for someone who reported an earlier request as not theirs (a
        pass is the account itself: an attacker on the phone must convince two people). Once a
        first admin approved such a pass, the second approval carries only what both chose."""
        if request.reported_before is not None and (
            ResetAction.ISSUE_TAP in actions or request.first_approver is not None
        ):
            return True
        if request.privileged:
            return True
        with within(request.team_id):
            return await self._core.admins.is_privileged(request.requester_id)

    async def second_approval(
        self, request: HelpRequest, actor: str, actions: tuple[ResetAction, ...]
    ) -> tuple[ResetAction, ...]:
        """What a second approval carries out: only what both admins approved, revocation
        included; SameApproverError (audited) when the first approver approves again."""
        if request.first_approver == actor:
            raise await self._core.refused(
                actor, request.id, SameApproverError("a second admin has to approve")
            )
        both = with_revocation(tuple(a for a in actions if a in request.first_actions))
        if not both:
            raise NothingSelectedError("no action was approved by both admins")
        return both
