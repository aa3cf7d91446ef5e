"""The API's hop to a thread (entrypoints/http/threads.py): results and exceptions come back to the
awaiting route, context variables travel with the work, no more than the limit run at once, and a
cancelled request's work still runs to its end."""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading
import time

import pytest

from carbonbridge.entrypoints.http import threads

REQUEST = contextvars.ContextVar("request", default="none")


def test_the_result_comes_back_from_another_thread() -> None:
    async def main() -> tuple[int, str]:
        return await threads.offload(lambda a, b: (a * b, threading.current_thread().name), 6, b=7)

    product, name = asyncio.run(main())
    assert product == 42
    assert name.startswith("carbonbridge-route-")


def test_an_exception_is_raised_in_the_awaiting_route() -> None:
    def fails() -> None:
        raise LookupError("no such account")

    async def main() -> None:
        await threads.offload(fails)

    with pytest.raises(LookupError, match="no such account"):
        asyncio.run(main())


def test_stop_iteration_reaches_the_route_as_an_error_not_a_hang() -> None:
    def stops() -> None:
        raise StopIteration

    async def main() -> None:
        await asyncio.wait_for(threads.offload(stops), 5)

    with pytest.raises(RuntimeError, match="StopIteration"):
        asyncio.run(main())


def test_the_work_sees_the_callers_context_variables_and_cannot_change_them() -> None:
    def read_and_set() -> str:
        seen = REQUEST.get()
        REQUEST.set("changed in the thread")
        return seen

    async def main() -> tuple[str, str]:
        REQUEST.set("req-1")
        seen = await threads.offload(read_and_set)
        return seen, REQUEST.get()

    assert asyncio.run(main()) == ("req-1", "req-1")


def test_no_more_than_the_limit_run_at_once_and_the_rest_wait_their_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    pool = threads._Pool(3)
    monkeypatch.setattr(threads, "_POOL", pool)
    lock, running, most = threading.Lock(), [0], [0]

    def work(i: int) -> int:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.02)
        with lock:
            running[0] -= 1
        return i

    async def main() -> list[int]:
        return list(await asyncio.gather(*(threads.offload(work, i) for i in range(12))))

    assert asyncio.run(main()) == list(range(12))
    assert most[0] == 3
    assert pool.started == 3
    assert pool.busy == 0


def test_threads_start_only_when_none_is_idle(monkeypatch: pytest.MonkeyPatch) -> None:
    pool = threads._Pool(40)
    monkeypatch.setattr(threads, "_POOL", pool)

    async def main() -> None:
        for i in range(20):  # one at a time: the first thread serves them all
            assert await threads.offload(lambda x: x, i) == i

    asyncio.run(main())
    assert pool.started == 1
    assert pool.busy == 0


def test_a_cancelled_request_leaves_its_work_to_finish(monkeypatch: pytest.MonkeyPatch) -> None:
    pool = threads._Pool(2)
    monkeypatch.setattr(threads, "_POOL", pool)
    release, finished = threading.Event(), threading.Event()

    def command() -> str:
        release.wait(5)
        finished.set()
        return "committed"

    async def main() -> None:
        waiting = asyncio.ensure_future(threads.offload(command))
        await asyncio.sleep(0.01)
        waiting.cancel()
        release.set()
        assert await asyncio.to_thread(finished.wait, 5)
        for _ in range(100):  # the settling callback runs on the loop and drops the result
            if pool.busy == 0:
                break
            await asyncio.sleep(0.01)
        assert waiting.cancelled()

    asyncio.run(main())
    assert finished.is_set()
    assert pool.busy == 0


def test_a_forked_child_starts_its_own_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    pool = threads._Pool(4)
    monkeypatch.setattr(threads, "_POOL", pool)

    async def one() -> int:
        return await asyncio.wait_for(threads.offload(lambda: 7), 5)

    assert asyncio.run(one()) == 7 and pool.started == 1
    child = os.fork()
    if child == 0:  # the parent's thread is not in the child: without the reset the work would wait forever
        code = 1
        try:
            code = 0 if asyncio.run(one()) == 7 and pool.started == 1 else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
