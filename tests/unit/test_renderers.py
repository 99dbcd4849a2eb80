"""Every message and view the guide renders stays inside Block Kit's limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from slack_sdk.models.blocks import Block

from bot.domain.errors import (
    AlreadyDecidedError,
    HelpdeskError,
    NoReasonError,
    NothingSelectedError,
    RequestExpiredError,
)
from bot.domain.guide import WalkOutcome, WalkState
from bot.domain.stepup import ReplayedCodeError
from bot.domain.understand import Intent, Understanding
from bot.domain.walks import Surface, WalkRecord
from bot.guide import load_guide
from handlers.blocks.guide import (
    GuideScreens,
    Message,
    build_answer,
    build_home,
    build_menu,
    build_offer,
    build_walk,
)
from handlers.blocks.helpdesk import NO_REASON, build_refusal, build_stepup_refusal
from handlers.blocks.text import escape_mrkdwn

GUIDE = load_guide()
NOW = datetime(2026, 11, 27, tzinfo=UTC)


def _check(message: Message) -> None:
    assert message.text
    assert 1 <= len(message.blocks) <= 50
    dicts = [b if isinstance(b, dict) else b.to_dict() for b in message.blocks]  # validates
    assert all(Block.parse(d) is not None for d in dicts)
    ids = [e["action_id"] for d in dicts for e in d.get("elements", []) if "action_id" in e]
    ids += [d["accessory"]["action_id"] for d in dicts if "accessory" in d]
    assert len(ids) == len(set(ids))
    for d in dicts:
        assert len(d.get("elements", [])) <= 25


def _walk(topic: str, step: str, outcome: WalkOutcome = WalkOutcome.IN_PROGRESS) -> WalkRecord:
    first = GUIDE.topic(topic).first_step.id
    path = (first,) if step == first else (first, step)
    state = WalkState(topic_id=topic, path=path, seen=path, outcome=outcome)
    return WalkRecord("a" * 32, "T", "U", Surface.DM, state, NOW, NOW)


@pytest.mark.parametrize(("topic", "step"), [(t.id, s.id) for t in GUIDE.topics for s in t.steps])
@pytest.mark.parametrize("outcome", list(WalkOutcome))
def test_every_step_renders_within_limits(topic: str, step: str, outcome: WalkOutcome) -> None:
    _check(build_walk(GUIDE, _walk(topic, step, outcome)))


def test_the_menu_and_home_render_within_limits() -> None:
    _check(build_menu(GUIDE))
    _check(build_menu(GUIDE, GUIDE.texts.not_matched))
    view = build_home(GUIDE).to_dict()
    assert view["type"] == "home"
    assert len(view["blocks"]) <= 100


def test_the_answers_to_typed_text_render_within_limits_and_cache_as_rendered() -> None:
    screens = GuideScreens(GUIDE)
    answers = [
        Understanding(Intent.GREETING),
        Understanding(Intent.THANKS),
        Understanding(Intent.TOPICS, ("no-phone",)),
        *(
            Understanding(Intent.TOPICS, (a.id, b.id))
            for a in GUIDE.topics
            for b in GUIDE.topics
            if a != b
        ),
    ]
    for understood in answers:
        fresh = build_answer(GUIDE, understood)
        _check(fresh)
        for _ in range(2):
            assert screens.answer(understood).blocks == [b.to_dict() for b in fresh.blocks]  # type: ignore[union-attr]
    assert screens.answer(Understanding(Intent.MENU)) == screens.menu()
    assert screens.answer(Understanding(Intent.UNKNOWN)) == screens.menu(GUIDE.texts.not_matched)


def test_an_offer_is_a_short_message_with_a_button_per_topic() -> None:
    offer = build_offer(GUIDE, ["lost-phone", "no-phone"])
    dicts = [b.to_dict() for b in offer.blocks]  # type: ignore[union-attr]
    assert [d["type"] for d in dicts] == ["section", "actions"]
    assert [(e["text"]["text"], e["action_id"], e["value"]) for e in dicts[1]["elements"]] == [
        ("I lost my phone or got a new number", "mfa-guide-topic-lost-phone", "lost-phone"),
        ("I don't have my phone with me today", "mfa-guide-topic-no-phone", "no-phone"),
    ]
    assert "**" not in offer.text
    greeting = build_answer(GUIDE, Understanding(Intent.GREETING))
    assert "*help*" in greeting.text
    assert len(greeting.blocks) == 1


def test_escaping_defuses_mentions_and_links() -> None:
    assert escape_mrkdwn("<!channel> & <@U1> <https://evil|sso>") == (
        "&lt;!channel&gt; &amp; &lt;@U1&gt; &lt;https://evil|sso&gt;"
    )


def test_an_it_contact_with_markup_shows_as_typed() -> None:
    guide = load_guide(None, {"it_reach": f" Reach them at: {escape_mrkdwn('<!here> x & y')}."})
    assert "&lt;!here&gt; x &amp; y" in guide.texts.contact_it


def test_without_an_it_contact_the_guide_names_nobody_twice() -> None:
    text = load_guide(None).texts.contact_it
    assert "account: your IT department" not in text
    assert text.startswith("Contact your IT department to get help signing in to your account.\n")


@pytest.mark.parametrize(("topic", "step"), [(t.id, s.id) for t in GUIDE.topics for s in t.steps])
def test_cached_screens_equal_fresh_renders(topic: str, step: str) -> None:
    screens = GuideScreens(GUIDE)
    for outcome in WalkOutcome:
        walk = _walk(topic, step, outcome)
        fresh = build_walk(GUIDE, walk)
        for _ in range(2):  # the second time comes from the cache
            cached = screens.walk(walk)
            assert cached.text == fresh.text
            assert cached.blocks == [b.to_dict() for b in fresh.blocks]  # type: ignore[union-attr]
            # What is posted is the cached encoding: it must say what the blocks say.
            assert json.loads(cached.to_json(replace_original=True)) == {
                "text": fresh.text,
                "blocks": cached.blocks,
                "replace_original": True,
            }
        other = WalkRecord("b" * 32, "T", "U", Surface.DM, walk.state, NOW, NOW)
        values = {
            e.get("value")
            for b in screens.walk(other).blocks
            for e in b.get("elements", [])  # type: ignore[union-attr]
        }
        assert f'{{"w":"{"b" * 32}","t":"{topic}","s":"{step}"}}' in values
    assert screens.menu().blocks == [b.to_dict() for b in build_menu(GUIDE).blocks]  # type: ignore[union-attr]
    assert screens.home() == build_home(GUIDE).to_dict()


def test_a_message_of_block_objects_encodes_as_their_dicts() -> None:
    message = Message.plain('He said "hi" & <left>')
    assert json.loads(message.to_json(response_type="ephemeral")) == {
        "text": 'He said "hi" & <left>',
        "blocks": [block.to_dict() for block in message.blocks],  # type: ignore[union-attr]
        "response_type": "ephemeral",
    }


def test_the_contact_form_given_back_keeps_what_was_typed() -> None:
    from bot.domain.requests import ContactForm, Remaining
    from handlers.blocks.helpdesk import build_contact_modal

    typed = ContactForm(
        "my phone broke", True, Remaining.OTHER_PHONE, None, "+1 555 0100", "desk 4"
    )
    view = build_contact_modal(GUIDE, "lost-phone", None, typed, problem="Press Send again.")
    text = str(view.to_dict())
    for value in ("my phone broke", "+1 555 0100", "desk 4", "Press Send again.", "other_phone"):
        assert value in text


def test_a_replay_that_used_the_last_attempt_says_step_up_is_locked() -> None:
    assert build_stepup_refusal(ReplayedCodeError("used")) == (
        "That code was used already: wait for the next one."
    )
    last = build_stepup_refusal(ReplayedCodeError("used", locked=True))
    assert last == "That code was used already, and approvals are now locked for 15 minutes."


def test_each_refusal_reads_its_own_sentence() -> None:
    assert build_refusal(NoReasonError("no reason")) == NO_REASON
    assert "Tick at least one action" in build_refusal(NothingSelectedError("nothing"))
    assert build_refusal(RequestExpiredError(7, "expired")).startswith("Request #7 expired")
    assert build_refusal(AlreadyDecidedError(7, "denied", "U9")) == (
        "Request #7 is already denied by <@U9>."
    )
    assert build_refusal(HelpdeskError("odd")) == "That didn't work: odd"
