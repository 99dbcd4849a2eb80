"""Several workspaces through Slack OAuth: installs against the fake Slack, tokens sealed at rest,
OAuth states that cannot be forged, replayed or kept, and each workspace's help desk kept apart."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from bot.app import Runtime, build_runtime
from bot.crypto import SecretBox
from bot.settings import Settings
from handlers.ids import ActionId, FieldId
from storage.engine import session_factory
from storage.helpdesk import SqlRequestRepository
from tests.conftest import FixedClock, serving
from tests.driver import SIGNING_SECRET, Screen, SlackDriver
from tests.fakes.slack import FakeSlack, Workspace

KEY = Fernet.generate_key().decode()
STATE_SECRET = "a-state-secret-of-this-deployment"
GUID = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"

ALPHA = Workspace("TALPHA01", "Alpha", "xoxb-alpha-1111", "UBOTA", "BBOTA", installer="UAOWNER")
BETA = Workspace("TBETA002", "Beta", "xoxb-beta-2222", "UBOTB", "BBOTB", installer="UBOWNER")
# A workspace of an Enterprise Grid organisation where the app is installed org-wide.
GRID = Workspace(
    "TGRID003",
    "Grid",
    "xoxb-grid-3333",
    "UBOTG",
    "BBOTG",
    installer="UGOWNER",
    enterprise_id="EORG0001",
    org_wide=True,
)


@dataclass(frozen=True)
class People:
    """One workspace's owner, IT admin, employee and help-desk channel."""

    owner: str
    admin: str
    employee: str
    desk: str


IN = {
    ALPHA.team_id: People("UAOWNER", "UAADMIN", "UAEMPLOYEE", "CDESKALPHA"),
    BETA.team_id: People("UBOWNER", "UBADMIN", "UBEMPLOYEE", "CDESKBETA"),
    GRID.team_id: People("UGOWNER", "UGADMIN", "UGEMPLOYEE", "CDESKGRID"),
}


@pytest.fixture
def oauth_env(fake_slack: FakeSlack, database_url: str) -> dict[str, Any]:
    """The OAuth trio and INSTALLATION_KEY, and no bot token or help-desk channel at all."""
    for team, people in IN.items():
        name = team[1:].lower()
        fake_slack.add_user(people.owner, f"Owner {name}", f"owner@{name}.example", is_admin=True)
        fake_slack.add_user(people.admin, f"Admin {name}", f"admin@{name}.example")
        fake_slack.add_user(people.employee, f"Employee {name}", f"employee@{name}.example")
    return {
        "slack_client_id": fake_slack.client_id,
        "slack_client_secret": fake_slack.client_secret,
        "slack_state_secret": STATE_SECRET,
        "installation_key": KEY,
        "slack_allowed_workspaces": f"{ALPHA.team_id},{BETA.team_id},{GRID.enterprise_id}",
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": fake_slack.base_url,
        "database_url": database_url,
        "identity_provider": "demo",
        "stepup_required": False,
    }


@pytest.fixture
async def oauth_runtime(oauth_env: dict[str, Any], clock: FixedClock) -> AsyncIterator[Runtime]:
    """The bot as `serve` builds it with the OAuth settings."""
    built = await build_runtime(Settings(_env_file=None, **oauth_env), clock)  # type: ignore[call-arg]
    yield built
    await built.close()


@dataclass
class Site:
    """The bot on loopback: its origin, and a driver per workspace."""

    origin: str
    http: aiohttp.ClientSession
    drivers: dict[str, SlackDriver]
    fake: FakeSlack
    runtime: Runtime
    install_query: dict[str, list[str]] = field(default_factory=dict)  # the last consent URL's


@pytest.fixture
async def site(oauth_runtime: Runtime, fake_slack: FakeSlack) -> AsyncIterator[Site]:
    """The bot listening, with one driver playing Alpha's people and one Beta's."""
    async with serving(oauth_runtime, fake_slack) as alpha:
        beta = SlackDriver(alpha.url, fake_slack, oauth_runtime, alpha.http)
        grid = SlackDriver(alpha.url, fake_slack, oauth_runtime, alpha.http)
        alpha.team, beta.team, grid.team = ALPHA.team_id, BETA.team_id, GRID.team_id
        grid.enterprise = GRID.enterprise_id
        origin = alpha.url.removesuffix("/slack/events")
        yield Site(
            origin,
            alpha.http,
            {ALPHA.team_id: alpha, BETA.team_id: beta, GRID.team_id: grid},
            fake_slack,
            oauth_runtime,
        )
        await beta.settle()
    assert oauth_runtime.tasks.failures == 0, "a background task failed (see the log)"


async def _begin_install(site: Site) -> tuple[str, str]:
    """GET /slack/install: the state on the way to Slack's consent page, and its cookie."""
    async with site.http.get(site.origin + "/slack/install", allow_redirects=False) as answer:
        assert answer.status == 302, await answer.text()
        location = urlsplit(answer.headers["Location"])
        cookie = answer.headers["Set-Cookie"]
    query = parse_qs(location.query)
    site.install_query = query
    assert location.netloc == "slack.com"
    assert location.path == "/oauth/v2/authorize"
    assert query["client_id"] == [site.fake.client_id]
    assert "chat:write" in query["scope"][0].split(",")
    state = query["state"][0]
    assert cookie.startswith(f"slack-app-oauth-state={state};")
    return state, state


async def _redirect(site: Site, code: str, state: str, cookie: str | None) -> tuple[int, str]:
    """Slack sends the person back to /slack/oauth_redirect with the code and the state."""
    headers = {"Cookie": f"slack-app-oauth-state={cookie}"} if cookie is not None else {}
    async with site.http.get(
        site.origin + "/slack/oauth_redirect",
        params={"code": code, "state": state},
        headers=headers,
        allow_redirects=False,
    ) as answer:
        return answer.status, await answer.text()


async def install(site: Site, workspace: Workspace) -> None:
    """Install the app into `workspace` the way a person does, through the browser."""
    state, cookie = await _begin_install(site)
    status, page = await _redirect(site, site.fake.consent(workspace), state, cookie)
    assert status == 200, page
    assert "Thank you" in page


async def _rows(site: Site, table: str) -> list[dict[str, Any]]:
    async with site.runtime.engine.connect() as conn:
        result = await conn.execute(text(f"SELECT * FROM {table} ORDER BY id"))  # noqa: S608
        return [dict(row) for row in result.mappings()]


async def set_up(site: Site, team: str) -> None:
    """The workspace's owner picks its help-desk channel and its IT admin with /mfa-admin setup."""
    people, slack = IN[team], site.drivers[team]
    reply, _ = await slack.command("setup", user=people.owner, command="/mfa-admin")
    assert reply.status == 200
    await slack.settle()
    modal = slack.opened_view()
    values = {FieldId.SETUP_CHANNEL: people.desk, FieldId.SETUP_ADMINS: people.admin}
    reply = await slack.submit(modal, values, user=people.owner)
    assert reply.status == 200, reply
    assert reply.json()["response_action"] == "update", reply.body
    assert f"<#{people.desk}>" in str(reply.json()["view"])


async def ask_for_help(site: Site, team: str) -> Screen:
    """The workspace's employee walks to Contact IT and sends the form; their request's card."""
    people, slack = IN[team], site.drivers[team]
    _, menu = await slack.command(user=people.employee)
    assert menu is not None
    step = await slack.click_and_see(menu, f"{ActionId.TOPIC}lost-phone")
    step = await slack.click_and_see(step, f"{ActionId.CHOICE}1")
    reply, _ = await slack.click(step, ActionId.CONTACT_IT)
    assert reply.status == 200
    await slack.settle()
    form = {
        FieldId.LOST: "yes",
        FieldId.REMAINING: "none",
        FieldId.CORRELATION: GUID,
        FieldId.CONTACT: "desk 4B",
    }
    reply = await slack.submit(slack.opened_view(), form, user=people.employee)
    assert reply.json()["response_action"] == "update", reply.body
    await slack.settle()
    cards = [
        ts
        for (channel, ts), message in site.fake.messages.items()
        if channel == people.desk and not message.get("thread_ts")
    ]
    assert cards, f"no card in {people.desk}"
    return slack.channel_screen(people.desk, max(cards), people.admin)


async def test_two_workspaces_install_through_oauth_with_their_tokens_sealed(site: Site) -> None:
    await install(site, ALPHA)
    await install(site, BETA)

    bots = await _rows(site, "slack_bots")
    installs = await _rows(site, "slack_installations")
    assert sorted(row["team_id"] for row in bots) == [ALPHA.team_id, BETA.team_id]
    assert sorted(row["user_id"] for row in installs) == ["UAOWNER", "UBOWNER"]
    box = SecretBox(KEY, "INSTALLATION_KEY")
    for row in [*bots, *installs]:
        token = {ALPHA.team_id: ALPHA, BETA.team_id: BETA}[row["team_id"]].bot_token
        assert "xoxb-" not in row["bot_token"]  # ciphertext at rest
        assert box.open(row["bot_token"]) == token
        assert row["bot_id"] in ("BBOTA", "BBOTB")  # from auth.test with the new token

    # Each workspace's people are answered with that workspace's own token.
    for team in (ALPHA.team_id, BETA.team_id):
        driver = site.drivers[team]
        for n in range(2):
            employee = IN[team].employee
            reply = await driver.dm("my phone is lost", user=employee, event_id=f"Ev{team}{n}")
            assert reply.status == 200
            await driver.settle()
    # Who the bot is, asked once per token by the install and once by this replica: not on
    # every request.
    checks = [site.fake.workspace_of(c) for c in site.fake.calls_to("auth.test")]
    assert sorted(checks) == [ALPHA.team_id] * 2 + [BETA.team_id] * 2
    posts = site.fake.calls_to("chat.postMessage")
    assert {(site.fake.workspace_of(c), c.params["channel"]) for c in posts} == {
        (ALPHA.team_id, "DAEMPLOYEE"),
        (BETA.team_id, "DBEMPLOYEE"),
    }


async def test_a_forged_replayed_expired_or_foreign_state_is_refused(
    site: Site, clock: FixedClock
) -> None:
    state, cookie = await _begin_install(site)
    nonce = state.split(".")[0]

    # Forged: a state this deployment never signed (its nonce with another signature).
    forged = f"{nonce}.{'0' * 64}"
    status, _ = await _redirect(site, site.fake.consent(ALPHA), forged, forged)
    assert status == 401
    # Another browser's: the state in the URL is not the one this browser's cookie holds.
    status, _ = await _redirect(site, site.fake.consent(ALPHA), state, None)
    assert status == 400

    # The real one works once...
    status, _ = await _redirect(site, site.fake.consent(ALPHA), state, cookie)
    assert status == 200
    # ...and never again (replayed).
    status, _ = await _redirect(site, site.fake.consent(BETA), state, cookie)
    assert status == 401

    # Kept past its ten minutes.
    late, late_cookie = await _begin_install(site)
    clock.advance(minutes=11)
    status, _ = await _redirect(site, site.fake.consent(BETA), late, late_cookie)
    assert status == 401

    assert [row["team_id"] for row in await _rows(site, "slack_bots")] == [ALPHA.team_id]
    exchanged = site.fake.calls_to("oauth.v2.access")
    assert len(exchanged) == 1  # no refused state ever reached the code exchange


async def test_each_workspace_decides_its_own_requests_only(site: Site) -> None:
    alpha, beta = ALPHA.team_id, BETA.team_id
    for workspace in (ALPHA, BETA):
        await install(site, workspace)
        await set_up(site, workspace.team_id)
    alpha_card = await ask_for_help(site, alpha)
    beta_card = await ask_for_help(site, beta)
    assert "Request #1" in alpha_card.all_text()
    assert "Request #2" in beta_card.all_text()
    card_posts = [
        (site.fake.workspace_of(c), c.params["channel"])
        for c in site.fake.calls_to("chat.postMessage")
        if c.params["channel"].startswith("CDESK")
    ]
    assert (alpha, IN[alpha].desk) in card_posts
    assert (beta, IN[beta].desk) in card_posts
    assert all(IN[team].desk == channel for team, channel in card_posts)

    # Alpha's admin lists pending work: Alpha's request only.
    driver = site.drivers[alpha]
    _, url = await _admin_command(driver, "pending", IN[alpha].admin)
    listed = str(site.fake.response_posts(url))
    assert "#1" in listed
    assert "#2" not in listed

    # Each admin's Home tab queues their own workspace's request, and is published with its token.
    for team, own, other in ((alpha, "#1", "#2"), (beta, "#2", "#1")):
        home = {"type": "app_home_opened", "user": IN[team].admin, "tab": "home", "event_ts": "1"}
        reply = await site.drivers[team].event(home, event_id=f"EvHome{team}")
        assert reply.status == 200
        await site.drivers[team].settle()
        queue = json.dumps(site.fake.home_views[IN[team].admin])
        assert own in queue
        assert other not in queue
        published = [
            c for c in site.fake.calls_to("views.publish") if c.params["user_id"] == IN[team].admin
        ]
        # Published once, then again with the week's figures drawn, each time with its token;
        # the figures' pictures are uploaded into the admin's own workspace.
        assert len(published) == 2
        assert {site.fake.workspace_of(call) for call in published} == {team}
        board = json.dumps(site.fake.home_views[IN[team].admin])
        assert "This week at the help desk" in board
        pictures = [
            b["slack_file"]["id"]
            for b in site.fake.home_views[IN[team].admin]["blocks"]
            if b.get("type") == "image"
        ]
        assert len(pictures) == 2
        uploads = site.fake.calls_to("files.completeUploadExternal")
        assert sum(site.fake.workspace_of(call) == team for call in uploads) == 2

    # Alpha's admin presses Approve on Beta's card: from their own workspace, and as if from
    # Beta's; neither decides.
    for team in (alpha, beta):
        foreign = Screen(beta_card.blocks, beta_card.text, IN[alpha].admin, IN[beta].desk, False)
        foreign.ts = beta_card.ts
        reply, _ = await driver.click(foreign, ActionId.APPROVE, team=team)
        assert reply.status == 200
        await driver.settle()
    requests = SqlRequestRepository(session_factory(site.runtime.engine))
    beta_request = await requests.get_request(2)
    assert beta_request is not None
    assert beta_request.status.value == "open"

    # Beta's admin can; Alpha's request stays Alpha's.
    reply, _ = await site.drivers[beta].click(beta_card, ActionId.APPROVE, user=IN[beta].admin)
    assert reply.status == 200
    await site.drivers[beta].settle()
    beta_request = await requests.get_request(2)
    alpha_request = await requests.get_request(1)
    assert beta_request is not None
    assert alpha_request is not None
    assert beta_request.status.value == "done"
    assert alpha_request.status.value == "open"

    # Each audit line belongs to one workspace: its request's, or the one it names.
    lines = await _audit_lines(site)
    refused = [line for line in lines if line["event"] == "decision.refused"]
    assert {(line["actor_id"], line["request_id"]) for line in refused} == {(IN[alpha].admin, 2)}
    # A refusal names the workspace the click came from (the request names its own).
    assert [(line["detail"]["reason"], line["detail"]["workspace"]) for line in refused] == [
        ("wrong_place", alpha),
        ("not_an_admin", beta),
    ]
    for line in lines:
        if line["request_id"] in (1, 2) and line["event"] != "decision.refused":
            own = alpha if line["request_id"] == 1 else beta
            assert line["detail"].get("workspace", own) == own, line
    setups = [line for line in lines if line["event"] == "workspace.setup"]
    assert [(line["actor_id"], line["detail"]["workspace"]) for line in setups] == [
        ("UAOWNER", alpha),
        ("UBOWNER", beta),
    ]
    # The operator's export of one workspace's lines: its requests', and those naming it.
    beta_lines = await _export(site, beta)
    assert {line["request_id"] for line in beta_lines} == {None, 2}
    assert ("workspace.setup", "UBOWNER") in {(x["event"], x["actor_id"]) for x in beta_lines}
    assert len([x for x in beta_lines if x["event"] == "decision.refused"]) == 2
    alpha_lines = await _export(site, alpha)
    assert {line["request_id"] for line in alpha_lines} == {None, 1, 2}
    assert [x["detail"]["reason"] for x in alpha_lines if x["request_id"] == 2] == ["wrong_place"]

    # The decisions were taken in Beta: Alpha's people never heard of request #2.
    alpha_calls = [c for c in site.fake.calls if site.fake.workspace_of(c) == alpha]
    assert not any(IN[beta].desk in str(c.params) for c in alpha_calls)


async def test_only_a_workspace_admin_sets_up_its_help_desk(site: Site) -> None:
    await install(site, ALPHA)
    driver = site.drivers[ALPHA.team_id]
    _, url = await _admin_command(driver, "setup", IN[ALPHA.team_id].employee)
    assert "This attempt has been recorded" in str(site.fake.response_posts(url))
    assert site.fake.calls_to("views.open") == []
    lines = await _audit_lines(site)
    assert [(line["event"], line["actor_id"]) for line in lines] == [
        ("decision.refused", IN[ALPHA.team_id].employee)
    ]
    assert lines[0]["detail"] == {"reason": "not_an_admin", "workspace": ALPHA.team_id}


async def _admin_command(driver: SlackDriver, text: str, user: str) -> tuple[Any, str]:
    """/mfa-admin `text` as `user`; the reply and the command's response URL."""
    before = set(driver.fake.responses)
    reply, _ = await driver.command(text, user=user, command="/mfa-admin")
    assert reply.status == 200
    await driver.settle()
    (new,) = set(driver.fake.responses) - before
    return reply, f"{driver.fake.origin}/response/{new}"


async def _audit_lines(site: Site) -> list[dict[str, Any]]:
    rows = await _rows(site, "audit_log")
    for row in rows:
        detail = row["detail"]
        row["detail"] = detail if isinstance(detail, dict) else json.loads(detail)
    return rows


async def test_contact_it_before_the_workspace_is_set_up_says_who_sets_it_up(site: Site) -> None:
    await install(site, ALPHA)
    people, slack = IN[ALPHA.team_id], site.drivers[ALPHA.team_id]
    _, menu = await slack.command(user=people.employee)
    assert menu is not None
    step = await slack.click_and_see(menu, f"{ActionId.TOPIC}lost-phone")
    step = await slack.click_and_see(step, f"{ActionId.CHOICE}1")
    reply, _ = await slack.click(step, ActionId.CONTACT_IT)
    assert reply.status == 200
    await slack.settle()
    notice = json.dumps(slack.opened_view())
    assert "/mfa-admin setup" in notice
    assert "submit" not in slack.opened_view()  # no form that nobody would read
    assert await _rows(site, "help_requests") == []


async def test_uninstalling_deletes_the_workspace_tokens_and_nothing_else(site: Site) -> None:
    await install(site, ALPHA)
    await install(site, BETA)
    slack = site.drivers[ALPHA.team_id]
    reply = await slack.event({"type": "app_uninstalled"}, event_id="EvUninstall")
    assert reply.status == 200
    await slack.settle()
    assert [row["team_id"] for row in await _rows(site, "slack_bots")] == [BETA.team_id]
    assert [row["team_id"] for row in await _rows(site, "slack_installations")] == [BETA.team_id]


async def test_an_org_wide_install_serves_each_workspace_of_the_organisation(site: Site) -> None:
    team = GRID.team_id
    await install(site, GRID)
    (bot,) = await _rows(site, "slack_bots")
    assert (bot["team_id"], bot["enterprise_id"]) == (None, GRID.enterprise_id)
    assert bot["is_enterprise_install"] in (True, 1)

    await set_up(site, team)
    card = await ask_for_help(site, team)
    reply, _ = await site.drivers[team].click(card, ActionId.APPROVE, user=IN[team].admin)
    assert reply.status == 200
    await site.drivers[team].settle()
    requests = SqlRequestRepository(session_factory(site.runtime.engine))
    done = await requests.get_request(1)
    assert done is not None
    assert (done.team_id, done.status.value) == (team, "done")
    # The card was posted, and the employee told, with the organisation's token.
    posts = site.fake.calls_to("chat.postMessage")
    assert {site.fake.workspace_of(call) for call in posts} == {team}
    assert IN[team].desk in {call.params["channel"] for call in posts}


async def _export(site: Site, workspace: str) -> list[dict[str, Any]]:
    """`mfa-helpdesk audit export --workspace` as the operator runs it."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "audit",
        "export",
        "--since",
        "2000-01-01",
        "--workspace",
        workspace,
        env={"PATH": os.environ["PATH"], "DATABASE_URL": site.runtime.settings.database_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return [json.loads(line) for line in out.decode().splitlines()]


async def test_a_workspace_the_operator_did_not_allow_is_never_installed_nor_served(
    site: Site,
) -> None:
    stranger = Workspace("TSTRANGE", "Strange", "xoxb-strange-4444", "UBOTS", "BBOTS", "USOWNER")
    state, cookie = await _begin_install(site)
    status, _ = await _redirect(site, site.fake.consent(stranger), state, cookie)
    assert status == 401
    assert await _rows(site, "slack_bots") == []
    assert site.fake.revoked == [stranger.bot_token]  # the token Slack granted, given back

    # Installed before the operator took it off the list (another replica, restarted with the
    # shorter list, on the same database): its people get nothing, and nothing is sent.
    await install(site, ALPHA)
    settings = site.runtime.settings.model_copy(update={"slack_allowed_workspaces": [BETA.team_id]})
    narrower = await build_runtime(settings, FixedClock())
    try:
        async with serving(narrower, site.fake) as slack:
            slack.team = ALPHA.team_id
            before = len(site.fake.calls)
            reply, screen = await slack.command(user=IN[ALPHA.team_id].employee)
            assert (reply.status, reply.body, screen) == (200, "", None)
            await slack.settle()
            assert site.fake.calls[before:] == []
    finally:
        await narrower.close()


async def test_a_setup_without_a_channel_or_anyone_to_decide_or_with_a_bad_group_is_refused_inline(
    site: Site,
) -> None:
    await install(site, ALPHA)
    people, slack = IN[ALPHA.team_id], site.drivers[ALPHA.team_id]
    await slack.command("setup", user=people.owner, command="/mfa-admin")
    await slack.settle()
    modal = slack.opened_view()
    for values, wrong in (
        ({FieldId.SETUP_ADMINS: people.admin}, FieldId.SETUP_CHANNEL),
        ({FieldId.SETUP_CHANNEL: people.desk}, FieldId.SETUP_ADMINS),
        (
            {FieldId.SETUP_CHANNEL: people.desk, FieldId.SETUP_USERGROUP: "<!channel>"},
            FieldId.SETUP_USERGROUP,
        ),
    ):
        reply = await slack.submit(modal, values, user=people.owner)
        assert reply.json()["response_action"] == "errors"
        assert set(reply.json()["errors"]) == {wrong}
    async with site.runtime.engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM workspace_settings")) == 0


async def test_with_public_url_slack_is_told_where_to_send_the_person_back(
    oauth_env: dict[str, Any], clock: FixedClock, fake_slack: FakeSlack
) -> None:
    settings = Settings(_env_file=None, **oauth_env, public_url="https://mfa.example.com/")  # type: ignore[call-arg]
    runtime = await build_runtime(settings, clock)
    try:
        async with serving(runtime, fake_slack) as slack:
            origin = slack.url.removesuffix("/slack/events")
            site = Site(origin, slack.http, {}, fake_slack, runtime)
            state, cookie = await _begin_install(site)
            assert site.install_query["redirect_uri"] == [
                "https://mfa.example.com/slack/oauth_redirect"
            ]
            status, _ = await _redirect(site, fake_slack.consent(ALPHA), state, cookie)
            assert status == 200
        (exchange,) = fake_slack.calls_to("oauth.v2.access")
        assert exchange.params["redirect_uri"] == "https://mfa.example.com/slack/oauth_redirect"
    finally:
        await runtime.close()
