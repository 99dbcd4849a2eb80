"""The sandbox in-process: its Web API answers in Slack's shapes, and its page API plays Slack."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import build_runtime
from sandbox.server import Sandbox, bind, origin_of, sandbox_settings
from sandbox.workspace import BOT_USER_ID, GENERAL, HELPDESK, OpenView, Source

EMPLOYEE, ADMIN1, ADMIN2, EXEC = "U0EMPLOYEE", "U0ADMIN1", "U0ADMIN2", "U0EXEC"
TS_SHAPE = r"^\d{10}\.\d{6}$"


@dataclass
class Running:
    """A sandbox served on loopback, with a client for its page API and one for its Web API."""

    sandbox: Sandbox
    url: str
    http: aiohttp.ClientSession
    slack: AsyncWebClient

    async def page(self, verb: str, **body: Any) -> dict[str, Any]:
        """POST to the page's API as the page does."""
        async with self.http.post(f"{self.url}/sandbox/api/{verb}", json=body) as reply:
            assert reply.status == 200, await reply.text()
            answer: dict[str, Any] = await reply.json()
        await self.sandbox.runtime.tasks.drain(10)
        return answer

    async def state(self, user: str) -> dict[str, Any]:
        """What the page shows one person now."""
        async with self.http.get(f"{self.url}/sandbox/api/state?user={user}") as reply:
            assert reply.status == 200
            state: dict[str, Any] = await reply.json()
            return state

    async def click(self, user: str, where: dict[str, str], action_id: str, **extra: Any) -> None:
        """Press the element with this action_id (its block found in what the page shows)."""
        block_id = next(
            block.get("block_id", "")
            for block in self._blocks(user, where)
            for element in [*block.get("elements", []), block.get("accessory") or {}]
            if element.get("action_id") == action_id
        )
        answer = await self.page(
            "action", user=user, place=where, block_id=block_id, action_id=action_id, **extra
        )
        assert answer == {"ok": True}, answer

    def _blocks(self, user: str, where: dict[str, str]) -> list[dict[str, Any]]:
        ws = self.sandbox.workspace
        if where["kind"] == "ephemeral":
            return ws.ephemerals[where["id"]].blocks
        if where["kind"] == "modal":
            modal = ws.top_modal(user)
            assert modal is not None
            return list(modal.view["blocks"])
        return ws.messages[where["channel"]][where["ts"]].blocks

    async def open_contact_form(self, user: str) -> OpenView:
        """Walk *I lost my phone* to *Contact IT* as `user`; the form that opens."""
        ws = self.sandbox.workspace
        await self.page("send", user=user, channel=GENERAL, text="/mfa-help lost phone")
        [menu] = [e for e in ws.ephemerals.values() if e.user == user]
        here = {"kind": "ephemeral", "id": menu.id}
        await self.click(user, here, "mfa-guide-choice-1")
        await self.click(user, here, "mfa-guide-contact-it")
        modal = ws.top_modal(user)
        assert modal is not None
        return modal

    async def code(self, admin: str) -> str:
        """The admin's current authenticator code, from the page's codes panel."""
        async with self.http.get(f"{self.url}/sandbox/api/codes") as reply:
            admins = {a["id"]: a for a in (await reply.json())["admins"]}
        return str(admins[admin]["code"])


@contextlib.asynccontextmanager
async def serving(tmp_path: Path, host: str = "127.0.0.1") -> AsyncIterator[Running]:
    """The sandbox as `mfa-helpdesk sandbox --host HOST` builds it, on a free port."""
    sock = bind(host, 0)
    url = origin_of(sock)
    runtime = await build_runtime(
        sandbox_settings(url, f"sqlite+aiosqlite:///{tmp_path / 's.db'}"), identify=False
    )
    sandbox = Sandbox.create(runtime, url)
    sandbox.attach(runtime.web, host)
    await sandbox.seed()
    runner = web.AppRunner(runtime.web, access_log=None)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    token = runtime.settings.slack_bot_token
    assert token is not None
    try:
        async with aiohttp.ClientSession() as http:
            slack = AsyncWebClient(token=token.get_secret_value(), base_url=f"{url}/api/")
            yield Running(sandbox, url, http, slack)
    finally:
        await runner.cleanup()
        await runtime.close()
    assert runtime.tasks.failures == 0


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[Running]:
    """The sandbox on loopback."""
    async with serving(tmp_path) as started:
        yield started


# -- the Web API, in the shapes Slack documents -------------------------------------------------


async def test_auth_test_names_the_bot_and_its_team(running: Running) -> None:
    answer = (await running.slack.auth_test()).data
    assert answer["ok"] is True
    assert answer["user_id"] == BOT_USER_ID
    assert {"url", "team", "user", "team_id", "bot_id"} <= answer.keys()


async def test_post_update_permalink_and_delete_a_message(running: Running) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hello*"}}]
    posted = (await running.slack.chat_postMessage(channel=GENERAL, text="hi", blocks=blocks)).data
    assert posted["channel"] == GENERAL
    assert posted["ts"] == posted["message"]["ts"]
    assert posted["message"]["type"] == "message"
    assert posted["message"]["user"] == BOT_USER_ID
    assert posted["message"]["bot_id"]
    assert posted["message"]["blocks"] == blocks
    assert re.match(TS_SHAPE, posted["ts"])

    updated = (
        await running.slack.chat_update(channel=GENERAL, ts=posted["ts"], text="changed")
    ).data
    assert (updated["channel"], updated["ts"], updated["text"]) == (
        GENERAL,
        posted["ts"],
        "changed",
    )
    shown = running.sandbox.workspace.messages[GENERAL][posted["ts"]]
    # As Slack documents: without `blocks` the message keeps its blocks; an empty list clears them.
    assert (shown.text, shown.blocks, shown.edited) == ("changed", blocks, True)
    await running.slack.chat_update(channel=GENERAL, ts=posted["ts"], text="plain", blocks=[])
    assert (shown.text, shown.blocks) == ("plain", [])

    link = (await running.slack.chat_getPermalink(channel=GENERAL, message_ts=posted["ts"])).data
    assert link["permalink"] == f"{running.url}/#{GENERAL}/{posted['ts']}"

    deleted = (await running.slack.chat_delete(channel=GENERAL, ts=posted["ts"])).data
    assert (deleted["channel"], deleted["ts"]) == (GENERAL, posted["ts"])
    with pytest.raises(SlackApiError) as missing:
        await running.slack.chat_update(channel=GENERAL, ts=posted["ts"], text="again")
    assert missing.value.response["error"] == "message_not_found"


async def test_threads_ephemerals_and_unknown_channels(running: Running) -> None:
    parent = (await running.slack.chat_postMessage(channel=HELPDESK, text="card")).data
    reply = await running.slack.chat_postMessage(
        channel=HELPDESK, text="history", thread_ts=parent["ts"]
    )
    assert reply["message"]["thread_ts"] == parent["ts"]
    ephemeral = (
        await running.slack.chat_postEphemeral(channel=GENERAL, user=EMPLOYEE, text="psst")
    ).data
    assert set(ephemeral) == {"ok", "message_ts"}
    with pytest.raises(SlackApiError) as outsider:
        await running.slack.chat_postEphemeral(channel=HELPDESK, user=EMPLOYEE, text="psst")
    assert outsider.value.response["error"] == "user_not_in_channel"
    with pytest.raises(SlackApiError) as nowhere:
        await running.slack.chat_postMessage(channel="C0NOWHERE", text="hi")
    assert nowhere.value.response["error"] == "channel_not_found"

    admin = await running.state(ADMIN1)
    [card] = admin["messages"][HELPDESK]
    assert [r["ts"] for r in card["replies"]] == [reply["ts"]]
    employee = await running.state(EMPLOYEE)
    assert HELPDESK not in employee["messages"]
    assert [e["html"] for e in employee["ephemerals"]] == ['<div class="sb-text">psst</div>']


async def test_broken_blocks_are_refused_as_slack_refuses_them(running: Running) -> None:
    with pytest.raises(SlackApiError) as broken:
        await running.slack.chat_postMessage(
            channel=GENERAL, text="x", blocks=[{"type": "section", "text": {"type": "bogus"}}]
        )
    assert broken.value.response["error"] == "invalid_blocks"
    too_many = [{"type": "divider"}] * 51
    with pytest.raises(SlackApiError) as crowded:
        await running.slack.chat_postMessage(channel=GENERAL, text="x", blocks=too_many)
    assert crowded.value.response["error"] == "invalid_blocks"
    assert running.sandbox.workspace.messages[GENERAL] == {}


async def test_people_are_found_by_id_and_email(running: Running) -> None:
    user = (await running.slack.users_info(user=EMPLOYEE)).data["user"]
    assert user["id"] == EMPLOYEE
    assert user["profile"]["email"] == "jordan.lee@example.com"
    assert user["profile"]["real_name"] == "Jordan Lee"
    assert user["deleted"] is False
    found = (await running.slack.users_lookupByEmail(email="Jordan.Lee@example.com")).data
    assert found["user"]["id"] == EMPLOYEE
    profile = (await running.slack.users_profile_get(user=EMPLOYEE)).data["profile"]
    assert profile["fields"] == {}
    for call, error in (
        (running.slack.users_info(user="U0NOBODY"), "user_not_found"),
        (running.slack.users_lookupByEmail(email="nobody@example.com"), "users_not_found"),
        (running.slack.usergroups_users_list(usergroup="S0NONE"), "no_such_subteam"),
    ):
        with pytest.raises(SlackApiError) as refused:
            await call
        assert refused.value.response["error"] == error
    dm = (await running.slack.conversations_open(users=EMPLOYEE)).data
    assert dm["channel"]["id"] == "D0EMPLOYEE"


async def test_views_need_a_fresh_trigger_and_the_current_hash(running: Running) -> None:
    ws = running.sandbox.workspace
    modal = {
        "type": "modal",
        "callback_id": "demo",
        "title": {"type": "plain_text", "text": "Demo"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "one"}}],
    }
    with pytest.raises(SlackApiError) as stale:
        await running.slack.views_open(trigger_id="1.2.nope", view=modal)
    assert stale.value.response["error"] == "expired_trigger_id"
    trigger = ws.new_trigger(EMPLOYEE)
    opened = (await running.slack.views_open(trigger_id=trigger, view=modal)).data["view"]
    assert {"id", "type", "hash", "callback_id", "state", "root_view_id"} <= opened.keys()
    assert opened["type"] == "modal"
    with pytest.raises(SlackApiError) as reused:
        await running.slack.views_open(trigger_id=trigger, view=modal)
    assert reused.value.response["error"] == "expired_trigger_id"

    two = {**modal, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "two"}}]}
    updated = (
        await running.slack.views_update(view_id=opened["id"], hash=opened["hash"], view=two)
    ).data["view"]
    assert updated["id"] == opened["id"]
    assert updated["hash"] != opened["hash"]
    with pytest.raises(SlackApiError) as conflict:
        await running.slack.views_update(view_id=opened["id"], hash=opened["hash"], view=modal)
    assert conflict.value.response["error"] == "hash_conflict"
    pushed = await running.slack.views_push(trigger_id=ws.new_trigger(EMPLOYEE), view=modal)
    assert pushed["view"]["id"] != opened["id"]
    assert [v.id for v in ws.modals[EMPLOYEE]] == [opened["id"], pushed["view"]["id"]]

    home = {"type": "home", "blocks": modal["blocks"]}
    published = (await running.slack.views_publish(user_id=EMPLOYEE, view=home)).data["view"]
    assert published["type"] == "home"
    assert (await running.state(EMPLOYEE))["home"]["html"].count("one") == 1


async def test_file_uploads_show_in_the_conversation_and_can_be_deleted(running: Running) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 64
    uploaded = await running.slack.files_upload_v2(
        channel="D0ADMIN1", content=png, filename="qr.png", title="Scan me"
    )
    [file] = uploaded["files"]
    async with running.http.get(f"{running.url}/sandbox/files/{file['id']}") as reply:
        assert reply.status == 200
        assert reply.content_type == "image/png"
        assert await reply.read() == png
    [shown] = (await running.state(ADMIN1))["messages"]["D0ADMIN1"]
    assert f'src="/sandbox/files/{file["id"]}"' in shown["html"]
    await running.slack.files_delete(file=file["id"])
    assert (await running.state(ADMIN1))["messages"]["D0ADMIN1"] == []


async def test_unknown_methods_and_bad_tokens_are_listed_not_accepted(running: Running) -> None:
    with pytest.raises(SlackApiError) as unknown:
        await running.slack.api_call("reactions.add", params={"name": "tada"})
    assert unknown.value.response["error"] == "unknown_method"
    forged = AsyncWebClient(token="xoxb-forged", base_url=f"{running.url}/api/")
    with pytest.raises(SlackApiError) as refused:
        await forged.auth_test()
    assert refused.value.response["error"] == "invalid_auth"
    log = (await running.state(EMPLOYEE))["log"]
    assert {"kind": "unknown", "text": "reactions.add: not a method the sandbox knows"} in [
        {"kind": line["kind"], "text": line["text"]} for line in log
    ]
    assert any(line["text"] == "auth.test: invalid_auth" for line in log)


async def test_response_urls_replace_their_message_and_wear_out(running: Running) -> None:
    ws = running.sandbox.workspace
    shown = ws.add_ephemeral(GENERAL, EMPLOYEE, "first", [])
    rid = ws.new_response_url(Source(EMPLOYEE, GENERAL, ephemeral_id=shown.id))
    for n in range(5):
        async with running.http.post(
            f"{running.url}/response/{rid}", json={"text": f"v{n}", "replace_original": True}
        ) as reply:
            assert reply.status == 200
    assert ws.ephemerals[shown.id].text == "v4"
    async with running.http.post(f"{running.url}/response/{rid}", json={"text": "6th"}) as reply:
        assert reply.status == 404
    assert ws.ephemerals[shown.id].text == "v4"


# -- the page's API: what a person does, sent as Slack sends it --------------------------------


async def test_a_dm_reaches_the_bot_as_message_im_and_typed_markup_stays_text(
    running: Running,
) -> None:
    assert await running.page("send", user=EMPLOYEE, channel="D0EMPLOYEE", text="I lost my phone")
    await running.page("send", user=EMPLOYEE, channel="D0EMPLOYEE", text="<!channel> hi")
    timeline = (await running.state(EMPLOYEE))["messages"]["D0EMPLOYEE"]
    authors = [m["author"] for m in timeline]
    assert authors[:2] == [EMPLOYEE, BOT_USER_ID]
    assert "I lost my phone or got a new number" in timeline[1]["html"]
    typed = next(m for m in timeline if "hi" in m["html"] and m["author"] == EMPLOYEE)
    assert "&lt;!channel&gt; hi" in typed["html"]
    assert "bk-broadcast" not in typed["html"]


async def test_the_home_tab_is_published_when_opened(running: Running) -> None:
    assert (await running.state(EMPLOYEE))["home"] is None
    await running.page("home", user=EMPLOYEE)
    home = (await running.state(EMPLOYEE))["home"]
    assert "I lost my phone or got a new number" in home["html"]
    assert 'data-kind="button"' in home["html"]


async def test_what_slack_would_refuse_is_answered_on_the_page(running: Running) -> None:
    unknown = await running.page("send", user=EMPLOYEE, channel=GENERAL, text="/reset-everything")
    assert unknown == {
        "ok": False,
        "error": "/reset-everything is not a valid command here: try /mfa-help or /mfa-admin",
    }
    outsider = await running.page("send", user=EMPLOYEE, channel=HELPDESK, text="hello")
    assert outsider == {"ok": False, "error": "you are not in that conversation"}
    async with running.http.post(
        f"{running.url}/sandbox/api/send", data={"user": EMPLOYEE, "channel": GENERAL}
    ) as form:
        assert form.status == 415  # a form post from another site cannot drive the page
    assert running.sandbox.workspace.messages[HELPDESK] == {}


async def test_a_privileged_request_needs_both_admins(running: Running) -> None:
    ws = running.sandbox.workspace
    modal = await running.open_contact_form(EXEC)
    await running.page(
        "submit",
        user=EXEC,
        view_id=modal.id,
        state={
            "mfa-contact-lost": {"mfa-contact-lost-input": "no"},
            "mfa-contact-remaining": {"mfa-contact-remaining-input": "none"},
            "mfa-contact-reach": {"mfa-contact-reach-input": "+1 555 0199"},
        },
    )
    [card] = [m for m in ws.messages[HELPDESK].values() if m.thread_ts is None]
    on_card = {"kind": "message", "channel": HELPDESK, "ts": card.ts}
    assert "listed in PRIVILEGED_USERS" in json.dumps(card.blocks)

    for admin, expected in ((ADMIN1, "1 of 2 approvals"), (ADMIN2, "Done")):
        await running.click(admin, on_card, "mfa-desk-approve")
        stepup = ws.top_modal(admin)
        assert stepup is not None
        code = await running.code(admin)
        await running.page(
            "submit",
            user=admin,
            view_id=stepup.id,
            state={"mfa-stepup-code": {"mfa-stepup-code-input": code}},
        )
        assert ws.top_modal(admin) is None
        assert expected in json.dumps(ws.messages[HELPDESK][card.ts].blocks)

    async with running.http.get(f"{running.url}/sandbox/api/directory") as reply:
        people = {p["email"]: p for p in (await reply.json())["people"]}
    assert people["alex.kim@example.com"]["methods"] == []
    assert people["priya.shah@example.com"]["admin_roles"] == ["Helpdesk Administrator"]
    assert len(people["jordan.lee@example.com"]["methods"]) == 3


async def test_an_admin_replaces_their_authenticator_with_the_codes_panel(
    running: Running,
) -> None:
    ws = running.sandbox.workspace
    await running.page("send", user=ADMIN2, channel="D0ADMIN2", text="/mfa-admin enroll")
    dm = ws.messages["D0ADMIN2"]
    [qr] = [m for m in dm.values() if m.files]
    [key] = [m for m in dm.values() if m.blocks]
    file_id = qr.files[0]
    stored = ws.files[file_id]
    assert stored.content.startswith(b"\x89PNG")
    async with running.http.get(f"{running.url}/sandbox/api/codes") as reply:
        panel = {a["id"]: a for a in (await reply.json())["admins"]}
    assert panel[ADMIN2]["new_code"] is not None

    await running.click(
        ADMIN2, {"kind": "message", "channel": "D0ADMIN2", "ts": key.ts}, "mfa-admin-enroll-confirm"
    )
    modal = ws.top_modal(ADMIN2)
    assert modal is not None
    await running.page(
        "submit",
        user=ADMIN2,
        view_id=modal.id,
        state={
            "mfa-stepup-current-code": {"mfa-stepup-current-code-input": panel[ADMIN2]["code"]},
            "mfa-stepup-code": {"mfa-stepup-code-input": panel[ADMIN2]["new_code"]},
        },
    )
    notice = ws.top_modal(ADMIN2)
    assert notice is not None
    assert "Your authenticator is set up" in json.dumps(notice.view)
    # The DM that carried the key and the QR code is gone, and the panel shows one code again.
    assert ws.messages["D0ADMIN2"].keys().isdisjoint({qr.ts, key.ts})
    assert file_id not in ws.files
    async with running.http.get(f"{running.url}/sandbox/api/codes") as reply:
        after = {a["id"]: a for a in (await reply.json())["admins"]}
    assert after[ADMIN2]["new_code"] is None
    assert after[ADMIN2]["code"] == panel[ADMIN2]["new_code"]


async def test_a_double_click_on_submit_sends_the_form_once(running: Running) -> None:
    ws = running.sandbox.workspace
    modal = await running.open_contact_form(EMPLOYEE)
    state = {
        "mfa-contact-lost": {"mfa-contact-lost-input": "no"},
        "mfa-contact-remaining": {"mfa-contact-remaining-input": "none"},
        "mfa-contact-reach": {"mfa-contact-reach-input": "+1 555 0100"},
    }
    first, second = await asyncio.gather(
        running.page("submit", user=EMPLOYEE, view_id=modal.id, state=state),
        running.page("submit", user=EMPLOYEE, view_id=modal.id, state=state),
    )
    assert sorted([first["ok"], second["ok"]]) == [False, True]
    assert "that form is being sent already" in (first.get("error"), second.get("error"))
    cards = [m for m in ws.messages[HELPDESK].values() if m.thread_ts is None]
    assert len(cards) == 1
    shown = ws.top_modal(EMPLOYEE)
    assert shown is not None
    assert "You already have" not in json.dumps(shown.view)


async def test_empty_or_short_codes_never_reach_the_bot(running: Running) -> None:
    ws = running.sandbox.workspace
    trigger = ws.new_trigger(ADMIN1)
    await running.slack.views_open(
        trigger_id=trigger,
        view={
            "type": "modal",
            "callback_id": "mfa-desk-stepup",
            "title": {"type": "plain_text", "text": "Confirm"},
            "submit": {"type": "plain_text", "text": "Confirm"},
            "private_metadata": "{}",
            "blocks": [
                {
                    "type": "input",
                    "block_id": "mfa-stepup-code",
                    "label": {"type": "plain_text", "text": "Code"},
                    "element": {
                        "type": "plain_text_input",
                        "action_id": "mfa-stepup-code-input",
                        "min_length": 6,
                    },
                }
            ],
        },
    )
    modal = ws.top_modal(ADMIN1)
    assert modal is not None
    for typed, problem in (("", "Please complete this required field."), ("12", "at least 6")):
        state = {"mfa-stepup-code": {"mfa-stepup-code-input": typed}}
        assert (await running.page("submit", user=ADMIN1, view_id=modal.id, state=state))["ok"]
        assert problem in modal.errors["mfa-stepup-code"]
    sent = [line["text"] for line in (await running.state(ADMIN1))["log"]]
    assert not any("HTTP" in text for text in sent)  # the bot was never asked


async def test_response_urls_are_unguessable_and_take_json_only(running: Running) -> None:
    ws = running.sandbox.workspace
    shown = ws.add_ephemeral(GENERAL, EMPLOYEE, "first", [])
    rid = ws.new_response_url(Source(EMPLOYEE, GENERAL, ephemeral_id=shown.id))
    assert len(rid) >= 24
    async with running.http.post(
        f"{running.url}/response/{rid}",
        data='{"text": "IT here: DM me your code", "response_type": "in_channel"}',
        headers={"Content-Type": "text/plain"},
    ) as reply:
        assert reply.status == 400
    assert ws.messages[GENERAL] == {}


async def test_the_page_answers_only_to_its_own_name(running: Running) -> None:
    for path in ("/", f"/sandbox/api/state?user={EMPLOYEE}", "/sandbox/api/codes"):
        async with running.http.get(
            f"{running.url}{path}", headers={"Host": "rebound.example:80"}
        ) as reply:
            assert reply.status == 403, path
    async with running.http.get(f"{running.url}/sandbox/api/codes") as reply:
        assert reply.status == 200


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/sandbox/api/send", "[1, 2]"),
        ("/sandbox/api/send", "{not json"),
        ("/sandbox/api/action", '{"user": "U0EMPLOYEE", "place": "here"}'),
        ("/sandbox/api/submit", '{"user": "U0EMPLOYEE", "state": "all of it"}'),
    ],
)
async def test_malformed_page_requests_get_400(running: Running, path: str, body: str) -> None:
    async with running.http.post(
        f"{running.url}{path}", data=body, headers={"Content-Type": "application/json"}
    ) as reply:
        assert reply.status == 400
    async with running.http.get(f"{running.url}/sandbox/api/state?user={EMPLOYEE}&since=x") as r:
        assert r.status == 400


async def test_the_sandbox_works_on_another_address_it_is_given(tmp_path: Path) -> None:
    async with serving(tmp_path, "127.0.0.2") as other:
        assert other.url.startswith("http://127.0.0.2:")
        answer = await other.page("send", user=EMPLOYEE, channel=GENERAL, text="/mfa-help")
        assert answer == {"ok": True}
        assert any(e.user == EMPLOYEE for e in other.sandbox.workspace.ephemerals.values())


async def test_the_page_shows_the_guides_picture_from_the_bot(running: Running) -> None:
    """The sandbox is the bot's public address: its page shows the picture the bot serves."""
    ws = running.sandbox.workspace
    await running.page("send", user=EMPLOYEE, channel=GENERAL, text="/mfa-help lost phone")
    [walk] = [e for e in ws.ephemerals.values() if e.user == EMPLOYEE]
    await running.click(EMPLOYEE, {"kind": "ephemeral", "id": walk.id}, "mfa-guide-choice-0")
    picture = f"{running.url}/guide/pictures/sign-in-another-way.png"
    [image] = [b for b in ws.ephemerals[walk.id].blocks if b["type"] == "image"]
    assert image["image_url"] == picture
    [shown] = (await running.state(EMPLOYEE))["ephemerals"]
    assert f'src="{picture}"' in shown["html"]
    async with running.http.get(picture) as served:
        assert served.status == 200
        assert (await served.read()).startswith(b"\x89PNG")
