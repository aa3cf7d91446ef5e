"""The access log's group commit (entrypoints/http/access_log.py): while other state-changing
requests are still running, the writer waits briefly for their records and commits them together;
a lone request's record is written at once; a request that ends without a record does not keep a
batch waiting beyond the linger. Every record reaches the database."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from sqlalchemy import text

from carbonbridge.entrypoints.bootstrap import App, build_app
from carbonbridge.entrypoints.http import access_log
from carbonbridge.entrypoints.http.access_log import AccessLog, AccessRecord

AT = dt.datetime(2026, 3, 31, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def core(tmp_path: Path) -> Iterator[App]:
    app = build_app(f"sqlite:///{tmp_path / 'log.db'}", upgrade=True)
    yield app
    app.engine.dispose()


class Recording(AccessLog):
    """The real writer, noting the size of each batch it commits."""

    def __init__(self, core: App) -> None:
        super().__init__(core)
        self.batches: list[int] = []

    def _insert(self, records: Sequence[AccessRecord]) -> None:
        self.batches.append(len(records))
        super()._insert(records)


def _record(n: int) -> AccessRecord:
    return AccessRecord(AT, "user:trader", f"/api/v1/transactions#{n}", {"request_id": f"r{n}", "status": 200})


def _stored(core: App) -> list[str]:
    with core.engine.connect() as connection:
        return sorted(
            r[0] for r in connection.execute(text("SELECT subject FROM audit_events WHERE action = 'api.request'"))
        )


def test_a_lone_request_is_written_at_once(core: App, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(access_log, "LINGER_SECONDS", 30.0)  # would be seen if the writer lingered
    log = Recording(core)

    async def one() -> float:
        began = time.monotonic()
        log.begin()
        await log.write(_record(1))
        return time.monotonic() - began

    assert asyncio.run(one()) < 10.0
    assert log.batches == [1] and _stored(core) == ["/api/v1/transactions#1"]


def test_records_of_requests_running_together_share_one_commit(core: App, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(access_log, "LINGER_SECONDS", 30.0)  # the batch ends when the last one arrives
    log = Recording(core)

    async def request(n: int, work: float) -> None:
        await asyncio.sleep(work)  # the command
        await log.write(_record(n))

    async def burst() -> float:
        began = time.monotonic()
        for _ in range(5):
            log.begin()
        await asyncio.gather(*(request(n, 0.05 * n) for n in range(5)))
        return time.monotonic() - began

    assert asyncio.run(burst()) < 10.0
    assert log.batches == [5]
    assert _stored(core) == [f"/api/v1/transactions#{n}" for n in range(5)]


def test_a_request_that_ends_without_a_record_holds_a_batch_no_longer_than_the_linger(
    core: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(access_log, "LINGER_SECONDS", 0.3)
    log = Recording(core)

    async def run() -> float:
        log.begin()
        log.begin()
        began = time.monotonic()
        writing = asyncio.ensure_future(log.write(_record(1)))
        await asyncio.sleep(0)
        log.abandon()  # the other request raised
        await writing
        return time.monotonic() - began

    assert asyncio.run(run()) < 5.0
    assert log.batches == [1] and _stored(core) == ["/api/v1/transactions#1"]
