"""Every route through every topic in Teams, generated from the guide data: what each press shows,
in the one card of the walk."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest

from bot import wording
from bot.domain.guide import WalkOutcome
from bot.domain.markup import first_line
from bot.guide import PICTURES
from handlers.ids import ActionId
from storage.walks import SqlWalkRepository
from teams.ids import Verb
from tests.scenario.teams_flows import EMPLOYEE, menu
from tests.scenario.test_guide_walks import GUIDE, PATHS
from tests.teams_driver import CardView, TeamsDriver


@pytest.fixture
def teams_env(teams_env: dict[str, Any]) -> dict[str, Any]:
    """Teams with no help-desk channel: Contact IT ends the walk with how to reach IT."""
    return {**teams_env, "teams_helpdesk_channel": None}


def _title(card: CardView) -> str:
    """The card's text with Markdown's emphasis and escapes taken out (to find a step's title)."""
    return re.sub(r"\\(.)", r"\1", card.all_text().replace("**", ""))


def _press(action_id: str) -> tuple[Verb, dict[str, int]]:
    """The Teams button for one of Slack's moves in a route (a choice, or "didn't work")."""
    if action_id.startswith(ActionId.CHOICE):
        return Verb.CHOICE, {"choice": int(action_id.removeprefix(ActionId.CHOICE))}
    assert action_id == ActionId.NEXT, action_id
    return Verb.NEXT, {}


@pytest.mark.parametrize(
    ("topic_id", "route"),
    PATHS,
    ids=[f"{t}:{'>'.join(s for _, s in r) or 'first'}" for t, r in PATHS],
)
async def test_every_route_of_every_topic_in_one_card(
    teams: TeamsDriver, topic_id: str, route: tuple[tuple[str, str], ...]
) -> None:
    topic = GUIDE.topic(topic_id)
    card = await menu(teams)
    posted = len(teams.chat(EMPLOYEE))
    card = await teams.press(card, Verb.TOPIC, match={"topic": topic_id})
    assert first_line(topic.first_step.text) in _title(card)
    assert Verb.BACK not in card.verbs()

    for action_id, step_id in route:
        verb, match = _press(action_id)
        card = await teams.press(card, verb, match=match)
        step = GUIDE.step(topic_id, step_id)
        assert first_line(step.text) in _title(card)
        verbs = set(card.verbs())
        assert {Verb.RESTART, Verb.BACK} <= verbs
        assert (Verb.WORKED in verbs) == (not topic.informational)
        assert "destructive" not in {a.get("style") for a in card.actions()}
        assert (Verb.NEXT in verbs) == (step.next is not None)
        assert (Verb.CONTACT_IT in verbs) == step.contact_it
        assert (Verb.REPORT_PROMPT in verbs) == step.report_prompt
        urls = {a.get("url") for a in card.actions() if a.get("type") == "Action.OpenUrl"}
        assert {link.url for link in step.links} <= urls

    last = GUIDE.step(topic_id, route[-1][1] if route else topic.first_step.id)
    if last.contact_it or last.report_prompt:
        button = Verb.CONTACT_IT if last.contact_it else Verb.REPORT_PROMPT
        end = await teams.press(card, button)  # no help desk here: how to reach IT
        assert "call 555-0100 or mail it@example.com" in end.all_text()
        expected = WalkOutcome.ESCALATED
    else:
        end = await teams.press(card, Verb.WORKED)
        assert first_line(GUIDE.worked_text(topic)) in _title(end)
        assert Verb.BACK not in end.verbs()
        expected = WalkOutcome.WORKED
    assert len(teams.chat(EMPLOYEE)) == posted  # every press replaced the one card
    (walk,) = await SqlWalkRepository(teams.runtime.engine).walks_of(EMPLOYEE.aad)
    assert walk.state.outcome is expected
    assert walk.state.seen == (topic.first_step.id, *(s for _, s in route))


def _images(card: CardView) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Image":
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card.card)
    return found


async def test_the_step_that_names_the_link_shows_its_picture_inline(teams: TeamsDriver) -> None:
    card = await menu(teams)
    step = await teams.press(card, Verb.TOPIC, match={"topic": "not-receiving"})
    assert _images(step) == []
    other = await teams.press(step, Verb.NEXT)
    (image,) = _images(other)
    png = (PICTURES / "sign-in-another-way.png").read_bytes()
    assert image["url"] == "data:image/png;base64," + base64.b64encode(png).decode()
    assert "Sign in another way" in image["altText"]
    assert "Use a different verification option" in image["altText"]
    assert 'call it "Sign in another way"' in other.all_text()


async def test_the_why_topic_and_the_endings_in_teams(teams: TeamsDriver) -> None:
    card = await menu(teams)
    why = await teams.press(card, Verb.TOPIC, match={"topic": "why"})
    assert Verb.WORKED not in why.verbs()
    assert wording.READ_ON in why.titles()
    opt_out = await teams.press(why, Verb.NEXT)
    assert Verb.WORKED not in opt_out.verbs()
    assert "add more than one" not in why.all_text() + opt_out.all_text()

    lost = await teams.press(await menu(teams), Verb.TOPIC, match={"topic": "lost-phone"})
    worked = await teams.press(lost, Verb.WORKED)
    assert "tell IT now" in worked.all_text()
    assert worked.verbs() == [Verb.CONTACT_IT, Verb.RESTART]
    told = await teams.press(worked, Verb.CONTACT_IT)
    assert "call 555-0100 or mail it@example.com" in told.all_text()

    receiving = await teams.press(await menu(teams), Verb.TOPIC, match={"topic": "not-receiving"})
    signal = await teams.press(receiving, Verb.WORKED)
    assert "bad cell signal" in signal.all_text()
    assert signal.verbs() == [Verb.RESTART]

    answer = await teams.press(await menu(teams), Verb.TOPIC, match={"topic": "no-answer"})
    faq = answer.button("Microsoft Authenticator FAQ")
    assert faq["url"].startswith("https://support.microsoft.com/account-billing/common-questions")
