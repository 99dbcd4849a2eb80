"""Step-up as the help desk uses it: enrollment, the code that confirms a decision, lockouts."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.domain.errors import HelpdeskError
from bot.domain.notices import AuthenticatorEnrolled, StepUpLocked
from bot.domain.requests import AuditEntry
from bot.domain.stepup.totp import NotEnrolledError, StepUp, StepUpOffError, WrongCodeError

if TYPE_CHECKING:  # the help desk imports this module: no import back at run time
    from bot.domain.helpdesk.core import Core

log = logging.getLogger(__name__)


class StepUpGate:
    """Admins' authenticators and the codes that confirm their decisions; every refusal is
    audited, and a lockout alerts the help desk and security."""

    def __init__(self, core: Core, stepup: StepUp | None) -> None:
        self._core = core
        self._stepup = stepup

    @property
    def required(self) -> bool:
        """True when decisions are confirmed with the admin's authenticator code."""
        return self._stepup is not None

    async def is_enrolled(self, actor: str) -> bool:
        """True when the admin has a confirmed authenticator."""
        return self._stepup is not None and await self._stepup.is_enrolled(actor)

    async def check_enrolled(self, actor: str) -> None:
        """NotEnrolledError (audited) when step-up is on and the admin has no authenticator."""
        if self._stepup is not None and not await self._stepup.is_enrolled(actor):
            raise await self._core.refused(actor, None, NotEnrolledError("enroll first"))

    async def verify(self, actor: str, request_id: int | None, code: str | None) -> None:
        """Check the admin's code when step-up is on; refusals audited, a lockout alerted."""
        if self._stepup is None:
            return
        try:
            await self._stepup.verify(actor, code or "")
        except WrongCodeError as wrong:
            await self._wrong_code(actor, request_id, wrong)
            raise
        except HelpdeskError as refusal:
            raise await self._core.refused(actor, request_id, refusal) from None

    async def begin_enrollment(self, actor: str) -> tuple[str, str]:
        """An admin starts (re-)enrolling their authenticator; (otpauth URI, secret)."""
        await self._core.require_admin(actor)
        if self._stepup is None:
            raise StepUpOffError("STEPUP_REQUIRED=false")
        _, email = await self._core.people.profile(actor)
        return await self._stepup.begin_enrollment(actor, email or actor)

    async def confirm_enrollment(
        self, actor: str, code: str, current_code: str | None = None
    ) -> None:
        """The new authenticator's first code (and, when replacing one, the current one's);
        audited, and the help desk is told (security too when an authenticator is replaced)."""
        if self._stepup is None:
            raise StepUpOffError("STEPUP_REQUIRED=false")
        core = self._core
        try:
            replaced = await self._stepup.confirm_enrollment(actor, code, current_code)
        except WrongCodeError as wrong:
            await self._wrong_code(actor, None, wrong)
            raise
        except HelpdeskError as refusal:
            raise await core.refused(actor, None, refusal) from None
        event = "stepup.replaced" if replaced else "stepup.enrolled"
        await core.requests.record_audit(AuditEntry(core.clock.now(), actor, event))
        await core.notifier.tell(AuthenticatorEnrolled(actor, replaced))

    async def _wrong_code(self, actor: str, request_id: int | None, wrong: WrongCodeError) -> None:
        await self._core.refused(actor, request_id, wrong)
        if wrong.locked:
            await self._locked_out(actor, request_id)

    async def _locked_out(self, actor: str, request_id: int | None) -> None:
        """Audit a step-up lockout and alert the help desk and security; never raises (logs)."""
        core = self._core
        # The admin must still read "locked" when the chat or the database fails here.
        try:
            await core.requests.record_audit(
                AuditEntry(core.clock.now(), actor, "stepup.locked", request_id)
            )
        except Exception:
            log.exception("could not audit the step-up lockout of %s", actor)
        try:
            await core.notifier.tell(StepUpLocked(actor))  # someone may be guessing its codes
        except Exception:
            log.exception("could not alert the help desk to the step-up lockout of %s", actor)
