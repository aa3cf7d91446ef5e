"""Every column of every history table of the registry, edited in turn behind the application's
back: `verify-log` or `check` (the registry's; the market's for the market's unit holds) must
catch each edit.

The ledger holds one transaction in each interesting state (completed directly, completed after
approval and delay, awaiting approval, delayed, cancelled, deleted, issued, refused). For each
column the edit sets a plausible value (another row's value of the same column, the next
integer, a second later), runs both checks, and puts the original back. Surrogate row ids are
not edited: they name a row, they record no fact (the order of a transaction's state events,
the one thing an id conveys, is checked against the log).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Table, text

from carbonbridge.adapters.db.registry.ledger import SqlLedgers
from carbonbridge.adapters.db.registry_models import (
    RegistryBlockMovementRow,
    RegistryHoldingRow,
    RegistryLogEntryRow,
    RegistryLogHeadRow,
    RegistryPostingRow,
    RegistrySerialBlockRow,
    RegistryTransactionEventRow,
    RegistryTransactionRow,
    RegistryTrustedChangeRow,
    RegistryUnitTypeRow,
)
from carbonbridge.domain.registry.commands import TransactionRequest
from carbonbridge.domain.registry.log import partition_of
from carbonbridge.domain.registry.model import TransactionState, TransactionType
from carbonbridge.domain.registry.policy import ApprovalRule, SecurityPolicy
from carbonbridge.services.market.check import check as market_check
from carbonbridge.services.registry import accounts
from carbonbridge.services.registry.log import verify_log
from carbonbridge.services.registry.queries import check
from carbonbridge.services.registry.transactions import propose
from carbonbridge.services.registry.workflow import approve, cancel, settle_due
from carbonbridge.testing.market import seed_market

POLICY = SecurityPolicy(approval=ApprovalRule.UNTRUSTED, max_consecutive_failures=0)
SURROGATE_IDS = {
    "registry_transaction_events": "id",
    "registry_postings": "id",
    "registry_block_movements": "id",
    "registry_serial_blocks": "id",
}
ROW_TABLES = (
    RegistryTransactionRow,
    RegistryTransactionEventRow,
    RegistryPostingRow,
    RegistryBlockMovementRow,
    RegistryLogEntryRow,
    RegistryLogHeadRow,
    RegistryHoldingRow,
    RegistrySerialBlockRow,
    RegistryTrustedChangeRow,
)
STATE_COLUMNS = {"registry_unit_types": ("issued",)}  # a unit type's other columns are set-up, not history


def policy_for(_: str) -> SecurityPolicy:
    return POLICY


def _request(
    market: Any,
    key: str,
    source: int,
    destination: str,
    quantity: int,
    kind: TransactionType = TransactionType.TRANSFER,
) -> TransactionRequest:
    src = market.traders[source]
    return TransactionRequest(key, kind, src, destination, market.unit_type, quantity, market.representatives(src)[0])


@pytest.fixture
def ledger(app: Any, now: dt.datetime) -> tuple[Any, str]:
    market = seed_market(app.sessions, now=now, traders=3, units_each=100, policy_for=policy_for)
    t0, t1, t2 = market.traders
    for source in (t0, t1):
        accounts.change_trusted(app.sessions, source, t2, add=False, now=now, actor="test")
    sessions = app.sessions

    def send(request: TransactionRequest, at: dt.datetime) -> Any:
        try:
            return propose(SqlLedgers(sessions), request, now=at, policy_for=policy_for)
        except Exception:  # the refusals are part of the history on purpose
            return None

    send(_request(market, "direct", 0, t1, 20), now)
    settled = send(_request(market, "four-eyes", 0, t2, 10), now)
    approve(SqlLedgers(sessions), settled.id, market.representatives(t0)[1], now=now, policy_for=policy_for)
    later = now + dt.timedelta(days=10)
    [done] = settle_due(SqlLedgers(sessions), now=later, policy_for=policy_for)
    assert done.state is TransactionState.COMPLETED and done.approver == market.representatives(t0)[1]
    send(_request(market, "awaiting", 1, t2, 5), later)
    delayed = send(_request(market, "delayed", 1, t2, 7), later)
    approve(SqlLedgers(sessions), delayed.id, market.representatives(t1)[1], now=later, policy_for=policy_for)
    cancelled = send(_request(market, "cancelled", 1, t2, 3), later)
    cancel(SqlLedgers(sessions), cancelled.id, market.representatives(t1)[0], now=later)
    send(_request(market, "deleted", 0, f"{market.jurisdiction}-DELETION", 4, TransactionType.DELETION), later)
    send(_request(market, "refused-r11", 0, t1, 0), later)
    send(_request(market, "refused-r01", 0, t1, 10_000), later)
    assert verify_log(sessions).ok and check(sessions).ok
    return app, settled.id


def _targets(app: Any, transaction_id: str) -> dict[str, dict[str, Any]]:
    """The row edited in each table: the transfer that was approved, delayed and settled (and the
    rows it wrote), its log entry and chain head, and the holdings and blocks it changed."""
    with app.engine.connect() as connection:

        def one(sql: str, **params: Any) -> dict[str, Any]:
            return dict(connection.execute(text(sql), params).mappings().first() or {})

        row = one("SELECT * FROM registry_transactions WHERE id = :t", t=transaction_id)
        partition = partition_of(transaction_id)
        return {
            "registry_transactions": row,
            "registry_transaction_events": one(
                "SELECT * FROM registry_transaction_events WHERE transaction_id = :t ORDER BY id DESC",
                t=transaction_id,
            ),
            "registry_postings": one(
                "SELECT * FROM registry_postings WHERE transaction_id = :t AND amount > 0", t=transaction_id
            ),
            "registry_block_movements": one(
                "SELECT * FROM registry_block_movements WHERE transaction_id = :t", t=transaction_id
            ),
            "registry_log_entries": one(
                "SELECT * FROM registry_log_entries WHERE transaction_id = :t ORDER BY seq DESC", t=transaction_id
            ),
            "registry_log_heads": one("SELECT * FROM registry_log_heads WHERE partition = :p", p=partition),
            "registry_holdings": one(
                "SELECT * FROM registry_holdings WHERE account_id = :a AND unit_type = :u",
                a=row["destination_account"],
                u=row["unit_type"],
            ),
            "registry_serial_blocks": one(
                "SELECT * FROM registry_serial_blocks WHERE account_id = :a", a=row["destination_account"]
            ),
            "registry_unit_types": one("SELECT * FROM registry_unit_types WHERE code = :u", u=row["unit_type"]),
            "registry_trusted_changes": one(  # the removal that made the settled transfer need four eyes
                "SELECT * FROM registry_trusted_changes WHERE account_id = :a AND trusted_account_id = :d "
                "ORDER BY id DESC",
                a=row["source_account"],
                d=row["destination_account"],
            ),
        }


def _tampered(app: Any, table: str, column: str, original: Any) -> Any:
    """Another row's value of the column where one exists; else the next integer, a second later,
    or a changed text."""
    if isinstance(original, dt.datetime):
        return original + dt.timedelta(seconds=1)
    if isinstance(original, bool):
        return not original
    if isinstance(original, int):
        return original + 1
    with app.engine.connect() as connection:
        others = (
            connection.execute(
                text(f"SELECT DISTINCT {column} FROM {table} WHERE {column} IS NOT NULL ORDER BY {column}")
            )
            .scalars()
            .all()
        )
    candidates = [v for v in others if v != original]
    if candidates:
        return candidates[0]
    if original is None:
        return "2030" if column == "compliance_year" else "X"
    return f"{original}x" if isinstance(original, str) else original


def _edits(app: Any, transaction_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    targets = _targets(app, transaction_id)
    edits = []
    for model in (*ROW_TABLES, RegistryUnitTypeRow):
        table: Table = model.__table__  # type: ignore[assignment]
        columns = STATE_COLUMNS.get(table.name, tuple(c.name for c in table.columns))
        for column in columns:
            if SURROGATE_IDS.get(table.name) == column:
                continue
            edits.append((table.name, column, targets[table.name]))
    return edits


def _apply(app: Any, table: str, column: str, row: dict[str, Any], value: Any) -> None:
    keys = [c.name for c in _table(table).primary_key.columns]
    where = " AND ".join(f"{k} = :k_{k}" for k in keys)
    params = {f"k_{k}": row[k] for k in keys}
    if column in keys:
        params[f"k_{column}"] = row[column]
    with app.engine.begin() as connection:
        connection.execute(text(f"UPDATE {table} SET {column} = :v WHERE {where}"), {**params, "v": value})


def _table(name: str) -> Table:
    for model in (*ROW_TABLES, RegistryUnitTypeRow):
        if model.__tablename__ == name:
            return model.__table__  # type: ignore[return-value]
    raise KeyError(name)


def test_every_column_edit_of_the_history_tables_is_caught_by_verify_log_or_check(
    ledger: tuple[Any, str], capsys: pytest.CaptureFixture[str]
) -> None:
    app, transaction_id = ledger
    missed, refused_by_schema, caught = [], [], 0
    edits = _edits(app, transaction_id)
    for table, column, row in edits:
        original = row[column]
        value = _tampered(app, table, column, original)
        assert value != original, f"no tampered value for {table}.{column}"
        try:
            _apply(app, table, column, row, value)
        except Exception:  # a key or constraint refused another row's value: try a new value instead
            if isinstance(original, str):
                value = f"{original}x"
            elif isinstance(original, int) and not isinstance(original, bool):
                value = original + 1_000_000
            try:
                _apply(app, table, column, row, value)
            except Exception:  # the schema itself refuses such an edit
                refused_by_schema.append(f"{table}.{column}")
                continue
        try:
            # the market's check covers registry_holdings.market_held (the market's unit holds)
            found = (verify_log(app.sessions).ok, check(app.sessions).ok, market_check(app.sessions).ok)
            detected = not all(found)
        finally:
            _apply(app, table, column, {**row, column: value}, original)
        caught += detected
        if not detected:
            missed.append(f"{table}.{column} = {value!r}")
    assert verify_log(app.sessions).ok and check(app.sessions).ok  # every edit was put back
    with capsys.disabled():
        print(
            f"\n[tamper] {len(edits)} column edits tried: {caught} caught by verify-log or check, "
            f"{len(refused_by_schema)} refused by the schema itself ({', '.join(refused_by_schema) or 'none'}), "
            f"{len(missed)} missed"
        )
    assert missed == [], missed
