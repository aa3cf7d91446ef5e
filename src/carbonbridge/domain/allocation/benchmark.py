"""Benchmark-based free allocation, EU style (Commission Delegated Regulation (EU) 2019/331,
'FAR', Art. 16; Directive 2003/87/EC Art. 10a).

Per sub-installation: preliminary = benchmark x historical activity level (Art. 16(1));
final = preliminary x carbon leakage exposure factor (CLEF: 1 for sectors deemed exposed,
Directive Art. 10b; 0.3 otherwise until 2026) x cross-sectoral correction factor (CSCF,
Art. 10a(5)). Rounded down to whole allowances: never more than the rule gives. Benchmark values
are versioned by period (Implementing Regulation (EU) 2021/447 for 2021-2025, (EU) 2026/1412 for
2026-2030); the version in force for the allocation year is used and named on every line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from carbonbridge.domain.errors import RuleViolation
from carbonbridge.domain.provenance import ALL_YEARS, Missing, Period, need


@dataclass(frozen=True, slots=True)
class ProductBenchmark:
    product: str
    allowances_per_unit: Decimal | Missing
    unit: str
    source: str


@dataclass(frozen=True, slots=True)
class SubInstallation:
    installation_id: str
    product: str
    historical_activity_level: Decimal  # in the benchmark's unit, e.g. t clinker a year
    carbon_leakage_exposed: bool


@dataclass(frozen=True, slots=True)
class BenchmarkRules:
    benchmarks: Mapping[str, ProductBenchmark]
    clef_exposed: Decimal | Missing
    clef_not_exposed: Decimal | Missing
    cscf: Decimal | Missing
    version: str = ""
    period: Period = ALL_YEARS


@dataclass(frozen=True, slots=True)
class AllocationLine:
    installation_id: str
    product: str
    preliminary: Decimal
    clef: Decimal
    cscf: Decimal
    allocation_t: int
    source: str
    version: str = ""


def allocate_sub_installation(sub: SubInstallation, rules: BenchmarkRules) -> AllocationLine:
    benchmark = rules.benchmarks.get(sub.product)
    if benchmark is None:
        raise RuleViolation("no_benchmark", f"no product benchmark for {sub.product!r}")
    if sub.historical_activity_level < 0:
        raise RuleViolation("negative_activity", f"historical activity level of {sub.installation_id} is negative")
    preliminary = need(benchmark.allowances_per_unit, rules.version) * sub.historical_activity_level
    clef = need(rules.clef_exposed if sub.carbon_leakage_exposed else rules.clef_not_exposed, rules.version)
    cscf = need(rules.cscf, rules.version)
    final = (preliminary * clef * cscf).to_integral_value(rounding=ROUND_FLOOR)
    return AllocationLine(
        sub.installation_id, sub.product, preliminary, clef, cscf, int(final), benchmark.source, rules.version
    )


def allocate(subs: Sequence[SubInstallation], rules: BenchmarkRules) -> dict[str, int]:
    """Free allocation per installation: the sum over its sub-installations."""
    totals: dict[str, int] = {}
    for sub in subs:
        line = allocate_sub_installation(sub, rules)
        totals[line.installation_id] = totals.get(line.installation_id, 0) + line.allocation_t
    return totals


def uniform_cscf(preliminary_total_t: Decimal, available_for_free_allocation_t: Decimal) -> Decimal:
    """Directive Art. 10a(5): if preliminary free allocation exceeds what the cap leaves for it,
    all allocations are scaled by the same factor; otherwise the factor is 1."""
    if preliminary_total_t <= 0 or preliminary_total_t <= available_for_free_allocation_t:
        return Decimal(1)
    return available_for_free_allocation_t / preliminary_total_t
