"""The hop from the event loop to a thread for a route's blocking work, cheaper than FastAPI's.

FastAPI runs a sync route in AnyIO's thread pool (`anyio.to_thread.run_sync`): a cancel scope, a
capacity limiter and a worker queue on every call, about 80 us of CPU per hop at four requests in
flight against about 50 us for asyncio's own `run_in_executor` (measured on the machine of
docs/api.md; a transfer through the API costs about 3.6 ms of CPU in all). The routes that carry the
traffic (a registry transfer) are `async` and hand their blocking part to `offload`; the rest stay
plain sync routes. Like AnyIO's pool, the work runs in a copy of the caller's context variables (the
request id and principal that adapters/db/origin.py stamps on audit records), at most
`MAX_THREADS` at a time (AnyIO's default), and a cancelled request leaves its work to finish."""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")
MAX_THREADS = 40
_EXECUTOR = ThreadPoolExecutor(MAX_THREADS, thread_name_prefix="carbonbridge-route")


async def offload(work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`work(*args, **kwargs)` in a thread of the pool, its result (or exception) on the loop."""
    call = functools.partial(contextvars.copy_context().run, work, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_EXECUTOR, call)
