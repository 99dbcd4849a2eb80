"""Who is privileged: the directory's admin roles and the admin lists, failing closed."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from handlers.ids import ActionId, FieldId
from tests.driver import Screen, SlackDriver
from tests.fakes.graph import FakeGraph
from tests.fakes.okta import FakeOkta
from tests.fakes.slack import FakeSlack
from tests.scenario.test_helpdesk import (
    ADMIN,
    ADMIN2,
    DESK,
    _audit,
    _card,
    _request,
    _to_contact_it,
)

TWO = "Two different admins must approve"


@pytest.fixture(params=["entra", "okta"])
def provider(request: pytest.FixtureRequest) -> str:
    """The same story against Microsoft Graph and against Okta."""
    return str(request.param)


@pytest.fixture
def bot_env(
    bot_env: dict[str, Any], fake_slack: FakeSlack, provider: str, graph: FakeGraph, okta: FakeOkta
) -> dict[str, Any]:
    """Two listed admins, nobody on a privileged list, and the provider under test."""
    for user, name in ((ADMIN, "Ines Admin"), (ADMIN2, "Omar Admin")):
        fake_slack.add_user(user, name, f"{name.split()[0].lower()}@example.com")
    env = {**bot_env, "helpdesk_channel": DESK, "it_admin_users": f"{ADMIN},{ADMIN2}"}
    if provider == "okta":
        return {
            **env,
            "identity_provider": "okta",
            "okta_org_url": okta.origin,
            "okta_api_token": okta.token,
        }
    return {
        **env,
        "identity_provider": "entra",
        "entra_tenant_id": graph.tenant,
        "entra_client_id": "app-1",
        "entra_client_secret": graph.secret,
        "entra_login_url": graph.origin,
        "entra_graph_url": f"{graph.origin}/v1.0",
    }


def _factors_left(provider: str, graph: FakeGraph, okta: FakeOkta) -> int:
    if provider == "okta":
        return len(next(iter(okta.users.values())).factors)
    methods = next(iter(graph.users.values())).methods
    return sum(not m["@odata.type"].endswith("passwordAuthenticationMethod") for m in methods)


async def _needs_two(slack: SlackDriver, card: Screen, left: int, factors: Any) -> None:
    """One approval changes nothing; the same admin again is refused; a second admin runs it."""
    await slack.click(card, ActionId.APPROVE, user=ADMIN, selected=["clear_mfa"])
    await slack.settle()
    waiting = _card(slack)
    assert "1 of 2 approvals" in waiting.all_text()
    assert factors() == left  # nothing happened at the directory after one approval
    _, url = await slack.click(waiting, ActionId.APPROVE, user=ADMIN, selected=["clear_mfa"])
    await slack.settle()
    assert "second, different admin" in slack.fake.response_posts(url)[-1]["text"]
    await slack.click(waiting, ActionId.APPROVE, user=ADMIN2, selected=["clear_mfa"])
    await slack.settle()
    assert "*Done* by <@UADMIN1> and <@UADMIN2>" in _card(slack).all_text()
    assert factors() == 0


async def test_a_directory_admin_on_no_list_needs_two_admins_and_the_card_names_the_role(
    slack: SlackDriver, provider: str, graph: FakeGraph, okta: FakeOkta
) -> None:
    if provider == "okta":
        next(iter(okta.users.values())).roles = ["SUPER_ADMIN"]
        role = "Okta role: Super Administrator (SUPER_ADMIN)"
    else:
        person = next(iter(graph.users.values()))
        person.groups = ["All staff", "Finance", "London office"]
        person.roles = ["Global Administrator"]
        graph.page_size = 2  # the role is on the second page of memberships
        role = "Entra role: Global Administrator"
    card = await _request(slack)
    left = _factors_left(provider, graph, okta)
    await _needs_two(slack, card, left, lambda: _factors_left(provider, graph, okta))
    assert f"*Privileged account*: {role}. {TWO}" in card.all_text()
    assert ("request.privileged", "system", {"reason": role}) in await _audit(slack)


async def test_someone_with_no_admin_role_needs_one_admin(
    slack: SlackDriver, provider: str, graph: FakeGraph
) -> None:
    graph.pim_licensed = False  # no Entra ID P2, so no PIM: nobody can be eligible for a role
    card = await _request(slack)
    directory = "Okta" if provider == "okta" else "Entra"
    assert f"Not privileged: {directory}: no admin role; on no privileged list." in card.all_text()
    await slack.click(card, ActionId.APPROVE, user=ADMIN, selected=["clear_mfa"])
    await slack.settle()
    assert "*Done* by <@UADMIN1>" in _card(slack).all_text()


@pytest.mark.parametrize("provider", ["entra"], indirect=True)
async def test_a_role_the_person_is_only_eligible_for_counts(
    slack: SlackDriver, graph: FakeGraph
) -> None:
    next(iter(graph.users.values())).eligible_roles = ["Privileged Role Administrator"]
    card = await _request(slack)
    assert "Entra role: Privileged Role Administrator (eligible)" in card.all_text()


@pytest.mark.parametrize("provider", ["entra"], indirect=True)
async def test_without_the_role_permission_the_card_names_it(
    slack: SlackDriver, graph: FakeGraph
) -> None:
    graph.granted.discard("RoleManagement.Read.Directory")
    text = (await _request(slack)).all_text()
    assert "*Privileged account*: directory roles could not be read" in text
    assert "needs the application permission RoleManagement.Read.Directory" in text


@pytest.mark.parametrize("provider", ["entra"], indirect=True)
async def test_a_role_whose_name_graph_withholds_still_counts(
    slack: SlackDriver, graph: FakeGraph
) -> None:
    # Allowed to read eligibility but not role names: Graph returns the role's type and id only.
    graph.granted = (graph.granted - {"RoleManagement.Read.Directory"}) | {
        "RoleEligibilitySchedule.Read.Directory"
    }
    next(iter(graph.users.values())).roles = ["Global Administrator"]
    text = (await _request(slack)).all_text()
    assert "*Privileged account*: Entra role: a directory role whose name the app may" in text


@pytest.mark.parametrize("failure", ["403", "500", "timeout"])
async def test_a_role_check_that_fails_makes_the_request_privileged_with_the_reason(
    slack: SlackDriver, provider: str, graph: FakeGraph, okta: FakeOkta, failure: str
) -> None:
    fake: FakeGraph | FakeOkta = okta if provider == "okta" else graph
    path = "/roles" if provider == "okta" else "transitiveMemberOf"
    if failure == "timeout":
        helpdesk = slack.runtime.deps.helpdesk
        assert helpdesk is not None
        helpdesk.config = replace(helpdesk.config, role_check_timeout=timedelta(seconds=0.3))
        fake.stall("GET", path, 1.5)
    else:
        fake.fail("GET", path, int(failure))
    card = await _request(slack)
    text = card.all_text()
    why = {
        ("entra", "403"): "Microsoft Graph refused (serviceError): the app registration needs",
        ("entra", "500"): "Microsoft Graph answered 500",
        ("okta", "403"): "Okta refused to list the person's admin roles (403 E0000006)",
        ("okta", "500"): "Okta answered 500",
    }.get((provider, failure), "no answer within 0.3 seconds")
    assert f"*Privileged account*: directory roles could not be read: {why}" in text, text
    assert TWO in text
    left = _factors_left(provider, graph, okta)
    await _needs_two(slack, card, left, lambda: _factors_left(provider, graph, okta))
    events = [(e, d.get("reason", "")) for e, _, d in await _audit(slack)]
    assert any(e == "request.privileged" and why in reason for e, reason in events)


@pytest.mark.parametrize("provider", ["okta"], indirect=True)
async def test_role_names_from_the_directory_are_escaped(
    slack: SlackDriver, okta: FakeOkta
) -> None:
    next(iter(okta.users.values())).roles = ["<!channel> ops"]
    card = await _request(slack)
    text = card.all_text()
    assert "&lt;!channel&gt; ops" in text
    assert "<!channel>" not in text


@pytest.fixture(params=["it_admin_usergroup", "privileged_usergroup"])
def unreadable_group(
    request: pytest.FixtureRequest, bot_env: dict[str, Any], fake_slack: FakeSlack
) -> str:
    """The admin (or privileged) user group is set, but Slack will not list its members."""
    bot_env[request.param] = "S0GROUP"
    fake_slack.usergroups["S0GROUP"] = [ADMIN2]
    for _ in range(20):
        fake_slack.fail_next("usergroups.users.list", 200, error="missing_scope")
    return {"it_admin_usergroup": "IT admin", "privileged_usergroup": "privileged"}[request.param]


@pytest.mark.usefixtures("unreadable_group")
@pytest.mark.parametrize("provider", ["entra"], indirect=True)
async def test_an_unreadable_user_group_makes_the_request_privileged(
    slack: SlackDriver, graph: FakeGraph, okta: FakeOkta, unreadable_group: str
) -> None:
    card = await _request(slack)
    left = _factors_left("entra", graph, okta)
    await _needs_two(slack, card, left, lambda: _factors_left("entra", graph, okta))
    why = f"the {unreadable_group} user group S0GROUP could not be read (missing_scope)"
    assert f"*Privileged account*: {why}. {TWO}" in card.all_text()


async def test_a_card_posted_on_a_second_try_is_assessed_once(
    slack: SlackDriver, provider: str, graph: FakeGraph, okta: FakeOkta
) -> None:
    next(iter(okta.users.values())).roles = ["SUPER_ADMIN"]
    next(iter(graph.users.values())).roles = ["Global Administrator"]
    slack.fake.fail_next("chat.postMessage", 500, error="internal_error", channel=DESK)
    step = await _to_contact_it(slack)
    await slack.click(step, ActionId.CONTACT_IT)
    await slack.settle()
    await slack.submit(
        slack.opened_view(),
        {FieldId.LOST: "no", FieldId.REMAINING: "none", FieldId.CONTACT: "+1 555 0101"},
    )
    await slack.settle()
    assert not [m for (c, _), m in slack.fake.messages.items() if c == DESK]
    slack.runtime.tasks.failures = 0  # the failed post was logged; the request waits for a retry
    await slack.runtime.housekeeping_once()
    assert TWO in _card(slack).all_text()
    assessed = [e for e, _, _ in await _audit(slack) if e.startswith("request.privileged")]
    assert assessed == ["request.privileged"]
    path = "/roles" if provider == "okta" else "transitiveMemberOf"
    calls = okta.requests if provider == "okta" else graph.requests
    assert len([p for _, p in calls if path in p]) == 1
