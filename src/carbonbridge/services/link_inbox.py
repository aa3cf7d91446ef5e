"""The inbox: every message from the partner is journaled with its verdict, in the same database
transaction as its effect, so a message is processed exactly once however often it is delivered.
Incoming units keep their origin and serials: the receiver moves exactly the serials named."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from carbonbridge.adapters.db.registry import rows, sql, store
from carbonbridge.adapters.db.registry.ledger import Sessions, retrying
from carbonbridge.adapters.db.registry.sql import Batch, Conn
from carbonbridge.domain.link.agreement import link_account_id, origin_of
from carbonbridge.domain.link.messages import Envelope, MalformedMessage, MessageKind, parse_envelope
from carbonbridge.domain.link.protocol import LinkCode, LinkState, check_envelope, check_transfer_payload, reply_outcome
from carbonbridge.domain.link.serials import Range, carve
from carbonbridge.domain.registry.blocks import SerialBlock
from carbonbridge.domain.registry.log import canonical
from carbonbridge.domain.registry.model import AccountState, AccountType, ResponseCode, TransactionState, UnitKind
from carbonbridge.services.link_config import load_agreement
from carbonbridge.services.link_outbox import enqueue, insert_transfer, transfer_id
from carbonbridge.services.link_transfers import apply_reply, transfer_row

S = TransactionState
_NOT_RECEIVING = frozenset({AccountType.DELETION, AccountType.ISSUANCE, AccountType.LINK_TRANSIT})


def journal(session: Conn, document: Mapping[str, Any], verdict: LinkCode, now: dt.datetime) -> None:
    def text(key: str) -> str:
        return str(document.get(key, ""))[:200]

    sql.run(
        session,
        "INSERT INTO link_inbox (message_id, sender, receiver, transaction_id, kind, verdict, received_at, document) "
        "VALUES (:m, :s, :r, :t, :k, :v, :a, :d)",
        {
            "m": text("message_id"),
            "s": text("sender"),
            "r": text("receiver"),
            "t": text("transaction_id"),
            "k": text("kind")[:16],
            "v": verdict.value,
            "a": sql.when(session, now),
            "d": json.dumps(dict(document), sort_keys=True, default=str)[:100_000],
        },
    )


def receive(sessions: Sessions, own: str, document: Mapping[str, Any], *, now: dt.datetime) -> LinkCode:
    """Check, journal and (if accepted) process one message. Returns the verdict: ACCEPTED (processed
    now), DUPLICATE (processed before: nothing happens again), or the refusal's code."""
    agreement = load_agreement()
    try:
        envelope: Envelope | None = parse_envelope(document)
    except MalformedMessage:
        envelope = None

    def work(session: Session) -> LinkCode:
        if envelope is None:
            journal(session, document, LinkCode.MALFORMED, now)
            return LinkCode.MALFORMED
        seen = lambda message_id: _seen(session, envelope.sender, message_id)  # noqa: E731
        verdict = check_envelope(envelope, own=own, agreement=agreement, now=now, seen=seen)
        if verdict is LinkCode.ACCEPTED:
            verdict = _process(session, own, envelope, now)
        journal(session, document, verdict, now)
        return verdict

    return retrying(sessions, work, command=f"link receive {str(document.get('message_id', ''))[:64]}", now=now)


def _seen(session: Conn, sender: str, message_id: str) -> bool:
    found = sql.one(
        session,
        "SELECT 1 FROM link_inbox WHERE sender = :s AND message_id = :m AND verdict = :v",
        {"s": sender, "m": message_id, "v": LinkCode.ACCEPTED.value},
    )
    return found is not None


def _process(session: Conn, own: str, envelope: Envelope, now: dt.datetime) -> LinkCode:
    sender, tid = envelope.sender, envelope.transaction_id
    if envelope.kind not in (MessageKind.TRANSFER, MessageKind.CANCEL, MessageKind.REPLY):
        return LinkCode.MALFORMED  # queries are answered at once (link_queries.answer), answers never arrive here
    if envelope.kind is MessageKind.REPLY:
        outcome = reply_outcome(dict(envelope.payload))
        return LinkCode.MALFORMED if outcome is None else apply_reply(session, sender, tid, outcome, now)
    existing = transfer_row(session, transfer_id("in", sender, tid), lock=True)
    if existing is not None:  # decided before (a CANCEL after the TRANSFER, or the reverse): answer again
        enqueue(session, sender, tid, MessageKind.REPLY, {"code": existing["code"]}, now)
        return LinkCode.ACCEPTED
    payload = dict(envelope.payload)
    if envelope.kind is MessageKind.CANCEL:
        code, registry_id = LinkCode.CANCELLED_BY_SENDER, None
        payload = {"unit_type": "", "quantity": 0, "blocks": [], "source_account": "", "destination_account": ""}
    elif (blocks := check_transfer_payload(payload)) is None:
        return LinkCode.MALFORMED
    else:
        code, registry_id = _accept_units(session, own, sender, tid, payload, blocks, now)
    insert_transfer(
        session,
        {
            "id": transfer_id("in", sender, tid),
            "direction": "in",
            "partner": sender,
            "transaction_id": tid,
            "registry_transaction": registry_id,
            "unit_type": str(payload["unit_type"])[:64],
            "quantity": int(payload["quantity"]),
            "blocks": json.dumps(payload["blocks"]),
            "source_account": str(payload["source_account"])[:64],
            "destination_account": str(payload["destination_account"])[:64],
            "state": "accepted" if code is LinkCode.ACCEPTED else "refused",
            "code": code.value,
            "created_at": now,
            "deadline": None,
            "resolved_at": now,
        },
    )
    enqueue(session, sender, tid, MessageKind.REPLY, {"code": code.value}, now)
    return LinkCode.ACCEPTED


def _accept_units(
    session: Conn, own: str, sender: str, tid: str, payload: dict[str, Any], blocks: list[Range], now: dt.datetime
) -> tuple[LinkCode, str | None]:
    """Check and book an incoming transfer: from our link account for the sender to the named
    account, exactly the serials named. Foreign serials not yet mirrored here are first issued into
    the link account (the link account holds every serial of the partner not held here)."""
    agreement = load_agreement()
    unit_code = str(payload["unit_type"])
    origin = origin_of(unit_code)
    if origin not in (own, sender) or not agreement.recognises(own, unit_code):
        return LinkCode.UNIT_NOT_RECOGNISED, None
    destination = rows.accounts(session, [str(payload["destination_account"])]).get(str(payload["destination_account"]))
    if destination is None or destination.jurisdiction != own or destination.type in _NOT_RECEIVING:
        return LinkCode.DESTINATION_NOT_OPEN, None
    if destination.state not in (AccountState.OPEN, AccountState.BLOCKED):
        return LinkCode.DESTINATION_NOT_OPEN, None
    link = link_account_id(own, sender)
    unit = rows.unit_type(session, unit_code, lock=True)
    if unit is None and origin == own:
        return LinkCode.UNIT_NOT_RECOGNISED, None
    if origin == sender:
        _mirror(session, own, sender, tid, payload, unit, max(e for _, e in blocks), now)
    held = [
        (int(i), int(s), int(e))
        for i, s, e in sql.rows(
            session,
            "SELECT id, start_serial, end_serial FROM registry_serial_blocks WHERE account_id = :a AND unit_type = :u "
            "AND reserved_by IS NULL",
            {"a": link, "u": unit_code},
        )
    ]
    plan = carve(held, blocks)
    if plan is None:
        return LinkCode.SERIALS_NOT_HELD, None
    quantity = int(payload["quantity"])
    store.lock_holdings(session, unit_code, [link, destination.id])
    for block_id in plan.removed:
        sql.run(session, "DELETE FROM registry_serial_blocks WHERE id = :i", {"i": block_id})
    for (start, end), account in [*((r, link) for r in plan.stay), *((r, destination.id) for r in plan.moved)]:
        sql.run(
            session,
            "INSERT INTO registry_serial_blocks (unit_type, start_serial, end_serial, account_id, reserved_by) "
            "VALUES (:u, :s, :e, :a, NULL)",
            {"u": unit_code, "s": start, "e": end, "a": account},
        )
    request = {"link": "in", "sender": sender, "transaction_id": tid, "blocks": [list(b) for b in blocks]}
    row = _row(own, f"link-in:{sender}:{tid}", request, "link_transfer", link, destination.id, unit_code, quantity, now)
    batch = Batch()
    store.record_movements(
        batch, row["id"], [SerialBlock(unit_code, s, e) for s, e in plan.moved], link, destination.id
    )
    store.post(batch, row["id"], unit_code, link, destination.id, quantity, reserved=False)
    rows.insert_transaction(session, batch, row)
    rows.transition(session, batch, row, [S.PROPOSED, S.CHECKED, S.COMPLETED], ResponseCode.OK, f"link:{sender}", now)
    return LinkCode.ACCEPTED, str(row["id"])


def _mirror(
    session: Conn, own: str, sender: str, tid: str, payload: dict[str, Any], unit: Any, top: int, now: dt.datetime
) -> None:
    """Issue the partner's serials up to `top` into our link account, so that the link account
    holds every serial of the partner's unit type that is not held in this registry."""
    code = str(payload["unit_type"])
    if unit is None:
        sql.run(
            session,
            "INSERT INTO registry_unit_types (code, jurisdiction, kind, vintage, origin, cap, issued, created_at) "
            "VALUES (:c, :j, :k, :v, '', :cap, 0, :at)",
            {
                "c": code,
                "j": sender,
                "k": UnitKind(str(payload.get("kind", "allowance"))).value,
                "v": int(payload["vintage"]),
                "cap": max(int(payload.get("cap", top)), top),
                "at": sql.when(session, now),
            },
        )
        issued, cap = 0, max(int(payload.get("cap", top)), top)
    else:
        issued, cap = unit.issued, unit.cap
    if top <= issued:
        return
    if top > cap:
        sql.run(session, "UPDATE registry_unit_types SET cap = :c WHERE code = :u", {"c": top, "u": code})
    link, issuance = link_account_id(own, sender), f"{own}-ISSUANCE"
    row = _row(
        own,
        f"link-mirror:{sender}:{tid}",
        {"link": "mirror", "top": top},
        "issuance",
        issuance,
        link,
        code,
        top - issued,
        now,
    )
    store.lock_holdings(session, code, [link])
    batch = Batch()
    store.create_block(session, batch, row["id"], SerialBlock(code, issued + 1, top), issuance, link)
    batch.add("UPDATE registry_unit_types SET issued = :ni WHERE code = :nc", {"ni": top, "nc": code})
    rows.insert_transaction(session, batch, row)
    rows.transition(session, batch, row, [S.PROPOSED, S.CHECKED, S.COMPLETED], ResponseCode.OK, f"link:{sender}", now)


def _row(
    own: str,
    key: str,
    request: dict[str, Any],
    kind: str,
    source: str,
    destination: str,
    unit: str,
    quantity: int,
    now: dt.datetime,
) -> dict[str, Any]:
    import uuid

    return {
        "id": uuid.uuid4().hex,
        "client_key": key,
        "request": canonical(request),
        "jurisdiction": own,
        "type": kind,
        "state": S.COMPLETED.value,
        "response_code": ResponseCode.OK.value,
        "source_account": source,
        "destination_account": destination,
        "unit_type": unit,
        "quantity": quantity,
        "initiator": "link",
        "approver": None,
        "installation_id": None,
        "compliance_year": None,
        "reverses": None,
        "proposed_at": now,
        "delay_until": None,
        "resolved_at": now,
    }


def state_of(sessions: Sessions, partner: str, transaction_id: str) -> dict[str, Any]:
    """Answer a status query: what this registry knows of a transaction of `partner` (incoming) or
    of ours sent to `partner` (outgoing)."""
    with sessions() as session:
        incoming = transfer_row(session, transfer_id("in", partner, transaction_id))
        outgoing = transfer_row(session, transfer_id("out", partner, transaction_id))
    found = incoming or outgoing
    if found is None:
        return {"transaction_id": transaction_id, "known": False}
    state = LinkState(found["state"]).value if found["direction"] == "out" else found["state"]
    return {
        "transaction_id": transaction_id,
        "known": True,
        "direction": found["direction"],
        "state": state,
        "code": found["code"],
    }
