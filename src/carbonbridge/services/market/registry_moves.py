"""Units moving for the market, inside the caller's database transaction.

Settlement must move units and cash in ONE database transaction, so the registry's public
`services.registry.transactions.propose_in_unit_of_work` (the same rules as every proposal:
idempotency, checks, transaction row, serial blocks, postings, holdings, hash-chained log entry
and audit record; it commits nothing itself) runs here on the market's session. The order or
bid is the participant's instruction; the settlement agent
initiates the transfer and, as every transfer goes between accounts that trust each other, the
registry's approval step is configured away for it (approval "never"); every other check (account
states, eligibility, balance, per-transfer limit) runs. A refusal raises, which rolls back the
whole settlement: units never move without the cash, nor the cash without the units.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy.orm import Session

from carbonbridge.adapters.db.registry.ledger import SqlLedger
from carbonbridge.adapters.policy_config import load_policy
from carbonbridge.domain.errors import RuleViolation
from carbonbridge.domain.registry.commands import TransactionRequest
from carbonbridge.domain.registry.model import TransactionState, TransactionType
from carbonbridge.domain.registry.policy import ApprovalRule, SecurityPolicy
from carbonbridge.services.market.participants import agent
from carbonbridge.services.registry import transactions as registry_transactions

MAX_PARTS = 10_000


def settlement_policy(jurisdiction: str) -> SecurityPolicy:
    return dataclasses.replace(load_policy(jurisdiction), approval=ApprovalRule.NEVER)


def move_units(
    session: Session,
    jurisdiction: str,
    source: str,
    destination: str,
    unit_type: str,
    quantity: int,
    key: str,
    now: dt.datetime,
) -> list[str]:
    """Transfer `quantity` units now (in parts no larger than the jurisdiction's per-transfer limit);
    the registry transaction ids. Idempotent by `key` (a repeat returns the same transactions)."""
    limit = settlement_policy(jurisdiction).transfer_limit_units or quantity
    ids: list[str] = []
    left, part = quantity, 0
    while left > 0:
        part += 1
        if part > MAX_PARTS:
            raise RuleViolation("M20_TOO_MANY_PARTS", f"{quantity} units need more than {MAX_PARTS} transfers")
        size = min(left, limit)
        request = TransactionRequest(
            f"{key}:{part}", TransactionType.TRANSFER, source, destination, unit_type, size, agent(jurisdiction)
        )
        ledger = SqlLedger(session)
        view = registry_transactions.propose_in_unit_of_work(ledger, request, now=now, policy_for=settlement_policy)
        if view.state is not TransactionState.COMPLETED:
            raise RuleViolation(
                view.response_code.value,
                f"settlement transfer of {size} {unit_type} from {source} to {destination} not completed "
                f"({view.state.value})",
            )
        ids.append(view.id)
        left -= size
    return ids


def send_across(
    session: Session,
    jurisdiction: str,
    source: str,
    partner_account: str,
    unit_type: str,
    quantity: int,
    key: str,
    now: dt.datetime,
) -> str:
    """Propose a link transfer of `quantity` units from `source` to `partner_account` in the partner
    registry, inside the caller's transaction (its blocks reserved and its TRANSFER message queued
    with it: services/link_outbox). It completes when the partner accepts. The registry
    transaction id; a refusal (e.g. L15 while a reconciliation is pending) raises and rolls back."""
    from carbonbridge.domain.link.agreement import link_account_id
    from carbonbridge.domain.link.protocol import LinkCode
    from carbonbridge.services.link_config import load_agreement

    agreement = load_agreement()
    partner = agreement.partner_of(jurisdiction)
    if not agreement.recognises(partner, unit_type):
        raise RuleViolation(LinkCode.UNIT_NOT_RECOGNISED.value, f"{partner} does not recognise {unit_type}")
    request = TransactionRequest(
        f"{key}:link",
        TransactionType.LINK_TRANSFER,
        source,
        link_account_id(jurisdiction, partner),
        unit_type,
        quantity,
        agent(jurisdiction),
        counterpart=f"{partner}/{partner_account}",
    )
    ledger = SqlLedger(session)
    view = registry_transactions.propose_in_unit_of_work(ledger, request, now=now, policy_for=settlement_policy)
    if view.state not in (TransactionState.CHECKED, TransactionState.DELAYED):
        raise RuleViolation(
            view.response_code.value,
            f"link transfer of {quantity} {unit_type} from {source} to {partner}/{partner_account} refused "
            f"({view.state.value})",
        )
    return view.id
