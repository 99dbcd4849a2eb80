"""The identity provider's ids of the calls one action makes, for the action's audit line."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Coroutine, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any, Concatenate

from bot.domain.identity import ActionResult, IdentityError


@dataclass
class Trace:
    """One action's ids: the one we send with its calls, the provider's of the last answer."""

    client_request_id: str | None = None
    provider_request_id: str | None = None


# Set only while an action runs; each asyncio task has its own, so concurrent actions never mix.
_current: ContextVar[Trace | None] = ContextVar("identity_trace", default=None)


def client_request_id() -> str | None:
    """The id to send with a call of the running action (one per action); None outside one."""
    trace = _current.get()
    if trace is None:
        return None
    if trace.client_request_id is None:
        trace.client_request_id = str(uuid.uuid4())
    return trace.client_request_id


def note_answer(headers: Mapping[str, str], header: str) -> None:
    """Keep the provider's id of this answer, from `header`, on the running action's trace."""
    trace = _current.get()
    value = headers.get(header)
    if trace is not None and value:
        trace.provider_request_id = value[:200]


def traced[S, **P](
    action: Callable[Concatenate[S, P], Coroutine[Any, Any, ActionResult]],
) -> Callable[Concatenate[S, P], Coroutine[Any, Any, ActionResult]]:
    """Run an adapter's action with a trace; its result, or its IdentityError, carries the ids."""

    @functools.wraps(action)
    async def run(self: S, /, *args: P.args, **kwargs: P.kwargs) -> ActionResult:
        trace = Trace()
        token = _current.set(trace)
        try:
            result = await action(self, *args, **kwargs)
        except IdentityError as exc:
            exc.provider_request_id = trace.provider_request_id
            exc.client_request_id = trace.client_request_id
            raise
        finally:
            _current.reset(token)
        return replace(
            result,
            provider_request_id=trace.provider_request_id,
            client_request_id=trace.client_request_id,
        )

    return run
