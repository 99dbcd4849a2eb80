"""`make bench`: ack latency, throughput and memory of the bot against bare baselines, in one run.

Starts a Slack stand-in that answers at once, the bot in HTTP mode (SQLite, and PostgreSQL when
one answers on 127.0.0.1:5432, as one replica and as three sharing the database, the requests
spread across them in turn), a bare Bolt app (default settings, process_before_response, and
one that also answers each click through its response_url) and a plain aiohttp handler; drives
each with signed requests at concurrency 1, 50 and 200 for four kinds of work, in interleaved
rounds; prints one table and writes bench/results/<date>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

from bot.crypto import new_key

SECRET = "bench-signing-secret"
ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
LOGS = Path(tempfile.gettempdir()) / "mfa-helpdesk-bench"  # each server's stderr
KINDS = ("command", "click", "step", "submit")
REPLY_KINDS = ("click", "step")
CONCURRENCY = (1, 50, 200)
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
THREE = "bot (PostgreSQL) x3"
# Connections per replica of the three: with the single replica's 30 they stay under
# PostgreSQL's default limit of 100 (97 for others than superusers), with room for other clients.
THREE_POOL = {"DATABASE_POOL_SIZE": "15", "DATABASE_MAX_OVERFLOW": "0"}
_REFUSED = re.compile(rb'"response_action":\s*"errors"')
NAME_WIDTH = 20


@dataclass
class Row:
    """One measured combination."""

    target: str
    kind: str
    concurrency: int
    requests: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    wall_s: float = 0.0
    drain_s: float = 0.0
    cpu_ms: float = 0.0
    rounds_rps: list[float] = field(default_factory=list)
    ratio_bolt: float | None = None
    ratio_bolt_pbr: float | None = None
    ratio_bolt_reply: float | None = None


@dataclass
class Target:
    """A server under test and its own figures."""

    name: str
    replicas: int = 1
    ready_s: float = 0.0
    rss_idle_mb: float = 0.0
    rss_after_mb: float = 0.0
    rows: list[Row] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _cpu_s(pid: int) -> float:
    """CPU seconds (user and system, all threads) the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _sign(body: str, ts: str) -> dict[str, str]:
    digest = hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def _command(i: int, slack: str) -> tuple[str, str]:
    form = {
        "command": "/mfa-help",
        "text": "",
        "team_id": "T0TEAM",
        "channel_id": "C1",
        "user_id": f"U{i}",
        "user_name": f"u{i}",
        "api_app_id": "A0",
        "trigger_id": f"t{i}",
        "response_url": f"{slack}/response/{i}",
    }
    return urlencode(form), "application/x-www-form-urlencoded"


def _click(i: int, slack: str) -> tuple[str, str]:
    """A topic picked from the menu: the click that starts every walk (one insert, one reply)."""
    return _block_action(i, slack, "mfa-guide-topic-lost-phone", "lost-phone")


def _step(i: int, slack: str, run: str) -> tuple[str, str]:
    """*That didn't work* on a walk this replica has not seen (another replica's, or from before
    a restart): the walk is read, then written, then the reply sent. `_seed_walks` stores it."""
    ref = json.dumps({"w": _walk_id(i, run), "t": "lost-phone", "s": "lost-phone-ways"})
    return _block_action(i, slack, "mfa-guide-next", ref)


def _walk_id(i: int, run: str) -> str:
    return hashlib.sha256(f"{run}/{i}".encode()).hexdigest()[:32]


async def _seed_walks(database_url: str, run: str, numbers: range) -> None:
    """Store the walks `_step` clicks on, as another replica would have: on their first step."""
    from bot.domain.walks import Surface, WalkRecord
    from bot.guide import load_guide
    from storage.engine import create_engine
    from storage.walks import SqlWalkRepository

    guide, now = load_guide(None, {}), datetime.now(UTC)
    engine = create_engine(database_url)
    try:
        walks = SqlWalkRepository(engine)
        for i in numbers:
            walk = WalkRecord.new(guide, "T0TEAM", f"U{i}", "lost-phone", Surface.DM, now)
            await walks.add_walk(replace(walk, id=_walk_id(i, run)))
    finally:
        await engine.dispose()


def _block_action(i: int, slack: str, action_id: str, value: str) -> tuple[str, str]:
    payload = {
        "type": "block_actions",
        "team": {"id": "T0TEAM"},
        "user": {"id": f"U{i}"},
        "api_app_id": "A0",
        "trigger_id": f"t{i}",
        "response_url": f"{slack}/response/{i}",
        "container": {
            "type": "message",
            "message_ts": "1.1",
            "channel_id": "C1",
            "is_ephemeral": True,
        },
        "channel": {"id": "C1"},
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "b",
                "value": value,
                "action_ts": "1.1",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"


def _submit(i: int, slack: str, run: str) -> tuple[str, str]:
    def text(block: str, value: str) -> dict[str, object]:
        return {f"{block}-input": {"type": "plain_text_input", "value": value}}

    def radio(block: str, value: str) -> dict[str, object]:
        return {f"{block}-input": {"type": "radio_buttons", "selected_option": {"value": value}}}

    values = {
        "mfa-contact-description": text("mfa-contact-description", "Lost my phone on the train"),
        "mfa-contact-lost": radio("mfa-contact-lost", "yes"),
        "mfa-contact-remaining": radio("mfa-contact-remaining", "none"),
        "mfa-contact-correlation": text("mfa-contact-correlation", ""),
        "mfa-contact-reach": text("mfa-contact-reach", "+1 555 0100"),
        "mfa-contact-details": text("mfa-contact-details", ""),
    }
    payload = {
        "type": "view_submission",
        "team": {"id": "T0TEAM"},
        "user": {"id": f"U{run}{i}", "team_id": "T0TEAM"},
        "api_app_id": "A0",
        "trigger_id": f"t{i}",
        "view": {
            "id": f"V{run}{i}",  # a modal of its own: a form submission is stored once
            "type": "modal",
            "callback_id": "mfa-contact-it",
            "private_metadata": json.dumps({"walk_id": None, "topic_id": "lost-phone"}),
            "blocks": [],
            "state": {"values": values},
        },
    }
    return urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"


async def _load(urls: list[str], requests: list[tuple[str, str]], concurrency: int) -> Row:
    """Send the requests `concurrency` at a time, to the URLs in turn (a round-robin balancer)."""
    ts = str(int(time.time()))
    prepared = [
        (urls[n % len(urls)], body.encode(), {**_sign(body, ts), "Content-Type": kind})
        for n, (body, kind) in enumerate(requests)
    ]
    latencies: list[float] = []
    errors = 0
    queue = iter(prepared)
    # Connections kept alive to each replica: one across replicas would reconnect each time.
    connector = aiohttp.TCPConnector(limit=concurrency * len(urls), limit_per_host=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def worker() -> None:
            nonlocal errors
            for url, body, headers in queue:
                started = time.perf_counter()
                try:
                    async with http.post(url, data=body, headers=headers) as response:
                        answer = await response.read()
                        # A form refused (the database did not answer) is acked all the same.
                        if response.status != 200 or _REFUSED.search(answer):
                            errors += 1
                except aiohttp.ClientError:
                    errors += 1
                latencies.append(time.perf_counter() - started)

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - began
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return Row(
        "",
        "",
        concurrency,
        len(prepared),
        len(prepared) / wall,
        pct(0.50),
        pct(0.95),
        pct(0.99),
        latencies[-1] * 1000,
        errors,
        wall_s=wall,
    )


async def _drain(ports: list[int], limit_s: float = 300) -> float:
    """Seconds until every replica reports no background work left (0 for the baselines)."""
    started = time.monotonic()
    async with aiohttp.ClientSession() as http:
        while time.monotonic() - started < limit_s:
            left = 0
            for port in ports:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    left += (await response.json()).get("background", 0)
            if left == 0:
                return time.monotonic() - started
            await asyncio.sleep(0.05)
    return time.monotonic() - started


async def _wait_ready(
    port: int, process: subprocess.Popen[bytes], log: Path, limit_s: float = 30
) -> float:
    started = time.monotonic()
    async with aiohttp.ClientSession() as http:
        while time.monotonic() - started < limit_s:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited with {process.returncode}; see {log}")
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return time.monotonic() - started
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.01)
    raise RuntimeError("the server did not become ready")


@dataclass
class Run:
    """A target to start: its name, command, environment, the kinds of work it is measured on,
    and how many replicas of it share the load."""

    name: str
    command: list[str]
    env: dict[str, str]
    kinds: tuple[str, ...] = KINDS
    replicas: int = 1


@dataclass
class Server:
    """A running server under test: one process, or several replicas behind a round robin."""

    target: Target
    processes: list[subprocess.Popen[bytes]]
    ports: list[int]
    kinds: tuple[str, ...]
    database_url: str | None = None

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}/slack/events" for port in self.ports]

    def cpu_s(self) -> float:
        return sum(_cpu_s(process.pid) for process in self.processes)

    def rss_mb(self) -> float:
        """The replicas' memory, added up."""
        return sum(_rss_mb(process.pid) for process in self.processes)


async def _start(run: Run) -> Server:
    """Start one server alone (so its start-up time is its own; replicas one after the other,
    so that only the first migrates) and read its idle memory."""
    target = Target(run.name, run.replicas)
    server = Server(target, [], [], run.kinds, run.env.get("DATABASE_URL"))
    started = time.monotonic()
    try:
        for _ in range(run.replicas):
            port = _free_port()
            log = LOGS / f"{re.sub(r'[^a-z0-9]+', '-', run.name.lower())}{port}.log"
            baseline = "baselines" in " ".join(run.command)
            # A file, not a pipe nobody reads: a full pipe would stop the server mid-run.
            with log.open("wb") as stderr:
                process = subprocess.Popen(
                    [*run.command, str(port)] if baseline else run.command,
                    env={**run.env, "PORT": str(port), "HOST": "127.0.0.1"},
                    stdout=subprocess.DEVNULL,
                    stderr=stderr,
                    cwd=ROOT,
                )
            server.processes.append(process)
            server.ports.append(port)
            await _wait_ready(port, process, log)
    except BaseException:
        _stop(server)
        raise
    server.target.ready_s = time.monotonic() - started
    await asyncio.sleep(1.0)
    server.target.rss_idle_mb = server.rss_mb()
    return server


def _stop(server: Server) -> None:
    for process in server.processes:
        process.send_signal(signal.SIGTERM)
    for process in server.processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _makers(slack: str) -> dict[str, Callable[[int, str], tuple[str, str]]]:
    return {
        "command": lambda i, _run: _command(i, slack),
        "click": lambda i, _run: _click(i, slack),
        "step": lambda i, run: _step(i, slack, run),
        "submit": lambda i, run: _submit(i, slack, run),
    }


async def _one_load(
    server: Server, make: Callable[[int, str], tuple[str, str]], run: str, count: int, c: int
) -> Row:
    """One measured load: requests, then the wait for the work after the acks, and the CPU."""
    cpu_before = server.cpu_s()
    row = await _load(server.urls, [make(i + 100_000, run) for i in range(count)], c)
    row.drain_s = await _drain(server.ports)
    row.cpu_ms = (server.cpu_s() - cpu_before) * 1000 / count
    return row


async def _measure_all(
    servers: list[Server],
    slack: str,
    sizes: dict[int, int],
    kinds: tuple[str, ...],
    rounds: int,
    hold_s: float = 0,
) -> None:
    """Every kind and concurrency on every server, in interleaved rounds; each row is the round
    with the median rate. The servers take turns within a round, so that a machine that slows
    down for a minute (a neighbour on the host, a CPU throttled) slows every target alike."""
    makers = _makers(slack)
    if hold_s:
        for server in servers:
            pids = ", ".join(str(process.pid) for process in server.processes)
            print(f"  {server.target.name}: pid {pids}")
    for kind in kinds:
        active = [server for server in servers if kind in server.kinds]
        for concurrency in CONCURRENCY:
            count = sizes[concurrency]
            measured: dict[str, list[Row]] = {server.target.name: [] for server in active}
            for round_no in range(rounds):
                # The order turns each round, so no target always follows the same one.
                order = active[round_no % len(active) :] + active[: round_no % len(active)]
                for server in order:
                    run = f"{kind[0]}{concurrency}r{round_no}x"
                    make = makers[kind]
                    if kind == "step" and server.database_url:
                        await _seed_walks(server.database_url, run, range(min(50, count)))
                        await _seed_walks(server.database_url, run, range(100_000, 100_000 + count))
                    await _load(server.urls, [make(i, run) for i in range(min(50, count))], 10)
                    await _drain(server.ports)
                    await asyncio.sleep(hold_s)
                    measured[server.target.name].append(
                        await _one_load(server, make, run, count, concurrency)
                    )
            for server in active:
                results = sorted(measured[server.target.name], key=lambda r: r.rps)
                row = results[len(results) // 2]
                row.target, row.kind = server.target.name, kind
                row.rounds_rps = [round(r.rps) for r in measured[server.target.name]]
                server.target.rows.append(row)
                print(
                    f"  {server.target.name:{NAME_WIDTH}} {kind:8} c={concurrency:<4} "
                    f"{row.rps:8.0f} req/s "
                    f"(rounds {', '.join(str(r) for r in row.rounds_rps)})  "
                    f"p50 {row.p50_ms:6.1f} ms  p99 {row.p99_ms:6.1f} ms  "
                    f"cpu {row.cpu_ms:5.2f} ms/req  errors {row.errors}  "
                    f"background done {row.drain_s:.1f} s later"
                )
    await asyncio.sleep(2.0)
    for server in servers:
        server.target.rss_after_mb = server.rss_mb()


async def _bench(
    runs: list[Run],
    slack: str,
    sizes: dict[int, int],
    kinds: tuple[str, ...],
    rounds: int,
    hold_s: float,
) -> list[Target]:
    servers: list[Server] = []
    try:
        for run in runs:
            print(f"starting {run.name}")
            servers.append(await _start(run))
        await _measure_all(servers, slack, sizes, kinds, rounds, hold_s)
    finally:
        for server in servers:
            _stop(server)
    return [server.target for server in servers]


def _admin_sql(sql: str) -> None:
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(POSTGRES_ADMIN, timeout=3)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


def _postgres_database() -> str | None:
    import asyncpg

    name = f"mfa_bench_{uuid.uuid4().hex[:8]}"
    try:
        _admin_sql(f'CREATE DATABASE "{name}"')
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        print(f"PostgreSQL not reachable ({exc}); measuring SQLite only")
        return None
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"


def _drop_postgres(url: str) -> None:
    _admin_sql(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def _table(targets: list[Target]) -> str:
    baseline = {(r.kind, r.concurrency): r.rps for t in targets if t.name == "bolt" for r in t.rows}
    pbr = {(r.kind, r.concurrency): r.rps for t in targets if t.name == "bolt-pbr" for r in t.rows}
    reply = {
        (r.kind, r.concurrency): r.rps for t in targets if t.name == "bolt-reply" for r in t.rows
    }
    lines = [
        f"{'target':{NAME_WIDTH}} {'work':8} {'conc':>5} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'p99 ms':>8} {'errors':>7} {'x bolt':>7} {'x pbr':>7} {'x reply':>7} {'cpu ms':>7}"
    ]
    for target in targets:
        for row in target.rows:
            key = (row.kind, row.concurrency)
            row.ratio_bolt = round(row.rps / baseline[key], 2) if key in baseline else None
            row.ratio_bolt_pbr = round(row.rps / pbr[key], 2) if key in pbr else None
            row.ratio_bolt_reply = round(row.rps / reply[key], 2) if key in reply else None
            versus_reply = f"{row.ratio_bolt_reply:>7.2f}" if row.ratio_bolt_reply else f"{'-':>7}"
            lines.append(
                f"{row.target:{NAME_WIDTH}} {row.kind:8} {row.concurrency:>5} {row.rps:>8.0f} "
                f"{row.p50_ms:>8.2f} {row.p95_ms:>8.2f} {row.p99_ms:>8.2f} {row.errors:>7} "
                f"{row.ratio_bolt or 0:>7.2f} {row.ratio_bolt_pbr or 0:>7.2f} {versus_reply} "
                f"{row.cpu_ms:>7.2f}"
            )
    lines.append("")
    lines.append(
        "whole path (acked, and the work after the ack done: the next screen sent for a click "
        "or step; for a submission, stored, posted to the help desk, employee told):"
    )
    for target in targets:
        for row in target.rows:
            if row.target.startswith("bot") and row.kind != "command":
                took = row.wall_s + row.drain_s
                lines.append(
                    f"  {row.target:{NAME_WIDTH}} {row.kind:8} c={row.concurrency:<4} "
                    f"{row.requests} requests in {took:.1f} s = "
                    f"{row.requests / took:.0f} requests/s"
                )
    lines += _scaling(targets)
    lines.append("")
    lines.append(f"{'target':{NAME_WIDTH}} {'ready s':>8} {'RSS idle MB':>12} {'RSS after MB':>13}")
    for target in targets:
        lines.append(
            f"{target.name:{NAME_WIDTH}} {target.ready_s:>8.2f} {target.rss_idle_mb:>12.1f} "
            f"{target.rss_after_mb:>13.1f}"
        )
    return "\n".join(lines)


def _scaling(targets: list[Target]) -> list[str]:
    """The whole path's rate of three replicas against one, on PostgreSQL, where both ran."""
    rates = {
        (target.name, row.kind, row.concurrency): row.requests / (row.wall_s + row.drain_s)
        for target in targets
        for row in target.rows
    }
    lines = []
    for (name, kind, concurrency), three in rates.items():
        one = rates.get(("bot (PostgreSQL)", kind, concurrency))
        if name == THREE and one and kind != "command":
            if not lines:
                lines = ["", "one replica -> three (whole path, PostgreSQL):"]
            lines.append(
                f"  {kind:8} c={concurrency:<4} {one:6.0f} -> {three:6.0f} requests/s "
                f"(x {three / one:.2f})"
            )
    return lines


def main() -> None:
    """Run everything and report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer requests (a smoke run)")
    parser.add_argument(
        "--only", action="append", help="measure only targets whose name contains this (repeat)"
    )
    parser.add_argument(
        "--kinds", help=f"comma-separated kinds of work (default {','.join(KINDS)})"
    )
    parser.add_argument("--hold", type=float, default=0, help="seconds to wait before each load")
    parser.add_argument(
        "--rounds", type=int, help="rounds per measurement, the median kept (3; 1 with --quick)"
    )
    args = parser.parse_args()
    kinds = tuple(args.kinds.split(",")) if args.kinds else KINDS
    sizes = {1: 100, 50: 600, 200: 600} if args.quick else {1: 500, 50: 3000, 200: 3000}
    rounds = args.rounds or (1 if args.quick else 3)

    LOGS.mkdir(exist_ok=True)
    print(f"the servers' logs: {LOGS}")
    slack_port = _free_port()
    slack = f"http://127.0.0.1:{slack_port}"
    fake = subprocess.Popen([sys.executable, "-m", "bench.fast_slack", str(slack_port)], cwd=ROOT)
    base_env = {
        "PATH": os.environ.get("PATH", ""),
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_API_URL": f"{slack}/api/",
        "LOG_LEVEL": "WARNING",
        "HELPDESK_CHANNEL": "C0DESK",
        # The fast Slack takes posts as fast as they come: the bot's own cost is measured, not
        # Slack's one post a second per channel.
        "HELPDESK_POST_INTERVAL": "0",
        "IT_ADMIN_USERS": "UADMIN",
        "IDENTITY_PROVIDER": "demo",
        "STEPUP_KEY": new_key(),
        "PYTHONPATH": str(ROOT),
    }
    targets: list[Target] = []
    # The replicas get a database of their own: the same requests sent to the single bot before
    # would be taken for repeated submissions.
    postgres = _postgres_database()
    shared = _postgres_database() if postgres else None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            bot = [sys.executable, "-m", "bot", "serve"]
            sqlite_env = {**base_env, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/b.db"}
            runs = [Run("bot (SQLite)", bot, sqlite_env)]
            if postgres and shared:
                runs.append(Run("bot (PostgreSQL)", bot, {**base_env, "DATABASE_URL": postgres}))
                shared_env = {**base_env, **THREE_POOL, "DATABASE_URL": shared}
                runs.append(Run(THREE, bot, shared_env, replicas=3))
            for kind in ("bolt", "bolt-pbr", "plain", "bolt-reply"):
                # bolt-reply differs from bolt only in what follows a click's ack.
                measured = REPLY_KINDS if kind == "bolt-reply" else KINDS
                baseline = [sys.executable, "-m", "bench.baselines", kind]
                runs.append(Run(kind, baseline, base_env, measured))
            chosen = [
                run for run in runs if not args.only or any(part in run.name for part in args.only)
            ]
            targets = asyncio.run(_bench(chosen, slack, sizes, kinds, rounds, args.hold))
    finally:
        fake.terminate()
        fake.wait(timeout=10)
        for database in (postgres, shared):
            if database:
                _drop_postgres(database)

    table = _table(targets)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"\n{machine}\n\n{table}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    # A run of some targets or kinds, or a smoke run, never replaces the day's full figures.
    partial = args.quick or args.only or args.kinds or args.rounds is not None
    out = RESULTS / f"{datetime.now(UTC):%Y-%m-%d}{'-partial' if partial else ''}.json"
    out.write_text(
        json.dumps(
            {
                "when": datetime.now(UTC).isoformat(),
                "machine": machine,
                "sizes": sizes,
                "rounds": rounds,
                "targets": [asdict(t) for t in targets],
                "median_ready_s": statistics.median(t.ready_s for t in targets),
            },
            indent=2,
        )
    )
    print(f"\nwritten to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
