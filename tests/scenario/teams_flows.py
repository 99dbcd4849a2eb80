"""Steps the Teams scenarios share: the walk to Contact IT, a request filed, an admin's approve or
deny view, the audit log, and what a card or an invoke said."""

from __future__ import annotations

import json
from typing import Any

from bot.app import Runtime
from bot.domain.identity import ResetAction
from storage.engine import session_factory
from storage.helpdesk import SqlRequestRepository
from teams.ids import InputId, Verb
from tests.conftest import FixedClock
from tests.fakes.teams import TeamsUser
from tests.teams_driver import CardView, Invoked, TeamsDriver

EMPLOYEE = TeamsUser("8c2f3a6e-1b4d-4e5f-9a7b-6c5d4e3f2a1b", "Ada Lovelace", "ada@example.com")
ADMIN = TeamsUser("1f0e2d3c-4b5a-4968-8776-a5b4c3d2e1f0", "Ines Admin", "ines@example.com")
ADMIN2 = TeamsUser("2a1b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "Omar Admin", "omar@example.com")
ADMIN3 = TeamsUser("4c3d5e6f-7a8b-4c9d-8e0f-2a3b4c5d6e7f", "Rui Admin", "rui@example.com")
STRANGER = TeamsUser("3b2c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e", "Sam Stranger", "sam@example.com")
PEOPLE = (EMPLOYEE, ADMIN, ADMIN2, ADMIN3, STRANGER)

GUID = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
FORM = {
    InputId.LOST.value: "yes",
    InputId.REMAINING.value: "none",
    InputId.CORRELATION.value: GUID,
    InputId.CONTACT.value: "+1 555 0101, desk 4B",
}


async def menu(teams: TeamsDriver, user: TeamsUser = EMPLOYEE, text: str = "help") -> CardView:
    """A person writes to the bot; the card it answers with."""
    reply = await teams.say(text, user)
    assert reply.status in (200, 201, 202), reply
    return teams.last_card(user)


async def to_contact_it(teams: TeamsDriver, user: TeamsUser = EMPLOYEE) -> CardView:
    """The lost-phone topic walked to its "Have IT clear your settings" step."""
    card = await menu(teams, user)
    step = await teams.press(card, Verb.TOPIC, match={"topic": "lost-phone"})
    return await teams.press(step, Verb.CHOICE, match={"choice": 1})  # lost, no other method


async def contact_form(teams: TeamsDriver, user: TeamsUser = EMPLOYEE) -> CardView:
    """The contact form, in place of the walk's card."""
    step = await to_contact_it(teams, user)
    return await teams.press(step, Verb.CONTACT_IT)


async def asking_form(teams: TeamsDriver, user: TeamsUser = EMPLOYEE) -> CardView:
    """The lost-phone contact form of a walk whose choices answered none of its questions:
    another device, which didn't work."""
    card = await menu(teams, user)
    step = await teams.press(card, Verb.TOPIC, match={"topic": "lost-phone"})
    step = await teams.press(step, Verb.CHOICE, match={"choice": 0})  # another phone or device
    step = await teams.press(step, Verb.NEXT)
    return await teams.press(step, Verb.CONTACT_IT)


async def request(teams: TeamsDriver, user: TeamsUser = EMPLOYEE, **values: str) -> CardView:
    """Walk, press Contact IT, send the form; the request's card in the help-desk channel, as
    the first admin sees it."""
    form = await contact_form(teams, user)
    sent = await teams.press(form, Verb.CONTACT_SEND, inputs=FORM | values)
    assert "is with IT" in sent.all_text(), sent.all_text()
    return teams.desk_card(ADMIN)


def toggles(view: CardView, actions: list[str] | None) -> dict[str, str]:
    """The approve view's toggles set to `actions` (None keeps what the card ticked)."""
    if actions is None:
        return {}
    return {
        InputId.ACTION.of(action.value): "true" if action.value in actions else "false"
        for action in ResetAction
        if InputId.ACTION.of(action.value) in view.inputs()
    }


async def approve(
    teams: TeamsDriver,
    card: CardView,
    admin: TeamsUser = ADMIN,
    *,
    actions: list[str] | None = None,
    code: str | None = None,
) -> Invoked:
    """`admin` presses Approve on the channel card, then Confirm on their own view of it (with
    the actions ticked and the authenticator code, when given)."""
    view = await teams.press(card.as_seen_by(admin), Verb.APPROVE)
    assert Verb.APPROVE_CONFIRM in view.verbs(), said(view)
    inputs = toggles(view, actions)
    if code is not None:
        inputs[InputId.CODE.value] = code
    invoked = await teams.invoke(view, Verb.APPROVE_CONFIRM, inputs=inputs)
    await teams.settle()
    return invoked


async def deny(
    teams: TeamsDriver, card: CardView, reason: str, admin: TeamsUser = ADMIN
) -> Invoked:
    """`admin` presses Deny, types `reason` and confirms."""
    view = await teams.press(card.as_seen_by(admin), Verb.DENY)
    assert Verb.DENY_CONFIRM in view.verbs(), said(view)
    invoked = await teams.invoke(
        view, Verb.DENY_CONFIRM, inputs={InputId.DENY_REASON.value: reason}
    )
    await teams.settle()
    return invoked


def said(answer: Invoked | CardView) -> str:
    """What a person reads in an invoke's answer (its card or its message) or on a card."""
    if isinstance(answer, CardView):
        return answer.all_text()
    if answer.card is not None:
        return answer.card.all_text()
    return answer.message or (answer.reply.body if answer.reply else "")


async def audit(runtime: Runtime) -> list[tuple[str, str, dict[str, Any]]]:
    """Every audit entry: (event, actor, detail)."""
    repo = SqlRequestRepository(session_factory(runtime.engine))
    entries = await repo.audit_since(FixedClock().now().replace(year=2000))
    return [(e.event, e.actor_id, e.detail or {}) for e in entries]


def everything_sent(teams: TeamsDriver) -> str:
    """Every request the bot made to the Bot Connector, as one text (to search for a secret)."""
    return json.dumps([(c.method, c.path, c.body) for c in teams.fake.calls])
