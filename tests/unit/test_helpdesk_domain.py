"""The request's form rules, the proposals that follow the article, and the demo directory."""

from __future__ import annotations

import pytest

from bot.domain.identity import ActionOutcome, DirectoryUser, ResetAction, UserNotFoundError
from bot.domain.requests import ContactForm, Question, Remaining, propose_actions, questions_for
from bot.identity.demo import DemoProvider, DemoUser, demo_users_from
from bot.identity.manual import ManualProvider
from storage.memory import MemoryDemoStore
from tests.conftest import FixedClock


def _form(**changes: object) -> ContactForm:
    values: dict[str, object] = {
        "description": "lost it",
        "lost_or_stolen": False,
        "remaining": Remaining.NONE,
        "correlation_id": None,
        "contact": "+1 555 0100",
    }
    values.update(changes)
    return ContactForm(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"correlation_id": "12345"}, "correlation_id"),
        ({"correlation_id": "3f2504e0-4f89-11d3-9a0c-0305e82c330Z"}, "correlation_id"),
        ({"description": " "}, "description"),
        ({"description": "x" * 501}, "description"),
        ({"contact": ""}, "contact"),
        ({"details": "x" * 1001}, "details"),
    ],
)
def test_a_bad_field_is_named(changes: dict[str, object], field: str) -> None:
    assert list(_form(**changes).problems("lost-phone")) == [field]


def test_a_good_form_has_no_problems() -> None:
    good = _form(correlation_id="3F2504E0-4F89-11D3-9A0C-0305E82C3301")
    assert good.problems("lost-phone") == {}


def test_a_question_the_topic_asks_has_no_default_and_must_be_answered() -> None:
    skipped = _form(lost_or_stolen=None, remaining=None)
    assert list(skipped.problems("lost-phone")) == ["lost_or_stolen", "remaining"]
    assert list(skipped.problems("no-answer")) == ["lost_or_stolen", "remaining"]
    assert list(skipped.problems("not-receiving")) == ["remaining"]
    # Nothing to answer where the topic does not ask.
    assert skipped.problems("app-passwords") == {}
    assert skipped.problems("why") == {}


def test_each_topic_asks_what_applies_to_it() -> None:
    both = frozenset(Question)
    assert questions_for("lost-phone") == both
    assert questions_for("no-answer") == both
    assert questions_for("an-operators-own-topic") == both
    assert questions_for("no-phone") == {Question.REMAINING}
    assert questions_for("not-receiving") == {Question.REMAINING}
    assert questions_for("app-passwords") == frozenset()
    assert questions_for("why") == frozenset()


def test_proposals_follow_the_article() -> None:
    lost = (ResetAction.CLEAR_MFA, ResetAction.DELETE_APP_PASSWORDS, ResetAction.REVOKE_SESSIONS)
    assert propose_actions("lost-phone", lost_or_stolen=True) == lost
    assert propose_actions("no-phone", lost_or_stolen=True) == lost
    for topic in ("lost-phone", "no-phone", "not-receiving"):
        # Clearing the methods while someone else's session lives on would hand them the
        # account: every clear comes with a revocation.
        proposed = propose_actions(topic, lost_or_stolen=False)
        assert proposed == (ResetAction.CLEAR_MFA, ResetAction.REVOKE_SESSIONS)
    assert propose_actions("app-passwords", lost_or_stolen=False) == (
        ResetAction.DELETE_APP_PASSWORDS,
    )
    assert propose_actions("no-answer", lost_or_stolen=False) == ()


async def test_the_demo_directory_really_changes() -> None:
    store = MemoryDemoStore()
    demo = DemoProvider(store, FixedClock())
    user = await demo.find_user("Ada@Example.com")
    assert user.email == "ada@example.com"
    cleared = await demo.clear_mfa(user)
    assert cleared.outcome is ActionOutcome.DONE
    assert "Removed 3" in cleared.summary
    assert (await _stored(store)).methods == ()
    assert "nothing to remove" in (await demo.clear_mfa(user)).summary
    await demo.delete_app_passwords(user)
    await demo.revoke_sessions(user)
    person = await _stored(store)
    assert (person.app_passwords, person.sessions, person.remembered_devices) == (0, 0, 0)
    tap = await demo.issue_temporary_access_pass(user, 60)
    assert tap.secret_for_user is not None
    assert len(tap.secret_for_user) == 12
    assert tap.secret_for_user not in repr(tap)
    assert tap.secret_for_user not in tap.summary
    stored = await _stored(store)
    assert stored.tap_hash is not None
    assert tap.secret_for_user not in repr(stored)
    with pytest.raises(UserNotFoundError):
        await demo.find_user("")


async def _stored(store: MemoryDemoStore) -> DemoUser:
    """Ada as the demo directory holds her now."""
    person = await store.get_demo_user("ada@example.com")
    assert person is not None
    return person


def test_a_demo_directory_file_is_read_and_checked() -> None:
    people = demo_users_from(
        [{"email": "Bo@example.com", "name": "Bo", "methods": ["phone"], "app_passwords": 0}]
    )
    assert people[0].email == "bo@example.com"
    assert people[0].methods == ({"type": "phone", "detail": "phone"},)
    with pytest.raises(ValueError, match=r"\[0\]"):
        demo_users_from([{"name": "no email"}])
    with pytest.raises(ValueError, match="list"):
        demo_users_from({"email": "x"})


async def test_the_manual_provider_gives_steps_and_never_pretends() -> None:
    manual = ManualProvider()
    user = DirectoryUser(id="ada@example.com", email="ada@example.com")
    for call in (manual.clear_mfa, manual.delete_app_passwords, manual.revoke_sessions):
        result = await call(user)
        assert result.outcome is ActionOutcome.MANUAL
        assert result.manual_steps
        assert result.link
        assert result.link.startswith("https://")
    tap = await manual.issue_temporary_access_pass(user, 30)
    assert tap.secret_for_user is None
    assert "30 minutes" in " ".join(tap.manual_steps)
    with pytest.raises(UserNotFoundError):
        await manual.find_user("")
