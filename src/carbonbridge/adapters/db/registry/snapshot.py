"""The registry ledger's records, read in one transaction for the conservation check
(domain.registry.conservation)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from carbonbridge.adapters.db.registry.ledger import INTEGRITY_ACTION
from carbonbridge.adapters.db.registry.tables import ACCOUNTS, AUDIT, BLOCKS, HOLDINGS, POSTINGS, UNIT_TYPES
from carbonbridge.domain.registry.blocks import SerialBlock
from carbonbridge.domain.registry.conservation import LedgerSnapshot


def _sums(session: Session, query: object) -> dict[tuple[str, str], int]:
    return {(r[0], r[1]): int(r[2]) for r in session.execute(query)}  # type: ignore[call-overload]


def read_snapshot(session: Session) -> LedgerSnapshot:
    """Unit types, account types, holdings, postings and blocks (sums per holding), and the
    transactions whose postings do not balance."""
    h, b, p = HOLDINGS, BLOCKS, POSTINGS
    size = func.sum(b.c.end_serial - b.c.start_serial + 1)
    return LedgerSnapshot(
        issued={r.code: r.issued for r in session.execute(select(UNIT_TYPES))},
        kinds={r.id: r.type for r in session.execute(select(ACCOUNTS.c.id, ACCOUNTS.c.type))},
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


def integrity_errors(session: Session) -> int:
    """Writes a database constraint refused (each rolled back, counted in the audit record)."""
    refused = session.scalar(select(func.count()).select_from(AUDIT).where(AUDIT.c.action == INTEGRITY_ACTION))
    return int(refused or 0)
