"""The composition root: the one place that knows every concrete class and wires them together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

import aiohttp
import yaml
from aiohttp import web
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

import handlers
from bot import correlation
from bot.backoff import OutageBackoff
from bot.clock import SystemClock
from bot.crypto import SecretBox
from bot.domain.frontends import FrontEnd, FrontEnds
from bot.domain.guide import Guide
from bot.domain.helpdesk import Helpdesk, HelpdeskConfig
from bot.domain.helpdesk.posting import ChannelPacer
from bot.domain.hours import OfficeHours
from bot.domain.identity import IdentityProvider
from bot.domain.insights import Insights
from bot.domain.platform import Platform
from bot.domain.ports import Clock, Mailer, WorkKind
from bot.domain.stepup import StepUp
from bot.domain.stepup.totp import AuthenticatorStore
from bot.domain.walks import Walks
from bot.domain.workspace import WorkspaceSettings
from bot.guide import data_uris, guide_variables, load_guide, picture_files, picture_urls
from bot.identity.demo import DemoProvider, demo_users_from
from bot.identity.entra import EntraConfig, EntraProvider
from bot.identity.manual import ManualProvider
from bot.identity.okta import OktaConfig, OktaProvider
from bot.logs import keep_libraries_quiet
from bot.mail import GraphMailer, LogOnlyMailer, SmtpMailer
from bot.metrics import MeteredProvider, Metrics, exposition
from bot.settings import IdentityProviderName, SettingError, Settings, smtp_target
from bot.tasks import Lane, TaskTracker
from bot.web import OAUTH_REDIRECT_PATH, MetricsEndpoint, Readiness, create_web_app
from handlers.blocks.guide import GuideScreens
from handlers.blocks.guide_check import guide_problems as slack_guide_problems
from handlers.blocks.text import escape_mrkdwn
from handlers.bot_identity import BotIdentity
from handlers.deps import Deps
from handlers.oauth import AllowedOAuthFlow, in_its_workspace, only_allowed
from handlers.reply import Replier
from handlers.slack_ports import SlackAdminRoster, SlackNotifier, SlackPeople
from handlers.workspaces import WorkspaceFrontEnd, Workspaces
from storage.contacts import SqlContactBook
from storage.demo import SqlDemoStore
from storage.engine import create_engine, ping, session_factory
from storage.events import SqlEventLedger
from storage.gauges import pool_use, requests_by_state
from storage.helpdesk import SqlRequestRepository
from storage.insights import SqlBoards, SqlInsights
from storage.installations import (
    SealedInstallationStore,
    SignedStateStore,
    SqlWorkspaceSettings,
    WorkspaceAuthenticators,
)
from storage.migrate import Revisions, check_schema, migrate, require_current_schema
from storage.stepup import SqlAuthenticatorStore
from storage.walks import SqlWalkRepository
from teams.addresses import Addresses
from teams.app import Outbound, TeamsBot, TeamsConfig, build_outbound, build_teams
from teams.cards.guide import TeamsScreens
from teams.cards.guide_check import guide_problems as teams_guide_problems
from teams.deps import TeamsDeps
from teams.graph import GraphApp, GraphPeople
from teams.ports import TeamsAdminRoster, TeamsNotifier, TeamsPeople
from teams.tokens import AppCredentials, ClientCredentials

log = logging.getLogger(__name__)

# The guide's checks of the front ends served: each says what of the guide it cannot show.
GUIDE_CHECKS = (slack_guide_problems, teams_guide_problems)

EVENT_MEMORY = timedelta(days=1)
HOUSEKEEPING_EVERY_S = 60.0
# Where the core's background work waits its turn: what follows a click first, cards in bulk,
# emails (slow, retried) apart.
_LANES = {
    WorkKind.FOLLOW_UP: Lane.INTERACTIVE,
    WorkKind.CARD: Lane.BULK,
    WorkKind.EMAIL: Lane.NOTICE,
}
WORKER_EVERY_S = 1.0
LONGEST_WAIT_S = 30.0  # between tries while the database is down


@dataclass
class Runtime:
    """A built bot: its Bolt app, its web app and what must be closed on shutdown."""

    settings: Settings
    engine: AsyncEngine
    http: aiohttp.ClientSession
    bolt: AsyncApp
    web: web.Application
    deps: Deps
    identity: BotIdentity
    teams: TeamsBot | None = None
    metrics: Metrics = field(default_factory=Metrics)
    # METRICS_PORT's listener: /metrics alone (None: /metrics is on PORT, or nowhere).
    metrics_web: aiohttp.web.Application | None = None
    _loops: list[asyncio.Task[None]] = field(default_factory=list)
    _stopped: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def tasks(self) -> TaskTracker:
        """The background work after acks (the one tracker the listeners use)."""
        return self.deps.tasks

    async def housekeeping_once(self) -> None:
        """Forget old event ids, expire overdue requests, post cards that never reached Slack."""
        now = self.deps.clock.now()
        await self.deps.events.forget_events_before(now - EVENT_MEMORY)
        await self.deps.walks.close_stale_walks()
        helpdesk = self.deps.helpdesk
        if helpdesk is None:
            return
        expired = await helpdesk.expire_due()
        if expired:
            log.info("expired %d request(s) past REQUEST_TTL", len(expired))
        await helpdesk.resume_unfinished()
        await helpdesk.announce_unposted()

    async def run_worker(
        self, every_s: float = WORKER_EVERY_S, longest_wait_s: float = LONGEST_WAIT_S
    ) -> None:
        """Carry out due actions (retries, work a dead replica left) until shutdown begins."""
        helpdesk = self.deps.helpdesk
        if helpdesk is None:
            return
        await self._repeat(
            helpdesk.work_due, OutageBackoff(log, "the action worker", every_s, longest_wait_s)
        )

    async def run_housekeeping(
        self, every_s: float = HOUSEKEEPING_EVERY_S, longest_wait_s: float = LONGEST_WAIT_S
    ) -> None:
        """Housekeeping every `every_s` seconds until shutdown begins."""
        backoff = OutageBackoff(log, "housekeeping", every_s, max(every_s, longest_wait_s))
        await self._repeat(self.housekeeping_once, backoff)

    async def _repeat(self, work: Callable[[], Awaitable[object]], backoff: OutageBackoff) -> None:
        """Run `work` until shutdown begins, waiting as `backoff` says after each run."""
        while not self._stopped.is_set():
            correlation.begin()  # each round's lines share an id of their own
            try:
                await work()
            except Exception as error:
                wait = backoff.failed(error)
            else:
                wait = backoff.succeeded()
            await self._pause(wait)

    async def _pause(self, seconds: float) -> None:
        """Sleep, but wake at once when shutdown begins."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopped.wait(), seconds)

    def start_background(self) -> None:
        """Start housekeeping and the action worker (`close` stops them)."""
        self._loops = [
            asyncio.create_task(self.run_housekeeping(), name="housekeeping"),
            asyncio.create_task(self.run_worker(), name="action-worker"),
        ]

    def begin_shutdown(self) -> None:
        """Shutdown begins: claim no new action and start no new round of background work; what
        runs may finish (`close`)."""
        if self.deps.helpdesk is not None:
            self.deps.helpdesk.stop_claiming()
        # The loops end on their own once the action in hand is done (no new one is claimed).
        self._stopped.set()

    async def close(self, drain_timeout: float | None = None) -> None:
        """Take no new work; let what runs finish within the drain timeout (SHUTDOWN_TIMEOUT);
        cancel the rest and hand its leases back, so another replica takes it at once; then
        release connections."""
        limit = self.settings.shutdown_timeout.total_seconds()
        limit = limit if drain_timeout is None else drain_timeout
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        self.begin_shutdown()
        helpdesk = self.deps.helpdesk
        if self._loops:
            await asyncio.wait(self._loops, timeout=max(0.0, deadline - loop.time()))
        await self.tasks.drain(max(0.0, deadline - loop.time()))
        for task in self._loops:
            task.cancel()
        await asyncio.gather(*self._loops, return_exceptions=True)
        self._loops = []
        await self.tasks.cancel_all()
        if helpdesk is not None:
            try:
                released = await helpdesk.release_leases()
            except Exception:
                log.exception("could not hand back this replica's leases; they run out instead")
            else:
                if released:
                    log.info("handed back %d unfinished action(s) to the other replicas", released)
        await self.http.close()
        await self.engine.dispose()


async def connect_socket_mode(runtime: Runtime, app_token: str) -> AsyncSocketModeHandler:
    """Connect to Slack over Socket Mode (returns once connected; close with close_async)."""
    handler = AsyncSocketModeHandler(runtime.bolt, app_token)
    await handler.connect_async()  # type: ignore[no-untyped-call]
    return handler


async def build_provider(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    http: aiohttp.ClientSession,
) -> IdentityProvider:
    """The identity provider IDENTITY_PROVIDER names; the demo one loads DEMO_DIRECTORY_FILE."""
    if settings.identity_provider is IdentityProviderName.DEMO:
        store = SqlDemoStore(sessions)
        if settings.demo_directory_file is not None:
            source = settings.demo_directory_file
            try:
                people = demo_users_from(yaml.safe_load(source.read_text(encoding="utf-8")))
            except (OSError, yaml.YAMLError, ValueError) as exc:
                raise SettingError("DEMO_DIRECTORY_FILE", f"{source}: {exc}") from exc
            for person in people:
                await store.save_demo_user(person, clock.now())
        return DemoProvider(store, clock)
    if settings.identity_provider is IdentityProviderName.MANUAL:
        return ManualProvider()
    if settings.identity_provider is IdentityProviderName.ENTRA:
        return EntraProvider(entra_config(settings), http, clock)
    if settings.identity_provider is IdentityProviderName.OKTA:
        token = settings.okta_api_token.get_secret_value() if settings.okta_api_token else ""
        return OktaProvider(OktaConfig(str(settings.okta_org_url or ""), token), http)
    raise SettingError("IDENTITY_PROVIDER", f"{settings.identity_provider.value} is not available")


def entra_config(settings: Settings) -> EntraConfig:
    """The Graph app registration from ENTRA_* settings (checked by require_for_serve)."""
    return EntraConfig(
        tenant_id=settings.entra_tenant_id or "",
        client_id=settings.entra_client_id or "",
        client_secret=(
            settings.entra_client_secret.get_secret_value() if settings.entra_client_secret else ""
        ),
        login_url=str(settings.entra_login_url),
        graph_url=str(settings.entra_graph_url),
        clear_passkeys=settings.entra_clear_passkeys,
    )


def _it_for_mail(settings: Settings) -> str:
    """Whom the email tells a person to contact ("Contact ... at once")."""
    return settings.it_contact or "your IT department"


def build_mailer(settings: Settings, provider: IdentityProvider) -> Mailer:
    """How the account holder is emailed after a reset: SMTP_URL, else Graph's sendMail from
    MAIL_FROM's mailbox when the provider is Entra, else not at all (with a warning)."""
    settings.require_for_mail()
    if settings.smtp_url is not None and settings.mail_from:
        target = smtp_target(settings.smtp_url)
        log.info("account holders are emailed after a reset via SMTP at %s", target.host)
        return SmtpMailer(target, settings.mail_from, _it_for_mail(settings))
    if isinstance(provider, EntraProvider) and settings.mail_from:
        log.info("account holders are emailed after a reset via Graph from %s", settings.mail_from)
        return GraphMailer(provider, settings.mail_from, _it_for_mail(settings))
    log.warning(
        "the second-channel notice is off: set SMTP_URL and MAIL_FROM (or MAIL_FROM with "
        "IDENTITY_PROVIDER=entra) to email people when their sign-in settings are reset"
    )
    return LogOnlyMailer()


def retry_handlers() -> list[AsyncRetryHandler]:
    """Retries for connection errors and 429 (honouring Retry-After); 5xx is not retried blindly."""
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=2),
        AsyncRateLimitErrorRetryHandler(max_retry_count=3),
    ]


async def build_runtime(
    settings: Settings,
    clock: Clock | None = None,
    *,
    run_migrations: bool | None = None,
    identify: bool = True,
) -> Runtime:
    """Load the guide, learn who the bot is in Slack (unless `identify` is false: the sandbox
    serves auth.test itself), open storage, migrate (or check the schema is current), and wire
    the Slack app and the web app."""
    clock = clock or SystemClock()
    keep_libraries_quiet()
    guide = load_guide(settings.guide_file, guide_variables(settings), GUIDE_CHECKS)
    pictures = picture_files()
    box = settings.stepup_box() if settings.has_helpdesk and settings.stepup_required else None
    http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
    handlers_for_retries = retry_handlers()
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    client = AsyncWebClient(
        token=token,
        base_url=str(settings.slack_api_url),
        session=http,
        retry_handlers=handlers_for_retries,
        timeout=15,
    )
    # Who the bot is, before anything is served: Bolt authorizes each request with it (below)
    # instead of calling auth.test on the first request. A refused token stops start-up here.
    identity = BotIdentity(client)
    oauth = settings.installs_through_oauth
    if identify and settings.serves_slack and not oauth:
        try:
            await identity.resolve()
        except BaseException:
            await http.close()
            raise
    engine = create_engine(
        settings.database_url, settings.database_pool_size, settings.database_max_overflow
    )
    if run_migrations is None:
        run_migrations = settings.migrates_at_start
    if run_migrations:
        revision = await migrate(engine)
        log.info("database schema at revision %s", revision)
    else:  # someone else migrates (MIGRATION_DATABASE_URL, --no-migrate): never serve a stale one
        try:
            await require_current_schema(engine)
        except BaseException:
            await engine.dispose()
            await http.close()
            raise
    sessions = session_factory(engine)
    signing_secret = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    )
    bolt_log = logging.getLogger("slack_bolt.app")
    # Bolt warns that SLACK_BOT_TOKEN in the environment is unused when a client is given: it is
    # the same token, so the warning would only confuse an operator.
    bolt_log.setLevel(logging.ERROR)
    # Given an authorize, Bolt drops the client's token from its per-request clients (and warns,
    # silenced here), then sets the one the authorize returns.
    bolt, installations = (
        _bolt_for_workspaces(settings, engine, client, clock, bolt_log)
        if oauth
        else (
            AsyncApp(
                client=client,
                token=None,
                authorize=identity.for_bolt(),
                signing_secret=signing_secret or "unused-in-socket-mode",
                request_verification_enabled=False,
                process_before_response=True,
                logger=bolt_log,
            ),
            None,
        )
    )
    bolt_log.setLevel(logging.NOTSET)
    tasks = TaskTracker()
    metrics = Metrics()  # this app's own registry: several apps in one process never collide
    # one service: one cache of walks
    walks = Walks(guide, SqlWalkRepository(engine), clock, metrics)
    replier = Replier(client, handlers_for_retries, per_request=oauth)
    teams_config = teams_config_of(settings)
    outbound = build_outbound(teams_config, http, clock) if settings.serves_teams else None
    addresses = Addresses(SqlContactBook(sessions), clock)
    helpdesk, provider_name, insights, workspaces = None, "", None, None
    requests = SqlRequestRepository(sessions, tag_workspace=oauth)
    if settings.has_helpdesk:
        insights = Insights(SqlInsights(engine), clock, _office_hours(settings), SqlBoards(engine))
        directory = await build_provider(settings, sessions, clock, http)
        provider = MeteredProvider(directory, metrics)
        provider_name = provider.name
        stepup = _stepup(settings, sessions, box, clock, metrics)
        pacer = _pacer(settings, requests)
        workspaces = (
            Workspaces(
                installations,
                SqlWorkspaceSettings(sessions),
                client,
                handlers_for_retries,
                _workspace_ports(settings, guide, provider.name, clock, pacer),
                clock,
                frozenset(settings.slack_allowed_workspaces),
            )
            if installations is not None
            else None
        )
        slack = _slack_front_end(
            settings, client, replier, guide, provider.name, clock, pacer, workspaces
        )
        front_ends = FrontEnds(
            {
                **slack,
                **_teams_front_end(
                    settings,
                    outbound,
                    addresses,
                    guide,
                    provider.name,
                    http,
                    clock,
                    pacer,
                ),
            }
        )
        helpdesk = Helpdesk(
            HelpdeskConfig(
                channel_id=settings.helpdesk_channel or "",
                teams_channel_id=(settings.teams_helpdesk_channel or "") if outbound else "",
                ttl=settings.request_ttl,
                tap_lifetime_minutes=settings.tap_lifetime_minutes,
                reset_cooldown=settings.reset_cooldown,
                manager_attestation=settings.manager_attestation,
                requests_per_hour=settings.requests_per_hour,
                action_lease=settings.action_lease,
                password_url=str(settings.manage_settings_url),
            ),
            requests,
            walks,
            provider,
            front_ends,
            front_ends,
            front_ends,
            clock,
            stepup,
            mailer=build_mailer(settings, directory),
            background=lambda work, name, kind: tasks.spawn(work, name, _LANES[kind]),
            desks=workspaces,
        )
        _warn_without_admins(settings, front_ends.platforms)
    events = SqlEventLedger(engine)  # Slack's event ids and Teams' activity ids
    deps = Deps(
        walks=walks,
        events=events,
        replier=replier,
        tasks=tasks,
        clock=clock,
        screens=GuideScreens(guide, picture_urls(_public_url(settings), pictures)),
        helpdesk=helpdesk,
        it_contact=escape_mrkdwn(settings.it_contact) if settings.it_contact else None,
        insights=insights,
        workspaces=workspaces,
    )
    handlers.register(bolt, deps)
    keep_libraries_quiet()  # again, now that Bolt and the clients have made their loggers

    async def database_ok() -> bool:
        return await ping(engine)

    revisions = Revisions.of_this_code()

    async def readiness() -> Readiness:
        found = await check_schema(engine, revisions)
        database = "up" if found.reachable else "down"
        return Readiness(found.problem is None, database, found.problem)

    # In Socket Mode, Slack's payloads come over the app's own WebSocket: HOST serves only the
    # health checks, so nothing there accepts a payload, signed or not.
    events_secret = None if settings.socket_mode else signing_secret
    teams = None
    if outbound is not None:
        screens = TeamsScreens(guide, data_uris(pictures))
        teams_deps = TeamsDeps(
            walks,
            screens,
            addresses,
            clock,
            events,
            helpdesk,
            provider_name,
            settings.it_contact,
            settings.teams_security_channel,
            insights,
        )
        teams = _serve_teams(teams_config, teams_deps, outbound, http, clock)
    endpoint = MetricsEndpoint(
        metrics,
        exposition(
            metrics,
            lambda: requests_by_state(sessions),
            tasks.pending_by_lane,
            lambda: pool_use(engine),
        ),
        _metrics_token(settings),
        own_port=settings.metrics_port is not None,
    )
    web_app = create_web_app(
        bolt,
        events_secret,
        database_ok,
        readiness,
        tasks,
        teams.handle if teams else None,
        pictures=pictures,
        metrics=endpoint,
    )
    metrics_web = endpoint.app() if endpoint.own_port else None
    return Runtime(
        settings, engine, http, bolt, web_app, deps, identity, teams, metrics, metrics_web
    )


def _serve_teams(
    config: TeamsConfig,
    deps: TeamsDeps,
    outbound: Outbound,
    http: aiohttp.ClientSession,
    clock: Clock,
) -> TeamsBot:
    """The Teams front end, and a warning when it runs in the anonymous mode."""
    teams = build_teams(config, deps, outbound, http, clock)
    if teams.auth.anonymous:
        log.warning(
            "Teams in the anonymous mode (no TEAMS_APP_ID, TEAMS_ANONYMOUS=true): "
            "/api/messages checks no token and answers loopback service URLs only; "
            "listening on 127.0.0.1 only. For the Agents Playground, never for production."
        )
    return teams


def teams_config_of(settings: Settings) -> TeamsConfig:
    """The Teams front end's settings (checked by require_for_teams)."""
    password = settings.teams_app_password
    return TeamsConfig(
        app_id=settings.teams_app_id,
        app_password=password.get_secret_value() if password else None,
        tenant_id=settings.teams_tenant_id,
        helpdesk_channel=settings.teams_helpdesk_channel or "",
        openid_metadata_url=str(settings.teams_openid_metadata_url),
        login_url=str(settings.teams_login_url),
    )


def _pacer(settings: Settings, requests: SqlRequestRepository) -> ChannelPacer:
    """Spacing of the posts to each help-desk channel, shared by the replicas through the
    database, on wall-clock time (whatever clock the rest of the bot is given)."""
    every = {
        Platform.SLACK: timedelta(seconds=settings.helpdesk_post_interval),
        Platform.TEAMS: timedelta(seconds=settings.teams_post_interval),
    }
    return ChannelPacer(requests, SystemClock(), every)


def _channel_replier(client: AsyncWebClient) -> Replier:
    """Posts to channels through a copy of `client` that lets a 429 through to the caller
    instead of sleeping on it (the pacer makes every replica wait); connection errors are still
    retried."""
    handlers_for_channels: list[AsyncRetryHandler] = [
        AsyncConnectionErrorRetryHandler(max_retry_count=2)
    ]
    channels = AsyncWebClient(
        token=client.token,
        base_url=client.base_url,
        session=client.session,
        retry_handlers=handlers_for_channels,
        timeout=client.timeout,
    )
    return Replier(channels, handlers_for_channels)


def _slack_front_end(
    settings: Settings,
    client: AsyncWebClient,
    replier: Replier,
    guide: Guide,
    provider: str,
    clock: Clock,
    pacer: ChannelPacer,
    workspaces: Workspaces | None = None,
) -> dict[Platform, FrontEnd]:
    """Slack's answers to the core's ports, when Slack is served: each workspace's own, when
    several are (Slack OAuth)."""
    if not settings.serves_slack:
        return {}
    if workspaces is not None:
        every = WorkspaceFrontEnd(workspaces)
        return {Platform.SLACK: FrontEnd(every, every, every)}
    roster = SlackAdminRoster(
        client,
        settings.it_admin_users,
        settings.it_admin_usergroup,
        clock,
        settings.privileged_users,
        settings.privileged_usergroup,
    )
    notifier = SlackNotifier(
        replier,
        settings.helpdesk_channel or "",
        guide,
        provider,
        escape_mrkdwn(settings.it_contact) if settings.it_contact else None,
        settings.security_channel,
        escape_mrkdwn(settings.helpdesk_hours) if settings.helpdesk_hours else None,
        pacer=pacer,
        channel_replier=_channel_replier(client),
    )
    people = SlackPeople(client, settings.manager_profile_field)
    return {Platform.SLACK: FrontEnd(notifier, roster, people)}


def _stepup(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    box: SecretBox | None,
    clock: Clock,
    metrics: Metrics,
) -> StepUp | None:
    """Admins' step-up (None when STEPUP_REQUIRED is off); with several workspaces, an admin of
    each enrolls in each."""
    if box is None:
        return None
    authenticators: AuthenticatorStore = SqlAuthenticatorStore(sessions)
    if settings.installs_through_oauth:
        authenticators = WorkspaceAuthenticators(authenticators)
    return StepUp(authenticators, box, clock, metrics)


def _bolt_for_workspaces(
    settings: Settings,
    engine: AsyncEngine,
    client: AsyncWebClient,
    clock: Clock,
    bolt_log: logging.Logger,
) -> tuple[AsyncApp, SealedInstallationStore]:
    """Bolt installing through Slack OAuth into many workspaces: installations in the database
    (tokens sealed with INSTALLATION_KEY), signed one-time states, each request authorized
    with its own workspace's token."""
    box = settings.installation_box()
    client_id = settings.slack_client_id or ""
    secret = settings.slack_client_secret.get_secret_value() if settings.slack_client_secret else ""
    state_secret = (
        settings.slack_state_secret.get_secret_value() if settings.slack_state_secret else ""
    )
    signing = settings.slack_signing_secret
    store = SealedInstallationStore(client_id, engine, box)
    oauth = AllowedOAuthFlow(
        client=client,
        logger=bolt_log,
        settings=AsyncOAuthSettings(
            client_id=client_id,
            client_secret=secret,
            scopes=settings.slack_install_scopes,
            # With PUBLIC_URL, Slack is told where to send the person back (an app may list
            # several redirect URLs); without it, Slack uses the app's only one.
            redirect_uri=(
                str(settings.public_url).rstrip("/") + OAUTH_REDIRECT_PATH
                if settings.public_url
                else None
            ),
            installation_store=store,
            state_store=SignedStateStore(engine, state_secret, clock),
            install_page_rendering_enabled=False,
            logger=bolt_log,
        ),
    )
    allowed = frozenset(settings.slack_allowed_workspaces)
    oauth.allowed = allowed
    # installation_store= here too: Bolt's per-request authorize then uses `client` (its base
    # URL, session and retries) rather than a client of its own.
    # Bolt's own authorize for installations asks auth.test on every request; this one asks once
    # per token and process (the answer, who the bot is, does not change with the token).
    authorize = AsyncInstallationStoreAuthorize(
        logger=bolt_log,
        installation_store=store,
        client_id=client_id,
        client_secret=secret,
        cache_enabled=True,
        client=client,
    )
    bolt = AsyncApp(
        client=client,
        token=None,
        signing_secret=signing.get_secret_value() if signing else "",
        before_authorize=only_allowed(allowed),
        authorize=authorize,  # type: ignore[arg-type]  # an AsyncAuthorize: Bolt takes it as is
        oauth_flow=oauth,
        installation_store=store,
        request_verification_enabled=False,
        process_before_response=True,
        logger=bolt_log,
    )
    bolt.middleware(in_its_workspace)
    # app_uninstalled and tokens_revoked delete the workspace's installation and tokens.
    bolt.enable_token_revocation_listeners()
    return bolt, store


def _workspace_ports(
    settings: Settings, guide: Guide, provider: str, clock: Clock, pacer: ChannelPacer
) -> Callable[[AsyncWebClient, Replier, WorkspaceSettings | None], FrontEnd]:
    """How one workspace's Slack ports are built: its own channel, admins and token
    (`/mfa-admin setup`, its installation); the operator's other settings shared."""

    def build(client: AsyncWebClient, replier: Replier, own: WorkspaceSettings | None) -> FrontEnd:
        roster = SlackAdminRoster(
            client,
            list(own.admin_users) if own else [],
            own.admin_usergroup if own else None,
            clock,
            settings.privileged_users,
            settings.privileged_usergroup,
        )
        notifier = SlackNotifier(
            replier,
            own.helpdesk_channel if own else "",
            guide,
            provider,
            escape_mrkdwn(settings.it_contact) if settings.it_contact else None,
            None,  # SECURITY_CHANNEL names one workspace's channel: alerts stay in each desk
            escape_mrkdwn(settings.helpdesk_hours) if settings.helpdesk_hours else None,
            pacer=pacer,
            channel_replier=_channel_replier(client),
        )
        return FrontEnd(notifier, roster, SlackPeople(client, settings.manager_profile_field))

    return build


def _teams_front_end(
    settings: Settings,
    outbound: Outbound | None,
    addresses: Addresses,
    guide: Guide,
    provider: str,
    http: aiohttp.ClientSession,
    clock: Clock,
    pacer: ChannelPacer,
) -> dict[Platform, FrontEnd]:
    """Teams' answers to the core's ports, when Teams is served."""
    if outbound is None:
        return {}
    graph = None
    if settings.entra_tenant_id and settings.entra_client_id and settings.entra_client_secret:
        credentials = AppCredentials(
            str(settings.entra_login_url),
            settings.entra_tenant_id,
            settings.entra_client_id,
            settings.entra_client_secret.get_secret_value(),
        )
        graph = GraphPeople(
            GraphApp(str(settings.entra_graph_url), ClientCredentials(credentials, http, clock)),
            http,
        )
    roster = TeamsAdminRoster(settings.teams_it_admins, settings.teams_it_admin_group, graph, clock)
    notifier = TeamsNotifier(
        outbound.connector,
        addresses,
        settings.teams_helpdesk_channel or "",
        guide,
        provider,
        settings.it_contact,
        security_channel=settings.teams_security_channel,
        hours=settings.helpdesk_hours,
        pacer=pacer,
    )
    if not settings.teams_security_channel:
        log.warning(
            "TEAMS_SECURITY_CHANNEL is not set: Teams' security alerts go to the help-desk "
            "channel (TEAMS_HELPDESK_CHANNEL) instead"
        )
    people = TeamsPeople(addresses, outbound.connector, graph)
    return {Platform.TEAMS: FrontEnd(notifier, roster, people)}


def _metrics_token(settings: Settings) -> str | None:
    """METRICS_TOKEN, or None (no /metrics) when unset or blank."""
    token = settings.metrics_token.get_secret_value().strip() if settings.metrics_token else ""
    return token or None


def _public_url(settings: Settings) -> str | None:
    return str(settings.public_url) if settings.public_url else None


def _office_hours(settings: Settings) -> OfficeHours | None:
    """HELPDESK_HOURS for the figures' office-hours waits; a warning when it cannot be read."""
    hours = settings.office_hours()
    if hours is None and settings.helpdesk_hours:
        log.warning(
            "HELPDESK_HOURS %r is not days, hours and a zone like 'Mon-Fri 8:00-18:00 "
            "Europe/Berlin': the figures give wall-clock waits only",
            settings.helpdesk_hours,
        )
    return hours


def _warn_without_admins(settings: Settings, platforms: frozenset[Platform]) -> None:
    """Say which front end has nobody who may decide."""
    admins_listed = settings.it_admin_users or settings.it_admin_usergroup
    # With several workspaces, each names its own (`/mfa-admin setup`).
    if Platform.SLACK in platforms and not admins_listed and not settings.installs_through_oauth:
        log.warning("no IT admins: set IT_ADMIN_USERS or IT_ADMIN_USERGROUP to decide requests")
    if Platform.TEAMS in platforms and not (
        settings.teams_it_admins or settings.teams_it_admin_group
    ):
        log.warning(
            "no Teams IT admins: set TEAMS_IT_ADMINS or TEAMS_IT_ADMIN_GROUP to decide requests"
        )
