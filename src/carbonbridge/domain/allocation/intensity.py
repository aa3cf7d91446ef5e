"""Intensity-based allocation for power units, China style (MEE 2019-2020 Implementation Plan
for cap setting and allowance allocation, power generation, December 2020, and its successors).

allocation = electricity (MWh) x electricity benchmark x cooling factor x heat-supply factor
             x load factor  +  heat (GJ) x heat benchmark
The cap is the sum of the allocations. A share (70 %) is pre-allocated ex ante from the
previous year's output; the true-up against verified output issues the rest or takes back
the excess. Obligation caps: a gas unit surrenders no more than it was allocated; a coal
unit's obligation is at most its allocation plus 20 % of its verified emissions.
Every number here is configuration (data/allocation/CN.toml), not code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from carbonbridge.domain.errors import RuleViolation


@dataclass(frozen=True, slots=True)
class UnitType:
    code: str
    electricity_t_per_mwh: Decimal
    heat_t_per_gj: Decimal
    obligation: str  # "capped_at_allocation" (gas) or "shortfall_cap" (coal)
    source: str


@dataclass(frozen=True, slots=True)
class LoadBand:
    """Load factor correction for load rates in [lower, upper): a + b x (pivot - 100 x load)."""

    lower: Decimal
    upper: Decimal
    a: Decimal
    b: Decimal
    pivot: Decimal


@dataclass(frozen=True, slots=True)
class IntensityRules:
    unit_types: Mapping[str, UnitType]
    cooling: Mapping[str, Decimal]
    heat_supply_coefficient: Decimal  # heat-supply factor = 1 - coefficient x heat supply ratio
    load_bands: tuple[LoadBand, ...]
    pre_allocation_share: Decimal
    shortfall_cap_share: Decimal  # coal: obligation <= allocation + share x verified emissions
    source: str


@dataclass(frozen=True, slots=True)
class UnitOutput:
    unit_id: str
    unit_type: str
    electricity_mwh: Decimal
    heat_gj: Decimal = Decimal(0)
    cooling: str = "water"
    heat_supply_ratio: Decimal = Decimal(0)
    load_rate: Decimal = Decimal(1)


def load_factor(load_rate: Decimal, rules: IntensityRules) -> Decimal:
    for band in rules.load_bands:
        if band.lower <= load_rate < band.upper:
            return band.a + band.b * (band.pivot - Decimal(100) * load_rate)
    return Decimal(1)


def allocation_t(output: UnitOutput, rules: IntensityRules) -> Decimal:
    """Exact (unrounded) allocation of a unit for an output."""
    unit_type = rules.unit_types.get(output.unit_type)
    if unit_type is None:
        raise RuleViolation("unknown_unit_type", f"{output.unit_id}: unknown unit type {output.unit_type!r}")
    if output.cooling not in rules.cooling:
        raise RuleViolation("unknown_cooling", f"{output.unit_id}: unknown cooling {output.cooling!r}")
    if output.electricity_mwh < 0 or output.heat_gj < 0 or not (0 <= output.heat_supply_ratio <= 1):
        raise RuleViolation("invalid_output", f"{output.unit_id}: negative output or heat supply ratio outside 0-1")
    heat_factor = Decimal(1) - rules.heat_supply_coefficient * output.heat_supply_ratio
    electricity = (
        output.electricity_mwh
        * unit_type.electricity_t_per_mwh
        * rules.cooling[output.cooling]
        * heat_factor
        * load_factor(output.load_rate, rules)
    )
    return electricity + output.heat_gj * unit_type.heat_t_per_gj


def whole(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


def pre_allocation(previous_year: UnitOutput, rules: IntensityRules) -> int:
    """Ex ante: the configured share of the allocation the previous year's output would give."""
    return whole(allocation_t(previous_year, rules) * rules.pre_allocation_share)


@dataclass(frozen=True, slots=True)
class TrueUp:
    unit_id: str
    final_allocation_t: int
    pre_allocated_t: int

    @property
    def delta_t(self) -> int:
        """Positive: allowances still to issue; negative: allowances to take back (or a debt)."""
        return self.final_allocation_t - self.pre_allocated_t


def true_up(verified_output: UnitOutput, pre_allocated_t: int, rules: IntensityRules) -> TrueUp:
    return TrueUp(verified_output.unit_id, whole(allocation_t(verified_output, rules)), pre_allocated_t)


def obligation_t(unit_type: str, verified_emissions_t: int, allocated_t: int, rules: IntensityRules) -> int:
    """Units the unit must surrender, after the configured obligation caps."""
    kind = rules.unit_types[unit_type].obligation
    if kind == "capped_at_allocation":
        return min(verified_emissions_t, allocated_t)
    if kind == "shortfall_cap":
        ceiling = allocated_t + whole(rules.shortfall_cap_share * verified_emissions_t)
        return min(verified_emissions_t, ceiling)
    return verified_emissions_t


def cap_t(outputs: Sequence[UnitOutput], rules: IntensityRules) -> int:
    """The intensity cap: the sum of the units' allocations, each rounded down."""
    return sum(whole(allocation_t(o, rules)) for o in outputs)
