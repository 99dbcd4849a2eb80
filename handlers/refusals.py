"""The one place the core's refusals, an outage and a listener's failure become what Slack shows."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import ValidationError
from slack_bolt.async_app import AsyncAck
from slack_bolt.response import BoltResponse
from slack_sdk.models.views import View

from bot.domain.errors import HelpdeskError, IncompleteFormError, StorageUnavailableError
from handlers.blocks.guide import Message
from handlers.blocks.helpdesk import build_contact_refusal, build_stepup_refusal
from handlers.ids import FieldId
from handlers.payloads import Click
from handlers.reply import Replier

log = logging.getLogger(__name__)

Answer = Callable[[str], Awaitable[None]]
"""Shows the person who was refused a sentence, where they are looking."""

STORAGE_DOWN = "The help desk's database is not answering"

# The contact form's field (as the core names it) -> the modal's input that shows its problem.
_FORM_FIELDS = {
    "description": FieldId.DESCRIPTION,
    "lost_or_stolen": FieldId.LOST,
    "remaining": FieldId.REMAINING,
    "correlation_id": FieldId.CORRELATION,
    "contact": FieldId.CONTACT,
    "details": FieldId.DETAILS,
}


def refusal_text(error: HelpdeskError) -> str:
    """The sentence a refusal gets: the step-up's own words for its refusals, else the card's."""
    return build_stepup_refusal(error)


async def answered(
    work: Awaitable[object], answer: Answer, sentence: Callable[[HelpdeskError], str] = refusal_text
) -> None:
    """Run work done after the ack; a refusal of the core's is answered with `answer`."""
    try:
        await work
    except HelpdeskError as error:
        await answer(sentence(error))


def to_clicker(replier: Replier, click: Click) -> Answer:
    """Answer below the clicked message, to the clicker alone."""
    return to_response_url(replier, click.reply_url)


def to_response_url(replier: Replier, response_url: str) -> Answer:
    """Answer through a click's or a command's response_url, to that person alone."""

    async def answer(text: str) -> None:
        await replier.respond(response_url, Message.plain(text), replace_original=False)

    return answer


def in_channel(replier: Replier, channel: str, user_id: str) -> Answer:
    """Answer with an ephemeral line in a channel (a modal sent has no message to answer under)."""

    async def answer(text: str) -> None:
        await replier.post_ephemeral(channel, user_id, text)

    return answer


async def submitted(
    ack: AsyncAck, work: Awaitable[object], *, field: str, undone: str, what: str
) -> bool:
    """Run a modal's work before its ack; a refusal or an outage is acked as `field`'s error.

    False when it was: Slack keeps the modal open with everything typed in it, so pressing the
    button again is all it takes once the database is back. `what` names it in the log line.
    """
    try:
        await work
    except HelpdeskError as error:
        await ack(response_action="errors", errors={field: refusal_text(error)})
        return False
    except StorageUnavailableError:
        log.warning("the database is not answering: %s was not done", what)
        await ack(response_action="errors", errors={field: build_storage_down(undone)})
        return False
    return True


async def contact_submitted[Stored](
    ack: AsyncAck,
    work: Awaitable[Stored],
    *,
    field: str,
    contact_it: str,
    again: Callable[[IncompleteFormError, dict[str, str]], View | None] | None = None,
) -> Stored | None:
    """Run the contact form's work before its ack; None when the ack said why not.

    A refusal turns the form into why and how else to reach IT; any other failure may have
    stored the request already, so the form stays open to be sent again (once per view id).
    A form the core sends back shows its problems inline, or becomes the form `again` builds
    from them (field -> problem) when the modal lacks a field that has one.
    """
    try:
        return await work
    except IncompleteFormError as error:  # checked by the core, before anything is stored
        errors = {_FORM_FIELDS[name].value: text for name, text in error.problems.items()}
        shown_again = again(error, errors) if again else None
        if shown_again is not None:
            await ack(response_action="update", view=shown_again)
        else:
            await ack(response_action="errors", errors=errors)
    except HelpdeskError as error:
        await ack(response_action="update", view=build_contact_refusal(error, contact_it))
    except Exception as error:  # the form stays open with what was typed: send again
        if isinstance(error, StorageUnavailableError):
            log.warning("the database is not answering: a contact form may not have been stored")
            cause = STORAGE_DOWN
        else:  # a bug, or a refusal from the database this code does not expect
            log.error("a contact form may not have been stored", exc_info=error)
            cause = "Something went wrong on our side"
        await ack(response_action="errors", errors={field: build_contact_unconfirmed(cause)})
    return None


def build_storage_down(undone: str) -> str:
    """The inline error: nothing happened, and when to try again."""
    return f"{STORAGE_DOWN}; nothing was {undone}. Try again in a minute."


def build_contact_unconfirmed(cause: str) -> str:
    """The contact form's inline error: maybe stored, maybe not, and sending again is safe."""
    # Maybe stored: the insert may have committed before the answer from the database was lost.
    return (
        f"{cause}; your request may not have reached IT. Send it again: it will not be sent twice."
    )


async def answer_listener_error(
    error: Exception, body: dict[str, Any], response: BoltResponse | None
) -> BoltResponse | None:
    """Bolt's error handler, for what a listener raised before its ack (`response` is None after).

    A payload that does not decode gets a 400: the envelope is checked before dispatch, so what
    is left is our own JSON (a button's value, a modal's private_metadata) that is not what we
    sent. An outage gets the sentence saying so (a command stores its walk before its answer).
    Anything else is a 500, with the trace in the log.
    """
    kind = body.get("type") or ("command" if "command" in body else "request")
    if isinstance(error, ValidationError):
        log.warning(
            "refused a signed %s whose %s does not decode (%d problem(s))",
            kind,
            error.title,
            error.error_count(),
        )
        return BoltResponse(status=400, body="") if response is not None else None
    if isinstance(error, StorageUnavailableError):
        log.warning("the database is not answering: a %s was not answered", kind)
        text = f"{STORAGE_DOWN}; try again in a minute."
        return BoltResponse(status=200, body=text) if response is not None else None
    log.error("a listener failed on a %s", kind, exc_info=error)
    return None
