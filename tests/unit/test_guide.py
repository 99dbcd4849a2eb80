"""The guide's validation and the walk state machine, without I/O."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.domain.guide import Move, WalkOutcome, WalkState, advance
from bot.domain.requests import Answered, Remaining
from bot.guide import GuideError, load_guide
from handlers.blocks.markup import to_mrkdwn
from tests.unit.guide_files import guide_error

GUIDE = load_guide()


def test_the_shipped_guide_has_the_six_topics_of_the_article_then_the_later_ones() -> None:
    assert [t.id for t in GUIDE.topics][:6] == [
        "why",
        "no-phone",
        "lost-phone",
        "not-receiving",
        "app-passwords",
        "no-answer",
    ]
    assert [t.id for t in GUIDE.topics][6:12] == [
        "no-code",
        "no-second-step",
        "new-number",
        "new-phone",
        "travelling",
        "codes-refused",
    ]
    assert GUIDE.topics[-1].id == "unexpected-prompt"


def test_the_later_articles_advice_is_in_the_new_topics() -> None:
    def text(topic_id: str) -> str:
        topic = GUIDE.topic(topic_id)
        return " ".join([s.text for s in topic.steps] + [GUIDE.worked_text(topic)]).replace(
            "\n", " "
        )

    for topic_id, phrases in {
        "no-code": [
            "turn your phone off and on again",
            "security info",
            "Notifications are on",
            "Do Not Disturb",
            "Battery optimisation",
            "blocks calls or texts",
        ],
        "no-second-step": ["probably not set up yet", "security info"],
        "new-number": ["Update your security info", "new number"],
        "new-phone": ["delete the old phone", "Microsoft Authenticator", "not to ask again"],
        "travelling": ["roaming", "work offline", "over Wi-Fi"],
        "codes-refused": ["clock", "automatically", "time correction"],
    }.items():
        for phrase in phrases:
            assert phrase in text(topic_id), (topic_id, phrase)


def test_the_menu_shows_the_most_common_topics_first_and_the_rest_once() -> None:
    first, more = GUIDE.menu_groups()
    assert [t.id for t in first] == [
        "no-phone",
        "lost-phone",
        "not-receiving",
        "no-code",
        "new-phone",
        "unexpected-prompt",
    ]
    assert more[-1].id == "no-answer"
    assert sorted(GUIDE.menu_order()) == sorted(t.id for t in GUIDE.topics)


def test_a_menu_entry_that_is_no_topic_is_refused(tmp_path: Path) -> None:
    message = guide_error(tmp_path, lambda d: d["menu"]["first"].append("gone"))
    assert "menu.first[6]: no topic 'gone'" in message
    message = guide_error(tmp_path, lambda d: d["menu"]["last"].append("no-phone"))
    assert "menu.last[1]: topic 'no-phone' is listed twice" in message


def test_a_picture_the_bot_does_not_have_is_refused(tmp_path: Path) -> None:
    def missing(d: dict[str, Any]) -> None:
        d["topics"][1]["steps"][0]["picture"]["file"] = "nowhere.png"

    message = guide_error(tmp_path, missing)
    assert "topics[1].steps[0].picture.file: no picture 'nowhere.png'" in message


def test_the_prompt_topic_denies_never_approves_and_ends_on_report_it() -> None:
    topic = GUIDE.topic("unexpected-prompt")
    text = "\n".join(step.text for step in topic.steps)
    assert "Never approve a prompt you didn't start" in text
    assert "**Deny**" in text
    last = topic.steps[-1]
    assert last.report_prompt
    assert last.next is None
    assert not any(step.report_prompt for step in topic.steps[:-1])


def test_the_article_advice_is_intact() -> None:
    text = "\n".join(s.text for t in GUIDE.topics for s in t.steps)
    for phrase in (
        "You can't opt out",
        "personal",
        "Use a different verification option",
        "reset your app passwords and clear any",
        "use the newest one",
        "don't need any cell",
        "only for older desktop",
        "delete your existing",
        "register for two-step verification again",
        "Ask a friend to call you or text you",
    ):
        assert phrase in text, phrase


def test_a_dangling_next_names_the_field(tmp_path: Path) -> None:
    message = guide_error(tmp_path, lambda d: d["topics"][0]["steps"][0].update(next="nowhere"))
    assert "topics[0].steps[0].next" in message
    assert "'nowhere'" in message


def test_a_dangling_choice_names_the_field(tmp_path: Path) -> None:
    message = guide_error(
        tmp_path, lambda d: d["topics"][1]["steps"][0]["choices"][0].update(goto="gone")
    )
    assert "topics[1].steps[0].choices[0].goto" in message


def test_an_unreachable_step_is_refused(tmp_path: Path) -> None:
    extra = {"id": "orphan", "text": "alone", "contact_it": True}
    message = guide_error(tmp_path, lambda d: d["topics"][5]["steps"].append(extra))
    assert "'orphan' cannot be reached" in message


def test_a_dead_end_is_refused(tmp_path: Path) -> None:
    message = guide_error(tmp_path, lambda d: d["topics"][0]["steps"][1].update(contact_it=False))
    assert "topics[0].steps[1]" in message
    assert "contact_it" in message


def test_a_link_that_is_not_https_is_refused(tmp_path: Path) -> None:
    message = guide_error(
        tmp_path, lambda d: d["topics"][0]["steps"][1]["links"][0].update(url="http://example.com")
    )
    assert "topics[0].steps[1].links[0].url" in message
    assert "https" in message


def test_an_inline_link_that_is_not_https_is_refused(tmp_path: Path) -> None:
    message = guide_error(
        tmp_path, lambda d: d["topics"][5]["steps"][0].update(text="see <javascript:alert(1)|here>")
    )
    assert "topics[5].steps[0].text" in message


def test_an_over_long_button_text_is_refused(tmp_path: Path) -> None:
    message = guide_error(tmp_path, lambda d: d["topics"][2].update(button="x" * 76))
    assert "topics[2].button" in message
    assert "75" in message


def test_an_over_long_step_text_is_refused(tmp_path: Path) -> None:
    message = guide_error(tmp_path, lambda d: d["topics"][2]["steps"][0].update(text="x" * 3001))
    assert "topics[2].steps[0].text" in message
    assert "3000" in message


def test_an_over_long_worked_text_or_alt_text_is_refused(tmp_path: Path) -> None:
    message = guide_error(tmp_path, lambda d: d["topics"][2]["worked"].update(text="x" * 3001))
    assert "topics[2].worked.text: 3001 characters" in message
    message = guide_error(
        tmp_path, lambda d: d["topics"][1]["steps"][0]["picture"].update(alt="x" * 2001)
    )
    assert "topics[1].steps[0].picture.alt: 2001 characters" in message


def test_a_worked_text_and_a_picture_fill_in_their_variables(tmp_path: Path) -> None:
    lost = GUIDE.topic("lost-phone")
    assert lost.worked is not None
    assert "https://mysignins.microsoft.com/security-info" in lost.worked.text
    message = guide_error(
        tmp_path, lambda d: d["topics"][2]["worked"].update(text="see {helpdesk_url}")
    )
    assert "topics[2].worked.text: unknown variable {helpdesk_url}" in message
    message = guide_error(
        tmp_path, lambda d: d["topics"][2]["worked"].update(text="[x](http://example.org)")
    )
    assert "topics[2].worked.text" in message
    assert "not a valid https URL" in message


def test_an_unknown_variable_is_refused(tmp_path: Path) -> None:
    message = guide_error(
        tmp_path, lambda d: d["topics"][2]["steps"][0].update(text="see {helpdesk_url}")
    )
    assert "{helpdesk_url}" in message


def test_unknown_fields_and_bad_yaml_are_refused(tmp_path: Path) -> None:
    assert "topics[0].colour" in guide_error(
        tmp_path, lambda d: d["topics"][0].update(colour="red")
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text("topics: [")
    with pytest.raises(GuideError, match="not valid YAML"):
        load_guide(bad)
    with pytest.raises(GuideError, match="cannot read"):
        load_guide(tmp_path / "missing.yaml")


def _first_choice(data: dict[str, Any], topic_id: str) -> dict[str, Any]:
    topic = next(t for t in data["topics"] if t["id"] == topic_id)
    choice: dict[str, Any] = topic["steps"][0]["choices"][0]
    return choice


def test_the_choices_that_answer_the_forms_questions() -> None:
    guide = load_guide()
    answered = {
        (topic.id, choice.label): choice.answers.answered()
        for topic in guide.topics
        for step in topic.steps
        for choice in step.choices
        if choice.answers
    }
    stolen, new_number = Answered(True, Remaining.NONE), Answered(False, Remaining.NONE)
    none_left = Answered(remaining=Remaining.NONE)
    assert answered == {
        ("lost-phone", "It's lost or stolen, and I have no other method"): stolen,
        ("lost-phone", "I have a new number, and no other method"): new_number,
        ("no-phone", 'I don\'t see "Use a different verification option"'): none_left,
        ("no-phone", "I see it, but can't reach my other methods"): none_left,
        ("not-receiving", "I don't have another method"): none_left,
        ("new-number", "I can't sign in without my old number"): none_left,
    }


def test_an_answer_to_no_question_or_of_no_such_value_is_refused(tmp_path: Path) -> None:
    message = guide_error(
        tmp_path, lambda d: _first_choice(d, "lost-phone").update(answers={"stolen": True})
    )
    assert "topics[2].steps[0].choices[0].answers" in message
    assert "no question 'stolen'" in message
    message = guide_error(
        tmp_path, lambda d: _first_choice(d, "lost-phone").update(answers={"remaining": "some"})
    )
    assert "topics[2].steps[0].choices[0].answers.remaining" in message
    assert "'none'" in message
    message = guide_error(
        tmp_path,
        lambda d: _first_choice(d, "lost-phone").update(answers={"lost_or_stolen": "perhaps"}),
    )
    assert "topics[2].steps[0].choices[0].answers.lost_or_stolen" in message


def test_an_answer_to_a_question_the_topic_does_not_ask_is_refused(tmp_path: Path) -> None:
    message = guide_error(
        tmp_path, lambda d: _first_choice(d, "no-phone").update(answers={"lost_or_stolen": True})
    )
    assert "topics[1].steps[0].choices[0].answers.lost_or_stolen" in message
    assert "'no-phone' does not ask it" in message


def test_operator_links_replace_microsofts(tmp_path: Path) -> None:
    guide = load_guide(None, {"manage_settings_url": "https://myaccount.example.org/security"})
    assert "<https://myaccount.example.org/security|" in to_mrkdwn(
        guide.step("no-phone", "no-phone-no-link").text
    )


def test_the_state_machine_moves_back_and_ends() -> None:
    state = WalkState.start(GUIDE, "lost-phone")
    assert state.current == "lost-phone-ways"
    chosen = advance(GUIDE, state, Move.CHOICE, choice=1)
    assert chosen.current == "lost-phone-clear"
    lost = "lost-phone-ways:It's lost or stolen, and I have no other method"
    assert chosen.choices == (lost,)
    assert advance(GUIDE, chosen, Move.NEXT) == chosen  # no next on the last step
    back = advance(GUIDE, chosen, Move.BACK)
    assert back.current == "lost-phone-ways"
    assert back.seen == chosen.seen
    assert advance(GUIDE, back, Move.BACK) == back
    escalated = advance(GUIDE, chosen, Move.CONTACT_IT)
    assert escalated.outcome is WalkOutcome.ESCALATED
    assert advance(GUIDE, escalated, Move.BACK).outcome is WalkOutcome.IN_PROGRESS
    assert advance(GUIDE, state, Move.RESTART).outcome is WalkOutcome.ABANDONED
    assert advance(GUIDE, escalated, Move.RESTART).outcome is WalkOutcome.ESCALATED
    assert advance(GUIDE, state, Move.CHOICE, choice=9) == state
