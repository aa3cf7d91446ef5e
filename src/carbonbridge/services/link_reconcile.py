"""Reconciliation with the partner (phases in domain/link/reconcile.py), its record, and the
yearly net-flow report per unit type (Article 6.2 figures)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict
from typing import Any

from carbonbridge.adapters.db.registry import rows, sql
from carbonbridge.adapters.db.registry.ledger import Sessions
from carbonbridge.adapters.db.registry.sql import Conn
from carbonbridge.domain.link.agreement import link_account_id
from carbonbridge.domain.link.flows import Flow, net_flows
from carbonbridge.domain.link.reconcile import (
    ReconciliationStatus,
    Result,
    Snapshot,
    TransferTrail,
    blocks_by_unit,
    reconcile,
)
from carbonbridge.services.link_config import load_agreement
from carbonbridge.services.link_outbox import latest_reconciliation


def snapshot(sessions: Sessions, own: str) -> Snapshot:
    partner = load_agreement().partner_of(own)
    link = link_account_id(own, partner)
    with sessions() as session:
        held = sql.rows(
            session,
            "SELECT a.type, h.unit_type, u.vintage, sum(h.quantity), h.account_id = :l FROM registry_holdings h "
            "JOIN registry_accounts a ON a.id = h.account_id JOIN registry_unit_types u ON u.code = h.unit_type "
            "WHERE a.type <> 'issuance' GROUP BY a.type, h.unit_type, u.vintage, h.account_id = :l",
            {"l": link},
        )
        blocks = sql.rows(
            session,
            "SELECT unit_type, start_serial, end_serial, account_id = :l FROM registry_serial_blocks",
            {"l": link},
        )
        states = dict(
            sql.rows(session, "SELECT state, count(*) FROM link_transfers WHERE direction = 'out' GROUP BY state", {})
        )
        trail = sql.rows(session, "SELECT transaction_id, direction, unit_type, state, blocks FROM link_transfers", {})
    totals: dict[tuple[str, str, int], int] = {}
    link_totals: dict[str, int] = {}
    for kind, unit, vintage, units, in_link in held:
        if in_link:
            link_totals[unit] = link_totals.get(unit, 0) + int(units)
        else:
            totals[(kind, unit, int(vintage))] = totals.get((kind, unit, int(vintage)), 0) + int(units)
    return Snapshot(
        jurisdiction=own,
        totals=totals,
        link_totals=link_totals,
        blocks=blocks_by_unit([(u, int(s), int(e)) for u, s, e, in_link in blocks if not in_link]),
        link_blocks=blocks_by_unit([(u, int(s), int(e)) for u, s, e, in_link in blocks if in_link]),
        in_flight=int(states.get("sent", 0)) + int(states.get("cancelling", 0)),
        manual=int(states.get("manual", 0)),
        trail=tuple(
            TransferTrail(t, d, u, s, tuple((int(a), int(b)) for a, b in json.loads(bl)))
            for t, d, u, s, bl in trail
            if bl != "[]"
        ),
    )


def snapshot_document(snap: Snapshot) -> dict[str, Any]:
    return {
        "jurisdiction": snap.jurisdiction,
        "totals": [[k[0], k[1], k[2], v] for k, v in sorted(snap.totals.items())],
        "link_totals": dict(snap.link_totals),
        "blocks": {u: [list(r) for r in rs] for u, rs in snap.blocks.items()},
        "link_blocks": {u: [list(r) for r in rs] for u, rs in snap.link_blocks.items()},
        "in_flight": snap.in_flight,
        "manual": snap.manual,
        "trail": [
            [t.transaction_id, t.direction, t.unit_type, t.state, [list(b) for b in t.blocks]] for t in snap.trail
        ],
    }


def snapshot_from(document: dict[str, Any]) -> Snapshot:
    def ranges(items: list[list[int]]) -> tuple[tuple[int, int], ...]:
        return tuple((int(a), int(b)) for a, b in items)

    return Snapshot(
        jurisdiction=str(document["jurisdiction"]),
        totals={(str(t), str(u), int(v)): int(n) for t, u, v, n in document["totals"]},
        link_totals={str(k): int(v) for k, v in document["link_totals"].items()},
        blocks={str(u): ranges(r) for u, r in document["blocks"].items()},
        link_blocks={str(u): ranges(r) for u, r in document["link_blocks"].items()},
        in_flight=int(document["in_flight"]),
        manual=int(document["manual"]),
        trail=tuple(TransferTrail(str(t), str(d), str(u), str(s), ranges(b)) for t, d, u, s, b in document["trail"]),
    )


def start(sessions: Sessions, own: str, *, now: dt.datetime) -> str | None:
    """Open a reconciliation: lock the link account row exclusively (new link transfers read the
    gate under a shared lock on it: link_outbox.gate) and record a `pending` run, so no transfer
    can be proposed between this point and the result. Returns the status it replaces."""
    partner = load_agreement().partner_of(own)
    with sessions.begin() as session:
        sql.one(
            session,
            "SELECT id FROM registry_accounts WHERE id = :a" + sql.for_update(session),
            {"a": link_account_id(own, partner)},
        )
        before = latest_reconciliation(session, partner)
        _record(session, partner, now, ReconciliationStatus.PENDING.value, 0, {"started": True})
    return before


def abort(sessions: Sessions, own: str, before: str | None, reason: str, *, now: dt.datetime) -> None:
    """A reconciliation that could not compare (the partner did not answer): the gate goes back to
    what it was, so an inconsistent link stays closed and a clean one opens again."""
    partner = load_agreement().partner_of(own)
    status = before if before is not None else "aborted"
    with sessions.begin() as session:
        _record(session, partner, now, status, 0, {"aborted": reason[:500]})


def _record(session: Conn, partner: str, now: dt.datetime, status: str, phase: int, detail: dict[str, Any]) -> None:
    sql.run(
        session,
        "INSERT INTO link_reconciliations (partner, started_at, status, phase, detail) VALUES (:p, :s, :st, :ph, :d)",
        {"p": partner, "s": sql.when(session, now), "st": status, "ph": phase, "d": json.dumps(detail, default=str)},
    )


def run(sessions: Sessions, own: str, partner_snapshot: Snapshot, *, now: dt.datetime) -> Result:
    """Reconcile with the partner's snapshot and record the result (the send gate reads it)."""
    partner = load_agreement().partner_of(own)
    if partner_snapshot.jurisdiction != partner:
        raise ValueError(f"a snapshot of {partner_snapshot.jurisdiction}, not of the partner {partner}")
    result = reconcile(snapshot(sessions, own), partner_snapshot)
    detail = {
        "compared": dict(result.compared),
        "differences": [asdict(d) for d in result.differences],
        "totals_by_account_type": {k: dict(v) for k, v in result.totals_by_account_type.items()},
    }
    with sessions.begin() as session:
        _record(session, partner, now, result.status.value, result.phase, detail)
    return result


def history(sessions: Sessions, *, limit: int = 20) -> list[dict[str, Any]]:
    """The latest reconciliation runs, newest first."""
    with sessions() as session:
        found = sql.rows(
            session,
            "SELECT id, partner, started_at, status, phase, detail FROM link_reconciliations ORDER BY id DESC LIMIT :l",
            {"l": limit},
        )
    out = []
    for run_id, partner, started, status, phase, detail in found:
        when = rows.utc(started)
        out.append(
            {
                "id": int(run_id),
                "partner": partner,
                "started_at": when.isoformat() if when else None,
                "status": status,
                "phase": int(phase),
                "detail": json.loads(detail),
            }
        )
    return out


def yearly_flows(sessions: Sessions, year: int) -> list[Flow]:
    """Net flows of the calendar year (UTC) per unit type, from final link transfers."""
    start, end = dt.datetime(year, 1, 1, tzinfo=dt.UTC), dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC)
    with sessions() as session:
        found = sql.rows(
            session,
            "SELECT direction, unit_type, quantity, resolved_at FROM link_transfers "
            "WHERE (direction = 'out' AND state = 'completed') OR (direction = 'in' AND state = 'accepted')",
            {},
        )
    movements = []
    for direction, unit, quantity, resolved in found:
        when = rows.utc(resolved)
        if when is not None and start <= when < end:
            movements.append((str(direction), str(unit), int(quantity)))
    return net_flows(movements)
