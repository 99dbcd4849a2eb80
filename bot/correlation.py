"""Which request's work the running code does: a correlation id (and help request) for log lines."""

from __future__ import annotations

import uuid
from contextvars import ContextVar

# Set at the HTTP entry (Slack's envelope, Teams' activity, or a generated one); background work
# started from there inherits it (bot/tasks.py starts each task in its spawner's context).
_CORRELATION: ContextVar[str | None] = ContextVar("correlation_id", default=None)
_HELP_REQUEST: ContextVar[int | None] = ContextVar("help_request_id", default=None)
_KIND: ContextVar[str | None] = ContextVar("request_kind", default=None)

MAX_ID_LENGTH = 64


def begin(correlation_id: str | None = None) -> str:
    """Start a request's work under `correlation_id` (a fresh one when None); the id in use."""
    chosen = _clean(correlation_id) or uuid.uuid4().hex[:16]
    _CORRELATION.set(chosen)
    _HELP_REQUEST.set(None)
    _KIND.set(None)
    return chosen


def identify(correlation_id: str | None) -> None:
    """The sender named the work (Slack's event id, Teams' activity id): log under its id."""
    chosen = _clean(correlation_id)
    if chosen is not None:
        _CORRELATION.set(chosen)


def about_request(request_id: int) -> None:
    """The work in hand concerns help request `request_id` (its number joins the log lines)."""
    _HELP_REQUEST.set(request_id)


def note_kind(kind: str) -> None:
    """What kind of request the front end found (a Teams activity's type), for the metrics."""
    _KIND.set(kind)


def correlation_id() -> str | None:
    """The correlation id of the work in hand, if any."""
    return _CORRELATION.get()


def help_request_id() -> int | None:
    """The help request the work in hand concerns, when known."""
    return _HELP_REQUEST.get()


def kind() -> str | None:
    """The kind the front end noted for the request in hand, if any."""
    return _KIND.get()


def _clean(value: str | None) -> str | None:
    """An id from the sender, kept only when short and printable (it goes into every line)."""
    if not value or len(value) > MAX_ID_LENGTH or not value.isascii() or not value.isprintable():
        return None
    return value
