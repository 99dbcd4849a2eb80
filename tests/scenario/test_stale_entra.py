"""Nothing stale with IDENTITY_PROVIDER=entra and no IT_CONTACT: a failed action retried while a
manual step waits, the approval told once, the pass's expiry in the person's time zone."""

from __future__ import annotations

from typing import Any

import pytest

from handlers.ids import ActionId
from tests.conftest import FixedClock
from tests.driver import SlackDriver
from tests.fakes.graph import FakeGraph
from tests.fakes.slack import FakeSlack
from tests.scenario.test_helpdesk import ADMIN, DESK, _audit, _card, _dms, _request, _thread


@pytest.fixture
def bot_env(bot_env: dict[str, Any], graph: FakeGraph, fake_slack: FakeSlack) -> dict[str, Any]:
    """A help desk acting on Entra ID through the fake Graph, with IT_CONTACT not set."""
    env = {
        **bot_env,
        "helpdesk_channel": DESK,
        "it_admin_users": ADMIN,
        "identity_provider": "entra",
        "entra_tenant_id": graph.tenant,
        "entra_client_id": "app-1",
        "entra_client_secret": graph.secret,
        "entra_login_url": graph.origin,
        "entra_graph_url": f"{graph.origin}/v1.0",
    }
    env.pop("it_contact")
    return env


async def test_a_failed_action_is_retried_while_a_manual_step_is_still_open(
    slack: SlackDriver, graph: FakeGraph
) -> None:
    card = await _request(slack)
    graph.fail("POST", "revokeSignInSessions", 403)
    selected = ["delete_app_passwords", "revoke_sessions"]  # app passwords: by hand in Entra
    await slack.click(card, ActionId.APPROVE, user=ADMIN, selected=selected)
    await slack.settle()
    waiting = _card(slack)
    assert any(a.startswith(ActionId.MANUAL_DONE) for a in waiting.action_ids())
    assert ActionId.RETRY in waiting.action_ids()  # at once, not after the manual step
    assert any("It can be retried now" in note for note in _thread(slack))
    # The approval outlasts its first run: the employee hears of it now, once.
    approved = [dm for dm in _dms(slack) if "IT approved your request #1 and is making" in dm]
    assert len(approved) == 1

    await slack.click(waiting, ActionId.RETRY, user=ADMIN)
    await slack.settle()
    person = next(iter(graph.users.values()))
    assert person.sessions_revoked == 1
    retried = _card(slack)
    assert ActionId.RETRY not in retried.action_ids()
    assert any(a.startswith(ActionId.MANUAL_DONE) for a in retried.action_ids())
    events = [(event, actor) for event, actor, _ in await _audit(slack)]
    assert ("request.retried", ADMIN) in events
    assert [e for e, _ in events].count("action.done") == 1
    # A second press finds nothing failed: refused, nothing run again.
    _, url = await slack.click(waiting, ActionId.RETRY, user=ADMIN)
    await slack.settle()
    assert "already" in slack.fake.response_posts(url)[-1]["text"]

    manual = next(a for a in retried.action_ids() if a.startswith(ActionId.MANUAL_DONE))
    await slack.click(retried, manual, user=ADMIN)
    await slack.settle()
    assert "*Done* by <@UADMIN1>" in _card(slack).all_text()
    done = next(dm for dm in _dms(slack) if "is done" in dm)
    # Without IT_CONTACT the sentence reads whole: no "Or tell IT: your IT department."
    assert "Or contact your IT department at once." in done
    assert ": your IT department" not in "\n".join(_dms(slack))
    assert sum("IT approved your request #1 and is making" in dm for dm in _dms(slack)) == 1


async def test_the_pass_says_when_it_expires_in_the_persons_time_zone(
    slack: SlackDriver, graph: FakeGraph
) -> None:
    slack.fake.users["U1"]["tz"] = "Europe/Berlin"
    card = await _request(slack)
    await slack.click(card, ActionId.APPROVE, user=ADMIN, selected=["issue_tap"])
    await slack.settle()
    tap = graph.tap_issued[-1]
    notice = next(dm for dm in _dms(slack) if tap in dm)
    # 08:00 UTC now, a pass of 60 minutes: 10:00 in Berlin (CET), and UTC beside it.
    assert "expires at 10:00 Europe/Berlin time on Friday 27 November (09:00 UTC)" in notice
    assert "expires soon" not in notice


async def test_without_a_time_zone_the_pass_expiry_is_written_in_utc(
    slack: SlackDriver, graph: FakeGraph
) -> None:
    card = await _request(slack)
    await slack.click(card, ActionId.APPROVE, user=ADMIN, selected=["issue_tap"])
    await slack.settle()
    notice = next(dm for dm in _dms(slack) if graph.tap_issued[-1] in dm)
    assert "expires at 09:00 UTC on Friday 27 November" in notice


async def test_without_it_contact_the_employees_sentences_read_whole(
    slack: SlackDriver, clock: FixedClock
) -> None:
    card = await _request(slack)
    await slack.click(card, ActionId.APPROVE, user=ADMIN, selected=["revoke_sessions"])
    await slack.settle()
    done = next(dm for dm in _dms(slack) if "is done" in dm)
    assert "Or contact your IT department at once." in done
    assert ": your IT department" not in "\n".join(_dms(slack))  # once: "Or tell IT: your IT..."


async def test_without_it_contact_an_expired_request_says_whom_to_contact(
    slack: SlackDriver, clock: FixedClock
) -> None:
    await _request(slack)
    clock.advance(hours=25)
    await slack.runtime.housekeeping_once()
    await slack.settle()
    expired = next(dm for dm in _dms(slack) if "expired without a decision" in dm)
    assert "press *Contact IT* again or contact your IT department." in expired
    assert "contact IT: your IT department" not in expired
