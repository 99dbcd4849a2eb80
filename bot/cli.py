"""The `mfa-helpdesk` command: serve, sandbox, migrate, audit export and verify, the figures'
report, keys, checks."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web
from pydantic import ValidationError

from bot.domain.errors import StorageUnavailableError
from bot.domain.insights import Period
from bot.guide import GuideError, guide_variables, load_guide
from bot.logs import configure_logging
from bot.settings import SettingError, Settings

if TYPE_CHECKING:
    from bot.app import Runtime
    from bot.domain.repositories import RequestRepository
    from bot.domain.requests import AuditEntry

log = logging.getLogger("mfa_helpdesk")

EXIT_CONFIG = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = _parser().parse_args(argv)
    try:
        settings = Settings()
        configure_logging(settings.log_level, settings.log_format)
        return _COMMANDS[args.command](settings, args)
    except ValidationError as exc:
        error = exc.errors()[0]
        variable = str(error["loc"][0]).upper() if error["loc"] else "settings"
        return _fail(f"{variable}: {error['msg']}")
    except SettingError as exc:
        return _fail(str(exc))
    except GuideError as exc:
        return _fail(f"invalid guide: {exc}")
    except StorageUnavailableError as exc:
        return _fail(f"DATABASE_URL: the database is not answering ({exc})")
    except ValueError as exc:  # a stored secret no key opens (rotate-key)
        return _fail(str(exc))
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    """The command line: one sub-command per thing an operator does."""
    parser = argparse.ArgumentParser(prog="mfa-helpdesk", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve",
        help="run the bot for Slack (HTTP, or Socket Mode with SLACK_APP_TOKEN), Teams, or both",
    )
    serve.add_argument(
        "--no-migrate", action="store_true", help="do not migrate the database at start"
    )
    sandbox = commands.add_parser(
        "sandbox", help="try the bot in the browser: a local Slack, the demo directory, no settings"
    )
    sandbox.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    sandbox.add_argument("--port", type=int, help="port to listen on (PORT, else 3000; 0: any)")
    sandbox.add_argument(
        "--no-history",
        action="store_true",
        help="start with an empty help desk (no month of history for the admins' figures)",
    )
    commands.add_parser(
        "start",
        help="serve when Slack's or Teams' settings are set (SLACK_BOT_TOKEN, SLACK_APP_TOKEN, "
        "TEAMS_APP_ID or TEAMS_ANONYMOUS), else the sandbox",
    )
    commands.add_parser(
        "migrate",
        help="bring the database schema up to date (MIGRATION_DATABASE_URL if set), then exit",
    )
    grant = commands.add_parser(
        "grant-runtime-role",
        help="PostgreSQL: give ROLE what serving needs, only INSERT and SELECT on the audit log "
        "(run as the tables' owner: MIGRATION_DATABASE_URL)",
    )
    grant.add_argument("role", help="the role DATABASE_URL connects as")
    audit = commands.add_parser("audit", help="the audit log")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True)
    export = audit_commands.add_parser("export", help="write the audit log out")
    export.add_argument(
        "--since", required=True, type=_since, help="YYYY-MM-DD or an ISO time (UTC)"
    )
    export.add_argument("--format", choices=("csv", "jsonl"), default="jsonl")
    export.add_argument("--output", type=Path, help="a file (default: standard output)")
    export.add_argument(
        "--workspace",
        help="several workspaces (Slack OAuth): only this workspace's lines (its team ID)",
    )
    verify = audit_commands.add_parser(
        "verify", help="check the audit log's hash chain; exit 1 at the first broken link"
    )
    verify.add_argument(
        "--head", help="a head hash an earlier verify printed: it must still be on the chain"
    )
    report = commands.add_parser(
        "report",
        help="write the help desk's figures for a period, against the period before it: one "
        "HTML file with its charts (or CSV, JSON)",
    )
    report.add_argument("--since", required=True, type=_since, help="YYYY-MM-DD (UTC)")
    report.add_argument("--until", type=_until, help="YYYY-MM-DD, that day included (default: now)")
    report.add_argument("--format", choices=("html", "csv", "json"), default="html")
    report.add_argument("--output", type=Path, help="a file (default: standard output)")
    report.add_argument(
        "--workspace", help="one workspace only: its Slack team ID or Teams tenant ID"
    )
    report.add_argument(
        "--with-admins",
        action="store_true",
        help="add the approvals of each admin (left out by default: the file is handed on)",
    )
    commands.add_parser("keygen", help="print a new key for STEPUP_KEY")
    commands.add_parser(
        "rotate-key", help="re-encrypt admins' authenticator secrets with the first STEPUP_KEY"
    )
    commands.add_parser(
        "rotate-installation-key",
        help="re-encrypt the workspaces' Slack tokens with the first INSTALLATION_KEY",
    )
    commands.add_parser(
        "check-idp", help="check the identity provider's credentials and permissions (read-only)"
    )
    package = commands.add_parser(
        "teams-package",
        help="write the Teams app package (manifest, icons, zip) for TEAMS_APP_ID, then exit",
    )
    package.add_argument(
        "--output", type=Path, default=Path("teams-app"), help="folder to write (teams-app)"
    )
    package.add_argument("--app-version", default="1.0.0", help="the app's version (1.0.0)")
    package.add_argument("--developer", default="IT help desk", help="who publishes the app")
    package.add_argument("--website-url", help="the publisher's https page (default: sign-in help)")
    package.add_argument("--privacy-url", help="the privacy statement (default: the website)")
    package.add_argument("--terms-url", help="the terms of use (default: the website)")
    check = commands.add_parser("check-guide", help="validate a guide file, then exit")
    check.add_argument(
        "path", nargs="?", help="the guide file (default: GUIDE_FILE or the built-in one)"
    )
    return parser


def _serve_command(settings: Settings, args: argparse.Namespace) -> int:
    settings.require_for_serve()
    return asyncio.run(_serve(settings, migrate=settings.migrates_at_start and not args.no_migrate))


def _start_command(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.serves_slack and not settings.serves_teams:
        log.info(
            "no SLACK_BOT_TOKEN: starting the sandbox "
            "(set it to connect to Slack, or TEAMS_APP_ID for Teams)"
        )
        return asyncio.run(_sandbox("127.0.0.1", settings.port))
    settings.require_for_serve()
    return asyncio.run(_serve(settings, migrate=settings.migrates_at_start))


def _sandbox_command(settings: Settings, args: argparse.Namespace) -> int:
    port = settings.port if args.port is None else args.port
    return asyncio.run(_sandbox(args.host, port, history=not args.no_history))


def _keygen_command(settings: Settings, args: argparse.Namespace) -> int:
    from bot.crypto import new_key

    print(new_key())  # noqa: T201 - the key is the output
    return 0


def _audit_command(settings: Settings, args: argparse.Namespace) -> int:
    if args.audit_command == "verify":
        return asyncio.run(_verify_audit(settings, args.head))
    return asyncio.run(
        _export_audit(settings, args.since, args.format, args.output, args.workspace)
    )


def _teams_package_command(settings: Settings, args: argparse.Namespace) -> int:
    from teams.package import AppInfo, write_package

    if settings.teams_app_id is None:
        raise SettingError("TEAMS_APP_ID", "is not set: the package names the bot by its app ID")
    urls = [args.website_url, args.privacy_url, args.terms_url]
    if any(url is not None and not url.startswith("https://") for url in urls):
        return _fail("teams-package: the website, privacy and terms URLs must start with https://")
    app = AppInfo(
        bot_id=settings.teams_app_id,
        version=args.app_version,
        developer=args.developer,
        website_url=args.website_url or str(settings.manage_settings_url),
        privacy_url=args.privacy_url or "",
        terms_url=args.terms_url or "",
    )
    target = write_package(app, args.output)
    print(  # noqa: T201 - what to upload, for the operator
        f"wrote {target}: upload it in the Teams admin centre (Manage apps, Upload new app)"
    )
    return 0


def _check_guide_command(settings: Settings, args: argparse.Namespace) -> int:
    return _check_guide(settings, args.path or settings.guide_file)


def _fail(message: str) -> int:
    print(f"mfa-helpdesk: {message}", file=sys.stderr)  # noqa: T201 - the one line an operator reads
    return EXIT_CONFIG


def _check_guide(settings: Settings, path: str | Path | None) -> int:
    from bot.app import GUIDE_CHECKS

    guide = load_guide(Path(path) if path else None, guide_variables(settings), GUIDE_CHECKS)
    steps = sum(len(topic.steps) for topic in guide.topics)
    print(f"guide OK: {len(guide.topics)} topics, {steps} steps")  # noqa: T201
    return 0


def _since(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2026-11-01") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _until(value: str) -> datetime:
    """The end of a period: a bare day counts whole."""
    moment = _since(value)
    return moment + timedelta(days=1) if "T" not in value and " " not in value else moment


def _report_command(settings: Settings, args: argparse.Namespace) -> int:
    until = args.until or datetime.now(UTC)
    if until <= args.since:
        return _fail("report: --until must be after --since")
    written = asyncio.run(
        _report(settings, Period(args.since, until), args.format, args.workspace, args.with_admins)
    )
    if args.output is None:
        sys.stdout.write(written)
    else:
        args.output.write_text(written, encoding="utf-8")
        log.info("wrote the %s report to %s", args.format, args.output)
    return 0


async def _report(
    settings: Settings, period: Period, fmt: str, workspace: str | None, with_admins: bool
) -> str:
    from bot import report
    from bot.charts import draw_all
    from bot.clock import SystemClock
    from bot.domain.insights import Insights
    from storage.engine import create_engine
    from storage.insights import SqlInsights

    engine = create_engine(settings.database_url)
    try:
        insights = Insights(SqlInsights(engine), SystemClock(), settings.office_hours())
        this, before = await insights.compared(period, workspace)
    finally:
        await engine.dispose()
    names = report.Names(load_guide(settings.guide_file, guide_variables(settings)))
    lines = [row for row in report.rows(this, before, names) if with_admins or row.person is None]
    if fmt == "csv":
        return report.to_csv(lines)
    if fmt == "json":
        return report.to_json(this, lines)
    pictures = await asyncio.to_thread(draw_all, this, before)
    scope = f"Workspace {workspace}" if workspace else "Every workspace"
    return report.to_html(this, lines, pictures, scope)


async def _export_audit(
    settings: Settings, since: datetime, fmt: str, output: Path | None, workspace: str | None
) -> int:
    from bot.audit import write_audit
    from storage.engine import create_engine, session_factory
    from storage.helpdesk import SqlRequestRepository

    engine = create_engine(settings.database_url)
    try:
        repo = SqlRequestRepository(session_factory(engine))
        entries = await repo.audit_since(since)
        if workspace is not None:
            entries = await _of_workspace(entries, repo, workspace)
    finally:
        await engine.dispose()
    if output is None:
        write_audit(entries, fmt, sys.stdout)
    else:
        with output.open("w", encoding="utf-8", newline="") as out:
            count = write_audit(entries, fmt, out)
        log.info("wrote %d audit line(s) to %s", count, output)
    return 0


async def _of_workspace(
    entries: list[AuditEntry], repo: RequestRepository, workspace: str
) -> list[AuditEntry]:
    """The lines of one workspace: those that name it (its people's work) and those about its
    requests (someone of another workspace refused on one of them appears in both)."""
    teams: dict[int, str | None] = {}
    kept = []
    for entry in entries:
        if entry.request_id is not None and entry.request_id not in teams:
            request = await repo.get_request(entry.request_id)
            teams[entry.request_id] = request.team_id if request is not None else None
        named = (entry.detail or {}).get("workspace")
        own = teams.get(entry.request_id) if entry.request_id is not None else None
        if workspace in (named, own):
            kept.append(entry)
    return kept


async def _verify_audit(settings: Settings, noted_head: str | None) -> int:
    from storage.audit import verify_audit
    from storage.engine import create_engine

    engine = create_engine(settings.database_url)
    try:
        report = await verify_audit(engine, noted_head)
    finally:
        await engine.dispose()
    before = (
        f"; {report.unchained} older row(s), written before the chain began (migration 0006), "
        "are not covered"
        if report.unchained
        else ""
    )
    if not report.intact:
        where = f" at row {report.broken_at}" if report.broken_at is not None else ""
        print(f"audit log BROKEN{where}: {report.problem}")  # noqa: T201
        held = f"up to row {report.last_id}" if report.last_id is not None else "for no row"
        print(f"the chain holds {held} ({report.chained} row(s)){before}")  # noqa: T201
        return 1
    if report.chained == 0:
        print(f"audit log intact: no hashed rows yet{before}")  # noqa: T201
        return 0
    print(  # noqa: T201
        f"audit log intact: {report.chained} row(s) chained, ids {report.first_id} to "
        f"{report.last_id}{before}\nhead {report.head} (keep it outside this database; "
        "`audit verify --head` with it later shows nothing up to here was rewritten)"
    )
    return 0


async def _rotate_key(settings: Settings) -> int:
    from storage.engine import create_engine, session_factory
    from storage.stepup import SqlAuthenticatorStore

    box = settings.stepup_box()
    engine = create_engine(settings.database_url)
    try:
        store = SqlAuthenticatorStore(session_factory(engine))
        count = 0
        for admin, sealed, pending in await store.all_sealed():
            new = (
                box.reseal(sealed) if sealed else None,
                box.reseal(pending) if pending else None,
            )
            count += await store.reseal(admin, (sealed, pending), new)
    finally:
        await engine.dispose()
    print(f"re-encrypted the authenticators of {count} admin(s) with the first key")  # noqa: T201
    return 0


async def _rotate_installation_key(settings: Settings) -> int:
    from storage.engine import create_engine
    from storage.installations import reseal_tokens

    box = settings.installation_box()
    engine = create_engine(settings.database_url)
    try:
        count = await reseal_tokens(engine, box)
    finally:
        await engine.dispose()
    print(f"re-encrypted the Slack tokens of {count} installation row(s) with the first key")  # noqa: T201
    return 0


async def _check_idp(settings: Settings) -> int:
    import aiohttp

    from bot.app import entra_config
    from bot.clock import SystemClock
    from bot.identity.entra import EntraProvider
    from bot.identity.okta import OktaConfig, OktaProvider
    from bot.settings import IdentityProviderName

    kind = settings.identity_provider
    if kind in (IdentityProviderName.MANUAL, IdentityProviderName.DEMO):
        print(f"IDENTITY_PROVIDER={kind.value}: nothing to connect to, nothing to check")  # noqa: T201
        return 0
    settings.require_for_provider()
    async with aiohttp.ClientSession() as http:
        if kind is IdentityProviderName.ENTRA:
            lines = await EntraProvider(entra_config(settings), http, SystemClock()).check()
        else:
            token = settings.okta_api_token.get_secret_value() if settings.okta_api_token else ""
            lines = await OktaProvider(OktaConfig(str(settings.okta_org_url), token), http).check()
    for works, what in lines:
        print(f"{'ok     ' if works else 'MISSING'} {what}")  # noqa: T201
    return 0 if all(works for works, _ in lines) else 1


async def _migrate(settings: Settings) -> int:
    from storage.engine import create_engine
    from storage.migrate import migrate

    engine = create_engine(settings.owner_database_url)
    try:
        revision = await migrate(engine)
    finally:
        await engine.dispose()
    log.info("database schema at revision %s", revision)
    return 0


async def _grant_runtime_role(settings: Settings, role: str) -> int:
    from sqlalchemy.exc import DBAPIError

    from storage.engine import create_engine
    from storage.roles import grant_runtime_role

    engine = create_engine(settings.owner_database_url)
    try:
        if engine.dialect.name != "postgresql":
            return _fail("grant-runtime-role: roles exist on PostgreSQL only, not on SQLite")
        statements = await grant_runtime_role(engine, role)
    except DBAPIError as exc:  # no such role, or not the tables' owner
        return _fail(f"grant-runtime-role: {str(exc.orig).splitlines()[0]}")
    finally:
        await engine.dispose()
    for statement in statements:
        print(f"{statement};")  # noqa: T201 - what was granted, for the operator's records
    return 0


async def _serve(settings: Settings, *, migrate: bool) -> int:
    from bot.app import build_runtime, connect_socket_mode
    from storage.migrate import SchemaNotCurrentError

    if settings.migration_database_url:
        log.info("MIGRATION_DATABASE_URL is set: serving as DATABASE_URL's role, not migrating")
    try:
        runtime = await build_runtime(settings, run_migrations=migrate)
    except SchemaNotCurrentError as exc:
        return _fail(str(exc))
    socket_handler = None
    metrics_runner = None

    host = settings.listen_host

    async def started() -> None:
        nonlocal socket_handler, metrics_runner
        metrics_runner = await _serve_metrics(runtime, host)
        if settings.slack_app_token is not None:
            socket_handler = await connect_socket_mode(
                runtime, settings.slack_app_token.get_secret_value()
            )
            log.info("connected to Slack in Socket Mode; /healthz on port %s", settings.port)
        elif settings.serves_slack:
            log.info("listening on http://%s:%s/slack/events", host, settings.port)
        if runtime.teams is not None:
            log.info("listening on http://%s:%s/api/messages for Teams", host, settings.port)

    async def stopping() -> None:
        if socket_handler is not None:
            await socket_handler.close_async()  # type: ignore[no-untyped-call]
        if metrics_runner is not None:
            await metrics_runner.cleanup()

    await _run(
        runtime,
        lambda runner: web.TCPSite(runner, host, settings.port),
        started,
        stopping,
    )
    return 0


async def _serve_metrics(runtime: Runtime, host: str) -> web.AppRunner | None:
    """METRICS_PORT's listener (/metrics alone), started; None without METRICS_PORT."""
    port = runtime.settings.metrics_port
    if runtime.metrics_web is None or port is None:
        return None
    runner = web.AppRunner(runtime.metrics_web, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("serving metrics on http://%s:%s/metrics", host, port)
    return runner


async def _sandbox(host: str, port: int, *, history: bool = True) -> int:
    from bot.app import build_runtime
    from sandbox.server import (
        LOOPBACK_NAMES,
        Sandbox,
        bind,
        origin_of,
        sandbox_settings,
        temporary_database,
    )

    try:
        sock = bind(host, port)
    except OSError as exc:
        raise SettingError("PORT", f"{port} cannot be used on {host}: {exc.strerror}") from None
    port = sock.getsockname()[1]
    origin = origin_of(sock)
    database_url, folder = temporary_database()
    with folder:
        # The sandbox answers auth.test itself, once it serves: the bot learns who it is then.
        runtime = await build_runtime(sandbox_settings(origin, database_url), identify=False)
        sandbox = Sandbox.create(runtime, origin)
        sandbox.attach(runtime.web, host)
        await sandbox.seed(history=history)
        page = f"http://localhost:{port}/" if host in LOOPBACK_NAMES else f"{origin}/"

        async def started() -> None:
            await runtime.identity.resolve()
            log.info(
                "sandbox ready: open %s (a local workspace with the demo directory; "
                "for trying the bot, not for production)",
                page,
            )

        await _run(runtime, lambda runner: web.SockSite(runner, sock), started)
    return 0


async def _run(
    runtime: Runtime,
    site: Callable[[web.AppRunner], web.BaseSite],
    started: Callable[[], Awaitable[None]],
    stopping: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Serve the runtime's web app with its background work until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    # Requests in flight at shutdown get half of SHUTDOWN_TIMEOUT (aiohttp's default is 60 s),
    # the background work what is left of it: the whole shutdown fits SHUTDOWN_TIMEOUT.
    limit = runtime.settings.shutdown_timeout.total_seconds()
    runner = web.AppRunner(runtime.web, access_log=None, shutdown_timeout=limit / 2)
    await runner.setup()
    # Everything built so far lives as long as the process: keep it out of the collector's
    # scans, which otherwise stop the event loop for 65-80 ms at each full collection.
    gc.collect()
    gc.freeze()
    await site(runner).start()
    await started()
    runtime.start_background()

    await stop.wait()
    deadline = loop.time() + limit
    # First claim nothing more: the action worker must not start new work while the web
    # server drains the requests in flight.
    runtime.begin_shutdown()
    log.info("shutting down: finishing the requests in flight and the background work")
    if stopping is not None:
        await stopping()
    await runner.cleanup()
    await runtime.close(max(0.0, deadline - loop.time()))


Command = Callable[[Settings, argparse.Namespace], int]

# Each sub-command's handler: it runs with the settings read and logging configured.
_COMMANDS: dict[str, Command] = {
    "serve": _serve_command,
    "start": _start_command,
    "sandbox": _sandbox_command,
    "migrate": lambda settings, _: asyncio.run(_migrate(settings)),
    "grant-runtime-role": lambda settings, args: asyncio.run(
        _grant_runtime_role(settings, args.role)
    ),
    "keygen": _keygen_command,
    "rotate-key": lambda settings, _: asyncio.run(_rotate_key(settings)),
    "rotate-installation-key": lambda settings, _: asyncio.run(_rotate_installation_key(settings)),
    "check-idp": lambda settings, _: asyncio.run(_check_idp(settings)),
    "audit": _audit_command,
    "check-guide": _check_guide_command,
    "teams-package": _teams_package_command,
    "report": _report_command,
}
