"""Several chat front ends on one core: each call goes to the front end of its request or person."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.domain.notices import AuthenticatorEnrolled, Notice, StepUpLocked
from bot.domain.platform import Platform, platform_of
from bot.domain.ports import AdminRoster, Notifier, PeopleDirectory
from bot.domain.requests import ActionItem, Card, HelpRequest

log = logging.getLogger(__name__)


class PlatformNotServedError(Exception):
    """A request of a platform this process does not serve needs its front end (its card, a
    secret for its employee, its manager's question): nothing is sent anywhere else."""


@dataclass(frozen=True)
class FrontEnd:
    """One chat platform's answers to the core's ports."""

    notifier: Notifier
    admins: AdminRoster
    people: PeopleDirectory


class FrontEnds:
    """The core's Notifier, AdminRoster and PeopleDirectory over every front end served.

    A call that carries a request goes to `request.platform`'s front end; a call that carries
    only a person goes to `platform_of(their id)`'s. A platform not served fails closed: its
    people are no admins, are privileged, have no profile and no manager, and a notice for it is
    dropped (logged); a card, a secret or a manager's question for it is refused.
    """

    def __init__(self, served: Mapping[Platform, FrontEnd]) -> None:
        self._served = dict(served)

    @property
    def platforms(self) -> frozenset[Platform]:
        """The platforms served."""
        return frozenset(self._served)

    def _of_person(self, user_id: str) -> FrontEnd | None:
        return self._served.get(platform_of(user_id))

    def _of_request(self, request: HelpRequest, what: str) -> FrontEnd:
        front_end = self._served.get(request.platform)
        if front_end is None:
            raise PlatformNotServedError(
                f"{what} of request #{request.id} needs {request.platform.value}, "
                "which this process does not serve"
            )
        return front_end

    # -- AdminRoster -------------------------------------------------------------------------

    async def is_admin(self, user_id: str) -> bool:
        """The person's own platform says; nobody of a platform not served is an admin."""
        front_end = self._of_person(user_id)
        return front_end is not None and await front_end.admins.is_admin(user_id)

    async def is_privileged(self, user_id: str) -> bool:
        """The person's own platform says; everybody of a platform not served is (fail closed)."""
        front_end = self._of_person(user_id)
        return front_end is None or await front_end.admins.is_privileged(user_id)

    async def privilege_reasons(self, user_id: str) -> tuple[str, ...]:
        """The person's own platform's reasons; a platform not served is a reason itself."""
        front_end = self._of_person(user_id)
        if front_end is None:
            platform = platform_of(user_id).value
            return (f"the lists of {platform} cannot be read ({platform} is not served)",)
        return await front_end.admins.privilege_reasons(user_id)

    # -- PeopleDirectory ---------------------------------------------------------------------

    async def profile(self, user_id: str) -> tuple[str, str]:
        """The person's profile on their platform; empty on a platform not served."""
        front_end = self._of_person(user_id)
        return ("", "") if front_end is None else await front_end.people.profile(user_id)

    async def manager_of(self, user_id: str) -> str | None:
        """The person's manager on their platform; none on a platform not served."""
        front_end = self._of_person(user_id)
        return None if front_end is None else await front_end.people.manager_of(user_id)

    # -- Notifier ----------------------------------------------------------------------------

    async def post_request(self, request: HelpRequest, actions: list[ActionItem]) -> Card:
        """Post the card in the help-desk channel of the request's platform."""
        front_end = self._of_request(request, "the card")
        return await front_end.notifier.post_request(request, actions)

    async def tell(self, notice: Notice) -> str | None:
        """Deliver the notice through its request's platform, or its person's (an admin's
        step-up alerts); dropped, with a warning, for a platform not served."""
        if isinstance(notice, StepUpLocked | AuthenticatorEnrolled):
            platform = platform_of(notice.actor)
        else:
            platform = notice.request.platform
        front_end = self._served.get(platform)
        if front_end is None:
            log.warning(
                "%s dropped: %s is not served by this process",
                type(notice).__name__,
                platform.value,
            )
            return None
        return await front_end.notifier.tell(notice)

    async def deliver_secret(self, request: HelpRequest, text: str, expires_at: datetime) -> None:
        """Give the employee the secret on their own platform; refused for one not served."""
        front_end = self._of_request(request, "a secret")
        await front_end.notifier.deliver_secret(request, text, expires_at)

    async def ask_manager(self, request: HelpRequest, manager_id: str) -> None:
        """Ask the manager on the request's platform; refused for one not served."""
        front_end = self._of_request(request, "the manager's question")
        await front_end.notifier.ask_manager(request, manager_id)
