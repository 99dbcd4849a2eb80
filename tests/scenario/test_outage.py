"""When the database goes away: /readyz, the worker's log, ended connections, the step-up modal."""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from sqlalchemy import text

from bot.app import Runtime, build_runtime
from bot.settings import Settings
from handlers.ids import ActionId, FieldId
from storage.migrate import Revisions, migrate
from tests.conftest import POSTGRES_ADMIN_URL, FixedClock, _postgres_database, serving
from tests.driver import SlackDriver
from tests.fakes.slack import FakeSlack
from tests.scenario.test_helpdesk import ADMIN, _to_contact_it
from tests.scenario.test_stepup import _approval_modal, bot_env

__all__ = ["bot_env"]  # step-up's help desk (admins confirm with their authenticator), as it is

ADMIN_DSN = POSTGRES_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://")


@pytest.fixture
def database_url() -> Iterator[str]:
    """A PostgreSQL database of this test's own, which the test may drop (the server stays up)."""
    for url in _postgres_database():
        if url is None:
            pytest.skip("PostgreSQL not reachable")
        yield url


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN_DSN, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _name(url: str) -> str:
    return url.rsplit("/", 1)[1]


async def _drop(url: str) -> None:
    await _admin(f'DROP DATABASE "{_name(url)}" WITH (FORCE)')


async def _recreate_empty(url: str) -> None:
    await _admin(f'CREATE DATABASE "{_name(url)}"')


async def _get(slack: SlackDriver, path: str) -> tuple[int, dict[str, Any]]:
    base = slack.url.removesuffix("/slack/events")
    async with aiohttp.ClientSession() as http, http.get(base + path) as answer:
        return answer.status, await answer.json()


async def test_readyz_follows_the_database_down_recreated_empty_and_migrated(
    slack: SlackDriver, database_url: str
) -> None:
    assert await _get(slack, "/readyz") == (200, {"status": "ready", "database": "up"})
    await _drop(database_url)
    status, body = await _get(slack, "/readyz")
    assert (status, body["database"]) == (503, "down")
    assert "cannot be reached" in body["reason"]
    assert await _get(slack, "/healthz") == (
        200,
        {"status": "ok", "database": "down", "background": 0},
    )  # alive all the same: a restart would not help
    await _recreate_empty(database_url)
    status, body = await _get(slack, "/readyz")
    assert (status, body["database"]) == (503, "up")  # healthz said "up" here, every write failed
    assert "no schema" in body["reason"]
    await migrate(slack.runtime.engine)
    assert (await _get(slack, "/readyz"))[0] == 200


async def test_readyz_refuses_a_schema_behind_this_version(slack: SlackDriver) -> None:
    async with slack.runtime.engine.begin() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = '0005'"))
    status, body = await _get(slack, "/readyz")
    assert status == 503
    head = Revisions.of_this_code().head
    assert body["reason"] == f"the schema is at 0005, this version needs {head}: migrate"
    async with slack.runtime.engine.begin() as conn:  # a newer version's migration: usable
        await conn.execute(text("UPDATE alembic_version SET version_num = 'f00d'"))
    assert (await _get(slack, "/readyz"))[0] == 200


async def test_the_worker_logs_one_line_per_outage_and_one_when_it_is_back(
    runtime: Runtime, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await _drop(database_url)
    loops = [
        asyncio.create_task(runtime.run_worker(every_s=0.01, longest_wait_s=0.08)),
        asyncio.create_task(runtime.run_housekeeping(every_s=0.01, longest_wait_s=0.08)),
    ]
    try:
        await asyncio.sleep(1.0)  # a hundred tries at the old one-per-tick rate
        down = [r for r in caplog.records if "not answering" in r.getMessage()]
        assert sorted(r.getMessage().split(":")[0] for r in down) == [
            "housekeeping",
            "the action worker",
        ], caplog.text
        assert "does not exist" in down[0].getMessage()  # the reason, in the one line
        assert not [r for r in caplog.records if r.exc_info], caplog.text
        assert "Traceback" not in caplog.text
        await _recreate_empty(database_url)
        await migrate(runtime.engine)
        await asyncio.sleep(0.5)
        back = [r for r in caplog.records if "answers again" in r.getMessage()]
        assert len(back) == 2, caplog.text
    finally:
        for loop in loops:
            loop.cancel()
        await asyncio.gather(*loops, return_exceptions=True)


async def test_after_the_server_ends_connections_the_next_command_and_click_work(
    slack: SlackDriver, database_url: str
) -> None:
    reply, menu = await slack.command("lost phone")
    assert reply.status == 200
    assert menu is not None
    await slack.settle()
    conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:  # as a restart or a failover would: every connection of the bot's, ended
        await conn.execute(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await conn.close()
    after = await slack.click_and_see(menu, menu.action_ids()[0])
    assert after.blocks
    reply, _ = await slack.command("lost phone")
    assert reply.status == 200
    await slack.settle()
    assert slack.runtime.tasks.failures == 0


async def test_a_step_up_approval_while_the_database_is_down_says_so_in_the_modal(
    slack: SlackDriver, clock: FixedClock, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    totp, modal = await _approval_modal(slack, clock)
    await _drop(database_url)
    caplog.clear()
    caplog.set_level(logging.INFO)
    reply = await slack.submit(modal, {FieldId.CODE: totp.at(clock.now())}, user=ADMIN)
    assert reply.status == 200, reply
    error = reply.json()["errors"][FieldId.CODE]
    assert error == (
        "The help desk's database is not answering; nothing was approved. Try again in a minute."
    )
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.exc_info], caplog.text
    await _recreate_empty(database_url)  # so that teardown finds a database to drop


async def test_a_contact_form_while_the_database_is_down_is_to_be_sent_again(
    slack: SlackDriver, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    step = await _to_contact_it(slack)
    await slack.click(step, ActionId.CONTACT_IT)
    await slack.settle()
    await _drop(database_url)
    caplog.set_level(logging.INFO)
    reply = await slack.submit(
        slack.opened_view(),
        {FieldId.LOST: "no", FieldId.REMAINING: "none", FieldId.CONTACT: "+1 555 0101"},
    )
    assert reply.status == 200, reply
    # Not "nothing was sent": the insert may have committed before the connection was lost.
    assert reply.json()["errors"][FieldId.DESCRIPTION] == (
        "The help desk's database is not answering; your request may not have reached IT. "
        "Send it again: it will not be sent twice."
    )
    assert not [r for r in caplog.records if r.exc_info], caplog.text
    await _recreate_empty(database_url)  # so that teardown finds a database to drop


async def test_readyz_on_sqlite_with_no_schema_or_no_database_file(
    bot_env: dict[str, Any], tmp_path: Path, clock: FixedClock, fake_slack: FakeSlack
) -> None:
    for folder, database, says in (
        (tmp_path / "emptied", "up", "no schema"),
        (tmp_path / "gone", "down", "cannot be reached"),
    ):
        folder.mkdir()
        url = f"sqlite+aiosqlite:///{folder / 'bot.db'}"
        settings = Settings(_env_file=None, **{**bot_env, "database_url": url})  # type: ignore[arg-type]
        runtime = await build_runtime(settings, clock)  # started on a current schema
        try:
            async with serving(runtime, fake_slack) as slack:
                assert (await _get(slack, "/readyz"))[0] == 200
                await runtime.engine.dispose()
                if database == "up":  # the file is re-created empty under the running bot
                    (folder / "bot.db").unlink()
                else:  # the file and its folder are gone
                    shutil.rmtree(folder)
                status, body = await _get(slack, "/readyz")
        finally:
            await runtime.close()
        assert (status, body["database"]) == (503, database)
        assert says in body["reason"]


async def test_mfa_help_naming_a_topic_while_the_database_is_down_says_so(
    slack: SlackDriver, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    # The walk is stored before it is shown, so a step whose next click would be lost is not shown.
    await _drop(database_url)
    caplog.set_level(logging.INFO)
    reply, screen = await slack.command("lost phone")
    assert reply.status == 200, reply
    assert screen is None
    assert reply.body == "The help desk's database is not answering; try again in a minute."
    assert not [r for r in caplog.records if r.exc_info], caplog.text
    reply, menu = await slack.command()  # the menu stores nothing: it is shown as ever
    assert menu is not None
    await _recreate_empty(database_url)  # so that teardown finds a database to drop
