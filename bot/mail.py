"""The account holder's email: the message, and the transports that send it (SMTP, Graph, none)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

import aiosmtplib

from bot.domain.identity import IdentityError, ResetAction, TemporaryIdentityError
from bot.domain.reset_email import MailError, ResetNotice, mask_address
from bot.identity.entra import EntraProvider
from bot.settings import SmtpTarget

log = logging.getLogger(__name__)

SMTP_TIMEOUT_S = 30

_WHAT = {
    ResetAction.CLEAR_MFA: "Your two-step verification (MFA) methods were removed: you set them up "
    "again at your next sign-in.",
    ResetAction.DELETE_APP_PASSWORDS: "Your app passwords were deleted.",
    ResetAction.REVOKE_SESSIONS: "You were signed out everywhere (sign-in sessions revoked).",
    ResetAction.ISSUE_TAP: "A temporary access pass was issued; it was sent to you in chat only.",
}


@dataclass(frozen=True)
class Email:
    """A plain-text message."""

    subject: str
    body: str


def build_reset_email(notice: ResetNotice, it_contact: str) -> Email:
    """What the account holder reads: what changed, when, the request, and what to do if it
    was not them. Never a secret."""
    when = notice.at.strftime("%Y-%m-%d %H:%M UTC")
    greeting = f"Hello {notice.name}," if notice.name else "Hello,"
    lines = [
        greeting,
        "",
        f"On {when}, the IT help desk changed how you sign in (request #{notice.request_id}):",
        "",
        *(f"- {_WHAT[action]}" for action in notice.actions),
    ]
    if not notice.complete:
        lines += ["", "Some of the other changes that were approved could not be made yet."]
    lines += [
        "",
        "If you asked IT for this, there is nothing else to do.",
        "",
        "If you did NOT ask IT for this, someone may be trying to take over your account. "
        f"Contact {it_contact} at once, by phone or in person, and do not reply to this email.",
        "",
        "This message was sent automatically to your email address in the company directory.",
    ]
    return Email(
        subject=f"Your sign-in settings were changed (IT request #{notice.request_id})",
        body="\n".join(lines) + "\n",
    )


class SmtpMailer:
    """Sends through an SMTP relay (SMTP_URL), with TLS: implicit (smtps) or STARTTLS (smtp)."""

    delivers = True

    def __init__(self, target: SmtpTarget, sender: str, it_contact: str) -> None:
        self._target = target
        self._sender = sender
        self._it_contact = it_contact

    async def send_reset_notice(self, notice: ResetNotice) -> None:
        """One message to the address of record; MailError when the relay did not take it."""
        email = build_reset_email(notice, self._it_contact)
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = notice.to
        message["Subject"] = email.subject
        message["Message-ID"] = make_msgid(domain=self._sender.rpartition("@")[2] or None)
        message.set_content(email.body)
        target = self._target
        try:
            await aiosmtplib.send(
                message,
                hostname=target.host,
                port=target.port,
                username=target.username,
                password=target.password.get_secret_value() if target.password else None,
                use_tls=target.implicit_tls,
                start_tls=target.starttls,
                timeout=SMTP_TIMEOUT_S,
            )
        except aiosmtplib.SMTPResponseException as exc:
            # 5xx: the relay refused for good (a bad recipient, a refused sender, no relaying).
            raise MailError(
                f"the mail server answered {exc.code} {exc.message[:200]}",
                permanent=exc.code >= 500,
            ) from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise MailError(f"the mail server could not be used: {exc}"[:300]) from None
        log.info("emailed %s about request #%s", mask_address(notice.to), notice.request_id)


class GraphMailer:
    """Sends with Graph's sendMail from the mailbox MAIL_FROM names (IDENTITY_PROVIDER=entra)."""

    delivers = True

    def __init__(self, entra: EntraProvider, mailbox: str, it_contact: str) -> None:
        self._entra = entra
        self._mailbox = mailbox
        self._it_contact = it_contact

    async def send_reset_notice(self, notice: ResetNotice) -> None:
        """sendMail (202 Accepted); MailError naming Mail.Send when Graph refuses."""
        email = build_reset_email(notice, self._it_contact)
        try:
            await self._entra.send_mail(self._mailbox, notice.to, email.subject, email.body)
        except TemporaryIdentityError as exc:
            raise MailError(str(exc)) from None
        except IdentityError as exc:
            why = str(exc)
            if "Mail.Send" in why:
                why += ", or an Exchange application access policy keeps it from this mailbox"
            raise MailError(why, permanent=True) from None
        log.info("emailed %s about request #%s", mask_address(notice.to), notice.request_id)


class LogOnlyMailer:
    """No transport configured: the notice is only logged (and audited as skipped)."""

    delivers = False

    async def send_reset_notice(self, notice: ResetNotice) -> None:
        """Log that the notice was not sent."""
        log.info(
            "not emailing %s about request #%s: no SMTP_URL or MAIL_FROM",
            mask_address(notice.to),
            notice.request_id,
        )
