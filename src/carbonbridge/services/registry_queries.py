"""Read side of the registry: holdings, a transaction, a serial's history, the conservation check."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, Table, func, select
from sqlalchemy.orm import Session

from carbonbridge.adapters.db.autocommit import fetch_all, is_postgres
from carbonbridge.adapters.db.models import AuditEventRow
from carbonbridge.adapters.db.uow import unit_of_work
from carbonbridge.domain.errors import NotFound
from carbonbridge.domain.registry.blocks import SerialBlock, overlapping
from carbonbridge.domain.registry.commands import TransactionView
from carbonbridge.domain.registry.model import AccountType
from carbonbridge.services import registry_rows as rows
from carbonbridge.services import registry_store as store
from carbonbridge.services.registry_transactions import INTEGRITY_ACTION, Sessions

AUDIT: Table = AuditEventRow.__table__  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class HoldingView:
    account_id: str
    unit_type: str
    quantity: int
    reserved: int
    blocks: tuple[tuple[int, int], ...]
    market_held: int = 0  # held by the market (open sell orders, bids, unsettled trades)

    @property
    def available(self) -> int:
        """What a new transaction may move: neither reserved nor held by the market."""
        return self.quantity - self.reserved - self.market_held


_HOLDINGS_PG = """
SELECT unit_type, quantity, reserved, market_held, NULL::bigint, NULL::bigint FROM registry_holdings
WHERE account_id = %(a)s
UNION ALL
SELECT unit_type, NULL, NULL, NULL, start_serial, end_serial FROM registry_serial_blocks
WHERE account_id = %(a)s AND reserved_by IS NULL
UNION ALL
SELECT unit_type, NULL, NULL, NULL, start_serial, end_serial FROM registry_serial_blocks
WHERE account_id = %(a)s AND reserved_by IS NOT NULL
"""
"""Holdings and blocks in one statement (one snapshot, one round trip in autocommit); the blocks
in two branches so that each uses its partial index (free blocks, reserved blocks)."""


def _holding_views(account_id: str, found: Sequence[tuple[Any, ...]]) -> list[HoldingView]:
    ranges: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for unit_type, _, _, _, start, end in sorted((r for r in found if r[4] is not None), key=lambda r: r[4]):
        ranges[unit_type].append((start, end))
    return [
        HoldingView(account_id, unit_type, quantity, reserved, tuple(ranges[unit_type]), market_held)
        for unit_type, quantity, reserved, market_held, _, _ in sorted(r for r in found if r[4] is None)
        if quantity or ranges[unit_type]
    ]


def holdings(sessions: Sessions, account_id: str) -> list[HoldingView]:
    """The account's holdings per unit type with their serial ranges."""
    engine = sessions.kw.get("bind")
    if isinstance(engine, Engine) and is_postgres(engine):
        found = fetch_all(engine, _HOLDINGS_PG, {"a": account_id})
        if found:  # else: no holding, or no such account (NotFound below)
            return _holding_views(account_id, found)
    with unit_of_work(sessions) as session:
        if not rows.accounts(session, [account_id]):
            raise NotFound(f"unknown account {account_id!r}")
        ranges: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for b in session.execute(
            select(store.BLOCKS).where(store.BLOCKS.c.account_id == account_id).order_by(store.BLOCKS.c.start_serial)
        ):
            ranges[b.unit_type].append((b.start_serial, b.end_serial))
        result = session.execute(
            select(store.HOLDINGS).where(store.HOLDINGS.c.account_id == account_id).order_by(store.HOLDINGS.c.unit_type)
        )
        return [
            HoldingView(h.account_id, h.unit_type, h.quantity, h.reserved, tuple(ranges[h.unit_type]), h.market_held)
            for h in result
            if h.quantity or ranges[h.unit_type]
        ]


def transaction(sessions: Sessions, transaction_id: str) -> TransactionView:
    with unit_of_work(sessions) as session:
        row = rows.by_id(session, transaction_id)
        if row is None:
            raise NotFound(f"unknown transaction {transaction_id!r}")
        return rows.view(row)


@dataclass(frozen=True, slots=True)
class SerialEvent:
    transaction_id: str
    type: str
    at: dt.datetime
    from_account: str | None
    to_account: str
    block: tuple[int, int]


def serial_history(sessions: Sessions, unit_type: str, serial: int) -> list[SerialEvent]:
    """Every movement of one unit, oldest first: issuance, then each transfer of a block holding it."""
    movements = store.MOVEMENTS
    with unit_of_work(sessions) as session:
        query = (
            select(movements, rows.TRANSACTIONS.c.type, rows.TRANSACTIONS.c.resolved_at)
            .join(rows.TRANSACTIONS, rows.TRANSACTIONS.c.id == movements.c.transaction_id)
            .where(
                movements.c.unit_type == unit_type,
                movements.c.start_serial <= serial,
                movements.c.end_serial >= serial,
            )
            .order_by(movements.c.id)
        )
        events = [
            SerialEvent(
                m.transaction_id,
                m.type,
                rows.utc(m.resolved_at) or dt.datetime.min.replace(tzinfo=dt.UTC),
                m.from_account,
                m.to_account,
                (m.start_serial, m.end_serial),
            )
            for m in session.execute(query)
        ]
    if not events:
        raise NotFound(f"serial {serial} of {unit_type} was never issued")
    return events


@dataclass
class ConservationReport:
    """Per unit type: issued, deleted (held in deletion accounts), held elsewhere, and every breach."""

    issued: dict[str, int] = field(default_factory=dict)
    deleted: dict[str, int] = field(default_factory=dict)
    held: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    integrity_errors: int = 0  # writes a database constraint refused (rolled back; each a defect to fix)

    @property
    def ok(self) -> bool:
        return not self.problems


def _sums(session: Session, query: object) -> dict[tuple[str, str], int]:
    return {(r[0], r[1]): int(r[2]) for r in session.execute(query)}  # type: ignore[call-overload]


@dataclass(frozen=True, slots=True)
class _Ledger:
    issued: dict[str, int]
    kinds: dict[str, str]
    held: dict[tuple[str, str], tuple[int, int, int]]  # (quantity, reserved, market_held)
    posted: dict[tuple[str, str], int]
    in_blocks: dict[tuple[str, str], int]
    reserved: dict[tuple[str, str], int]
    unbalanced: list[str]
    blocks: list[SerialBlock]


def _read(session: Session) -> _Ledger:
    h, b, p = store.HOLDINGS, store.BLOCKS, store.POSTINGS
    size = func.sum(b.c.end_serial - b.c.start_serial + 1)
    return _Ledger(
        issued={r.code: r.issued for r in session.execute(select(rows.UNIT_TYPES))},
        kinds={r.id: r.type for r in session.execute(select(rows.ACCOUNTS.c.id, rows.ACCOUNTS.c.type))},
        held={(r.account_id, r.unit_type): (r.quantity, r.reserved, r.market_held) for r in session.execute(select(h))},
        posted=_sums(
            session, select(p.c.account_id, p.c.unit_type, func.sum(p.c.amount)).group_by(p.c.account_id, p.c.unit_type)
        ),
        in_blocks=_sums(session, select(b.c.account_id, b.c.unit_type, size).group_by(b.c.account_id, b.c.unit_type)),
        reserved=_sums(
            session,
            select(b.c.account_id, b.c.unit_type, size)
            .where(b.c.reserved_by.is_not(None))
            .group_by(b.c.account_id, b.c.unit_type),
        ),
        unbalanced=[
            r[0]
            for r in session.execute(
                select(p.c.transaction_id).group_by(p.c.transaction_id, p.c.unit_type).having(func.sum(p.c.amount) != 0)
            )
        ],
        blocks=[SerialBlock(r.unit_type, r.start_serial, r.end_serial) for r in session.execute(select(b))],
    )


def check(sessions: Sessions) -> ConservationReport:
    """Conservation and non-negativity, from three independent records: holdings, postings, blocks."""
    with unit_of_work(sessions) as session:
        ledger = _read(session)
        refused = session.scalar(select(func.count()).select_from(AUDIT).where(AUDIT.c.action == INTEGRITY_ACTION))
    report = ConservationReport(integrity_errors=int(refused or 0))
    report.problems += [f"transaction {t}: postings do not sum to zero" for t in ledger.unbalanced]
    report.problems += [
        f"{x.unit_type}: serials {x.start}-{x.end} and {y.start}-{y.end} overlap" for x, y in overlapping(ledger.blocks)
    ]
    deletion, issuance = AccountType.DELETION.value, AccountType.ISSUANCE.value
    for code, issued in sorted(ledger.issued.items()):
        report.issued[code] = issued
        held = [(ledger.kinds.get(a), q) for (a, u), (q, _, _) in ledger.held.items() if u == code]
        report.deleted[code] = sum(q for kind, q in held if kind == deletion)
        report.held[code] = sum(q for kind, q in held if kind != deletion)
        if report.held[code] != issued - report.deleted[code]:
            report.problems.append(
                f"{code}: held {report.held[code]} != issued {issued} - deleted {report.deleted[code]}"
            )
        contra = -sum(n for (a, u), n in ledger.posted.items() if u == code and ledger.kinds.get(a) == issuance)
        if contra != issued:
            report.problems.append(f"{code}: issuance postings {contra} != issued {issued}")
        if max((blk.end for blk in ledger.blocks if blk.unit_type == code), default=0) > issued:
            report.problems.append(f"{code}: a serial beyond the {issued} issued exists")
    for (account, code), (quantity, held_reserved, market_held) in sorted(ledger.held.items()):
        if quantity < 0 or held_reserved < 0 or held_reserved > quantity:
            report.problems.append(f"{account} {code}: negative holding {quantity} (reserved {held_reserved})")
        if market_held < 0 or held_reserved + market_held > quantity:
            report.problems.append(
                f"{account} {code}: the market holds {market_held} of {quantity} ({held_reserved} reserved)"
            )
        if ledger.posted.get((account, code), 0) != quantity:
            report.problems.append(
                f"{account} {code}: holding {quantity} != postings {ledger.posted.get((account, code), 0)}"
            )
        blocks_ok = ledger.in_blocks.get((account, code), 0) == quantity
        if not blocks_ok or ledger.reserved.get((account, code), 0) != held_reserved:
            report.problems.append(f"{account} {code}: holding {quantity}/{held_reserved} != serial blocks")
    return report
