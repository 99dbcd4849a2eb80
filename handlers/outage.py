"""A database outage while a modal is being submitted: said in the modal, not a 500."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncAck

log = logging.getLogger(__name__)


def build_storage_down(undone: str) -> str:
    """The inline error: nothing happened, and when to try again."""
    return (
        f"The help desk's database is not answering; nothing was {undone}. Try again in a minute."
    )


async def ack_storage_down(ack: AsyncAck, field: str, undone: str, what: str) -> None:
    """Answer a modal submission that met a storage outage: an inline error on `field`.

    Slack keeps the modal open with everything typed in it, so pressing the button again is
    all it takes once the database is back. `what` names the submission in the one log line.
    """
    log.warning("the database is not answering: %s was not done", what)
    await ack(response_action="errors", errors={field: build_storage_down(undone)})
