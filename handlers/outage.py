"""An outage or a failure while a modal is being submitted: said in the modal, not a 500."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncAck

from bot.domain.errors import StorageUnavailableError

log = logging.getLogger(__name__)


STORAGE_DOWN = "The help desk's database is not answering"


def build_storage_down(undone: str) -> str:
    """The inline error: nothing happened, and when to try again."""
    return f"{STORAGE_DOWN}; nothing was {undone}. Try again in a minute."


async def ack_storage_down(ack: AsyncAck, field: str, undone: str, what: str) -> None:
    """Answer a modal submission that met a storage outage: an inline error on `field`.

    Slack keeps the modal open with everything typed in it, so pressing the button again is
    all it takes once the database is back. `what` names the submission in the one log line.
    """
    log.warning("the database is not answering: %s was not done", what)
    await ack(response_action="errors", errors={field: build_storage_down(undone)})


def build_contact_unconfirmed(cause: str) -> str:
    """The contact form's inline error: maybe stored, maybe not, and sending again is safe."""
    # Maybe stored: the insert may have committed before the answer from the database was lost.
    return (
        f"{cause}; your request may not have reached IT. Send it again: it will not be sent twice."
    )


async def ack_contact_unconfirmed(ack: AsyncAck, field: str, error: Exception) -> None:
    """Answer a form whose request may not be stored: send again (one request per view id)."""
    if isinstance(error, StorageUnavailableError):
        log.warning("the database is not answering: a contact form may not have been stored")
        cause = STORAGE_DOWN
    else:  # a bug, or a refusal from the database this code does not expect
        log.error("a contact form may not have been stored", exc_info=error)
        cause = "Something went wrong on our side"
    await ack(response_action="errors", errors={field: build_contact_unconfirmed(cause)})
