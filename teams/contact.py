"""The employee's side of the help desk in Teams: the contact form in place of the walk's card,
cancelling, "this wasn't me", Report it, the manager's answer, and an admin's claim of the
security alert a report raises."""

from __future__ import annotations

import logging
from functools import partial

from bot.domain.errors import HelpdeskError, IncompleteFormError, StorageUnavailableError
from bot.domain.guide import Move
from bot.domain.helpdesk import Helpdesk
from bot.domain.platform import Platform
from bot.domain.requests import Answered, Change
from bot.domain.walks import WalkNotFoundError, WalkNotYoursError
from teams.cards.helpdesk import (
    build_cancelled,
    build_contact_form,
    build_contact_refusal,
    build_employee_notice,
    build_manager_thanks,
    build_open_request,
    build_request_sent,
)
from teams.cards.notices import build_claimed_alert, build_not_me_reply, build_prompt_reply
from teams.conversation import Origin
from teams.deps import TeamsDeps
from teams.ids import Verb
from teams.payloads import ContactData, FormRef, RequestData, StepData
from teams.routes import ActionHandler, Router
from teams.turn import Answer, Turn

log = logging.getLogger(__name__)

# Any text that is no step id: the walks answer a click on a step not shown with the walk as
# stored, unchanged, which is what Cancel on the form goes back to.
_NO_STEP = ""
_STAY = Move.NEXT  # never applied: the step named is never the one shown
_MAYBE_STORED = "Your request may not have reached IT. Send it again: it will not be sent twice."


def register(router: Router, deps: TeamsDeps, helpdesk: Helpdesk) -> None:
    """Attach the employee's help-desk buttons (only when the help desk is set up)."""
    routes = ContactRoutes(deps, helpdesk)
    router.action(Verb.CONTACT_IT, StepData, routes.handle_contact_it)
    router.action(Verb.CONTACT_SEND, ContactData, routes.handle_contact_sent)
    router.action(Verb.CONTACT_CANCEL, FormRef, routes.handle_contact_cancel)
    router.action(Verb.CANCEL_REQUEST, RequestData, routes.handle_cancel)
    router.action(Verb.NOT_ME, RequestData, routes.handle_not_me)
    router.action(Verb.REPORT_PROMPT, StepData, routes.handle_report_prompt)
    router.action(Verb.CLAIM_ALERT, RequestData, routes.handle_claim_alert)
    router.at_alerts = partial(_at_alerts, helpdesk, deps.security_channel)
    router.action(Verb.MANAGER_YES, RequestData, routes.manager_answer(yes=True))
    router.action(Verb.MANAGER_NO, RequestData, routes.manager_answer(yes=False))


def _at_alerts(helpdesk: Helpdesk, security_channel: str | None, origin: Origin) -> bool:
    """True in the Teams help-desk channel or security channel, where the alerts are posted."""
    channels = {helpdesk.config.channel_of(Platform.TEAMS), security_channel} - {None, ""}
    return origin.conversation_id in channels


class ContactRoutes:
    """The employee's handlers: decode, one call to the help desk, render, reply."""

    def __init__(self, deps: TeamsDeps, helpdesk: Helpdesk) -> None:
        self.deps = deps
        self.helpdesk = helpdesk

    async def handle_contact_it(self, turn: Turn, step: StepData) -> Answer:
        start = await self.helpdesk.start_form(turn.user_id, step.topic_id, step.walk_id)
        if start.active is not None:
            return Answer.replace(build_open_request(start.active))
        ref = FormRef(walk_id=step.walk_id, topic_id=step.topic_id, step_id=step.step_id)
        guide = self.deps.walks.guide
        form = build_contact_form(
            guide, ref, description=start.description, answered=start.answered
        )
        return Answer.replace(form)

    async def handle_contact_sent(self, turn: Turn, sent: ContactData) -> Answer:
        """Stored as request #N; a field the core refuses comes back inline, typed values kept.

        The card's message id is the submission key: the same form sent twice is one request.
        """
        guide, form = self.deps.walks.guide, sent.form()
        ref = FormRef(walk_id=sent.walk_id, topic_id=sent.topic_id, step_id=sent.step_id)
        key = f"teams:{turn.origin.conversation_id}:{turn.clicked_message or turn.activity.id}"
        try:
            stored = await self.helpdesk.submit(
                turn.origin.tenant_id,
                turn.user_id,
                sent.topic_id,
                sent.walk_id,
                form,
                key,
                platform=Platform.TEAMS,
            )
        except IncompleteFormError as error:
            shown = build_contact_form(guide, ref, form, error.problems, answered=error.answered)
            return Answer.view(shown)
        except HelpdeskError as error:
            return Answer.replace(build_contact_refusal(error, guide))
        except Exception as error:  # maybe stored: the form stays, to be sent again
            if not isinstance(error, StorageUnavailableError):
                log.error("a contact form may not have been stored", exc_info=error)
            answered = await self._answered(turn.user_id, sent.walk_id)
            again = build_contact_form(guide, ref, form, problem=_MAYBE_STORED, answered=answered)
            return Answer.view(again)
        return Answer.replace(build_request_sent(stored.request))

    async def _answered(self, user_id: str, walk_id: str | None) -> Answered | None:
        """What the walk answered, for the form shown again; None while storage fails (the form
        then asks everything, and the core still takes the walk's answers)."""
        if walk_id is None:
            return None
        try:
            return await self.deps.walks.answered(walk_id, user_id)
        except Exception:
            log.info("the walk's answers could not be read: the form asks everything")
            return None

    async def handle_contact_cancel(self, turn: Turn, ref: FormRef) -> Answer:
        screens = self.deps.screens
        if ref.walk_id is None:
            return Answer.replace(screens.menu())
        try:
            walk = await self.deps.walks.move(ref.walk_id, turn.user_id, _NO_STEP, _STAY)
        except (WalkNotFoundError, WalkNotYoursError):
            return Answer.replace(screens.menu())
        return Answer.replace(screens.walk(walk))

    async def handle_cancel(self, turn: Turn, asked: RequestData) -> Answer:
        request = await self.helpdesk.cancel(asked.request_id, turn.user_id)
        return Answer.replace(build_cancelled(request))

    async def handle_not_me(self, turn: Turn, asked: RequestData) -> Answer:
        answer = await self.helpdesk.report_not_me(asked.request_id, turn.user_id)
        await turn.send_card(build_not_me_reply(answer))
        # The card saying what was done stays readable, without the button now used.
        request = await self.helpdesk.get(asked.request_id)
        actions = await self.helpdesk.actions_of(asked.request_id)
        done = build_employee_notice(request, Change.DONE, actions, self.deps.it_contact)
        return Answer.replace(done) if done is not None else Answer.say("Reported to IT security.")

    async def handle_report_prompt(self, turn: Turn, step: StepData) -> Answer:
        answer = await self.helpdesk.report_prompt(
            turn.origin.tenant_id, turn.user_id, step.walk_id, platform=Platform.TEAMS
        )
        return Answer.replace(build_prompt_reply(answer))

    async def handle_claim_alert(self, turn: Turn, asked: RequestData) -> Answer:
        """The alert updated for everyone to say who has it (also when someone had it before)."""
        claim = await self.helpdesk.claim_alert(asked.request_id, turn.user_id)
        names = await self.deps.addresses.names([claim.claimed_by, claim.request.requester_id])
        return Answer.replace(build_claimed_alert(claim, names))

    def manager_answer(self, *, yes: bool) -> ActionHandler[RequestData]:
        """The handler of the manager's Yes or No."""

        async def handle_manager_answer(turn: Turn, asked: RequestData) -> Answer:
            await self.helpdesk.answer_manager(asked.request_id, turn.user_id, yes)
            return Answer.replace(build_manager_thanks(yes))

        return handle_manager_answer
