"""The registry's transaction record (domain/registry/records.py) as stored and as changed."""

from __future__ import annotations

import dataclasses
import datetime as dt

from carbonbridge.domain.registry.commands import TransactionRequest
from carbonbridge.domain.registry.model import ResponseCode, TransactionState, TransactionType
from carbonbridge.domain.registry.records import TRANSACTION_FIELDS, TransactionRecord

NOW = dt.datetime(2026, 3, 31, 12, 0, tzinfo=dt.UTC)
REQUEST = TransactionRequest("k1", TransactionType.TRANSFER, "BY-T1", "BY-T2", "BY-AL-2026", 5, "rep")


def test_a_record_round_trips_through_its_stored_row_with_every_column_in_table_order() -> None:
    record = TransactionRecord.new("tx1", REQUEST, "BY", NOW)
    row = record.as_row()
    assert tuple(row) == TRANSACTION_FIELDS == tuple(f.name for f in dataclasses.fields(TransactionRecord))
    assert (row["type"], row["state"], row["response_code"]) == ("transfer", "proposed", "OK")
    assert TransactionRecord.from_row(row) == record
    assert record.request_body() == REQUEST.body()


def test_a_new_state_is_a_new_record_resolved_only_when_completed_or_terminated() -> None:
    record = TransactionRecord.new("tx1", REQUEST, "BY", NOW)
    later = NOW + dt.timedelta(hours=1)
    checked = record.with_state(TransactionState.CHECKED, ResponseCode.OK, later)
    delayed = record.with_state(TransactionState.DELAYED, ResponseCode.OK, later, delay_until=later, approver="b")
    done = checked.with_state(TransactionState.COMPLETED, ResponseCode.OK, later)
    assert (record.state, checked.state) == (TransactionState.PROPOSED, TransactionState.CHECKED)
    assert checked.resolved_at is None
    assert (delayed.delay_until, delayed.approver, delayed.resolved_at) == (later, "b", None)
    assert done.resolved_at == later
    assert dataclasses.replace(done, state=TransactionState.PROPOSED, resolved_at=None) == record
