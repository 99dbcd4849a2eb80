"""Group commit: calls that arrive while a statement is in flight go together in the next one."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence


class Batcher[Item, Result]:
    """Runs `run_many` over the items queued since its last run, and hands each caller its result.

    A lone call runs at once, alone: nothing waits on a timer. During a burst, the calls made while
    one statement is on its way to the database are queued and sent together as the next, so a
    hundred clicks cost a few round trips instead of a hundred. Each round trip costs about as much
    CPU as the statement itself, and the clicks' acks share that CPU.

    `run_many` returns one result per item, in order. If it raises, every caller in that batch gets
    the error, as each would have alone; the batches after it are not affected.
    """

    def __init__(
        self,
        run_many: Callable[[Sequence[Item]], Awaitable[Sequence[Result]]],
        name: str,
        max_batch: int = 64,
    ) -> None:
        self._run_many = run_many
        self._name = name
        self._max_batch = max_batch
        self._queue: list[tuple[Item, asyncio.Future[Result]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def __call__(self, item: Item) -> Result:
        """Queue one item and wait for its result."""
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if self._flusher is None:
            self._flusher = asyncio.get_running_loop().create_task(
                self._flush(), name=f"batch-{self._name}"
            )
        return await future

    async def _flush(self) -> None:
        try:
            while self._queue:
                batch = self._queue[: self._max_batch]
                del self._queue[: self._max_batch]
                await self._run(batch)
        finally:
            self._flusher = None
            for _, future in self._queue:  # left only when the flusher itself was cancelled
                future.cancel()
            self._queue.clear()

    async def _run(self, batch: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        """Run one batch and settle each of its callers' futures with its result or the error."""
        try:
            results = await self._run_many([item for item, _ in batch])
            if len(results) != len(batch):
                count = f"{len(results)} results, not {len(batch)}"
                raise RuntimeError(f"{self._name}: {count}")
        except asyncio.CancelledError:
            for _, future in batch:
                future.cancel()
            raise
        except Exception as error:  # handed to each caller, who logs or re-raises it
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():  # a caller cancelled while waiting has gone
                future.set_result(result)
