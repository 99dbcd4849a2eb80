"""The help desk with IDENTITY_PROVIDER=okta: Slack, the bot and a fake Okta."""

from __future__ import annotations

from typing import Any

import pytest

from handlers.ids import ActionId
from tests.driver import SlackDriver
from tests.fakes.okta import FakeOkta
from tests.scenario.test_helpdesk import ADMIN, DESK, _card, _dms, _request


@pytest.fixture
def bot_env(bot_env: dict[str, Any], okta: FakeOkta) -> dict[str, Any]:
    """A help desk acting on Okta."""
    return {
        **bot_env,
        "helpdesk_channel": DESK,
        "it_admin_users": ADMIN,
        "identity_provider": "okta",
        "okta_org_url": okta.origin,
        "okta_api_token": okta.token,
    }


async def test_approving_resets_factors_and_clears_sessions_in_okta(
    slack: SlackDriver, okta: FakeOkta
) -> None:
    card = await _request(slack)
    await slack.click(card, ActionId.APPROVE, user=ADMIN)  # clear, app passwords, revoke
    await slack.settle()
    person = next(iter(okta.users.values()))
    assert person.factors == []
    assert person.sessions == 0
    assert person.forgot_devices
    text = _card(slack).all_text()
    assert "Okta has no app passwords" in text
    assert "*Done*" in text
    assert any("is done" in dm for dm in _dms(slack))
    assert ("POST", f"/users/{person.id}/lifecycle/reset_factors?") in okta.requests
