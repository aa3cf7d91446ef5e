"""The access record of every state-changing API request (principal, request id, outcome), written
after the answer by one writer thread per worker process, in batches: at load, one database round
trip and one thread wake-up serve many requests instead of a hop to the thread pool and a write each.

The request still waits for its own record (the middleware awaits it), so a record is in the
database when the request's ASGI call ends, as before; the client does not wait, its answer is
already sent. On PostgreSQL a batch is one pipelined transaction that does not wait for its WAL
flush (the command's own audit and ledger rows were committed durably before the answer)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from carbonbridge.adapters.db.autocommit import is_postgres, write_unflushed
from carbonbridge.adapters.db.uow import audit, unit_of_work
from carbonbridge.entrypoints.bootstrap import App

ACTION = "api.request"
MAX_BATCH = 200
IDLE_SECONDS = 5.0  # the writer thread ends after this long without a record (a new one starts on demand)
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

    async def write(self, record: AccessRecord) -> None:
        """Queue the record and wait until it is committed (or raise the writer's error)."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._queue.put((record, loop, done))
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
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            error: BaseException | None = None
            try:
                self._insert([record for record, _, _ in batch])
            except Exception as exc:  # handed to every waiting request, which raises it
                error = exc
            for loop in {loop for _, loop, _ in batch}:
                futures = [done for _, waiting, done in batch if waiting is loop]
                with contextlib.suppress(RuntimeError):  # that event loop has closed: nobody waits any more
                    loop.call_soon_threadsafe(_settle, futures, error)

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
