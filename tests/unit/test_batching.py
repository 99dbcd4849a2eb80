"""Group commit: a lone call runs at once; calls made while one runs share the next run."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from storage.batching import Batcher


class Recorder:
    """A `run_many` that keeps each batch it was given and can be held or made to fail."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.fail_next: Exception | None = None

    async def __call__(self, items: Sequence[int]) -> list[int]:
        self.batches.append(list(items))
        await self.gate.wait()
        if self.fail_next is not None:
            error, self.fail_next = self.fail_next, None
            raise error
        return [item * 10 for item in items]


async def _one_running_more_waiting(
    batcher: Batcher[int, int], recorder: Recorder, first: int, *more: int
) -> tuple[asyncio.Task[int], list[asyncio.Task[int]]]:
    """A call whose run is held on its way, and calls made while it is."""
    recorder.gate.clear()
    running = asyncio.create_task(batcher(first))
    await asyncio.sleep(0)
    waiting = [asyncio.create_task(batcher(item)) for item in more]
    await asyncio.sleep(0)
    return running, waiting


async def test_a_lone_call_runs_alone_and_at_once() -> None:
    recorder = Recorder()
    batcher = Batcher(recorder, "test")
    assert await batcher(1) == 10
    assert await batcher(2) == 20
    assert recorder.batches == [[1], [2]]


async def test_calls_made_while_one_runs_go_together_in_the_next_run() -> None:
    recorder = Recorder()
    batcher = Batcher(recorder, "test", max_batch=3)
    first, waiting = await _one_running_more_waiting(batcher, recorder, 0, 1, 2, 3, 4, 5)
    recorder.gate.set()
    assert await first == 0
    assert await asyncio.gather(*waiting) == [10, 20, 30, 40, 50]
    assert recorder.batches == [[0], [1, 2, 3], [4, 5]]  # in order, at most max_batch at once


async def test_a_failed_run_fails_its_callers_only() -> None:
    recorder = Recorder()
    batcher = Batcher(recorder, "test")
    first, second = await _one_running_more_waiting(batcher, recorder, 1, 2, 3)
    recorder.fail_next = ConnectionError("the database went away")
    recorder.gate.set()
    with pytest.raises(ConnectionError, match="went away"):
        await first
    assert await asyncio.gather(*second) == [20, 30]
    assert await batcher(4) == 40


async def test_a_caller_that_gives_up_does_not_disturb_the_others() -> None:
    recorder = Recorder()
    batcher = Batcher(recorder, "test")
    first, (leaving, staying) = await _one_running_more_waiting(batcher, recorder, 1, 2, 3)
    leaving.cancel()
    recorder.gate.set()
    assert await first == 10
    assert await staying == 30
    assert leaving.cancelled()


async def test_a_run_that_answers_for_the_wrong_number_of_items_is_an_error() -> None:
    async def short(items: Sequence[int]) -> list[int]:
        return list(items)[:-1]

    batcher = Batcher(short, "short")
    with pytest.raises(RuntimeError, match="0 results, not 1"):
        await batcher(1)
