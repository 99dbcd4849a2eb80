"""The bot as a process of its own in tests: wait until it serves, or say why it did not."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import aiohttp


async def _nothing() -> str:
    return ""


async def until_healthy(
    origin: str,
    process: asyncio.subprocess.Process,
    describe: Callable[[], Awaitable[str]] = _nothing,
    seconds: float = 30,
) -> None:
    """Return once `origin`/healthz answers 200; AssertionError (with `describe()`, e.g. the
    bot's log) when the process ends first or the time runs out."""
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                raise AssertionError(f"the bot at {origin} exited at start: {await describe()}")
            try:
                async with http.get(f"{origin}/healthz") as reply:
                    if reply.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise AssertionError(f"the bot at {origin} did not answer /healthz: {await describe()}")
