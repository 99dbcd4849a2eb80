"""The account holder's notice of a reset, sent through a channel apart from the chat that asked."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from bot.domain.identity import ResetAction


@dataclass(frozen=True)
class ResetNotice:
    """What changed on a person's account, for an email to their address of record.

    It never carries a secret: a temporary access pass is named as an action, never shown.
    """

    request_id: int
    to: str
    name: str
    actions: tuple[ResetAction, ...]
    at: datetime
    complete: bool  # False: the request failed after some of its actions were done


class MailError(Exception):
    """The notice could not be handed to the mail system; `permanent` ones are not retried."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def mask_address(address: str) -> str:
    """a***@example.com: enough for the audit log to say where a notice went, not who."""
    local, _, domain = address.rpartition("@")
    if not local:
        return "***"
    return f"{local[0]}***@{domain}"


_ADDRESS = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+")


def mask_addresses(text: str) -> str:
    """The text with every email address in it masked (a mail server's reply repeats them)."""
    return _ADDRESS.sub(lambda found: mask_address(found.group()), text)
