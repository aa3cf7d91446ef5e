"""Intensity-based allocation for power units, China style (MEE implementation plans for cap
setting and allowance allocation, power generation: 2019-2020, 2021-2022, 2023-2024).

allocation = electricity (MWh) x electricity benchmark x cooling factor x heat-supply factor
             x load factor  +  heat (GJ) x heat benchmark
The heat-supply factor is 1 - coefficient x heat supply ratio, with one coefficient per fuel
(coal, gas). The load (output) factor corrects by load-rate band and only for unit types the plan
names (conventional coal units); other units get 1. The cap is the sum of the allocations. A share
(70 %) is pre-allocated ex ante from the previous year's output; the true-up against verified
output issues the rest or takes back the excess. Obligation caps: a gas unit surrenders no more
than it was allocated; the shortfall of a unit is capped at a share of its verified emissions.
Every number is configuration (data/allocation/CN.toml), chosen by the year it is in force.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from carbonbridge.domain.errors import RuleViolation
from carbonbridge.domain.provenance import ALL_YEARS, Missing, Period, need

Value = Decimal | Missing


@dataclass(frozen=True, slots=True)
class UnitType:
    code: str
    electricity_t_per_mwh: Value
    heat_t_per_gj: Value
    obligation: str  # "capped_at_allocation" (gas) or "shortfall_cap" (coal) or "full"
    source: str
    fuel: str = "coal"  # selects the heat-supply coefficient
    load_correction: bool = False  # the plan's load (output) correction applies to this unit type


@dataclass(frozen=True, slots=True)
class LoadBand:
    """Load factor for load rates F in [lower, upper). Linear: a + b x (pivot - 100 F);
    power: a ** (pivot - b x F) (the 2019-2020 plan's band below 75 %: 1.015^(16 - 20F))."""

    lower: Decimal
    upper: Decimal
    a: Decimal
    b: Decimal
    pivot: Decimal
    kind: str = "linear"

    def factor(self, load_rate: Decimal) -> Decimal:
        if self.kind == "power":
            return self.a ** (self.pivot - self.b * load_rate)
        return self.a + self.b * (self.pivot - Decimal(100) * load_rate)


@dataclass(frozen=True, slots=True)
class IntensityRules:
    unit_types: Mapping[str, UnitType]
    cooling: Mapping[str, Value]
    heat_supply: Mapping[str, Value]  # fuel -> coefficient: factor = 1 - coefficient x heat supply ratio
    load_bands: tuple[LoadBand, ...]
    pre_allocation_share: Value
    shortfall_cap_share: Value  # obligation <= allocation + share x verified emissions
    source: str
    version: str = ""
    period: Period = ALL_YEARS


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
    """The load band's factor for a load rate (1 above the bands), whatever the unit type."""
    for band in rules.load_bands:
        if band.lower <= load_rate < band.upper:
            return band.factor(load_rate)
    return Decimal(1)


def unit_load_factor(output: UnitOutput, rules: IntensityRules) -> Decimal:
    """The load factor of a unit: the band's factor for the unit types the plan corrects, else 1."""
    unit_type = _unit_type(output, rules)
    return load_factor(output.load_rate, rules) if unit_type.load_correction else Decimal(1)


def heat_supply_factor(output: UnitOutput, rules: IntensityRules) -> Decimal:
    unit_type = _unit_type(output, rules)
    if unit_type.fuel not in rules.heat_supply:
        raise RuleViolation("unknown_fuel", f"{rules.version}: no heat-supply coefficient for {unit_type.fuel!r}")
    coefficient = need(rules.heat_supply[unit_type.fuel], rules.version)
    return Decimal(1) - coefficient * output.heat_supply_ratio


def _unit_type(output: UnitOutput, rules: IntensityRules) -> UnitType:
    unit_type = rules.unit_types.get(output.unit_type)
    if unit_type is None:
        raise RuleViolation("unknown_unit_type", f"{output.unit_id}: unknown unit type {output.unit_type!r}")
    return unit_type


def allocation_t(output: UnitOutput, rules: IntensityRules) -> Decimal:
    """Exact (unrounded) allocation of a unit for an output."""
    unit_type = _unit_type(output, rules)
    if output.cooling not in rules.cooling:
        raise RuleViolation("unknown_cooling", f"{output.unit_id}: unknown cooling {output.cooling!r}")
    if output.electricity_mwh < 0 or output.heat_gj < 0 or not (0 <= output.heat_supply_ratio <= 1):
        raise RuleViolation("invalid_output", f"{output.unit_id}: negative output or heat supply ratio outside 0-1")
    electricity = (
        output.electricity_mwh
        * need(unit_type.electricity_t_per_mwh, rules.version)
        * need(rules.cooling[output.cooling], rules.version)
        * heat_supply_factor(output, rules)
        * unit_load_factor(output, rules)
    )
    return electricity + output.heat_gj * need(unit_type.heat_t_per_gj, rules.version)


def whole(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


def pre_allocation(previous_year: UnitOutput, rules: IntensityRules) -> int:
    """Ex ante: the configured share of the allocation the previous year's output would give."""
    return whole(allocation_t(previous_year, rules) * need(rules.pre_allocation_share, rules.version))


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
        share = need(rules.shortfall_cap_share, rules.version)
        ceiling = allocated_t + whole(share * verified_emissions_t)
        return min(verified_emissions_t, ceiling)
    return verified_emissions_t


def cap_t(outputs: Sequence[UnitOutput], rules: IntensityRules) -> int:
    """The intensity cap: the sum of the units' allocations, each rounded down."""
    return sum(whole(allocation_t(o, rules)) for o in outputs)
