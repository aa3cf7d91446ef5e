"""Read side of the registry: holdings, a transaction, a serial's history, the conservation check."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, Subquery, select, union_all

from carbonbridge.adapters.db.autocommit import fetch_all, is_postgres
from carbonbridge.adapters.db.registry import rows
from carbonbridge.adapters.db.registry.ledger import Sessions
from carbonbridge.adapters.db.registry.snapshot import integrity_errors, read_snapshot
from carbonbridge.adapters.db.registry.tables import (
    BLOCKS,
    HOLDINGS,
    MOVEMENTS,
    TRANSACTIONS,
)
from carbonbridge.adapters.db.uow import unit_of_work
from carbonbridge.domain.errors import NotFound
from carbonbridge.domain.registry.commands import TransactionView
from carbonbridge.domain.registry.conservation import conservation_problems, unit_totals
from carbonbridge.domain.registry.records import Holding


@dataclass(frozen=True, slots=True)
class HoldingView(Holding):
    """A holding as the registry shows it: the domain's record (whose `available` is the rule: neither
    reserved nor held by the market) with its serial blocks as (start, end) ranges."""

    blocks: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class BlockView:
    """A run of consecutive serial numbers of one unit type held by one account; `reserved` while a
    pending transaction has earmarked it."""

    start_serial: int
    end_serial: int
    reserved: bool

    @property
    def quantity(self) -> int:
        return self.end_serial - self.start_serial + 1


_TOTALS_PG = (  # the columns in the order of domain.registry.records.Holding
    "SELECT unit_type, quantity, reserved, market_held FROM registry_holdings "
    "WHERE account_id = %(a)s AND quantity <> 0 ORDER BY unit_type"
)
"""One index lookup whose answer does not grow with the account's history: the serial blocks, which
transfers split, are read page by page apart (`serial_blocks`)."""


def holding_totals(sessions: Sessions, account_id: str) -> list[Holding]:
    """The account's holdings per unit type (quantity, reserved, held by the market), in unit-type
    order; NotFound for an unknown account."""
    engine = sessions.kw.get("bind")
    if isinstance(engine, Engine) and is_postgres(engine):
        found: Sequence[Any] = fetch_all(engine, _TOTALS_PG, {"a": account_id})
    else:
        with unit_of_work(sessions) as session:
            found = session.execute(
                select(HOLDINGS.c.unit_type, HOLDINGS.c.quantity, HOLDINGS.c.reserved, HOLDINGS.c.market_held)
                .where(HOLDINGS.c.account_id == account_id, HOLDINGS.c.quantity != 0)
                .order_by(HOLDINGS.c.unit_type)
            ).all()
    if not found:
        _known_account(sessions, account_id)
    return [Holding(account_id, *row) for row in found]


def serial_blocks(
    sessions: Sessions, account_id: str, unit_type: str, *, after: int | None, limit: int
) -> list[BlockView]:
    """Up to `limit` serial blocks of the account's `unit_type` starting after serial `after`, in
    serial order (free and reserved together); NotFound for an unknown account."""

    def branch(free: bool) -> Subquery:  # each branch on its own index (free blocks, reserved blocks)
        reserved = BLOCKS.c.reserved_by.is_(None) if free else BLOCKS.c.reserved_by.is_not(None)
        query = select(BLOCKS.c.start_serial, BLOCKS.c.end_serial, BLOCKS.c.reserved_by).where(
            BLOCKS.c.account_id == account_id, BLOCKS.c.unit_type == unit_type, reserved
        )
        if after is not None:
            query = query.where(BLOCKS.c.start_serial > after)
        return query.order_by(BLOCKS.c.start_serial).limit(limit).subquery()

    both = union_all(select(branch(True)), select(branch(False))).subquery()
    query = select(both).order_by(both.c.start_serial).limit(limit)  # one statement: one snapshot
    with unit_of_work(sessions) as session:
        found = session.execute(query).all()
    if not found:
        _known_account(sessions, account_id)
    return [BlockView(start, end, reserved_by is not None) for start, end, reserved_by in found]


def holdings_preview(sessions: Sessions, account_id: str, blocks: int) -> list[HoldingView]:
    """The account's holdings with only the first `blocks` serial blocks of each (in serial order):
    for a page that shows a few, whatever number of blocks the account's history has split. One
    bounded index read per unit type held (a handful): a single statement ranking every block of
    the account would read all of them, thousands for an account that has traded for a year."""
    return [
        HoldingView(
            account_id,
            t.unit_type,
            t.quantity,
            t.reserved,
            t.market_held,
            tuple(
                (b.start_serial, b.end_serial)
                for b in serial_blocks(sessions, account_id, t.unit_type, after=None, limit=blocks)
            ),
        )
        for t in holding_totals(sessions, account_id)
    ]


def _known_account(sessions: Sessions, account_id: str) -> None:
    with unit_of_work(sessions) as session:
        if not rows.accounts(session, [account_id]):
            raise NotFound(f"unknown account {account_id!r}")


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
        HoldingView(account_id, unit_type, quantity, reserved, market_held, tuple(ranges[unit_type]))
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
            select(BLOCKS).where(BLOCKS.c.account_id == account_id).order_by(BLOCKS.c.start_serial)
        ):
            ranges[b.unit_type].append((b.start_serial, b.end_serial))
        result = session.execute(
            select(HOLDINGS).where(HOLDINGS.c.account_id == account_id).order_by(HOLDINGS.c.unit_type)
        )
        return [
            HoldingView(h.account_id, h.unit_type, h.quantity, h.reserved, h.market_held, tuple(ranges[h.unit_type]))
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
    movements = MOVEMENTS
    with unit_of_work(sessions) as session:
        query = (
            select(movements, TRANSACTIONS.c.type, TRANSACTIONS.c.resolved_at)
            .join(TRANSACTIONS, TRANSACTIONS.c.id == movements.c.transaction_id)
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


def check(sessions: Sessions) -> ConservationReport:
    """Conservation and non-negativity, from three independent records: holdings, postings, blocks
    (the rules: domain.registry.conservation)."""
    with unit_of_work(sessions) as session:
        ledger = read_snapshot(session)
        refused = integrity_errors(session)
    totals = unit_totals(ledger)
    return ConservationReport(
        issued={code: t.issued for code, t in totals.items()},
        deleted={code: t.deleted for code, t in totals.items()},
        held={code: t.held for code, t in totals.items()},
        problems=conservation_problems(ledger),
        integrity_errors=refused,
    )
