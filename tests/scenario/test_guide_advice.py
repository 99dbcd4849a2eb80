"""The article's advice where people need it (issue 18), over signed HTTP against the fake Slack:
the short menu, the worked messages, the informational topic, the button styles, the FAQ link,
paragraphs with room, and the picture of the "Sign in another way" link."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from bot import wording
from bot.guide import PICTURES, PICTURES_PATH
from handlers.blocks.markup import to_mrkdwn
from handlers.ids import ActionId
from tests.driver import Screen, SlackDriver

PUBLIC_URL = "https://mfa-bot.example.com"
PICTURE = "sign-in-another-way.png"
END_USER_FAQ = (
    "https://support.microsoft.com/account-billing/"
    "common-questions-about-the-microsoft-authenticator-app-12d283d1-bcef-4875-9ae5-ac360e2945dd"
)
ADD_MORE = "add more than one"


async def _open(slack: SlackDriver, topic_id: str) -> Screen:
    _, menu = await slack.command()
    assert menu is not None
    return await slack.click_and_see(menu, f"{ActionId.TOPIC}{topic_id}")


def _buttons(screen: Screen) -> dict[str, dict[str, Any]]:
    return {action_id: screen.element(action_id) for action_id in screen.action_ids()}


async def test_the_menu_shows_the_common_topics_first_and_the_others_in_one_row(
    slack: SlackDriver,
) -> None:
    guide = slack.runtime.deps.walks.guide
    _, menu = await slack.command()
    assert menu is not None
    first, more = guide.menu_groups()
    sections = [b for b in menu.blocks if b.get("accessory")]
    assert [s["accessory"]["action_id"] for s in sections] == [
        f"{ActionId.TOPIC}{t.id}" for t in first
    ]
    # The menu's buttons say what they start.
    assert {s["accessory"]["text"]["text"] for s in sections} == {wording.SHOW_STEPS}
    (row,) = [b for b in menu.blocks if b["type"] == "actions"]
    assert [e["text"]["text"] for e in row["elements"]] == [t.button for t in more]
    assert f"*{guide.menu.more}*" in menu.all_text()
    assert more[-1].id == "no-answer"
    # Every topic once, and the later topics are among them.
    ids = [a.removeprefix(ActionId.TOPIC) for a in menu.action_ids()]
    assert sorted(ids) == sorted(t.id for t in guide.topics)
    assert {"no-code", "no-second-step", "new-number", "new-phone", "travelling"} <= set(ids)
    assert "codes-refused" in ids
    # Shorter than one section per topic: the others show no summary.
    for topic in more:
        assert to_mrkdwn(topic.summary) not in menu.all_text()

    home = await slack.event({"type": "app_home_opened", "user": "U1", "tab": "home"})
    assert home.status == 200
    await slack.settle()
    (published,) = slack.fake.calls_to("views.publish")
    view_ids = [
        e["action_id"]
        for b in published.params["view"]["blocks"]
        for e in [*b.get("elements", []), *([b["accessory"]] if b.get("accessory") else [])]
    ]
    assert view_ids == menu.action_ids()


async def test_a_new_topic_is_started_from_the_more_row(slack: SlackDriver) -> None:
    guide = slack.runtime.deps.walks.guide
    step = await _open(slack, "codes-refused")
    assert to_mrkdwn(guide.topic("codes-refused").first_step.text) in step.all_text()
    assert "clock" in step.all_text()


async def test_the_authenticator_faq_link_is_the_end_user_faq(slack: SlackDriver) -> None:
    step = await _open(slack, "no-answer")
    links = {e.get("url") for b in step.blocks for e in b.get("elements", [])}
    assert END_USER_FAQ in links
    assert not any("learn.microsoft.com" in str(url) for url in links)
    assert END_USER_FAQ in step.all_text()


async def test_a_lost_phone_walk_that_worked_still_asks_to_tell_it(slack: SlackDriver) -> None:
    step = await _open(slack, "lost-phone")
    alternate = await slack.click_and_see(step, f"{ActionId.CHOICE}0")
    worked = await slack.click_and_see(alternate, ActionId.WORKED)
    text = worked.all_text()
    assert "*lost or stolen*" in text
    assert "tell IT now" in text
    assert "reset your app passwords" in text
    buttons = _buttons(worked)
    assert list(buttons) == [ActionId.CONTACT_IT, ActionId.RESTART]
    assert ActionId.BACK not in buttons

    told = await slack.click_and_see(worked, ActionId.CONTACT_IT)
    assert "call 555-0100 or mail it@example.com" in told.all_text()


async def test_people_who_get_the_code_early_still_hear_about_poor_signal(
    slack: SlackDriver,
) -> None:
    step = await _open(slack, "not-receiving")
    assert "signal or internet" not in step.all_text()
    worked = await slack.click_and_see(step, ActionId.WORKED)
    text = worked.all_text()
    assert "bad cell signal" in text
    assert "Microsoft Authenticator app" in text
    assert "don't need any cell signal" in text


async def test_the_why_topic_explains_and_claims_nothing_worked(slack: SlackDriver) -> None:
    step = await _open(slack, "why")
    buttons = _buttons(step)
    assert ActionId.WORKED not in buttons
    assert buttons[ActionId.NEXT]["text"]["text"] == wording.READ_ON
    opt_out = await slack.click_and_see(step, ActionId.NEXT)
    assert "Can I turn it off?" in opt_out.all_text()
    assert ActionId.WORKED not in opt_out.action_ids()
    assert ADD_MORE not in step.all_text() + opt_out.all_text()


async def test_no_back_after_a_success_and_contact_it_is_not_a_danger(slack: SlackDriver) -> None:
    step = await _open(slack, "no-phone")
    no_link = await slack.click_and_see(step, f"{ActionId.CHOICE}0")
    contact = _buttons(no_link)[ActionId.CONTACT_IT]
    assert "style" not in contact  # a plain button: asking IT is nothing to be afraid of
    worked = await slack.click_and_see(no_link, ActionId.WORKED)
    assert ADD_MORE in worked.all_text()
    assert worked.action_ids() == [ActionId.RESTART]


async def test_paragraphs_have_room(slack: SlackDriver) -> None:
    step = await _open(slack, "no-phone")
    (section,) = [b for b in step.blocks if b["type"] == "section"]
    text = section["text"]["text"]
    assert text.startswith("*Try a different verification method*\n\nSome days")
    assert "\n\n1. Sign in as you normally would.\n2. " in text


async def test_without_a_public_address_the_picture_is_described(slack: SlackDriver) -> None:
    step = await _open(slack, "no-phone")
    picture = slack.runtime.deps.walks.guide.step("no-phone", "no-phone-other-method").picture
    assert picture is not None
    assert not [b for b in step.blocks if b["type"] == "image"]
    assert "Sign in another way" in step.all_text()
    assert "Use a different verification option" in step.all_text()


class TestWithAPublicAddress:
    """The bot told its public address (PUBLIC_URL): Slack can fetch the picture."""

    @pytest.fixture
    def bot_env(self, bot_env: dict[str, Any]) -> dict[str, Any]:
        """The bot with its public address."""
        return {**bot_env, "public_url": PUBLIC_URL}

    async def test_the_step_shows_the_picture_served_by_the_bot(self, slack: SlackDriver) -> None:
        guide = slack.runtime.deps.walks.guide
        for topic_id, step_id in (
            ("no-phone", "no-phone-other-method"),
            ("lost-phone", "lost-phone-alternate"),
            ("not-receiving", "not-receiving-other-option"),
            ("no-code", "no-code-other-way"),
            ("travelling", "travelling-other-way"),
        ):
            assert guide.step(topic_id, step_id).picture is not None
        step = await _open(slack, "not-receiving")
        assert not [b for b in step.blocks if b["type"] == "image"]  # no link on this step
        other = await slack.click_and_see(step, ActionId.NEXT)
        (image,) = [b for b in other.blocks if b["type"] == "image"]
        assert image["image_url"] == f"{PUBLIC_URL}{PICTURES_PATH}/{PICTURE}"
        assert "Sign in another way" in image["alt_text"]
        assert "Use a different verification option" in image["alt_text"]
        assert 'call it "Sign in another way"' in image["title"]["text"]

        # The bot's own server serves it at that path.
        origin = slack.url.removesuffix("/slack/events")
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{origin}{PICTURES_PATH}/{PICTURE}") as served:
                assert served.status == 200
                assert served.content_type == "image/png"
                body = await served.read()
            async with http.get(f"{origin}{PICTURES_PATH}/../en.yaml") as other_file:
                assert other_file.status == 404
            async with http.get(f"{origin}{PICTURES_PATH}/nothing.png") as missing:
                assert missing.status == 404
        assert body.startswith(b"\x89PNG\r\n\x1a\n")
        assert body == (PICTURES / PICTURE).read_bytes()
