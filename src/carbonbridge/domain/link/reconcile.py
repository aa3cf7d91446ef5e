"""Reconciliation of two linked registries in three phases (after the UK ETS Registry and the
EU-CH linking rules): 1 totals per account type, unit type and vintage; 2 the serial blocks of the
unit types whose totals differ; 3 the audit trail (link transfers) of the blocks that differ.

What must agree: for units of origin O, the units O's registry holds in its link account for the
partner P (the units that left O) equal the units of O that P's registry holds outside its link
account for O (the units that arrived), in every account type including deletion."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from carbonbridge.domain.link.agreement import origin_of
from carbonbridge.domain.link.serials import Range, difference, intersects, merge


class ReconciliationStatus(StrEnum):
    PENDING = "pending"  # link transfers in flight on either side: compare once they are final
    COMPLETED = "completed"
    INCONSISTENT = "inconsistent"
    MANUAL_INTERVENTION = "manual_intervention"  # a transfer awaits an administrator's decision


@dataclass(frozen=True, slots=True)
class TransferTrail:
    transaction_id: str
    direction: str  # "out" | "in"
    unit_type: str
    state: str
    blocks: tuple[Range, ...]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One registry's side. `totals`: (account type, unit type, vintage) -> units, over accounts
    other than the link account and the issuance account; `link_totals`: unit type -> units in the
    link account for the partner; blocks likewise (merged ranges)."""

    jurisdiction: str
    totals: Mapping[tuple[str, str, int], int]
    link_totals: Mapping[str, int]
    blocks: Mapping[str, tuple[Range, ...]]  # outside the link account
    link_blocks: Mapping[str, tuple[Range, ...]]
    in_flight: int  # outgoing link transfers sent and not final
    manual: int  # link transfers awaiting an administrator
    trail: tuple[TransferTrail, ...] = ()


@dataclass(frozen=True, slots=True)
class Difference:
    unit_type: str
    left_abroad: int  # per the origin registry's link account
    arrived: int  # per the partner registry, outside its link account
    only_at_origin_link: tuple[Range, ...] = ()  # serials that left but did not arrive
    only_at_partner: tuple[Range, ...] = ()  # serials that arrived but did not leave
    trail: tuple[TransferTrail, ...] = ()


@dataclass(frozen=True, slots=True)
class Result:
    status: ReconciliationStatus
    phase: int  # the last phase run
    compared: Mapping[str, int]  # unit type -> units that crossed (agreed)
    differences: tuple[Difference, ...] = ()
    totals_by_account_type: Mapping[str, Mapping[str, int]] = field(default_factory=dict)


def _arrived_totals(side: Snapshot) -> dict[str, int]:
    out: dict[str, int] = {}
    for (_, unit_type, _), units in side.totals.items():
        out[unit_type] = out.get(unit_type, 0) + units
    return out


def reconcile(a: Snapshot, b: Snapshot) -> Result:
    """Compare the two sides. Pending while anything is in flight; manual intervention while an
    administrator must decide; else phase 1, and phases 2 and 3 only for unit types that differ."""
    if a.manual or b.manual:
        return Result(ReconciliationStatus.MANUAL_INTERVENTION, 0, {})
    if a.in_flight or b.in_flight:
        return Result(ReconciliationStatus.PENDING, 0, {})
    by_type = {
        s.jurisdiction: {
            f"{t}/{u}/{v}": n for (t, u, v), n in sorted(s.totals.items()) if origin_of(u) != s.jurisdiction
        }
        for s in (a, b)
    }
    compared: dict[str, int] = {}
    differing: list[tuple[Snapshot, Snapshot, str]] = []
    for origin, partner in ((a, b), (b, a)):
        arrived = _arrived_totals(partner)
        units = {u for u in origin.link_totals if origin_of(u) == origin.jurisdiction}
        units |= {u for u in arrived if origin_of(u) == origin.jurisdiction}
        for unit_type in sorted(units):
            left, came = origin.link_totals.get(unit_type, 0), arrived.get(unit_type, 0)
            if left == came:
                compared[unit_type] = left
            else:
                differing.append((origin, partner, unit_type))
    if not differing:
        return Result(ReconciliationStatus.COMPLETED, 1, compared, (), by_type)
    differences = []
    for origin, partner, unit_type in differing:
        left_blocks = origin.link_blocks.get(unit_type, ())
        arrived_blocks = partner.blocks.get(unit_type, ())
        only_left = tuple(difference(left_blocks, arrived_blocks))
        only_arrived = tuple(difference(arrived_blocks, left_blocks))
        bad = merge([*only_left, *only_arrived])
        trail = tuple(
            t
            for t in (*origin.trail, *partner.trail)
            if t.unit_type == unit_type and any(intersects(r, bad) for r in t.blocks)
        )
        differences.append(
            Difference(
                unit_type,
                origin.link_totals.get(unit_type, 0),
                _arrived_totals(partner).get(unit_type, 0),
                only_left,
                only_arrived,
                trail,
            )
        )
    return Result(ReconciliationStatus.INCONSISTENT, 3, compared, tuple(differences), by_type)


def blocks_by_unit(rows: Sequence[tuple[str, int, int]]) -> dict[str, tuple[Range, ...]]:
    grouped: dict[str, list[Range]] = {}
    for unit_type, start, end in rows:
        grouped.setdefault(unit_type, []).append((start, end))
    return {u: tuple(merge(r)) for u, r in grouped.items()}
