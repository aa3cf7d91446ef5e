"""Cap setting and allocation plans from configuration and production data."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from carbonbridge.adapters.allocation_config import (
    allocation_design,
    load_benchmark_config,
    load_intensity_config,
)
from carbonbridge.adapters.tables import read_typed_rows
from carbonbridge.domain.allocation.benchmark import SubInstallation, allocate_sub_installation
from carbonbridge.domain.allocation.intensity import UnitOutput, allocation_t, load_factor, pre_allocation, whole
from carbonbridge.domain.errors import Problem, RuleViolation, ValidationFailed

BENCHMARK_COLUMNS: dict[str, type] = {
    "installation_id": str,
    "product": str,
    "historical_activity_level": Decimal,
    "carbon_leakage_exposed": bool,
}
INTENSITY_COLUMNS: dict[str, type] = {
    "unit_id": str,
    "unit_type": str,
    "electricity_mwh": Decimal,
    "heat_gj": Decimal,
    "cooling": str,
    "heat_supply_ratio": Decimal,
    "load_rate": Decimal,
}
INTENSITY_DEFAULTS: dict[str, object] = {
    "heat_gj": Decimal(0),
    "cooling": "water",
    "heat_supply_ratio": Decimal(0),
    "load_rate": Decimal(1),
}


@dataclass(frozen=True, slots=True)
class PlanLine:
    holder: str  # installation or unit
    basis: str  # product or unit type
    allocation_t: int
    pre_allocation_next_year_t: int | None
    detail: str
    source: str


def caps(code: str, first_year: int, last_year: int) -> list[tuple[int, int]]:
    """The absolute cap of each year (benchmark design only: an intensity cap follows output)."""
    if allocation_design(code) != "benchmark":
        raise RuleViolation("intensity_cap", f"{code} sets its cap from output: run 'allocate plan' with outputs")
    if last_year < first_year or last_year - first_year > 100:
        raise ValidationFailed([Problem("give 0-100 years, first <= last", field="years")])
    cap, _ = load_benchmark_config(code)
    return [(year, cap.cap(year)) for year in range(first_year, last_year + 1)]


def plan(code: str, path: Path) -> list[PlanLine]:
    """Free allocation per installation (benchmark) or per unit (intensity) from a table."""
    try:
        if allocation_design(code) == "benchmark":
            return _benchmark_plan(code, path)
        return _intensity_plan(code, path)
    except RuleViolation as exc:
        raise ValidationFailed([Problem(str(exc), str(path))]) from None


def _benchmark_plan(code: str, path: Path) -> list[PlanLine]:
    _, rules = load_benchmark_config(code)
    lines = []
    for row in read_typed_rows(path, BENCHMARK_COLUMNS):
        sub = SubInstallation(
            str(row["installation_id"]),
            str(row["product"]),
            Decimal(str(row["historical_activity_level"])),
            bool(row["carbon_leakage_exposed"]),
        )
        line = allocate_sub_installation(sub, rules)
        lines.append(
            PlanLine(
                line.installation_id,
                line.product,
                line.allocation_t,
                None,
                f"{line.preliminary} x CLEF {line.clef} x CSCF {line.cscf}",
                line.source,
            )
        )
    return lines


def _intensity_plan(code: str, path: Path) -> list[PlanLine]:
    rules = load_intensity_config(code)
    lines = []
    for row in read_typed_rows(path, INTENSITY_COLUMNS, optional=INTENSITY_DEFAULTS):
        output = UnitOutput(**row)  # type: ignore[arg-type]
        exact = allocation_t(output, rules)
        lines.append(
            PlanLine(
                output.unit_id,
                output.unit_type,
                whole(exact),
                pre_allocation(output, rules),
                f"exact {exact:.3f} t; load factor {load_factor(output.load_rate, rules)}",
                rules.unit_types[output.unit_type].source,
            )
        )
    return lines


# --- posting allocations to the registry -------------------------------------------------------

EX_ANTE, TRUE_UP = "ex_ante", "true_up"


@dataclass(frozen=True, slots=True)
class Posting:
    """What an allocation decision did for one installation-year and phase."""

    installation_id: str
    phase: str
    basis: str
    allocation_t: int  # change of the allocation (true-up: final - allocated so far)
    delivered_t: int  # units moved: allocated (+) or taken back (-)
    deducted_t: int  # a previous year's shortfall withheld from the delivery
    debt_t: int  # excess the take-back could not find in the account


@dataclass(frozen=True, slots=True)
class AllocationRun:
    jurisdiction: str
    year: int
    phase: str
    unit_type: str
    cap_t: int  # the unit type's cap after the run
    intensity_cap_t: int | None  # China style: sum of final allocations (true-up)
    postings: list[Posting]

    @property
    def delivered_t(self) -> int:
        return sum(p.delivered_t for p in self.postings)


def entitlements(code: str, path: Path, phase: str) -> dict[str, tuple[int, str]]:
    """Allocation per installation and its basis: ex ante, the benchmark allocation (EU) or the
    pre-allocated share of the previous year's output (China); at true-up, the final allocation."""
    totals: dict[str, tuple[int, str]] = {}
    for line in plan(code, path):
        value = line.allocation_t
        if phase == EX_ANTE and line.pre_allocation_next_year_t is not None:
            value = line.pre_allocation_next_year_t
        before, basis = totals.get(line.holder, (0, ""))
        totals[line.holder] = (before + value, "+".join(b for b in (basis, line.basis) if b))
    return totals
