"""Prometheus metrics for one app: its own registry, the core's Meter, a timed identity provider."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot.domain.identity import (
    ActionResult,
    DirectoryUser,
    IdentityError,
    IdentityProvider,
    TemporaryIdentityError,
)
from bot.domain.requests import Status

log = logging.getLogger(__name__)

T = TypeVar("T")
STATES_TIMEOUT_S = 2.0  # a scrape never waits long on a database that does not answer
CONTENT_TYPE = CONTENT_TYPE_LATEST
# Slack wants an ack within 3 s; the buckets are dense below that and stop soon after.
_ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)
_PROVIDER_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """Every series of one app, in a registry of its own (several apps share a process in tests).

    Labels carry front ends, kinds, topic ids, outcomes and provider names only: never a
    person's id, name, email or words.
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "mfa_helpdesk_http_requests",
            "Requests from Slack and Teams, by front end, kind and outcome (HTTP status)",
            ["front_end", "kind", "outcome"],
            registry=r,
        )
        self.ack_seconds = Histogram(
            "mfa_helpdesk_ack_seconds",
            "Time from a request's arrival to its response (the ack), by front end",
            ["front_end"],
            buckets=_ACK_BUCKETS,
            registry=r,
        )
        self.walks = Counter(
            "mfa_helpdesk_walks",
            "Guide walks started and ended, by topic id and outcome",
            ["topic", "outcome"],
            registry=r,
        )
        self.help_requests = Gauge(
            "mfa_helpdesk_help_requests",
            "Help requests in the database, by state (read at scrape time)",
            ["state"],
            registry=r,
        )
        self.state_read_failures = Counter(
            "mfa_helpdesk_help_requests_read_failures",
            "Scrapes whose count of requests by state failed (the database did not answer)",
            registry=r,
        )
        self.actions = Counter(
            "mfa_helpdesk_actions",
            "Help-desk actions carried out at the identity provider, by provider, action, outcome",
            ["provider", "action", "outcome"],
            registry=r,
        )
        self.provider_seconds = Histogram(
            "mfa_helpdesk_identity_provider_seconds",
            "Time of each identity-provider call, by provider and call",
            ["provider", "call"],
            buckets=_PROVIDER_BUCKETS,
            registry=r,
        )
        self.provider_errors = Counter(
            "mfa_helpdesk_identity_provider_errors",
            "Identity-provider calls that failed, by provider, call and kind of error",
            ["provider", "call", "error"],
            registry=r,
        )
        self.stepup_failures = Counter(
            "mfa_helpdesk_stepup_failures",
            "Step-up codes refused (wrong or used already)",
            registry=r,
        )
        self.stepup_lockouts = Counter(
            "mfa_helpdesk_stepup_lockouts",
            "Step-up lockouts begun (a refused code that used the last try)",
            registry=r,
        )
        self.stepup_locked_refusals = Counter(
            "mfa_helpdesk_stepup_locked_refusals",
            "Step-up attempts refused because the admin was locked out",
            registry=r,
        )
        self.background_pending = Gauge(
            "mfa_helpdesk_background_pending",
            "Background work running or waiting its turn, by lane",
            ["lane"],
            registry=r,
        )
        self.pool_checked_out = Gauge(
            "mfa_helpdesk_db_pool_checked_out",
            "Database connections in use by this process",
            registry=r,
        )
        self.pool_size = Gauge(
            "mfa_helpdesk_db_pool_size",
            "Database connections the pool keeps (in use or idle, overflow not counted)",
            registry=r,
        )

    # The core's Meter (bot/domain/ports.py).
    def walk(self, topic_id: str, outcome: str, count: int = 1) -> None:
        """Count walks of a topic that started or ended."""
        self.walks.labels(topic=topic_id or "unknown", outcome=outcome).inc(count)

    def stepup_failed(self, *, locked: bool) -> None:
        """Count a refused code, and the lockout it began."""
        self.stepup_failures.inc()
        if locked:
            self.stepup_lockouts.inc()

    def stepup_locked_out(self) -> None:
        """Count an attempt refused during a lockout."""
        self.stepup_locked_refusals.inc()

    def answered(self, front_end: str, kind: str, status: int, seconds: float) -> None:
        """Count one request from a front end and how long its ack took."""
        self.requests.labels(front_end=front_end, kind=kind, outcome=str(status)).inc()
        self.ack_seconds.labels(front_end=front_end).observe(seconds)


def exposition(
    metrics: Metrics,
    states: Callable[[], Awaitable[Mapping[str, int]]],
    pending: Callable[[], Mapping[str, int]],
    pool: Callable[[], tuple[int, int]],
) -> Callable[[], Awaitable[bytes]]:
    """The text /metrics answers: the gauges read now (one cheap query), then every series."""

    async def render() -> bytes:
        try:
            counts = await asyncio.wait_for(states(), STATES_TIMEOUT_S)
        except Exception as error:
            # The other series matter most while the database is away: they are served still,
            # the states as last read, and the failed read counted.
            metrics.state_read_failures.inc()
            log.warning("metrics: could not count requests by state: %s", type(error).__name__)
        else:
            for state in (status.value for status in Status):
                metrics.help_requests.labels(state=state).set(counts.get(state, 0))
        for lane, count in pending().items():
            metrics.background_pending.labels(lane=lane).set(count)
        checked_out, size = pool()
        metrics.pool_checked_out.set(checked_out)
        metrics.pool_size.set(size)
        return generate_latest(metrics.registry)

    return render


class MeteredProvider:
    """An identity provider whose calls are timed and counted; it answers as the one it wraps."""

    def __init__(self, inner: IdentityProvider, metrics: Metrics) -> None:
        self._inner = inner
        self._metrics = metrics
        self.name = inner.name
        self.checks_admin_roles = inner.checks_admin_roles
        self.revokes_sessions = inner.revokes_sessions

    async def find_user(self, email: str, object_id: str | None = None) -> DirectoryUser:
        """The inner provider's answer, timed."""
        return await self._timed("find_user", self._inner.find_user(email, object_id))

    async def admin_roles(self, user: DirectoryUser) -> tuple[str, ...]:
        """The inner provider's answer, timed."""
        return await self._timed("admin_roles", self._inner.admin_roles(user))

    async def clear_mfa(self, user: DirectoryUser) -> ActionResult:
        """The inner provider's action, timed and counted."""
        return await self._action("clear_mfa", self._inner.clear_mfa(user))

    async def delete_app_passwords(self, user: DirectoryUser) -> ActionResult:
        """The inner provider's action, timed and counted."""
        return await self._action("delete_app_passwords", self._inner.delete_app_passwords(user))

    async def revoke_sessions(self, user: DirectoryUser) -> ActionResult:
        """The inner provider's action, timed and counted."""
        return await self._action("revoke_sessions", self._inner.revoke_sessions(user))

    async def issue_temporary_access_pass(
        self, user: DirectoryUser, lifetime_minutes: int
    ) -> ActionResult:
        """The inner provider's action, timed and counted."""
        call = self._inner.issue_temporary_access_pass(user, lifetime_minutes)
        return await self._action("issue_tap", call)

    async def _action(self, action: str, call: Awaitable[ActionResult]) -> ActionResult:
        try:
            result = await self._timed(action, call)
        except TemporaryIdentityError:
            self._count(action, "temporary_error")
            raise
        except Exception:
            self._count(action, "error")
            raise
        self._count(action, result.outcome.value)
        return result

    def _count(self, action: str, outcome: str) -> None:
        self._metrics.actions.labels(provider=self.name, action=action, outcome=outcome).inc()

    async def _timed(self, call: str, work: Awaitable[T]) -> T:
        started = time.perf_counter()
        try:
            return await work
        except Exception as exc:
            self._metrics.provider_errors.labels(
                provider=self.name, call=call, error=_error_kind(exc)
            ).inc()
            raise
        finally:
            self._metrics.provider_seconds.labels(provider=self.name, call=call).observe(
                time.perf_counter() - started
            )


def _error_kind(exc: BaseException) -> str:
    """A failure's kind for a label: temporary, refused (the provider said no), or unexpected."""
    if isinstance(exc, TemporaryIdentityError):
        return "temporary"
    if isinstance(exc, IdentityError):
        return "refused"
    return "unexpected"
