"""The `mfa-helpdesk` command as an operator runs it: clear errors, migrate, serve and /healthz."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.guide import DEFAULT_GUIDE, load_guide
from tests.fakes.slack import FakeSlack


@contextlib.contextmanager
def fake_slack_in_a_thread() -> Iterator[FakeSlack]:
    """The fake Slack on its own event loop, for a bot running as a separate process."""
    fake = FakeSlack()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(fake.start(), loop).result(5)
    try:
        yield fake
    finally:
        asyncio.run_coroutine_threadsafe(fake.stop(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


def _run(
    args: list[str], env: dict[str, str], timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=env.get("HOME"),  # away from any developer's .env
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A bare environment, as on a fresh machine, working in a temporary folder."""
    return {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
        "HOME": str(tmp_path),
    }


def test_serve_without_a_bot_token_exits_2_naming_it(env: dict[str, str]) -> None:
    result = _run(["serve"], env)
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_serve_in_http_mode_without_a_signing_secret_exits_2(env: dict[str, str]) -> None:
    result = _run(["serve"], {**env, "SLACK_BOT_TOKEN": "xoxb-1"})
    assert result.returncode == 2
    assert "SLACK_SIGNING_SECRET" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PORT", "eighty"),
        ("SLACK_BOT_TOKEN", "xoxp-user-token"),
        ("IDENTITY_PROVIDER", "ldap"),
        ("DATABASE_POOL_SIZE", "0"),
    ],
)
def test_a_malformed_setting_exits_2_naming_it(
    env: dict[str, str], variable: str, value: str
) -> None:
    result = _run(["serve"], {**env, variable: value})
    assert result.returncode == 2
    assert variable in result.stderr
    assert "Traceback" not in result.stderr


def test_an_invalid_guide_file_stops_start_up_naming_file_and_field(
    env: dict[str, str], tmp_path: Path
) -> None:
    broken = tmp_path / "guide.yaml"
    broken.write_text(DEFAULT_GUIDE.read_text().replace("next: why-opt-out", "next: why-nowhere"))
    result = _run(
        ["serve"],
        {
            **env,
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_SIGNING_SECRET": "s",
            "GUIDE_FILE": str(broken),
        },
    )
    assert result.returncode == 2
    assert str(broken) in result.stderr
    assert "topics[0].steps[0].next" in result.stderr
    assert "Traceback" not in result.stderr
    check = _run(["check-guide", str(broken)], env)
    assert check.returncode == 2
    topics = len(load_guide().topics)
    assert _run(["check-guide"], env).stdout.startswith(f"guide OK: {topics} topics")


def test_migrate_creates_the_schema(env: dict[str, str], tmp_path: Path) -> None:
    result = _run(["migrate"], env)
    assert result.returncode == 0, result.stderr
    import sqlite3

    with sqlite3.connect(tmp_path / "cli.db") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"walks", "processed_events", "help_requests", "audit_log", "alembic_version"} <= tables


def test_serve_answers_healthz_and_stops_cleanly_on_sigterm(env: dict[str, str]) -> None:
    port = _free_port()
    started = time.monotonic()
    with fake_slack_in_a_thread() as fake:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve"],
            env={
                **env,
                "SLACK_BOT_TOKEN": "xoxb-1",
                "SLACK_SIGNING_SECRET": "s",
                "HOST": "127.0.0.1",
                "PORT": str(port),
                "SLACK_API_URL": fake.base_url,
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            body = _get_when_up(f"http://127.0.0.1:{port}/healthz", process, started)
            assert body == '{"status": "ok", "database": "up", "background": 0}'
            ready = _get_when_up(f"http://127.0.0.1:{port}/readyz", process, started)
            assert ready == '{"status": "ready", "database": "up"}'
            assert len(fake.calls_to("auth.test")) == 1  # before it served anything
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=15)
    assert process.returncode == 0, stderr
    assert "xoxb-1" not in stderr
    assert "signed in to Slack as bot user U0BOT" in stderr


def test_serve_with_a_token_slack_refuses_exits_2_naming_it(env: dict[str, str]) -> None:
    with fake_slack_in_a_thread() as fake:
        fake.fail_next("auth.test", status=200, error="invalid_auth")
        result = _run(
            ["serve"],
            {
                **env,
                "SLACK_BOT_TOKEN": "xoxb-1",
                "SLACK_SIGNING_SECRET": "s",
                "SLACK_API_URL": fake.base_url,
            },
        )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == (
        "mfa-helpdesk: SLACK_BOT_TOKEN was refused by Slack's auth.test (invalid_auth)"
    )


def test_serve_waits_for_an_unreachable_slack_and_says_so(env: dict[str, str]) -> None:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve"],
        env={
            **env,
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_SIGNING_SECRET": "s",
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "SLACK_API_URL": f"http://127.0.0.1:{_free_port()}/api/",
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        line = ""
        deadline = time.monotonic() + 20
        while "not answering auth.test" not in line and time.monotonic() < deadline:
            line = process.stderr.readline()
        assert "not answering auth.test" in line, line
        assert "trying again in 1 s" in line
        with socket.socket() as probe:  # not serving while it does not know who it is
            assert probe.connect_ex(("127.0.0.1", port)) != 0
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=15)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get_when_up(url: str, process: subprocess.Popen[str], started: float) -> str:
    """The body of GET `url` once the process answers it (within 20 s of `started`)."""
    while time.monotonic() - started < 20:
        try:
            with urllib.request.urlopen(url, timeout=1) as reply:  # noqa: S310 - loopback
                assert reply.status == 200
                return str(reply.read().decode())
        except OSError:
            assert process.poll() is None, process.communicate()[1]
            time.sleep(0.05)
    raise AssertionError(f"{url} did not answer within 20 s")


def test_start_without_slack_settings_opens_the_sandbox(env: dict[str, str]) -> None:
    port = _free_port()
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "start"],
        env={**env, "PORT": str(port)},
        cwd=env["HOME"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        page = _get_when_up(f"http://127.0.0.1:{port}/", process, started)
        ready = time.monotonic() - started
        assert "<title>mfa-helpdesk sandbox</title>" in page
        assert "not for production" in page
        health = _get_when_up(f"http://127.0.0.1:{port}/healthz", process, started)
        assert '"database": "up"' in health
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=15)
    assert process.returncode == 0, stderr
    assert "no SLACK_BOT_TOKEN: starting the sandbox" in stderr
    assert f"sandbox ready: open http://localhost:{port}/" in stderr
    assert ready < 10, ready
    # The sandbox keeps its own throwaway database: the configured one is never touched.
    assert not (Path(env["HOME"]) / "cli.db").exists()
    assert "Traceback" not in stderr


def test_start_with_a_bot_token_serves_slack_and_names_what_is_missing(
    env: dict[str, str],
) -> None:
    result = _run(["start"], {**env, "SLACK_BOT_TOKEN": "xoxb-1"})
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "mfa-helpdesk: SLACK_SIGNING_SECRET is not set: the signing secret is required in HTTP mode"
    )


def test_the_sandbox_on_a_busy_port_says_so_in_one_line(env: dict[str, str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _run(["sandbox", "--port", str(port)], env)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"mfa-helpdesk: PORT {port} cannot be used on 127.0.0.1: Address already in use"
    )


@pytest.mark.parametrize(
    ("provider", "missing"),
    [("okta", "OKTA_ORG_URL"), ("entra", "ENTRA_TENANT_ID")],
)
def test_a_provider_without_its_settings_is_refused_by_name(
    env: dict[str, str], provider: str, missing: str
) -> None:
    result = _run(
        ["serve"],
        {
            **env,
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_SIGNING_SECRET": "s",
            "IDENTITY_PROVIDER": provider,
        },
    )
    assert result.returncode == 2
    assert f"{missing} is not set" in result.stderr


def test_a_broken_demo_directory_file_is_named(env: dict[str, str], tmp_path: Path) -> None:
    people = tmp_path / "people.yaml"
    people.write_text("- name: nobody\n")
    with fake_slack_in_a_thread() as fake:
        result = _run(
            ["serve"],
            {
                **env,
                "SLACK_BOT_TOKEN": "xoxb-1",
                "SLACK_SIGNING_SECRET": "s",
                "SLACK_API_URL": fake.base_url,
                "IDENTITY_PROVIDER": "demo",
                "HELPDESK_CHANNEL": "C1",
                "DEMO_DIRECTORY_FILE": str(people),
                "STEPUP_REQUIRED": "false",
            },
        )
    assert result.returncode == 2
    assert "DEMO_DIRECTORY_FILE" in result.stderr
    assert "needs an email" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("value", "seconds"), [("24h", 86400), ("90m", 5400), ("2d", 172800), ("600", 600)]
)
def test_request_ttl_reads_like_a_person_writes_it(value: str, seconds: int) -> None:
    from bot.settings import Settings

    settings = Settings(_env_file=None, request_ttl=value)  # type: ignore[call-arg]
    assert settings.request_ttl.total_seconds() == seconds


def test_a_demo_directory_file_seeds_the_directory(env: dict[str, str], tmp_path: Path) -> None:
    import asyncio

    from bot.app import build_runtime
    from bot.settings import Settings
    from storage.demo import SqlDemoStore
    from storage.engine import session_factory

    people = tmp_path / "people.yaml"
    people.write_text("- email: Bo@example.com\n  name: Bo\n  methods: [phone]\n")

    async def seeded() -> object:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            slack_bot_token="xoxb-1",
            slack_signing_secret="s",
            database_url=env["DATABASE_URL"],
            helpdesk_channel="C1",
            identity_provider="demo",
            stepup_required=False,
            demo_directory_file=people,
        )
        runtime = await build_runtime(settings, identify=False)  # seeding needs no Slack
        try:
            return await SqlDemoStore(session_factory(runtime.engine)).get_demo_user(
                "bo@example.com"
            )
        finally:
            await runtime.close()

    person = asyncio.run(seeded())
    assert person is not None
    assert person.methods == ({"type": "phone", "detail": "phone"},)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("key", "says"), [(None, "STEPUP_KEY is not set"), ("nope", "STEPUP_KEY is not usable")]
)
def test_the_help_desk_without_a_usable_step_up_key_does_not_start(
    env: dict[str, str], key: str | None, says: str
) -> None:
    settings = {
        **env,
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_SIGNING_SECRET": "s",
        "HELPDESK_CHANNEL": "C1",
    }
    if key is not None:
        settings["STEPUP_KEY"] = key
    result = _run(["serve"], settings)
    assert result.returncode == 2
    assert says in result.stderr
    assert "Traceback" not in result.stderr


def test_keygen_prints_a_fernet_key(env: dict[str, str]) -> None:
    from cryptography.fernet import Fernet

    key = _run(["keygen"], env).stdout.strip()
    assert Fernet(key.encode()).decrypt(Fernet(key.encode()).encrypt(b"x")) == b"x"
