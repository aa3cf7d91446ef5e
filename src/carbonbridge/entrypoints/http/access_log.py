"""The access record of every state-changing API request (principal, request id, outcome), written
after the answer by one writer thread per worker process, in batches: at load, one database round
trip and one thread wake-up serve many requests instead of a hop to the thread pool and a write each.

The request still waits for its own record (the middleware awaits it), so a record is in the
database when the request's ASGI call ends, as before; the client does not wait, its answer is
already sent (and Uvicorn reads the connection's next request as soon as the answer is complete).
On PostgreSQL a batch is one pipelined transaction that does not wait for its WAL flush (the
command's own audit and ledger rows were committed durably before the answer).

Group commit: while other state-changing requests are still running (`begin` counted them, their
record is not queued yet), the writer lingers up to LINGER_SECONDS for their records before it
writes, so that at load one transaction carries several records instead of one each. A lone
request never waits (nothing else is running). At 8 clients on 2 workers a transaction a record
cost PostgreSQL and the worker about as much CPU as half the transfer it records
(benchmarks/api.py; see docs/api.md)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from carbonbridge.adapters.db.autocommit import is_postgres, write_unflushed
from carbonbridge.adapters.db.uow import audit, unit_of_work
from carbonbridge.entrypoints.bootstrap import App

ACTION = "api.request"
MAX_BATCH = 200
IDLE_SECONDS = 5.0  # the writer thread ends after this long without a record (a new one starts on demand)
LINGER_SECONDS = 0.02  # how long a batch may wait for the records of requests still running
_SQL_PG = (
    "INSERT INTO audit_events (at, actor, action, subject, detail) "
    f"VALUES (%(at)s, %(actor)s, '{ACTION}', %(subject)s, %(detail)s::json)"
)


@dataclass(frozen=True, slots=True)
class AccessRecord:
    at: dt.datetime
    actor: str
    subject: str
    detail: dict[str, object]


_Pending = tuple[AccessRecord, asyncio.AbstractEventLoop, "asyncio.Future[None]"]


class AccessLog:
    def __init__(self, core: App) -> None:
        self._core = core
        self._queue: queue.SimpleQueue[_Pending] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._writer: threading.Thread | None = None
        self._running = 0  # requests begun whose record is not queued yet (changed on the event loop only)

    def begin(self) -> None:
        """A state-changing request starts: its record will follow (`write`, or `abandon`)."""
        self._running += 1

    def abandon(self) -> None:
        """A begun request ends without a record (it raised)."""
        self._running -= 1

    async def write(self, record: AccessRecord) -> None:
        """Queue the record of a begun request and wait until it is committed (or raise the
        writer's error)."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._queue.put((record, loop, done))
        self._running -= 1
        with self._lock:  # after the put: a writer that saw an empty queue under the lock has gone
            if self._writer is None:
                self._writer = threading.Thread(target=self._run, name="carbonbridge-access-log", daemon=True)
                self._writer.start()
        await done

    def _run(self) -> None:
        while True:
            try:
                batch = [self._queue.get(timeout=IDLE_SECONDS)]
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._writer = None
                        return
                continue
            self._gather(batch)
            error: BaseException | None = None
            try:
                self._insert([record for record, _, _ in batch])
            except Exception as exc:  # handed to every waiting request, which raises it
                error = exc
            for loop in {loop for _, loop, _ in batch}:
                futures = [done for _, waiting, done in batch if waiting is loop]
                with contextlib.suppress(RuntimeError):  # that event loop has closed: nobody waits any more
                    loop.call_soon_threadsafe(_settle, futures, error)

    def _gather(self, batch: list[_Pending]) -> None:
        """Add what is queued to `batch`, and while other requests are still running, what they
        queue within LINGER_SECONDS (the count is read without a lock: a stale value only shortens
        or lengthens one linger)."""
        until = time.monotonic() + LINGER_SECONDS
        while len(batch) < MAX_BATCH:
            try:
                batch.append(self._queue.get_nowait())
                continue
            except queue.Empty:
                pass
            left = until - time.monotonic()
            if self._running <= 0 or left <= 0:
                return
            try:
                batch.append(self._queue.get(timeout=left))
            except queue.Empty:
                return

    def _insert(self, records: Sequence[AccessRecord]) -> None:
        engine = self._core.engine
        if is_postgres(engine):
            rows = [
                {"at": r.at, "actor": r.actor, "subject": r.subject, "detail": json.dumps(r.detail)} for r in records
            ]
            write_unflushed(engine, _SQL_PG, rows)
            return
        with unit_of_work(self._core.sessions) as session:
            for r in records:
                audit(session, at=r.at, actor=r.actor, action=ACTION, subject=r.subject, detail=r.detail)


def _settle(futures: list[asyncio.Future[None]], error: BaseException | None) -> None:
    for done in futures:
        if done.done():  # the request was cancelled meanwhile
            continue
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(error)
