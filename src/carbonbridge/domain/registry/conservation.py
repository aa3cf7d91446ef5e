"""Conservation and non-negativity of the registry's ledger, from three independent records:
holdings, double-entry postings and serial blocks (TigerStyle: assert the ledger's invariants).

Per unit type: units held outside deletion accounts = issued - deleted; the issuance account's
postings mirror what was issued; no serial beyond the issued count, no two blocks overlap. Per
holding: quantity >= reserved + held by the market >= 0, quantity = the sum of its postings = the
size of its blocks, reserved = the size of its reserved blocks. Per transaction: postings sum to 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from carbonbridge.domain.registry.blocks import SerialBlock, overlapping
from carbonbridge.domain.registry.model import AccountType

Key = tuple[str, str]  # (account id, unit type code)


@dataclass(frozen=True, slots=True)
class LedgerSnapshot:
    """The ledger's records as read in one transaction."""

    issued: Mapping[str, int]  # unit type -> units issued
    kinds: Mapping[str, str]  # account id -> account type (AccountType value)
    held: Mapping[Key, tuple[int, int, int]]  # holding -> (quantity, reserved, market_held)
    posted: Mapping[Key, int]  # holding -> sum of its postings
    in_blocks: Mapping[Key, int]  # holding -> units in its serial blocks
    reserved: Mapping[Key, int]  # holding -> units in its reserved serial blocks
    unbalanced: Sequence[str]  # transactions whose postings of a unit type do not sum to zero
    blocks: Sequence[SerialBlock]


@dataclass(frozen=True, slots=True)
class UnitTotals:
    issued: int
    deleted: int  # held in deletion accounts
    held: int  # held in every other account


def unit_totals(snapshot: LedgerSnapshot) -> dict[str, UnitTotals]:
    """Per unit type, in code order: issued, deleted and held elsewhere."""
    deletion = AccountType.DELETION.value
    totals = {}
    for code, issued in sorted(snapshot.issued.items()):
        held = [(snapshot.kinds.get(a), q) for (a, u), (q, _, _) in snapshot.held.items() if u == code]
        deleted = sum(q for kind, q in held if kind == deletion)
        totals[code] = UnitTotals(issued, deleted, sum(q for kind, q in held if kind != deletion))
    return totals


def conservation_problems(snapshot: LedgerSnapshot) -> list[str]:
    """Every breach of conservation or non-negativity, as a sentence; empty when the ledger holds."""
    problems = [f"transaction {t}: postings do not sum to zero" for t in snapshot.unbalanced]
    problems += [
        f"{x.unit_type}: serials {x.start}-{x.end} and {y.start}-{y.end} overlap"
        for x, y in overlapping(snapshot.blocks)
    ]
    for code, totals in unit_totals(snapshot).items():
        problems += _unit_problems(snapshot, code, totals)
    for (account, code), (quantity, reserved, market_held) in sorted(snapshot.held.items()):
        problems += _holding_problems(snapshot, account, code, quantity, reserved, market_held)
    return problems


def _unit_problems(snapshot: LedgerSnapshot, code: str, totals: UnitTotals) -> list[str]:
    problems = []
    if totals.held != totals.issued - totals.deleted:
        problems.append(f"{code}: held {totals.held} != issued {totals.issued} - deleted {totals.deleted}")
    issuance = AccountType.ISSUANCE.value
    contra = -sum(n for (a, u), n in snapshot.posted.items() if u == code and snapshot.kinds.get(a) == issuance)
    if contra != totals.issued:
        problems.append(f"{code}: issuance postings {contra} != issued {totals.issued}")
    if max((b.end for b in snapshot.blocks if b.unit_type == code), default=0) > totals.issued:
        problems.append(f"{code}: a serial beyond the {totals.issued} issued exists")
    return problems


def _holding_problems(
    snapshot: LedgerSnapshot, account: str, code: str, quantity: int, reserved: int, market_held: int
) -> list[str]:
    problems = []
    if quantity < 0 or reserved < 0 or reserved > quantity:
        problems.append(f"{account} {code}: negative holding {quantity} (reserved {reserved})")
    if market_held < 0 or reserved + market_held > quantity:
        problems.append(f"{account} {code}: the market holds {market_held} of {quantity} ({reserved} reserved)")
    posted = snapshot.posted.get((account, code), 0)
    if posted != quantity:
        problems.append(f"{account} {code}: holding {quantity} != postings {posted}")
    in_blocks = snapshot.in_blocks.get((account, code), 0)
    if in_blocks != quantity or snapshot.reserved.get((account, code), 0) != reserved:
        problems.append(f"{account} {code}: holding {quantity}/{reserved} != serial blocks")
    return problems
