"""Proposals as the HTTP API receives them: the body plus the client key and the acting
representative become a registry `TransactionRequest` (as the CLI's commands build them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from carbonbridge.adapters.db.registry.ledger import Sessions
from carbonbridge.adapters.db.registry.tables import LINKS
from carbonbridge.domain.auth.policy import Action, Target
from carbonbridge.domain.errors import Problem, ValidationFailed
from carbonbridge.domain.registry.commands import TransactionRequest
from carbonbridge.domain.registry.model import TransactionType
from carbonbridge.services import api_queries
from carbonbridge.services.registry.queries import transaction

ACTION_OF: dict[TransactionType, Action] = {
    TransactionType.ISSUANCE: Action.ISSUE,
    TransactionType.ALLOCATION: Action.ALLOCATE,
    TransactionType.TRANSFER: Action.TRANSFER,
    TransactionType.SURRENDER: Action.SURRENDER,
    TransactionType.DELETION: Action.DELETE,
    TransactionType.REVERSAL: Action.REVERSE,
}
"""Which policy action each proposal is."""


@dataclass(frozen=True, slots=True)
class ProposalBody:
    type: TransactionType
    unit_type: str
    quantity: int
    source_account: str | None
    destination_account: str | None
    installation_id: str | None
    compliance_year: int | None
    reverses: str | None


def _required(body: ProposalBody, *names: str) -> None:
    missing = [n for n in names if getattr(body, n) in (None, "")]
    if missing:
        raise ValidationFailed([Problem(f"a {body.type.value} names its {n}", field=n) for n in missing])


def request_for(sessions: Sessions, body: ProposalBody, client_key: str, initiator: str) -> TransactionRequest:
    """The registry request of a proposal: a surrender or deletion goes to the jurisdiction's
    deletion account; a reversal mirrors the transaction it reverses."""
    kind = body.type
    if kind is TransactionType.REVERSAL:
        _required(body, "reverses")
        original = transaction(sessions, body.reverses or "")
        return TransactionRequest(
            client_key,
            kind,
            original.destination_account,
            original.source_account or "",
            original.unit_type,
            original.quantity,
            initiator,
            reverses=original.id,
        )
    _required(body, "unit_type")
    if kind in (TransactionType.SURRENDER, TransactionType.DELETION):
        _required(
            body,
            "source_account",
            *(("installation_id", "compliance_year") if kind is TransactionType.SURRENDER else ()),
        )
        deletion = f"{body.unit_type.split('-', 1)[0]}-DELETION"
        return TransactionRequest(
            client_key,
            kind,
            body.source_account,
            deletion,
            body.unit_type,
            body.quantity,
            initiator,
            installation_id=body.installation_id,
            compliance_year=body.compliance_year,
        )
    _required(body, "destination_account", *(() if kind is TransactionType.ISSUANCE else ("source_account",)))
    source = None if kind is TransactionType.ISSUANCE else body.source_account
    return TransactionRequest(
        client_key, kind, source, body.destination_account or "", body.unit_type, body.quantity, initiator
    )


def proposal_target(
    sessions: Sessions, request: TransactionRequest, target_of: Callable[[str], Target] | None = None
) -> Target:
    """The account whose representatives may propose: the source (the destination for issuance).
    `target_of` looks an account's target up (default: a query; the API passes its remembered ones)."""
    look_up = target_of or (lambda account_id: api_queries.account_target(sessions, account_id))
    if request.type is TransactionType.ISSUANCE or request.source_account is None:
        return look_up(request.destination_account)
    return look_up(request.source_account)


def representative_targets(sessions: Sessions, representative_id: str) -> list[Target]:
    """The accounts a representative acts for (who may manage them)."""
    with sessions() as session:
        accounts = list(
            session.scalars(select(LINKS.c.account_id).where(LINKS.c.representative_id == representative_id))
        )
    return [api_queries.account_target(sessions, a) for a in sorted(accounts)]
