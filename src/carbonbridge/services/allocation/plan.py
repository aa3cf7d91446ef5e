"""Cap setting and allocation plans from the jurisdiction's allocation design and production
data. A plan for a year uses the rule version in force for that year and names it on every line
(`rules`). The design is a type (`BenchmarkDesign | IntensityDesign`), matched, never compared as text."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from carbonbridge.adapters.tables import read_typed_rows
from carbonbridge.domain.allocation.benchmark import SubInstallation, allocate_sub_installation
from carbonbridge.domain.allocation.design import BenchmarkDesign, IntensityDesign
from carbonbridge.domain.allocation.intensity import (
    IntensityRules,
    UnitOutput,
    allocation_t,
    heat_supply_factor,
    pre_allocation,
    unit_load_factor,
    whole,
)
from carbonbridge.domain.errors import Problem, RuleViolation, ValidationFailed
from carbonbridge.domain.jurisdiction import Jurisdiction

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
    rules: str = ""  # the rule version used (e.g. cn-power-2019-2020)


def caps(jurisdiction: Jurisdiction, first_year: int, last_year: int) -> list[tuple[int, int]]:
    """The absolute cap of each year (benchmark design only: an intensity cap follows output)."""
    design = jurisdiction.allocation
    if not isinstance(design, BenchmarkDesign):
        raise RuleViolation(
            "intensity_cap", f"{jurisdiction.code} sets its cap from output: run 'allocate plan' with outputs"
        )
    if last_year < first_year or last_year - first_year > 100:
        raise ValidationFailed([Problem("give 0-100 years, first <= last", field="years")])
    return [(year, design.cap.cap(year)) for year in range(first_year, last_year + 1)]


def plan(jurisdiction: Jurisdiction, path: Path, year: int | None = None) -> list[PlanLine]:
    """Free allocation per installation (benchmark) or per unit (intensity) from a table, under
    the rules in force for `year` (the latest version when no year is given)."""
    try:
        match jurisdiction.allocation:
            case BenchmarkDesign() as benchmark:
                return _benchmark_plan(benchmark, path, year)
            case IntensityDesign() as intensity:
                return _intensity_plan(intensity, path, year)
    except RuleViolation as exc:
        raise ValidationFailed([Problem(str(exc), str(path))]) from None


def _benchmark_plan(design: BenchmarkDesign, path: Path, year: int | None) -> list[PlanLine]:
    rules = design.rules(year)
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
                rules.version,
            )
        )
    return lines


def _intensity_plan(design: IntensityDesign, path: Path, year: int | None) -> list[PlanLine]:
    rules = design.rules(year)
    following = design.rules(None if year is None else year + 1)
    lines = []
    for row in read_typed_rows(path, INTENSITY_COLUMNS, optional=INTENSITY_DEFAULTS):
        output = UnitOutput(**row)  # type: ignore[arg-type]
        exact = allocation_t(output, rules)
        pre, note = _pre_allocation_or_note(output, following)
        lines.append(
            PlanLine(
                output.unit_id,
                output.unit_type,
                whole(exact),
                pre,
                f"exact {exact:.3f} t; heat-supply factor {heat_supply_factor(output, rules)}; "
                f"load factor {unit_load_factor(output, rules)}{note}",
                rules.unit_types[output.unit_type].source,
                rules.version,
            )
        )
    return lines


def _pre_allocation_or_note(output: UnitOutput, rules: IntensityRules) -> tuple[int | None, str]:
    """Next year's pre-allocation under next year's rules, or a note when they lack a figure."""
    try:
        return pre_allocation(output, rules), ""
    except RuleViolation as exc:
        if exc.code != "value_not_configured":
            raise
        return None, f"; next year's pre-allocation not computed ({exc})"


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
    rules: str = ""  # the rule version in force for the year

    @property
    def delivered_t(self) -> int:
        return sum(p.delivered_t for p in self.postings)


def rules_version(jurisdiction: Jurisdiction, year: int) -> str:
    """The id of the allocation rule version in force for `year`."""
    return jurisdiction.allocation.rules(year).version


def entitlements(
    jurisdiction: Jurisdiction, path: Path, phase: str, year: int | None = None
) -> dict[str, tuple[int, str]]:
    """Allocation per installation and its basis for `year`: ex ante, the benchmark allocation (EU)
    or the pre-allocated share of the previous year's output (China, under `year`'s rules); at
    true-up, the final allocation."""
    design = jurisdiction.allocation
    if phase == EX_ANTE and isinstance(design, IntensityDesign):
        rows = [(line.holder, line.basis, line.allocation_t) for line in _ex_ante_lines(design, path, year)]
    else:
        rows = [(line.holder, line.basis, line.allocation_t) for line in plan(jurisdiction, path, year)]
    totals: dict[str, tuple[int, str]] = {}
    for holder, line_basis, value in rows:
        before, basis = totals.get(holder, (0, ""))
        totals[holder] = (before + value, "+".join(b for b in (basis, line_basis) if b))
    return totals


def _ex_ante_lines(design: IntensityDesign, path: Path, year: int | None) -> list[PlanLine]:
    """China style: the pre-allocation of `year` from the previous year's output in the table."""
    rules = design.rules(year)
    lines = []
    try:
        for row in read_typed_rows(path, INTENSITY_COLUMNS, optional=INTENSITY_DEFAULTS):
            output = UnitOutput(**row)  # type: ignore[arg-type]
            pre = pre_allocation(output, rules)
            source = rules.unit_types[output.unit_type].source
            lines.append(PlanLine(output.unit_id, output.unit_type, pre, None, "pre-allocation", source, rules.version))
    except RuleViolation as exc:
        raise ValidationFailed([Problem(str(exc), str(path))]) from None
    return lines
