"""Reaching the employee from the card: an admin's "I'm on it", a question asked and its answer."""

from __future__ import annotations

import logging

from bot.domain.errors import (
    CallbackTakenError,
    HelpdeskError,
    NoTextError,
    NotRequesterError,
    UnreachableError,
)
from bot.domain.helpdesk.config import Place
from bot.domain.helpdesk.core import Core, already
from bot.domain.helpdesk.policy import Policy
from bot.domain.notices import RequesterAnswered, RequesterAsked
from bot.domain.requests import ACTIVE, AuditEntry, Change, HelpRequest, Status

log = logging.getLogger(__name__)

# While IT may still call or ask: a request in progress, or one whose actions failed.
REACHABLE = ACTIVE | {Status.FAILED}
QUESTION_MAX = 1000


class Outreach:
    """Who calls the employee back (one admin, recorded conditionally), and questions to them and
    their answers, each audited without its text."""

    def __init__(self, core: Core, policy: Policy) -> None:
        self._core = core
        self._policy = policy

    async def take_callback(self, request_id: int, actor: str, place: Place) -> HelpRequest:
        """`actor` calls the employee back; CallbackTakenError (audited) when an admin is
        already, the clicker included; the request as it is now."""
        core = self._core
        request = await self._reachable(request_id, actor, place)
        if request.callback_by is None:
            audit = AuditEntry(core.clock.now(), actor, "request.callback", request.id)
            if await core.requests.claim_callback(request.id, audit):
                return await core.notify(request.id, Change.CALLBACK, actor)
            request = await core.get(request.id)  # another admin pressed first
        by = request.callback_by or ""
        raise await core.refused(actor, request.id, CallbackTakenError(request.id, by, by == actor))

    async def check_ask(self, request_id: int, actor: str, place: Place) -> HelpRequest:
        """The refusal (audited) a question to the employee would meet, before it is typed."""
        return await self._reachable(request_id, actor, place)

    async def ask(self, request_id: int, actor: str, place: Place, question: str) -> HelpRequest:
        """Send the employee `question` in their chat with the bot, with a way to answer."""
        core = self._core
        request = await self._reachable(request_id, actor, place)
        question = question.strip()
        if not question:
            raise NoTextError("type a question")
        try:
            await core.notifier.tell(RequesterAsked(request, actor, question[:QUESTION_MAX]))
        except Exception:
            # No chat with the employee (or the chat refused): the admin calls them instead.
            log.warning("request #%s: the question could not reach the employee", request.id)
            raise await core.refused(actor, request.id, UnreachableError("not delivered")) from None
        detail = {"length": len(question)}
        await core.requests.record_audit(
            AuditEntry(core.clock.now(), actor, "request.question_asked", request.id, detail)
        )
        return request

    async def answer(self, request_id: int, user_id: str, answer: str) -> HelpRequest:
        """The employee's answer to IT's question, for the card's thread; only theirs counts."""
        core = self._core
        request = await core.get(request_id)
        if request.requester_id != user_id:
            raise await core.refused(user_id, request.id, NotRequesterError("not yours"))
        answer = answer.strip()
        if not answer:
            raise NoTextError("type an answer")
        detail = {"length": len(answer)}
        await core.requests.record_audit(
            AuditEntry(core.clock.now(), user_id, "request.question_answered", request.id, detail)
        )
        await core.notifier.tell(RequesterAnswered(request, answer[:QUESTION_MAX]))
        return request

    async def _reachable(self, request_id: int, actor: str, place: Place) -> HelpRequest:
        """The request, if `actor` may act on its card from `place` while IT still works on it."""
        core = self._core
        request = await core.get(request_id)
        try:
            await self._policy.check_decider(request, actor, place)
            if request.status not in REACHABLE:
                raise already(request)
        except HelpdeskError as refusal:
            raise await core.refused(actor, request.id, refusal) from None
        return request
