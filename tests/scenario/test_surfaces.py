"""The ways in: /mfa-help with and without text, a DM to the bot, and the Home tab."""

from __future__ import annotations

import json

import pytest

from handlers.blocks.markup import to_mrkdwn
from handlers.ids import ActionId
from tests.driver import Screen, SlackDriver


def _topic_buttons(screen: Screen) -> list[str]:
    return [a for a in screen.action_ids() if a.startswith(ActionId.TOPIC)]


async def test_mfa_help_without_text_shows_every_topic_ephemerally(slack: SlackDriver) -> None:
    reply, screen = await slack.command()
    assert reply.status == 200
    payload = reply.json()
    assert payload.get("response_type", "ephemeral") == "ephemeral"
    assert screen is not None
    assert len(_topic_buttons(screen)) == len(slack.runtime.deps.walks.guide.topics)
    for title in (
        "Can I turn it off?",
        "I don't have my phone",
        "I lost my phone",
        "not receiving a text or call",
        "App passwords are not working",
        "I didn't find an answer",
    ):
        assert title in screen.all_text()
    # Nothing was posted in the channel: the answer is the ephemeral ack itself.
    assert slack.fake.calls_to("chat.postMessage") == []


@pytest.mark.parametrize(
    ("text", "step"),
    [
        ("lost phone", "lost-phone-ways"),
        ("my phone was stolen", "lost-phone-ways"),
        ("I left my phone at home", "no-phone-other-method"),
        ("no text message arrives", "not-receiving-check"),
        ("app password for outlook", "app-passwords-check"),
        ("can I turn it off", "why-what"),
    ],
)
async def test_mfa_help_with_text_jumps_to_the_matching_topic(
    slack: SlackDriver, text: str, step: str
) -> None:
    reply, screen = await slack.command(text)
    assert reply.status == 200
    assert screen is not None
    topic_id = step.rsplit("-", 1)[0] if not step.startswith("lost-phone") else "lost-phone"
    topic = next(t for t in slack.runtime.deps.walks.guide.topics if t.first_step.id == step)
    assert to_mrkdwn(topic.first_step.text) in screen.all_text()
    assert topic_id
    # The walk is recorded, so the next click continues it (the "why" topic only reads on).
    await slack.settle()
    if topic.informational:
        after = await slack.click_and_see(screen, ActionId.NEXT)
        assert to_mrkdwn(topic.steps[1].text) in after.all_text()
    else:
        after = await slack.click_and_see(screen, ActionId.WORKED)
        assert to_mrkdwn(slack.runtime.deps.walks.guide.worked_text(topic)) in after.all_text()


async def test_mfa_help_with_text_that_matches_nothing_shows_the_menu(slack: SlackDriver) -> None:
    reply, screen = await slack.command("pizza <!channel>")
    assert reply.status == 200
    assert screen is not None
    assert "not sure which problem" in screen.all_text()
    assert len(_topic_buttons(screen)) == len(slack.runtime.deps.walks.guide.topics)
    assert "<!channel>" not in json.dumps(screen.blocks)


async def test_a_dm_gets_the_menu_and_clicks_update_that_message(slack: SlackDriver) -> None:
    reply = await slack.dm("menu")
    assert reply.status == 200
    await slack.settle()
    posts = slack.fake.calls_to("chat.postMessage")
    assert len(posts) == 1
    assert posts[0].params["channel"] == "D1"
    menu = slack.dm_screen()
    assert len(_topic_buttons(menu)) == len(slack.runtime.deps.walks.guide.topics)
    step = await slack.click_and_see(menu, f"{ActionId.TOPIC}no-phone")
    assert "Use a different verification option" in step.all_text()
    updates = slack.fake.calls_to("chat.update")
    assert len(updates) == 1
    assert updates[0].params["ts"] == menu.ts
    assert len(slack.fake.calls_to("chat.postMessage")) == 1


async def test_a_dm_naming_a_problem_starts_that_topic(slack: SlackDriver) -> None:
    await slack.dm("I lost my phone")
    await slack.settle()
    screen = slack.dm_screen()
    assert "Two ways back into your account" in screen.all_text()


async def test_the_bots_own_messages_and_edits_get_no_answer(slack: SlackDriver) -> None:
    await slack.event(
        {
            "type": "message",
            "channel": "D1",
            "channel_type": "im",
            "user": "U0BOT",
            "bot_id": "B0BOT",
            "text": "menu",
            "ts": "1.1",
        }
    )
    await slack.event(
        {
            "type": "message",
            "subtype": "message_changed",
            "channel": "D1",
            "channel_type": "im",
            "ts": "1.2",
        }
    )
    await slack.event(
        {
            "type": "message",
            "channel": "C1",
            "channel_type": "channel",
            "user": "U1",
            "text": "lost phone",
            "ts": "1.3",
        }
    )
    await slack.settle()
    assert slack.fake.calls_to("chat.postMessage") == []


async def test_opening_the_home_tab_publishes_the_menu(slack: SlackDriver) -> None:
    reply = await slack.event(
        {"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home", "event_ts": "1.0"}
    )
    assert reply.status == 200
    await slack.settle()
    view = slack.fake.home_views["U1"]
    assert view["type"] == "home"
    home = Screen(view["blocks"], "", "U1", "", ephemeral=False, home=True)
    assert "IT will never ask you for your password" in home.all_text()
    assert len(_topic_buttons(home)) == len(slack.runtime.deps.walks.guide.topics)
    step = await slack.click_and_see(home, f"{ActionId.TOPIC}app-passwords")
    assert step.channel == "D1"
    assert "Check the app password" in step.all_text()


async def test_the_messages_tab_does_not_publish_home(slack: SlackDriver) -> None:
    await slack.event(
        {
            "type": "app_home_opened",
            "user": "U1",
            "channel": "D1",
            "tab": "messages",
            "event_ts": "1.0",
        }
    )
    await slack.settle()
    assert slack.fake.calls_to("views.publish") == []


async def test_mfa_admin_answers_instead_of_timing_out(slack: SlackDriver) -> None:
    reply, _ = await slack.command("pending", command="/mfa-admin")
    assert reply.status == 200
    assert reply.elapsed_s < 3
