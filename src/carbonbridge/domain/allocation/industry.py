"""China's allocation for the sectors added in 2025: steel, cement, aluminium smelting (MEE, Work
Plan for covering steel, cement and aluminium smelting in the national ETS, 26 March 2025; 2024
and 2025 Allocation Plan for these sectors, November 2025).

Two methods, by year (configuration, data/allocation/CN-industry.toml):
- `verified_emissions`: the allocation equals the line's verified emissions (2024, the first
  year; in 2025 also certain cement lines the plan names).
- `intensity`: output x the product's carbon intensity benchmark (2025). Where the plan's figure
  is not public to us the configuration says so, and a calculation that needs it is refused.
Ex ante: the configured share of the previous year's verified emissions (none in 2024, 70 % in
2025), trued up against the final allocation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from carbonbridge.domain.allocation.intensity import whole
from carbonbridge.domain.errors import RuleViolation
from carbonbridge.domain.provenance import ALL_YEARS, Missing, Period, need

METHODS = ("verified_emissions", "intensity")


@dataclass(frozen=True, slots=True)
class Product:
    code: str
    sector: str  # steel, cement, aluminium
    t_co2_per_unit: Decimal | Missing
    unit: str
    source: str


@dataclass(frozen=True, slots=True)
class IndustryRules:
    method: str
    products: Mapping[str, Product]
    equal_to_verified: frozenset[str]  # line kinds allocated their verified emissions under either method
    pre_allocation_share: Decimal | Missing  # of the previous year's verified emissions; 0: none
    source: str
    version: str = ""
    period: Period = ALL_YEARS


@dataclass(frozen=True, slots=True)
class LineOutput:
    """A production line (or process) of a covered installation for one year."""

    line_id: str
    product: str
    output: Decimal  # in the product's unit
    verified_emissions_t: Decimal
    kind: str = ""  # e.g. white_clinker, carbide_slag_over_15pct (lines the plan allocates their emissions)


def allocation_t(line: LineOutput, rules: IndustryRules) -> int:
    """The line's allocation for the year, in whole allowances (rounded down)."""
    product = rules.products.get(line.product)
    if product is None:
        raise RuleViolation("unknown_product", f"{line.line_id}: no product {line.product!r} in {rules.version}")
    if line.output < 0 or line.verified_emissions_t < 0:
        raise RuleViolation("invalid_output", f"{line.line_id}: negative output or emissions")
    if rules.method == "verified_emissions" or line.kind in rules.equal_to_verified:
        return whole(line.verified_emissions_t)
    return whole(line.output * need(product.t_co2_per_unit, rules.version))


def pre_allocation_t(previous_verified_emissions_t: Decimal, rules: IndustryRules) -> int:
    """Ex ante: the configured share of last year's verified emissions (0 where the plan has none)."""
    return whole(previous_verified_emissions_t * need(rules.pre_allocation_share, rules.version))
