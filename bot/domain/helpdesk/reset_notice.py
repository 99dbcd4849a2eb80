"""Telling of a reset: the security alert, and the account holder's email with its retries."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.domain.helpdesk.config import SYSTEM
from bot.domain.helpdesk.core import Core
from bot.domain.identity import DirectoryUser, ResetAction
from bot.domain.notices import PrivilegedReset, ResetEmailFailed
from bot.domain.ports import Mailer, WorkKind
from bot.domain.requests import AuditEntry, HelpRequest
from bot.domain.reset_email import MailError, ResetNotice, mask_address, mask_addresses

log = logging.getLogger(__name__)


class ResetNotices:
    """After a reset: security hears of a privileged account's, and the holder gets an email."""

    def __init__(self, core: Core, mailer: Mailer | None) -> None:
        self._core = core
        self._mailer = mailer

    async def tell_of_reset(
        self,
        request: HelpRequest,
        done: tuple[ResetAction, ...],
        user: DirectoryUser | None,
        *,
        complete: bool,
    ) -> None:
        """A reset changed the account: security hears of a privileged one, and the account
        holder gets an email (in background work: a slow mail server delays nothing)."""
        if request.privileged:
            try:
                await self._core.notifier.tell(PrivilegedReset(request, done, complete))
            except Exception:
                log.exception("could not tell security about request #%s", request.id)
        if self._mailer is None:
            return
        work = self._mail_reset_notice(self._mailer, request, done, user, complete)
        self._core.later(work, "reset-notice", WorkKind.EMAIL)

    async def _mail_reset_notice(
        self,
        mailer: Mailer,
        request: HelpRequest,
        done: tuple[ResetAction, ...],
        user: DirectoryUser | None,
        complete: bool,
    ) -> None:
        """Email the account holder what changed, a few times if the mail system is down; the
        outcome is audited, and the help desk is told when it could not be sent."""
        detail: dict[str, Any] = {"actions": [a.value for a in done]}
        try:
            error = await self._send(mailer, request, done, user, complete, detail)
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

    async def _send(
        self,
        mailer: Mailer,
        request: HelpRequest,
        done: tuple[ResetAction, ...],
        user: DirectoryUser | None,
        complete: bool,
        detail: dict[str, Any],
    ) -> MailError | None:
        """Send the notice and audit it; why it could not be sent, or None."""
        core = self._core
        address, name = await self._address_of_record(request, user)
        notice = ResetNotice(request.id, address, name, done, core.clock.now(), complete)
        if not mailer.delivers:
            await mailer.send_reset_notice(notice)  # only logs
            await core.requests.record_audit(
                AuditEntry(
                    core.clock.now(),
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
        error = await self._send_with_retries(mailer, notice)
        if error is None:
            await core.requests.record_audit(
                AuditEntry(core.clock.now(), SYSTEM, "notice.sent", request.id, detail)
            )
        return error

    async def _notice_failed(
        self, request: HelpRequest, detail: dict[str, Any], error: MailError
    ) -> None:
        """Audit a notice that could not be sent and tell the help desk, each as far as it goes."""
        core = self._core
        # Never the body, only why; a mail server's reply often repeats the address: masked.
        why = mask_addresses(str(error))[:300]
        try:
            await core.requests.record_audit(
                AuditEntry(
                    core.clock.now(), SYSTEM, "notice.failed", request.id, {**detail, "why": why}
                )
            )
        except Exception:
            log.exception("could not audit request #%s's failed email", request.id)
        try:
            await core.notifier.tell(ResetEmailFailed(request, why))
        except Exception:
            log.exception("could not tell the help desk of request #%s's failed email", request.id)

    async def _send_with_retries(self, mailer: Mailer, notice: ResetNotice) -> MailError | None:
        """Send the notice; the last error when every try failed, None once it was sent."""
        error: MailError | None = None
        for wait in (0.0, *self._core.config.notice_retry_s):
            if wait:
                await asyncio.sleep(wait)
            try:
                await mailer.send_reset_notice(notice)
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
                user = await self._core.find_person(request)
            except Exception as exc:
                log.warning("looking up request #%s's person for the email: %s", request.id, exc)
        if user is not None and user.email:
            return user.email, user.display_name or request.requester_name
        return request.requester_email, request.requester_name
