"""People are understood (issue 18): what they type after /mfa-help or in a DM gets the answer it
asks for, over signed HTTP against the fake Slack."""

from __future__ import annotations

import pytest

from bot.domain.walks import WalkRecord
from handlers.blocks.markup import to_mrkdwn
from handlers.ids import ActionId
from storage.engine import create_engine
from storage.walks import SqlWalkRepository
from tests.driver import Screen, SlackDriver


def _topic_buttons(screen: Screen) -> list[str]:
    return [
        a.removeprefix(ActionId.TOPIC) for a in screen.action_ids() if a.startswith(ActionId.TOPIC)
    ]


def _first_step(slack: SlackDriver, topic_id: str) -> str:
    return to_mrkdwn(slack.runtime.deps.walks.guide.topic(topic_id).first_step.text)


async def _walks(database_url: str) -> list[WalkRecord]:
    engine = create_engine(database_url)
    try:
        return await SqlWalkRepository(engine).walks_of("U1")
    finally:
        await engine.dispose()


async def _dm(slack: SlackDriver, text: str) -> Screen:
    """Send the bot a DM and return its one answer."""
    before = len(slack.fake.calls_to("chat.postMessage"))
    reply = await slack.dm(text)
    assert reply.status == 200
    await slack.settle()
    assert len(slack.fake.calls_to("chat.postMessage")) == before + 1
    return slack.dm_screen()


async def test_authenticator_app_not_working_is_not_taken_for_app_passwords(
    slack: SlackDriver, database_url: str
) -> None:
    reply, screen = await slack.command("authenticator app not working")
    assert reply.status == 200
    assert screen is not None
    assert _first_step(slack, "app-passwords") not in screen.all_text()
    # Contact IT, whose step links the authenticator app's FAQ.
    assert _first_step(slack, "no-answer") in screen.all_text()
    assert "Microsoft Authenticator FAQ" in screen.all_text()
    (walk,) = await _walks(database_url)
    assert walk.state.topic_id == "no-answer"


@pytest.mark.parametrize("text", ["help", "menu", "start over", "<@U0BOT> help"])
async def test_a_dm_asking_for_help_gets_the_menu(
    slack: SlackDriver, text: str, database_url: str
) -> None:
    guide = slack.runtime.deps.walks.guide
    screen = await _dm(slack, text)
    assert screen.blocks[0]["type"] == "header"
    assert _topic_buttons(screen) == guide.menu_order()
    assert to_mrkdwn(guide.texts.menu_intro) in screen.all_text()
    assert "not sure which problem" not in screen.all_text()
    assert await _walks(database_url) == []  # not "I didn't find an answer"


async def test_i_cant_sign_in_gets_the_menu_not_a_shrug(slack: SlackDriver) -> None:
    guide = slack.runtime.deps.walks.guide
    _, screen = await slack.command("I can't sign in")
    assert screen is not None
    assert _topic_buttons(screen) == guide.menu_order()
    assert to_mrkdwn(guide.texts.menu_intro) in screen.all_text()
    assert "not sure which problem" not in screen.all_text()
    dm = await _dm(slack, "i cant log in!!")
    assert _topic_buttons(dm) == guide.menu_order()
    assert "not sure which problem" not in dm.all_text()


@pytest.mark.parametrize(
    ("text", "answer"), [("hello", "greeting"), ("hi there", "greeting"), ("thanks!", "thanks")]
)
async def test_hello_and_thanks_get_a_short_answer_not_the_menu(
    slack: SlackDriver, text: str, answer: str
) -> None:
    expected = to_mrkdwn(getattr(slack.runtime.deps.walks.guide.texts, answer))
    screen = await _dm(slack, text)
    assert screen.all_text() == expected
    assert screen.action_ids() == []
    _, ephemeral = await slack.command(text)
    assert ephemeral is not None
    assert ephemeral.all_text() == expected
    assert ephemeral.action_ids() == []


async def test_two_close_topics_are_both_offered_and_a_click_starts_one_in_place(
    slack: SlackDriver, database_url: str
) -> None:
    guide = slack.runtime.deps.walks.guide
    offer = await _dm(slack, "new mobile and new number")
    assert _topic_buttons(offer) == ["new-number", "new-phone"]
    assert to_mrkdwn(guide.texts.did_you_mean) in offer.all_text()
    assert guide.topic("new-phone").button in offer.all_text()
    assert await _walks(database_url) == []

    step = await slack.click_and_see(offer, f"{ActionId.TOPIC}new-phone")
    assert _first_step(slack, "new-phone") in step.all_text()
    assert slack.fake.calls_to("chat.update")[-1].params["ts"] == offer.ts
    (walk,) = await _walks(database_url)
    assert walk.state.topic_id == "new-phone"

    _, ephemeral = await slack.command("a new phone number on my new phone")
    assert ephemeral is not None
    assert _topic_buttons(ephemeral) == ["new-number", "new-phone"]
    replaced = await slack.click_and_see(ephemeral, f"{ActionId.TOPIC}new-number")
    assert _first_step(slack, "new-number") in replaced.all_text()


@pytest.mark.parametrize(
    ("text", "topic_id"),
    [
        ("do not disturb blocks the authenticator notification", "no-code"),
        ("it never asks me for the second step", "no-second-step"),
        ("how do I update my phone number", "new-number"),
        ("how do I move the authenticator to my new iphone", "new-phone"),
        ("roaming abroad and the sms never comes", "travelling"),
        ("the authenticator code is rejected every time", "codes-refused"),
    ],
)
async def test_the_later_topics_are_understood_from_a_dm(
    slack: SlackDriver, text: str, topic_id: str
) -> None:
    screen = await _dm(slack, text)
    assert _first_step(slack, topic_id) in screen.all_text()


@pytest.mark.parametrize(
    ("text", "topic_id"),
    [
        ("my iphone got nicked", "lost-phone"),
        ("never recieved the OTP", "not-receiving"),
        ("left my cell at home :sob:", "no-phone"),
        ("Outlook keeps asking for my pasword", "app-passwords"),
    ],
)
async def test_typos_and_other_words_start_the_right_walk_from_a_dm(
    slack: SlackDriver, text: str, topic_id: str
) -> None:
    screen = await _dm(slack, text)
    assert _first_step(slack, topic_id) in screen.all_text()


async def test_text_that_names_nothing_gets_the_menu_saying_so(slack: SlackDriver) -> None:
    screen = await _dm(slack, "can you book me a meeting room")
    assert "not sure which problem" in screen.all_text()
    assert len(_topic_buttons(screen)) == len(slack.runtime.deps.walks.guide.topics)
