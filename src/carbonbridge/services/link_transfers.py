"""Link transfers: open the link, send units to the partner registry, apply the partner's reply,
time out and cancel, and let an administrator resolve what the partner never answered.

Every change is a registry transaction (client key, hash-chained log, postings, serial blocks)
plus, in the same database transaction, the link leg and any outbox message (docs/link.md)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from sqlalchemy.orm import Session

from carbonbridge.adapters.db.registry import rows, sql, store
from carbonbridge.adapters.db.registry.ledger import Sessions, SqlLedgers, retrying
from carbonbridge.adapters.db.registry.sql import Batch, Conn
from carbonbridge.adapters.policy_config import load_policy
from carbonbridge.domain.errors import Conflict, NotFound, RuleViolation
from carbonbridge.domain.link.agreement import link_account_id
from carbonbridge.domain.link.messages import MessageKind
from carbonbridge.domain.link.protocol import IN_FLIGHT, LinkCode, LinkState, advance_link
from carbonbridge.domain.registry.commands import TransactionRequest, TransactionView
from carbonbridge.domain.registry.model import (
    AccountState,
    AccountType,
    ResponseCode,
    TransactionState,
    TransactionType,
)
from carbonbridge.domain.registry.rules import advance
from carbonbridge.services.link_config import load_agreement
from carbonbridge.services.link_outbox import BLOCKING, enqueue, latest_reconciliation, transfer_id
from carbonbridge.services.registry.ports import PolicyFor
from carbonbridge.services.registry.transactions import propose

S = TransactionState
TICK_BATCH = 200


def open_link(sessions: Sessions, own: str, *, now: dt.datetime) -> str:
    """Open (idempotently) the link account for the partner and the registry's issuance account
    (the contra account of foreign units' mirror serials). Returns the link account id."""
    partner = load_agreement().partner_of(own)
    account = link_account_id(own, partner)

    def work(session: Session) -> str:
        found = rows.accounts(session, [account, f"{own}-ISSUANCE"])
        for account_id, kind, holder in (
            (account, AccountType.LINK_TRANSIT, f"link to the {partner} registry"),
            (f"{own}-ISSUANCE", AccountType.ISSUANCE, f"{own} registry"),
        ):
            if account_id not in found:
                sql.run(
                    session,
                    "INSERT INTO registry_accounts "
                    "(id, jurisdiction, type, state, holder, installation_id, created_at) "
                    "VALUES (:i, :j, :t, :s, :h, NULL, :c)",
                    {
                        "i": account_id,
                        "j": own,
                        "t": kind.value,
                        "s": AccountState.OPEN.value,
                        "h": holder,
                        "c": sql.when(session, now),
                    },
                )
        return account

    return retrying(sessions, work, command=f"link open {own}", now=now)


def reconciliation_blocks(session: Conn, partner: str) -> str | None:
    """The status of the latest reconciliation if it forbids new link transfers."""
    status = latest_reconciliation(session, partner)
    return status if status in BLOCKING else None


def send(
    sessions: Sessions,
    own: str,
    *,
    client_key: str,
    source_account: str,
    partner_account: str,
    unit_type: str,
    quantity: int,
    initiator: str,
    now: dt.datetime,
    policy_for: PolicyFor = load_policy,
) -> TransactionView:
    """Propose a link transfer: approved like any transfer; once checked its blocks are reserved
    and its TRANSFER message queued. Refused (L15) while a reconciliation is pending or
    inconsistent (read inside the proposing transaction: link_outbox.gate), and (L10) for units the
    partner does not recognise."""
    agreement = load_agreement()
    partner = agreement.partner_of(own)
    if not agreement.recognises(partner, unit_type):
        raise RuleViolation(LinkCode.UNIT_NOT_RECOGNISED.value, f"{partner} does not recognise {unit_type}")
    request = TransactionRequest(
        client_key=client_key,
        type=TransactionType.LINK_TRANSFER,
        source_account=source_account,
        destination_account=link_account_id(own, partner),
        unit_type=unit_type,
        quantity=quantity,
        initiator=initiator,
        counterpart=f"{partner}/{partner_account}",
    )
    return propose(SqlLedgers(sessions), request, now=now, policy_for=policy_for)


def transfer_row(session: Conn, record_id: str, *, lock: bool = False) -> dict[str, Any] | None:
    from carbonbridge.services.link_outbox import TRANSFER_COLUMNS

    found = sql.one(
        session,
        f"SELECT {', '.join(TRANSFER_COLUMNS)} FROM link_transfers WHERE id = :i"
        + (sql.for_update(session) if lock else ""),
        {"i": record_id},
    )
    return dict(zip(TRANSFER_COLUMNS, found, strict=True)) if found is not None else None


def set_link_state(
    session: Conn,
    record: dict[str, Any],
    to: LinkState,
    code: str | None,
    now: dt.datetime,
    deadline: dt.datetime | None = None,
) -> None:
    advance_link(LinkState(record["state"]), to)
    final = to in (LinkState.COMPLETED, LinkState.RELEASED)
    sql.run(
        session,
        "UPDATE link_transfers SET state = :s, code = :c, deadline = :d, resolved_at = :r WHERE id = :i",
        {
            "s": to.value,
            "c": code,
            "d": sql.when(session, deadline),
            "r": sql.when(session, now if final else None),
            "i": record["id"],
        },
    )


def _resolve_registry(
    session: Conn, transaction_id: str, complete: bool, code: ResponseCode, actor: str, now: dt.datetime
) -> None:
    """Complete (units to the link account) or terminate (units free again) a checked link transfer."""
    row = rows.by_id(session, transaction_id, lock=True)
    if row is None:
        raise NotFound(f"unknown transaction {transaction_id!r}")
    state = advance(S(row.state), S.COMPLETED if complete else S.TERMINATED)
    batch = Batch()
    store.lock_holdings(session, row.unit_type, [row.source_account, row.destination_account])
    args = (session, batch, row.id, row.unit_type, row.source_account)
    if complete:
        store.move_reserved_units(*args, row.destination_account, int(row.quantity))
    else:
        store.release_units(*args, int(row.quantity))
    data = {**row.as_dict(), "state": state.value, "response_code": code.value, "resolved_at": now}
    rows.update_transaction(session, batch, data)
    rows.transition(session, batch, data, [state], code, actor, now)


def apply_reply(session: Conn, partner: str, transaction_id: str, code: LinkCode, now: dt.datetime) -> LinkCode:
    """The partner's outcome for one of our transfers. A reply for an unknown or final transfer is
    refused (and journaled by the caller); otherwise the transfer completes or is released."""
    record = transfer_row(session, transfer_id("out", partner, transaction_id), lock=True)
    if record is None:
        return LinkCode.UNKNOWN_TRANSACTION
    if LinkState(record["state"]) not in IN_FLIGHT:
        return LinkCode.FINAL_TRANSACTION
    if code is LinkCode.ACCEPTED:
        _resolve_registry(session, transaction_id, True, ResponseCode.OK, f"link:{partner}", now)
        set_link_state(session, record, LinkState.COMPLETED, code.value, now)
    else:
        registry_code = (
            ResponseCode.LINK_RELEASED if code is LinkCode.CANCELLED_BY_SENDER else ResponseCode.LINK_REFUSED
        )
        _resolve_registry(session, transaction_id, False, registry_code, f"link:{partner}", now)
        set_link_state(session, record, LinkState.RELEASED, code.value, now)
    return LinkCode.ACCEPTED


def tick(sessions: Sessions, own: str, *, now: dt.datetime, limit: int = TICK_BATCH) -> dict[str, int]:
    """Timers: a transfer without a reply past its deadline asks the partner to cancel; a
    cancellation without an answer past the manual deadline waits for an administrator."""
    agreement = load_agreement()
    counts = {"cancelling": 0, "manual": 0}

    def work(session: Session) -> dict[str, int]:
        due = sql.rows(
            session,
            "SELECT id, state FROM link_transfers WHERE direction = 'out' AND state IN ('sent', 'cancelling') "
            "AND deadline <= :n ORDER BY deadline, id LIMIT :l",
            {"n": sql.when(session, now), "l": limit},
        )
        for record_id, state in due:
            record = transfer_row(session, record_id, lock=True)
            assert record is not None
            if state == LinkState.SENT.value:
                deadline = now + dt.timedelta(seconds=agreement.manual_after_seconds())
                set_link_state(session, record, LinkState.CANCELLING, LinkCode.TIMED_OUT.value, now, deadline)
                withdraw_transfer(session, record["transaction_id"], now)
                enqueue(session, record["partner"], record["transaction_id"], MessageKind.CANCEL, {}, now)
                counts["cancelling"] += 1
            else:
                set_link_state(session, record, LinkState.MANUAL, LinkCode.TIMED_OUT.value, now)
                counts["manual"] += 1
        return counts

    return retrying(sessions, work, command=f"link tick {own}", now=now)


def withdraw_transfer(session: Conn, transaction_id: str, now: dt.datetime) -> int:
    """Stop retrying a TRANSFER message not yet acknowledged, once its transfer is being cancelled:
    from then on only the CANCEL goes out, so a partner that never saw the transfer records it as
    cancelled and refuses any late copy (L13). A copy already on the wire may still arrive first;
    the partner then answers the CANCEL with its acceptance and the transfer completes."""
    return sql.run(
        session,
        "UPDATE link_outbox SET delivered_at = :n, last_error = 'withdrawn: transfer cancelling' "
        "WHERE transaction_id = :t AND kind = :k AND delivered_at IS NULL",
        {"n": sql.when(session, now), "t": transaction_id, "k": MessageKind.TRANSFER.value},
    )


def resolve_manual(
    sessions: Sessions, own: str, transaction_id: str, *, release: bool, actor: str, now: dt.datetime
) -> str:
    """An administrator decides a transfer the partner never answered, after checking with the
    partner's administrators (status query): release the units, or complete the transfer."""
    partner = load_agreement().partner_of(own)

    def work(session: Session) -> str:
        record = transfer_row(session, transfer_id("out", partner, transaction_id), lock=True)
        if record is None:
            raise Conflict(f"no link transfer {transaction_id} to {partner} awaits an administrator here")
        if record["state"] != LinkState.MANUAL.value:
            raise Conflict(f"link transfer {transaction_id} is {record['state']}, not awaiting an administrator")
        code = LinkCode.RELEASED_BY_ADMINISTRATOR if release else LinkCode.ACCEPTED
        _resolve_registry(
            session, transaction_id, not release, ResponseCode.LINK_RELEASED if release else ResponseCode.OK, actor, now
        )
        set_link_state(session, record, LinkState.RELEASED if release else LinkState.COMPLETED, code.value, now)
        return code.value

    return retrying(sessions, work, command=f"link resolve {transaction_id}", now=now)


def new_id() -> str:
    return uuid.uuid4().hex


def list_transfers(sessions: Sessions, *, limit: int = 100) -> list[dict[str, Any]]:
    from carbonbridge.services.link_outbox import TRANSFER_COLUMNS

    with sessions() as session:
        found = sql.rows(
            session,
            f"SELECT {', '.join(TRANSFER_COLUMNS)} FROM link_transfers ORDER BY created_at DESC, id LIMIT :l",
            {"l": limit},
        )
    out = []
    for values in found:
        record = dict(zip(TRANSFER_COLUMNS, values, strict=True))
        record["blocks"] = json.loads(record["blocks"])
        for key in ("created_at", "deadline", "resolved_at"):
            when = rows.utc(record[key])
            record[key] = when.isoformat() if when else None
        out.append(record)
    return out


def health(sessions: Sessions, own: str, *, now: dt.datetime) -> dict[str, Any]:
    """The link at a glance: transfers per direction and state, the undelivered outbox (oldest
    message's age, most attempts, last error), the last message received, the last reconciliation
    and whether new transfers may be sent."""
    partner = load_agreement().partner_of(own)
    with sessions() as session:
        states = sql.rows(
            session, "SELECT direction, state, count(*) FROM link_transfers GROUP BY direction, state", {}
        )
        outbox = sql.one(
            session,
            "SELECT count(*), min(created_at), max(attempts) FROM link_outbox WHERE delivered_at IS NULL",
            {},
        )
        error = sql.one(
            session,
            "SELECT last_error FROM link_outbox WHERE delivered_at IS NULL AND last_error IS NOT NULL "
            "ORDER BY next_attempt_at DESC LIMIT 1",
            {},
        )
        received = sql.one(session, "SELECT max(received_at) FROM link_inbox", {})
        last = sql.one(
            session,
            "SELECT status, started_at FROM link_reconciliations WHERE partner = :p ORDER BY id DESC LIMIT 1",
            {"p": partner},
        )
    transfers: dict[str, dict[str, int]] = {}
    for direction, state, count in states:
        transfers.setdefault(str(direction), {})[str(state)] = int(count)
    oldest = rows.utc(outbox[1]) if outbox is not None else None
    last_received = rows.utc(received[0]) if received is not None else None
    reconciled_at = rows.utc(last[1]) if last is not None else None
    status = str(last[0]) if last is not None else None
    return {
        "jurisdiction": own,
        "partner": partner,
        "transfers": transfers,
        "outbox_pending": int(outbox[0]) if outbox is not None else 0,
        "outbox_oldest_age_seconds": (now - oldest).total_seconds() if oldest else None,
        "outbox_max_attempts": int(outbox[2]) if outbox is not None and outbox[2] is not None else 0,
        "outbox_last_error": str(error[0]) if error is not None else None,
        "last_received_at": last_received.isoformat() if last_received else None,
        "last_reconciliation": status,
        "last_reconciliation_at": reconciled_at.isoformat() if reconciled_at else None,
        "sending_open": status not in BLOCKING,
    }


def local_status(sessions: Sessions, own: str, transaction_id: str) -> dict[str, Any]:
    """This registry's view of a link transfer: the link leg (either direction) and, for an
    outgoing one, the registry transaction's state."""
    partner = load_agreement().partner_of(own)
    with sessions() as session:
        record = transfer_row(session, transfer_id("out", partner, transaction_id)) or transfer_row(
            session, transfer_id("in", partner, transaction_id)
        )
        registry = rows.by_id(session, transaction_id)
    if record is None:
        return {
            "transaction_id": transaction_id,
            "known": False,
            "registry_state": registry.state if registry is not None else None,
        }
    return {
        "transaction_id": transaction_id,
        "known": True,
        "direction": record["direction"],
        "state": record["state"],
        "code": record["code"],
        "unit_type": record["unit_type"],
        "quantity": int(record["quantity"]),
        "registry_state": registry.state if registry is not None else None,
    }
