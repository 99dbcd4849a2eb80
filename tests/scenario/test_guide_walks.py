"""Every route through every topic, generated from the guide data: what each click shows."""

from __future__ import annotations

import copy

import pytest

from bot.domain.guide import Guide, Topic, WalkOutcome
from bot.guide import load_guide
from handlers.blocks.markup import to_mrkdwn
from handlers.ids import ActionId
from storage.engine import create_engine
from storage.walks import SqlWalkRepository
from tests.driver import Screen, SlackDriver

GUIDE = load_guide()


def _paths(guide: Guide) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    """(topic, [(action_id, step reached)]) for every route through each topic, no step twice."""
    found: list[tuple[str, tuple[tuple[str, str], ...]]] = []

    def walk(topic: Topic, step_id: str, route: tuple[tuple[str, str], ...]) -> None:
        step = guide.step(topic.id, step_id)
        moves = [(f"{ActionId.CHOICE}{i}", c.goto) for i, c in enumerate(step.choices)]
        if step.next:
            moves.append((ActionId.NEXT.value, step.next))
        visited = {topic.first_step.id, *(target for _, target in route)}
        onward = [(action, target) for action, target in moves if target not in visited]
        if not onward:
            found.append((topic.id, route))
        for action, target in onward:
            walk(topic, target, (*route, (action, target)))

    for topic in guide.topics:
        walk(topic, topic.first_step.id, ())
    return found


PATHS = _paths(GUIDE)


def _step_text(screen: Screen) -> str:
    return next(b["text"]["text"] for b in screen.blocks if b["type"] == "section")


@pytest.mark.parametrize(
    ("topic_id", "route"),
    PATHS,
    ids=[f"{t}:{'>'.join(s for _, s in r) or 'first'}" for t, r in PATHS],
)
async def test_every_route_of_every_topic(
    slack: SlackDriver, topic_id: str, route: tuple[tuple[str, str], ...], database_url: str
) -> None:
    guide = slack.runtime.deps.walks.guide
    topic = guide.topic(topic_id)
    reply, menu = await slack.command()
    assert reply.status == 200
    assert menu is not None
    screen = await slack.click_and_see(menu, f"{ActionId.TOPIC}{topic_id}")
    assert _step_text(screen) == to_mrkdwn(topic.first_step.text)
    assert ActionId.BACK not in screen.action_ids()

    for action_id, step_id in route:
        screen = await slack.click_and_see(screen, action_id)
        step = guide.step(topic_id, step_id)
        assert _step_text(screen) == to_mrkdwn(step.text)
        ids = screen.action_ids()
        assert (ActionId.WORKED in ids) == (not topic.informational)
        assert ActionId.RESTART in ids
        assert ActionId.BACK in ids
        assert (ActionId.NEXT in ids) == (step.next is not None)
        assert (ActionId.CONTACT_IT in ids) == step.contact_it
        assert "danger" not in {screen.element(a).get("style") for a in ids}
        assert (ActionId.REPORT_PROMPT in ids) == step.report_prompt
        for link in step.links:
            assert any(
                e.get("url") == link.url for b in screen.blocks for e in b.get("elements", [])
            )

    last = guide.step(topic_id, route[-1][1] if route else topic.first_step.id)
    if last.contact_it or last.report_prompt:
        # Without a help desk (these tests set none), Report it also says how to reach IT.
        button = ActionId.CONTACT_IT if last.contact_it else ActionId.REPORT_PROMPT
        end = await slack.click_and_see(screen, button)
        assert "call 555-0100 or mail it@example.com" in end.all_text()
        assert "never ask you for your password" in end.all_text()
        expected = WalkOutcome.ESCALATED
    else:
        end = await slack.click_and_see(screen, ActionId.WORKED)
        assert to_mrkdwn(guide.worked_text(topic)) in end.all_text()
        assert ActionId.BACK not in end.action_ids()
        expected = WalkOutcome.WORKED

    engine = create_engine(database_url)
    try:
        walks = await SqlWalkRepository(engine).walks_of("U1")
    finally:
        await engine.dispose()
    assert len(walks) == 1
    assert walks[0].state.outcome is expected
    assert walks[0].state.seen == (topic.first_step.id, *(s for _, s in route))


async def test_back_returns_to_the_previous_step_and_start_over_shows_the_menu(
    slack: SlackDriver,
) -> None:
    guide = slack.runtime.deps.walks.guide
    _, menu = await slack.command()
    assert menu is not None
    first = await slack.click_and_see(menu, f"{ActionId.TOPIC}lost-phone")
    second = await slack.click_and_see(first, ActionId.NEXT)
    assert _step_text(second) == to_mrkdwn(guide.step("lost-phone", "lost-phone-alternate").text)
    back = await slack.click_and_see(second, ActionId.BACK)
    assert _step_text(back) == to_mrkdwn(guide.step("lost-phone", "lost-phone-ways").text)
    assert ActionId.BACK not in back.action_ids()

    # A stale click on the message that was replaced changes nothing.
    stale = await slack.click_and_see(second, ActionId.NEXT)
    assert _step_text(stale) == to_mrkdwn(guide.step("lost-phone", "lost-phone-ways").text)

    # Back from the end the walk reached by asking IT is the step it was asked from.
    clear = await slack.click_and_see(back, f"{ActionId.CHOICE}1")
    ended = await slack.click_and_see(clear, ActionId.CONTACT_IT)
    undo = await slack.click_and_see(ended, ActionId.BACK)
    assert _step_text(undo) == to_mrkdwn(guide.step("lost-phone", "lost-phone-clear").text)

    restart = await slack.click_and_see(undo, ActionId.RESTART)
    assert restart.blocks[0]["type"] == "header"
    assert [a for a in restart.action_ids() if a.startswith(ActionId.TOPIC)] == [
        f"{ActionId.TOPIC}{topic_id}" for topic_id in guide.menu_order()
    ]


async def test_a_link_button_and_a_choice_without_a_number_are_acked_and_change_nothing(
    slack: SlackDriver, database_url: str
) -> None:
    _, menu = await slack.command()
    assert menu is not None
    first = await slack.click_and_see(menu, f"{ActionId.TOPIC}lost-phone")
    second = await slack.click_and_see(first, ActionId.NEXT)
    link = next(a for a in second.action_ids() if a.startswith(ActionId.LINK))
    forged = copy.deepcopy(second)
    for block in forged.blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == link:
                element["action_id"] = f"{ActionId.CHOICE}x"
    calls_before = len(slack.fake.calls)

    for screen, action_id in ((second, link), (forged, f"{ActionId.CHOICE}x")):
        reply, response_url = await slack.click(screen, action_id)
        await slack.settle()
        assert reply.status == 200
        assert slack.fake.response_posts(response_url) == []
    assert len(slack.fake.calls) == calls_before

    engine = create_engine(database_url)
    try:
        (walk,) = await SqlWalkRepository(engine).walks_of("U1")
    finally:
        await engine.dispose()
    assert walk.state.seen == ("lost-phone-ways", "lost-phone-alternate")
