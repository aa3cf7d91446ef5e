"""The linking agreement's limit on foreign units in a surrender, applied by the registry's
surrender path (services.registry.transactions, through the ledger port) inside the proposing
transaction. The rule itself
is domain/link/agreement.foreign_surrender_allowed."""

from __future__ import annotations

from carbonbridge.adapters.db.registry import sql
from carbonbridge.adapters.db.registry.sql import Conn
from carbonbridge.domain.link.agreement import foreign_surrender_allowed
from carbonbridge.domain.registry.model import ResponseCode, TransactionState, TransactionType
from carbonbridge.services.link_config import load_agreement

TERMINATED = TransactionState.TERMINATED.value  # every other surrender counts (a pending one may complete)


def surrender_code(
    session: Conn, jurisdiction: str, source_account: str, installation_id: str, year: int, quantity: int
) -> ResponseCode:
    """OK, or R15 when these foreign units and the installation-year's earlier surrenders of
    foreign units exceed the agreed share of its obligation (the latest verified emissions entered).
    Locks the operator's account row first, so two surrenders of different foreign unit types for
    the same installation cannot both pass on the same count."""
    agreement = load_agreement()
    share = agreement.foreign_surrender_limit.get(jurisdiction)
    if share is None:
        return ResponseCode.UNIT_NOT_ELIGIBLE  # no agreed share: foreign units do not count here
    sql.one(session, "SELECT id FROM registry_accounts WHERE id = :a" + sql.for_update(session), {"a": source_account})
    verified = sql.one(
        session,
        "SELECT verified_emissions_t FROM registry_compliance_entries WHERE installation_id = :i AND year = :y "
        "ORDER BY id DESC LIMIT 1",
        {"i": installation_id, "y": year},
    )
    earlier = sql.one(
        session,
        "SELECT coalesce(sum(t.quantity), 0) FROM registry_transactions t "
        "JOIN registry_unit_types u ON u.code = t.unit_type "
        "WHERE t.type = :s AND t.installation_id = :i AND t.compliance_year = :y AND t.state <> :term "
        "AND u.jurisdiction <> :j",
        {"s": TransactionType.SURRENDER.value, "i": installation_id, "y": year, "term": TERMINATED, "j": jurisdiction},
    )
    obligation = int(verified[0]) if verified is not None else 0
    used = int(earlier[0]) if earlier is not None else 0
    return (
        ResponseCode.OK
        if foreign_surrender_allowed(obligation, used, quantity, share)
        else (ResponseCode.FOREIGN_LIMIT_EXCEEDED)
    )
