"""The outbox: messages to the partner registry, written in the same database transaction as the
state change they announce, and delivered later at least once (services/link_delivery.py)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from carbonbridge.adapters.db.registry import rows, sql
from carbonbridge.adapters.db.registry.sql import Conn
from carbonbridge.domain.errors import RuleViolation
from carbonbridge.domain.link.agreement import link_account_id, origin_of
from carbonbridge.domain.link.messages import MessageKind
from carbonbridge.domain.link.protocol import LinkCode, LinkState
from carbonbridge.domain.link.reconcile import ReconciliationStatus
from carbonbridge.services.link_config import load_agreement

TRANSFER_COLUMNS = (
    "id",
    "direction",
    "partner",
    "transaction_id",
    "registry_transaction",
    "unit_type",
    "quantity",
    "blocks",
    "source_account",
    "destination_account",
    "state",
    "code",
    "created_at",
    "deadline",
    "resolved_at",
)


BLOCKING = frozenset(
    {
        ReconciliationStatus.PENDING.value,
        ReconciliationStatus.INCONSISTENT.value,
        ReconciliationStatus.MANUAL_INTERVENTION.value,
    }
)


def latest_reconciliation(session: Conn, partner: str) -> str | None:
    found = sql.one(
        session,
        "SELECT status FROM link_reconciliations WHERE partner = :p ORDER BY id DESC LIMIT 1",
        {"p": partner},
    )
    return None if found is None else str(found[0])


def gate(session: Conn, link_account: str) -> None:
    """Refuse (L15) a new link transfer while the last reconciliation with the partner is pending,
    inconsistent or awaits an administrator. Read inside the proposing transaction, after a shared
    lock on the link account row: a reconciliation starts by locking that row exclusively
    (`link_reconcile.start`), so a proposal either commits before the start (and the snapshot sees
    it) or reads the start's pending row (on SQLite, BEGIN IMMEDIATE serializes both already)."""
    partner = link_account.rsplit("-LINK-", 1)[-1]
    share = " FOR SHARE" if sql.is_postgres(session) else ""
    sql.one(session, "SELECT id FROM registry_accounts WHERE id = :a" + share, {"a": link_account})
    status = latest_reconciliation(session, partner)
    if status in BLOCKING:
        raise RuleViolation(
            LinkCode.RECONCILIATION_PENDING.value, f"the last reconciliation with {partner} is {status}"
        )


def gate_closed(session: Conn, link_account: str) -> bool:
    """`gate` as a question, for a transfer already proposed that reaches approval or the end of its
    delay: True while it must wait (same locks, same statuses)."""
    try:
        gate(session, link_account)
    except RuleViolation:
        return True
    return False


def transfer_id(direction: str, partner: str, transaction_id: str) -> str:
    return f"{direction}:{partner}:{transaction_id}"


def enqueue(
    session: Conn, partner: str, transaction_id: str, kind: MessageKind, payload: dict[str, Any], now: dt.datetime
) -> str:
    """Queue a message; it is signed and stamped when sent (each attempt)."""
    message_id = uuid.uuid4().hex
    sql.run(
        session,
        "INSERT INTO link_outbox (message_id, partner, transaction_id, kind, payload, created_at, next_attempt_at, "
        "attempts, delivered_at, last_error) VALUES (:m, :p, :t, :k, :pl, :c, :c, 0, NULL, NULL)",
        {
            "m": message_id,
            "p": partner,
            "t": transaction_id,
            "k": kind.value,
            "pl": json.dumps(payload, sort_keys=True),
            "c": sql.when(session, now),
        },
    )
    return message_id


def insert_transfer(session: Conn, record: dict[str, Any]) -> None:
    values = {
        c: (sql.when(session, record[c]) if c in ("created_at", "deadline", "resolved_at") else record[c])
        for c in TRANSFER_COLUMNS
    }
    sql.run(
        session,
        f"INSERT INTO link_transfers ({', '.join(TRANSFER_COLUMNS)}) "
        f"VALUES ({', '.join(':' + c for c in TRANSFER_COLUMNS)})",
        values,
    )


def on_checked(session: Conn, row: dict[str, Any], now: dt.datetime) -> None:
    """A link transfer passed approval and its delay: its reserved serial blocks go to the partner
    in a TRANSFER message, queued in this same database transaction."""
    request = json.loads(row["request"])
    partner, _, account = str(request["counterpart"]).partition("/")
    own = str(row["jurisdiction"])
    assert row["destination_account"] == link_account_id(own, partner), "a link transfer goes to the link account"
    blocks = [
        [int(s), int(e)]
        for s, e in sql.rows(
            session,
            "SELECT start_serial, end_serial FROM registry_serial_blocks WHERE reserved_by = :t ORDER BY start_serial",
            {"t": row["id"]},
        )
    ]
    unit = rows.unit_type(session, row["unit_type"])
    assert unit is not None and sum(e - s + 1 for s, e in blocks) == int(row["quantity"]), "reserved blocks"
    agreement = load_agreement()
    payload = {
        "unit_type": unit.code,
        "origin": origin_of(unit.code),
        "kind": unit.kind.value,
        "vintage": unit.vintage,
        "cap": unit.cap,
        "quantity": int(row["quantity"]),
        "blocks": blocks,
        "source_account": row["source_account"],
        "destination_account": account,
    }
    insert_transfer(
        session,
        {
            "id": transfer_id("out", partner, row["id"]),
            "direction": "out",
            "partner": partner,
            "transaction_id": row["id"],
            "registry_transaction": row["id"],
            "unit_type": unit.code,
            "quantity": int(row["quantity"]),
            "blocks": json.dumps(blocks),
            "source_account": row["source_account"],
            "destination_account": account,
            "state": LinkState.SENT.value,
            "code": None,
            "created_at": now,
            "deadline": now + dt.timedelta(seconds=agreement.reply_timeout_seconds()),
            "resolved_at": None,
        },
    )
    enqueue(session, partner, row["id"], MessageKind.TRANSFER, payload, now)
