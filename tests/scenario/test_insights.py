"""The help desk's figures in Slack: `/mfa-admin stats` and the admins' board on the Home tab,
after a scripted morning, and who may see them."""

from __future__ import annotations

import json
from typing import Any

from handlers.ids import ActionId
from tests.conftest import FixedClock
from tests.driver import Screen, SlackDriver
from tests.scenario.test_helpdesk import ADMIN, ADMIN2, STRANGER, _card, _request, bot_env

__all__ = ["bot_env"]  # the help desk's settings, used here too

PNG = b"\x89PNG\r\n\x1a\n"


async def _morning(slack: SlackDriver, clock: FixedClock) -> None:
    """U1 asks IT for help and ADMIN approves; U2 walks a topic and gets back in; a minute
    passes."""
    await _request(slack, user="U1")
    await slack.click(_card(slack), ActionId.APPROVE)
    await slack.settle()
    _, menu = await slack.command("I have a new phone", user="U2")
    assert menu is not None
    await slack.click(menu, ActionId.WORKED)
    await slack.settle()
    clock.advance(minutes=1)


def _answers(slack: SlackDriver) -> list[dict[str, Any]]:
    """Everything the bot posted to response URLs, in order."""
    return [post for posts in slack.fake.responses.values() for post in posts]


async def _stats(slack: SlackDriver, text: str, user: str = ADMIN) -> dict[str, Any]:
    """`/mfa-admin <text>` as `user`; the command's answer (on its response URL)."""
    before = len(_answers(slack))
    reply, _ = await slack.command(text, user=user, command="/mfa-admin")
    assert reply.status == 200
    await slack.settle()
    [answer] = _answers(slack)[before:]
    return answer


async def test_an_admin_reads_the_weeks_figures_ephemerally(
    slack: SlackDriver, clock: FixedClock
) -> None:
    await _morning(slack, clock)
    answer = await _stats(slack, "stats")
    text = json.dumps(answer["blocks"])
    assert answer["replace_original"] is False  # to the admin alone, as the command's answer
    assert "Help desk figures, 20 Nov 2026 to 27 Nov 2026" in text
    assert "walks started: *2* (0)" in text
    assert "walks that worked: *1* (0)" in text
    assert "requests sent: *1* (0)" in text
    assert "now done: *1* (0)" in text
    assert f"approvals by <@{ADMIN}>: *1*" in text
    assert "topic: I have a new phone: *1*" in text


async def test_a_period_that_cannot_be_read_says_what_a_period_is(slack: SlackDriver) -> None:
    answer = await _stats(slack, "stats last tuesday")
    assert "`last tuesday` is not a period" in json.dumps(answer)
    assert "`2026-11-01..2026-11-30`" in json.dumps(answer)


async def test_stats_are_for_admins_only(slack: SlackDriver, clock: FixedClock) -> None:
    await _morning(slack, clock)
    before = len(slack.fake.calls)
    reply, _ = await slack.command("stats", user=STRANGER, command="/mfa-admin")
    await slack.settle()
    assert reply.status == 200
    [refusal] = _answers(slack)[-1:]
    assert "is for IT admins" in json.dumps(refusal)
    assert not any("Help desk figures" in json.dumps(p) for p in _answers(slack))
    assert not any(c.method.startswith("files.") for c in slack.fake.calls[before:])


async def _home(slack: SlackDriver, user: str) -> Screen:
    event = {"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"}
    assert (await slack.event({**event, "event_ts": "1.0"})).status == 200
    await slack.settle()
    view = slack.fake.home_views[user]
    return Screen(view["blocks"], "", user, "", ephemeral=False, home=True)


def _pictures(home: Screen) -> list[str]:
    return [b["slack_file"]["id"] for b in home.blocks if b.get("type") == "image"]


async def test_the_admins_home_shows_the_week_with_its_pictures_drawn_once(
    slack: SlackDriver, clock: FixedClock
) -> None:
    await _morning(slack, clock)
    home = await _home(slack, ADMIN)
    # The first opening drew the board in the background and published the Home again.
    assert "This week at the help desk" in home.all_text()
    assert "*Walks*\n2 (0)" in home.all_text()
    assert "*Requests to IT*\n1 (0)" in home.all_text()
    pictures = _pictures(home)
    assert len(pictures) == 2
    for file_id in pictures:
        assert slack.fake.uploads[file_id].startswith(PNG)
        assert slack.fake.shared_files[file_id] == ""  # the bot's own: shared in no channel
    uploads = len(slack.fake.calls_to("files.completeUploadExternal"))

    # Another admin, minutes later: the same pictures, nothing drawn again.
    clock.advance(minutes=5)
    assert _pictures(await _home(slack, ADMIN2)) == pictures
    assert len(slack.fake.calls_to("files.completeUploadExternal")) == uploads

    # A quarter of an hour on, the board is drawn again and the old pictures deleted.
    clock.advance(minutes=15)
    fresh = _pictures(await _home(slack, ADMIN))
    assert len(fresh) == 2
    assert set(fresh).isdisjoint(pictures)
    deleted = {c.params.get("file") for c in slack.fake.calls_to("files.delete")}
    assert deleted == set(pictures)


async def test_an_employees_home_has_no_figures(slack: SlackDriver, clock: FixedClock) -> None:
    await _morning(slack, clock)
    home = await _home(slack, "U2")
    assert "This week at the help desk" not in home.all_text()
    assert _pictures(home) == []
    assert not slack.fake.calls_to("files.completeUploadExternal")


async def test_pictures_slack_cannot_show_leave_the_rest_of_the_home(
    slack: SlackDriver, clock: FixedClock
) -> None:
    await _morning(slack, clock)
    await _home(slack, ADMIN)  # the board is drawn
    # The pictures' files are gone (or still being processed): Slack refuses the blocks once.
    slack.fake.fail_next("views.publish", 200, error="invalid_blocks")
    clock.advance(minutes=1)
    home = await _home(slack, ADMIN)
    assert "This week at the help desk" in home.all_text()
    assert _pictures(home) == []
    assert "Get help with two-step verification" in home.all_text()
