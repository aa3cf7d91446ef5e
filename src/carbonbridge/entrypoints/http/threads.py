"""The hop from the event loop to a thread for a route's blocking work, cheaper than FastAPI's.

FastAPI runs a sync route in AnyIO's thread pool (`anyio.to_thread.run_sync`): a cancel scope, a
capacity limiter and a worker queue on every call. asyncio's own `run_in_executor` on a
`ThreadPoolExecutor` is cheaper but still builds a `concurrent.futures.Future` (a `Condition` and
its lock), chains it to an asyncio future, and takes the pool's locks and idle semaphore (a Python
`Condition` again) twice a call. Measured on the machine of docs/api.md, one hop at a time, uvloop:
about 90 us of CPU through `run_in_executor` against about 36 us through this module, where a
transfer through the API costs about 3.6 ms in all.

Here a hop is one tuple on a `queue.SimpleQueue` (C) that the pool's threads wait on, and one
`call_soon_threadsafe` back that settles the asyncio future the route awaits. The routes that carry
the traffic (a registry transfer) are `async` and hand their blocking part to `offload`; the rest
stay plain sync routes. Like AnyIO's pool, the work runs in a copy of the caller's context
variables (the request id and principal that adapters/db/origin.py stamps on audit records), at
most `MAX_THREADS` at a time (AnyIO's default: further work waits in the queue), and a cancelled
request (the client went away) leaves its work to finish: a command is never cut in half, and its
result is dropped. Threads start when work finds none idle, and are daemons: Uvicorn's shutdown
waits for the requests in flight, so no work is left in them when the interpreter exits. A forked
child starts with an empty pool of its own (the parent's threads are not in it)."""

from __future__ import annotations

import asyncio
import contextvars
import os
import queue
import threading
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")
MAX_THREADS = 40

_Job = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Callable[[], Any]]


class _Pool:
    """Threads that take jobs from one queue; `busy` counts the jobs handed out and not yet
    settled, so that a thread is started only when every started thread has a job."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._reset()
        os.register_at_fork(after_in_child=self._reset)  # a forked child has none of the threads

    def _reset(self) -> None:
        self.jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self.lock = threading.Lock()  # busy and started change on the loops' threads (tests run several)
        self.busy = self.started = 0

    def submit(self, job: _Job) -> None:
        with self.lock:
            self.busy += 1
            start = self.busy > self.started < self.limit
            if start:
                self.started += 1
        if start:
            threading.Thread(target=self._serve, name=f"carbonbridge-route-{self.started}", daemon=True).start()
        self.jobs.put(job)

    def _serve(self) -> None:
        while True:
            loop, future, call = self.jobs.get()
            try:
                outcome: tuple[Any, BaseException | None] = (call(), None)
            except BaseException as error:  # handed to the awaiting route, as run_in_executor does
                outcome = (None, error)
            try:
                loop.call_soon_threadsafe(self._settle, future, *outcome)
            except RuntimeError:  # the loop closed meanwhile: nobody awaits the result
                self._done()
            del loop, future, call, outcome  # hold no request's objects while idle

    def _settle(self, future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
        self._done()
        if future.cancelled():
            return
        if error is None:
            future.set_result(result)
        elif isinstance(error, StopIteration):  # an asyncio future refuses it as its exception
            future.set_exception(RuntimeError(f"the offloaded work raised {error!r}"))
        else:
            future.set_exception(error)

    def _done(self) -> None:
        with self.lock:
            self.busy -= 1


_POOL = _Pool(MAX_THREADS)


def offload(work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> asyncio.Future[T]:
    """`work(*args, **kwargs)` in a thread of the pool; await it for its result (or exception)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()
    context = contextvars.copy_context()
    _POOL.submit((loop, future, lambda: context.run(work, *args, **kwargs)))
    return future
