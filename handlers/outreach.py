"""The card's buttons that reach the employee: "I'm on it", "Ask the requester", and the answer."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.models.views import View

from bot import wording
from bot.domain.errors import HelpdeskError
from bot.domain.helpdesk import Helpdesk, Place
from handlers.blocks.guide import Message
from handlers.blocks.helpdesk import (
    build_answer_modal,
    build_ask_modal,
    build_notice_modal,
    build_question_answered,
)
from handlers.buttons import on_request_button
from handlers.deps import Deps
from handlers.ids import ActionId, FieldId, ViewId
from handlers.payloads import AnswerMeta, AskMeta, Click, Submission
from handlers.refusals import Answer, answered, in_channel, refusal_text

_TYPE_SOMETHING = "Type something first."


def register(app: AsyncApp, deps: Deps, helpdesk: Helpdesk) -> None:
    """Attach the card's reach buttons, the question modal, and the employee's answer."""
    listeners = OutreachListeners(deps, helpdesk)
    app.action(ActionId.ON_IT)(listeners.handle_on_it)
    app.action(ActionId.ASK)(listeners.handle_ask)
    app.view(ViewId.ASK)(listeners.handle_ask_submitted)
    app.action(ActionId.ANSWER)(listeners.handle_answer)
    app.view(ViewId.ANSWER)(listeners.handle_answer_submitted)


class OutreachListeners:
    """The listeners, and the work each leaves for after its ack."""

    def __init__(self, deps: Deps, helpdesk: Helpdesk) -> None:
        self.deps = deps
        self.helpdesk = helpdesk

    async def handle_on_it(
        self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await on_request_button(self.deps, ack, body, context, "on-it", self._on_it)

    async def handle_ask(
        self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        click = Click.of(body, context)
        await ack()
        if click.request_id is not None:
            self.deps.tasks.spawn(self._open_ask(click, click.request_id), "ask-requester")

    async def handle_ask_submitted(
        self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        sent = Submission.of(body, context)
        if not (question := sent.text(FieldId.QUESTION).strip()):
            await ack(response_action="errors", errors={FieldId.QUESTION.value: _TYPE_SOMETHING})
            return
        meta = sent.meta(AskMeta)  # before the ack: metadata not ours gets a 400
        await ack()
        place = Place(team_id=sent.team_id, channel_id=meta.channel_id or "")
        asked = self.helpdesk.ask_requester(meta.request_id, sent.user_id, place, question)
        channel = self.helpdesk.config.channel_id or meta.channel_id or ""
        answer = in_channel(self.deps.replier, channel, sent.user_id)
        self.deps.tasks.spawn(answered(asked, answer), "ask-requester")

    async def handle_answer(
        self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        click = Click.of(body, context)
        await ack()
        if click.request_id is not None:
            meta = AnswerMeta(
                request_id=click.request_id,
                channel_id=click.channel_id,
                message_ts=click.message_ts,
            )
            self.deps.tasks.spawn(self._open(click, build_answer_modal(meta)), "answer-it")

    async def handle_answer_submitted(
        self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        sent = Submission.of(body, context)
        if not (text := sent.text(FieldId.ANSWER).strip()):
            await ack(response_action="errors", errors={FieldId.ANSWER.value: _TYPE_SOMETHING})
            return
        meta = sent.meta(AnswerMeta)
        thanks = build_notice_modal(wording.ANSWER_TITLE, wording.ANSWER_SENT)
        await ack(response_action="update", view=thanks)
        work = self._answer(meta, sent.user_id, text)
        self.deps.tasks.spawn(answered(work, self._to_dm(sent.user_id)), "answer-it")

    async def _answer(self, meta: AnswerMeta, user_id: str, text: str) -> None:
        """Hand the answer to IT, then the question's DM says so, its button gone."""
        await self.helpdesk.answer_question(meta.request_id, user_id, text)
        if meta.channel_id and meta.message_ts and meta.channel_id.startswith("D"):
            answered_dm = build_question_answered(meta.request_id, text)
            await self.deps.replier.update(meta.channel_id, meta.message_ts, answered_dm)

    async def _on_it(self, click: Click, request_id: int) -> None:
        await self.helpdesk.take_callback(request_id, click.user_id, _place(click))

    async def _open_ask(self, click: Click, request_id: int) -> None:
        """Check first, then open the question form; a click that cannot succeed opens why."""
        place = _place(click)
        try:
            await self.helpdesk.check_ask(request_id, click.user_id, place)
        except HelpdeskError as refusal:
            modal = build_notice_modal(wording.ASK_REQUESTER, refusal_text(refusal))
        else:
            modal = build_ask_modal(request_id, place.channel_id)
        await self._open(click, modal)

    async def _open(self, click: Click, modal: View) -> None:
        await self.deps.replier.open_modal(click.trigger_id, modal)

    def _to_dm(self, user_id: str) -> Answer:
        async def answer(text: str) -> None:
            await self.deps.replier.post_dm(user_id, Message.plain(text))

        return answer


def _place(click: Click) -> Place:
    return Place(team_id=click.team_id, channel_id=click.channel_id or "")
