"""The employee's guide in Teams, driven as Teams drives it: the welcome, the menu, a topic walked
in one card that each press replaces, links as Action.OpenUrl."""

from __future__ import annotations

from bot.domain.guide import WalkOutcome
from bot.guide import load_guide
from storage.walks import SqlWalkRepository
from teams.ids import Verb
from tests.fakes.teams import BOT_ID, BOT_NAME
from tests.scenario.teams_flows import EMPLOYEE, menu
from tests.teams_driver import TeamsDriver

GUIDE = load_guide()
MANAGE = "https://mysignins.microsoft.com/security-info"


async def test_installing_the_app_welcomes_the_employee(teams: TeamsDriver) -> None:
    reply = await teams.install(EMPLOYEE)
    assert reply.status in (200, 201, 202)
    [welcome] = teams.chat(EMPLOYEE)
    assert welcome.activity.get("text") or welcome.cards()
    assert teams.fake.tokens_issued == 1
    assert all(call.token for call in teams.fake.calls)


async def test_help_shows_the_menu_with_every_topic(teams: TeamsDriver) -> None:
    card = await menu(teams)
    text = card.all_text()
    assert GUIDE.texts.menu_header in text
    assert card.verbs().count(Verb.TOPIC) == len(GUIDE.topics)
    # The most common topics come first with their summaries, the others as buttons under
    # "More problems".
    first, more = GUIDE.menu_groups()
    for topic in first:
        assert topic.title in text
        assert topic.summary in text
    assert GUIDE.menu.more in text
    assert {topic.button for topic in more} <= set(card.titles())
    assert "Choose" not in card.titles()


async def test_a_topic_is_walked_in_one_card_updated_in_place(teams: TeamsDriver) -> None:
    card = await menu(teams)
    posted = len(teams.chat(EMPLOYEE))
    step = await teams.press(card, Verb.TOPIC, match={"topic": "lost-phone"})
    assert step.activity_id == card.activity_id
    assert "Two ways back into your account" in step.all_text()
    assert step.verbs().count(Verb.CHOICE) == 3  # another device; lost, or a new number
    assert {Verb.WORKED, Verb.NEXT, Verb.RESTART} <= set(step.verbs())
    assert "I have another phone or device" in step.titles()

    alternate = await teams.press(step, Verb.NEXT)
    assert "Use an alternate phone number or device" in alternate.all_text()
    link = alternate.button("Manage your settings")
    assert link["type"] == "Action.OpenUrl"
    assert link["url"] == MANAGE
    assert Verb.BACK in alternate.verbs()

    back = await teams.press(alternate, Verb.BACK)
    assert "Two ways back into your account" in back.all_text()
    done = await teams.press(back, Verb.WORKED)
    assert "Glad you're back in" in done.all_text()
    # The lost-phone walk that worked still asks to tell IT; nothing to go back to.
    assert set(done.verbs()) == {Verb.CONTACT_IT, Verb.RESTART}
    # Every step replaced the card: nothing new was posted in the chat.
    assert len(teams.chat(EMPLOYEE)) == posted
    walks = await SqlWalkRepository(teams.runtime.engine).walks_of(EMPLOYEE.aad)
    assert walks[-1].state.outcome is WalkOutcome.WORKED

    again = await teams.press(done, Verb.RESTART)
    assert again.verbs().count(Verb.TOPIC) == len(GUIDE.topics)


async def test_a_message_naming_a_problem_opens_its_topic(teams: TeamsDriver) -> None:
    card = await menu(teams, text="I lost my phone")
    assert "Two ways back into your account" in card.all_text()


async def test_a_choice_leads_to_its_step_and_contact_it_is_offered(teams: TeamsDriver) -> None:
    card = await menu(teams)
    step = await teams.press(card, Verb.TOPIC, match={"topic": "lost-phone"})
    clear = await teams.press(step, Verb.CHOICE, match={"choice": 1})
    assert "Have IT clear your settings" in clear.all_text()
    assert Verb.CONTACT_IT in clear.verbs()
    assert clear.action(Verb.CONTACT_IT)["title"] == "Contact IT"


async def test_a_stale_card_does_not_move_the_walk(teams: TeamsDriver) -> None:
    card = await menu(teams)
    first = await teams.press(card, Verb.TOPIC, match={"topic": "lost-phone"})
    second = await teams.press(first, Verb.NEXT)
    assert "Use an alternate phone number or device" in second.all_text()
    # The old card (step 1) pressed again: the walk shows where it really is, or that step
    # again, never a step it did not reach.
    stale = await teams.press(first, Verb.NEXT)
    assert "Use an alternate phone number or device" in stale.all_text()


async def test_a_press_naming_a_walk_of_someone_else_is_not_theirs(teams: TeamsDriver) -> None:
    from tests.scenario.teams_flows import STRANGER

    card = await menu(teams)
    step = await teams.press(card, Verb.TOPIC, match={"topic": "lost-phone"})
    await teams.say("help", STRANGER)
    invoked = await teams.invoke(step, Verb.WORKED, user=STRANGER)
    await teams.settle()
    assert invoked.reply is not None
    assert invoked.reply.status < 500
    walks = await SqlWalkRepository(teams.runtime.engine).walks_of(EMPLOYEE.aad)
    assert walks[-1].state.outcome is not WalkOutcome.WORKED


async def test_a_mention_in_a_channel_points_to_the_personal_chat(installed: TeamsDriver) -> None:
    teams = installed
    activity = teams.in_channel("message", EMPLOYEE)
    activity["conversation"]["id"] += f";messageid={activity['id']}"
    activity |= {
        "text": "<at>MFA Helpdesk</at> I lost my phone",
        "textFormat": "plain",
        "entities": [
            {
                "type": "mention",
                "text": "<at>MFA Helpdesk</at>",
                "mentioned": {"id": BOT_ID, "name": BOT_NAME},
            }
        ],
    }
    before = len(teams.fake.calls)
    reply = await teams.post(activity)
    await teams.settle()
    assert reply.status in (200, 201, 202)
    answers = [c.body for c in teams.fake.calls[before:]]
    assert answers, "the bot did not answer the mention"
    assert "personal chat" in str(answers)
    # The guide itself is not posted where everyone reads it.
    assert "Two ways back into your account" not in str(answers)
