"""The guide's Slack screens stay byte for byte what they were when the guide was Slack mrkdwn."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.domain import markup
from bot.domain.errors import TooManyRequestsError
from bot.domain.guide import Guide, WalkOutcome, WalkState
from bot.guide import guide_variables, load_guide
from handlers.blocks.guide import GuideScreens, Message, build_home, build_menu, render_walk
from handlers.blocks.helpdesk import build_contact_refusal
from handlers.blocks.markup import to_mrkdwn

SNAPSHOT = Path(__file__).with_name("snapshots") / "guide_slack.json"
REF = '{"w":"walk-ref"}'
# An operator's settings whose text needs escaping in Slack, and links of their own.
OPERATOR = SimpleNamespace(
    it_contact="<!here> call IT & ask for <@U1> (x) 1-2",
    manage_settings_url="https://myaccount.example.org/security",
    app_passwords_url="https://myaccount.example.org/app-passwords",
)


def _operator_guide() -> Guide:
    return load_guide(None, guide_variables(OPERATOR))  # type: ignore[arg-type]


def _tried_line(text: str) -> str:
    """How the help-desk card names a step the employee went through."""
    return markup.first_line(text)


def _contact_it(guide: Guide) -> str:
    """The contact-IT text as the contact form's refusal shows it (handlers/helpdesk.py)."""
    return to_mrkdwn(guide.texts.contact_it)


def _screens(guide: Guide) -> dict[str, str]:
    """Every guide screen Slack is sent, as the JSON posted: menus, Home, and every step."""
    screens = {
        "menu": build_menu(guide).to_json(),
        "menu-not-matched": build_menu(guide, guide.texts.not_matched).to_json(),
        "menu-abandoned": build_menu(guide, guide.texts.abandoned).to_json(),
        "home": json.dumps(build_home(guide).to_dict()),
        "contact-refusal": json.dumps(
            build_contact_refusal(TooManyRequestsError(3), _contact_it(guide)).to_dict()
        ),
    }
    cached = GuideScreens(guide)
    for topic in guide.topics:
        for step in topic.steps:
            for depth in (1, 2):
                path = (step.id,) if depth == 1 else (topic.first_step.id, step.id)
                for outcome in WalkOutcome:
                    state = WalkState(topic.id, path, path, outcome)
                    key = f"{topic.id}/{step.id}/{depth}/{outcome.value}"
                    screens[key] = render_walk(guide, state, REF).to_json()
        screens[f"{topic.id}/cached-menu"] = _json(cached.menu())
    screens["home-cached"] = json.dumps(cached.home())
    for topic in guide.topics:
        for step in topic.steps:
            screens[f"tried:{topic.id}:{step.id}"] = _tried_line(step.text)
    return screens


def _json(message: Message) -> str:
    return message.to_json()


def _all() -> dict[str, dict[str, str]]:
    return {"shipped": _screens(load_guide()), "operator": _screens(_operator_guide())}


def test_every_guide_screen_is_byte_identical_to_the_snapshot() -> None:
    if os.environ.get("UPDATE_GUIDE_SNAPSHOT") == "1":  # only ever run on the old code
        SNAPSHOT.write_text(json.dumps(_all(), indent=1, ensure_ascii=False) + "\n")
    expected = json.loads(SNAPSHOT.read_text())
    actual = _all()
    assert actual.keys() == expected.keys()
    for variant, screens in expected.items():
        assert actual[variant].keys() == screens.keys()
        for key, posted in screens.items():
            assert actual[variant][key] == posted, f"{variant}: {key}"


@pytest.mark.parametrize("variant", ["shipped", "operator"])
def test_the_snapshot_covers_every_step(variant: str) -> None:
    guide = load_guide() if variant == "shipped" else _operator_guide()
    keys = json.loads(SNAPSHOT.read_text())[variant].keys()
    steps = sum(len(t.steps) for t in guide.topics)
    assert len([k for k in keys if k.count("/") == 3]) == steps * 2 * len(WalkOutcome)
