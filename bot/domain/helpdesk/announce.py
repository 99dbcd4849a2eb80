"""A new request: the employee told at once, its card posted in turn under its claim (the
privilege assessment first), then the manager asked."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

from bot.domain.helpdesk.config import ANNOUNCE_LEASE, SYSTEM
from bot.domain.helpdesk.core import OPEN, Core
from bot.domain.helpdesk.leases import ClaimLostError, holding_announcement
from bot.domain.helpdesk.posting import CardQueue, Posted
from bot.domain.identity import IdentityError
from bot.domain.notices import RequestChanged
from bot.domain.platform import Platform
from bot.domain.ports import WorkKind
from bot.domain.privilege import RoleCheck, assess
from bot.domain.requests import AuditEntry, Change, HelpRequest
from bot.domain.workspace import within

log = logging.getLogger(__name__)


class Announcer:
    """Puts each new request in front of the help desk, once, whichever replica does it: the
    employee is told at once, and the card waits its turn in its channel's queue."""

    def __init__(self, core: Core) -> None:
        self._core = core
        self._queue = CardQueue(core, self.post_card)

    async def announce_new(self, request: HelpRequest) -> None:
        """Confirm the request just submitted to its employee at once, holding the claim on
        its card (taken when it was stored), then let go of the claim and line the card up in
        its channel's queue: the employee never waits for a busy channel."""
        core = self._core
        owner = request.announce_owner or core.run_owner()
        now = core.clock.now()
        # Claimed again: work that waited its turn past the lease may find another replica's
        # claim on it, and then leaves the confirmation to them (with the card).
        if await core.requests.claim_announcement(request.id, now, now - ANNOUNCE_LEASE, owner):
            try:
                await self._confirm(request)
            finally:
                await core.requests.release_announcements(owner)
        else:
            log.info("request #%s's card is posted, or being posted elsewhere", request.id)
        core.later(self.post_cards(request.platform), "post-cards", WorkKind.CARD)

    async def post_cards(self, platform: Platform) -> None:
        """Post the platform's waiting cards in order, unless another worker is (CardQueue)."""
        await self._queue.pump(platform)

    async def post_card(self, request: HelpRequest, owner: str) -> Posted:
        """Post the card of a request at the head of its channel's queue, under its claim for
        `owner`; tell the employee now if the worker that stored it never did (it died while
        holding the claim), and ask the manager."""
        with within(request.team_id):  # its people, admins and channel are its workspace's
            return await self._post_card_in_workspace(request, owner)

    async def _post_card_in_workspace(self, request: HelpRequest, owner: str) -> Posted:
        core = self._core
        stored = await core.get(request.id)
        if stored.message_ts is not None or stored.status not in OPEN:
            return Posted.SKIPPED
        # The worker that stored it lets go of the claim once the employee is told.
        untold = stored.announce_owner is not None
        now = core.clock.now()
        if not await core.requests.claim_announcement(request.id, now, now - ANNOUNCE_LEASE, owner):
            return Posted.CLAIMED
        posted = await self._post(stored, owner)
        if posted is None:
            return Posted.CLAIMED  # lost midway: posted by its new owner, or tried again
        if untold:
            await self._confirm(stored)
        if core.config.manager_attestation:
            core.later(self._ask_manager(posted), "ask-manager", WorkKind.FOLLOW_UP)
        return Posted.POSTED

    async def _confirm(self, request: HelpRequest) -> None:
        """Tell the employee their request is with IT, and keep where (to take its Cancel button
        away once the request ends); a failure is logged."""
        core = self._core
        try:
            with within(request.team_id):
                message = await core.notifier.tell(
                    RequestChanged(request, (), Change.CREATED, None)
                )
            if message is not None:
                await core.requests.record_employee_message(request.id, message)
        except Exception:
            log.exception("could not confirm request #%s to the employee", request.id)

    async def _post(self, request: HelpRequest, owner: str) -> HelpRequest | None:
        """Post the card while holding its claim and store where; None when it was left to
        another replica (or the claim was lost as it was stored)."""
        core = self._core
        try:
            async with holding_announcement(core, request.id, owner):
                name, email = await core.people.profile(request.requester_id)
                request = replace(request, requester_name=name, requester_email=email)
                if request.privileged_reason is None:  # assessed once, not on every retry
                    request = await self._assess_privilege(request)
                # The assessment can be slow: the claim is checked once more right before posting.
                if not await core.requests.renew_announcement(request.id, owner, core.clock.now()):
                    raise ClaimLostError(f"the card of request #{request.id}")
                card = await core.notifier.post_request(request, [])
        except ClaimLostError:
            log.warning("request #%s's card is left to the replica that took it over", request.id)
            return None
        except Exception:
            # Let the next housekeeping pass try again at once rather than after the lease.
            await core.requests.release_announcements(owner)
            raise
        if not await core.requests.record_card(request.id, owner, card, name, email):
            log.warning(
                "request #%s's claim was taken over while its card was posted: the card at %s may "
                "be a second one",
                request.id,
                card.message_ts,
            )
            return None
        return replace(request, channel_id=card.channel_id, message_ts=card.message_ts)

    async def _assess_privilege(self, request: HelpRequest) -> HelpRequest:
        """Decide, audit and store whether the person is privileged, before the card is posted:
        the operator's lists and the directory's admin roles, failing closed with the reason."""
        core = self._core
        try:
            reasons = await core.admins.privilege_reasons(request.requester_id)
        except Exception:
            log.exception("could not read the admin lists for request #%s", request.id)
            reasons = ("the admin lists could not be read",)
        verdict = assess(reasons, await self._role_check(request))
        event = "request.privileged" if verdict.privileged else "request.not_privileged"
        audit = AuditEntry(core.clock.now(), SYSTEM, event, request.id, {"reason": verdict.reason})
        await core.requests.record_privilege(request.id, verdict.privileged, verdict.reason, audit)
        return replace(request, privileged=verdict.privileged, privileged_reason=verdict.reason)

    async def _role_check(self, request: HelpRequest) -> RoleCheck:
        """The requester's admin roles at the identity provider, or why they could not be read."""
        provider = self._core.provider
        if not provider.checks_admin_roles:
            return RoleCheck(provider.name, checked=False)
        limit = self._core.config.role_check_timeout.total_seconds()
        try:
            async with asyncio.timeout(limit):
                roles = await provider.admin_roles(await self._core.find_person(request))
        except TimeoutError:
            return RoleCheck(provider.name, error=f"no answer within {limit:g} seconds")
        except IdentityError as exc:
            return RoleCheck(provider.name, error=str(exc))
        except Exception:
            log.exception("reading the admin roles of %s failed", provider.name)
            return RoleCheck(provider.name, error="unexpected error (see the logs)")
        return RoleCheck(provider.name, roles=roles)

    async def _ask_manager(self, request: HelpRequest) -> None:
        core = self._core
        manager = await core.people.manager_of(request.requester_id)
        if manager is None or manager == request.requester_id:
            await core.requests.record_audit(
                AuditEntry(core.clock.now(), SYSTEM, "manager.unknown", request.id)
            )
            return
        await core.requests.record_manager(request.id, manager)
        await core.notifier.ask_manager(replace(request, manager_id=manager), manager)
        await core.notify(request.id, Change.MANAGER_ASKED, None)
