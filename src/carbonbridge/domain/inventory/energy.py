"""1.A fuel combustion: the sectoral approach (Tier 1, IPCC 2006 Vol 2 Ch 2-3) and the reference
approach from apparent consumption (Vol 2 Ch 6), with the comparison table between them.

Fuel NCVs, CO2 factors, oxidation factors and stationary CH4/N2O factors come from the MRV
method pack (IPCC 2006 Vol 2 Tables 1.2, 1.4, 2.2-2.5); road and rail CH4/N2O from the inventory
factor table (Vol 2 Tables 3.2.2 and 3.4.1).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from carbonbridge.domain.errors import Problem, UnknownFactor, ValidationFailed
from carbonbridge.domain.inventory.factors import FactorTable
from carbonbridge.domain.inventory.records import EmissionRecord
from carbonbridge.domain.mrv.factors import MethodPack
from carbonbridge.domain.units import Dimension, to_canonical

# IPCC 2006 category prefix -> pack sector (stationary, Vol 2 Tables 2.2-2.5) or mobile mode.
_STATIONARY = (
    ("1.A.1", "energy_industries"),
    ("1.A.2", "manufacturing"),
    ("1.A.4.a", "commercial"),
    ("1.A.4.b", "residential"),
    ("1.A.4.c", "residential"),  # Table 2.5 covers residential and agriculture/forestry/fishing
)
_MOBILE = (("1.A.3.b", "road"), ("1.A.3.c", "rail"))
SECTORAL_CATEGORIES = tuple(c for c, _ in _STATIONARY) + tuple(c for c, _ in _MOBILE)
CO2_PER_C = 44.0 / 12.0


@dataclass(frozen=True, slots=True)
class FuelUse:
    """Fuel burnt in a sectoral category in a year (energy balance row)."""

    year: int
    category: str
    fuel: str
    amount: float
    unit: str


@dataclass(frozen=True, slots=True)
class FuelSupply:
    """Supply of a primary or secondary fuel in a year (reference approach row), all in `unit`."""

    year: int
    fuel: str
    unit: str
    production: float = 0.0
    imports: float = 0.0
    exports: float = 0.0
    international_bunkers: float = 0.0
    stock_change: float = 0.0  # positive = stock build (reduces apparent consumption)
    non_energy_use: float = 0.0  # carbon excluded: feedstocks, reductants, non-energy products

    @property
    def apparent_consumption(self) -> float:
        """IPCC 2006 Vol 2 Ch 6 Eq 6.1 (apparent consumption of a fuel)."""
        return self.production + self.imports - self.exports - self.international_bunkers - self.stock_change


@dataclass(frozen=True, slots=True)
class ComparisonRow:
    """Reference vs sectoral approach for one fuel (or 'total') and year."""

    year: int
    fuel: str
    reference_tj: float
    reference_co2_t: float
    sectoral_tj: float
    sectoral_co2_t: float

    @property
    def energy_difference_pct(self) -> float:
        return _pct(self.reference_tj, self.sectoral_tj)

    @property
    def co2_difference_pct(self) -> float:
        return _pct(self.reference_co2_t, self.sectoral_co2_t)

    def as_dict(self) -> dict[str, float | int | str | None]:
        """Fields and the two differences (None where the sectoral value is zero)."""
        e, c = self.energy_difference_pct, self.co2_difference_pct
        return {
            "year": self.year,
            "fuel": self.fuel,
            "reference_tj": self.reference_tj,
            "reference_co2_t": self.reference_co2_t,
            "sectoral_tj": self.sectoral_tj,
            "sectoral_co2_t": self.sectoral_co2_t,
            "energy_difference_pct": e if math.isfinite(e) else None,
            "co2_difference_pct": c if math.isfinite(c) else None,
        }


def _pct(reference: float, sectoral: float) -> float:
    return (reference - sectoral) / sectoral * 100.0 if sectoral else math.inf if reference else 0.0


def energy_tj(pack: MethodPack, fuel: str, amount: float, unit: str, year: int) -> tuple[float, str]:
    """(TJ, NCV reference) of an amount of fuel in energy or mass units (mass x NCV, Vol 2 Table 1.2)."""
    dimension, scale = to_canonical(unit)
    if dimension is Dimension.ENERGY:
        return amount * scale, ""
    activity = pack.activity(fuel)
    ncv = pack.require(activity, "ncv", year=year)
    if ncv.per is not dimension:
        raise UnknownFactor(f"the NCV of {fuel} is per {ncv.per}, but the amount is in {unit!r} ({dimension.value})")
    return amount * scale * ncv.value, ncv.ref


def _mode(category: str) -> tuple[str, str]:
    for prefix, sector in _STATIONARY:
        if category == prefix or category.startswith(prefix + "."):
            return "stationary", sector
    for prefix, mode in _MOBILE:
        if category == prefix or category.startswith(prefix + "."):
            return "mobile", mode
    raise UnknownFactor(f"category {category!r} is not a fuel combustion category this compiler covers")


def _row_masses(pack: MethodPack, table: FactorTable, use: FuelUse) -> tuple[float, dict[str, float], list[str]]:
    tj, ncv_ref = energy_tj(pack, use.fuel, use.amount, use.unit, use.year)
    activity = pack.activity(use.fuel)
    kind, sector = _mode(use.category)
    refs = [r for r in (ncv_ref,) if r]
    co2 = pack.require(activity, "ef", gas="CO2", year=use.year)
    oxidation = pack.find(activity, "oxidation_factor", year=use.year)
    of = oxidation.value if oxidation else 1.0
    masses = {"CO2": tj * co2.value * of}
    refs.append(co2.ref)
    for gas in ("CH4", "N2O"):
        if kind == "stationary":
            factor = pack.require(activity, "ef", gas=gas, sector=sector, year=use.year)
            masses[gas] = tj * factor.value
            refs.append(factor.ref)
        else:
            default = table.get(f"mobile_{gas.lower()}_ef", f"{sector}:{use.fuel}")
            masses[gas] = tj * default.value / 1000.0  # kg/TJ -> t/TJ
            refs.append(default.ref)
    return tj, masses, refs


def sectoral_approach(
    uses: Iterable[FuelUse], pack: MethodPack, table: FactorTable
) -> tuple[list[EmissionRecord], dict[tuple[int, str], tuple[float, float]]]:
    """Tier 1 sectoral approach (Vol 2 Ch 2 Eq 2.1; Ch 3 Eq 3.2.1): emissions = fuel (TJ) x default EF.

    Returns records per (category, gas, year) and, for the reference approach comparison, the
    sectoral (TJ, t CO2) per (year, fuel)."""
    parts: dict[tuple[str, str, int], list[float]] = defaultdict(list)
    refs: dict[tuple[str, str, int], set[str]] = defaultdict(set)
    by_fuel: dict[tuple[int, str], list[tuple[float, float]]] = defaultdict(list)
    problems: list[Problem] = []
    for i, use in enumerate(uses):
        try:
            tj, masses, cited = _row_masses(pack, table, use)
        except Exception as exc:
            problems.append(Problem(f"energy row {i + 1} ({use.year} {use.category} {use.fuel}): {exc}"))
            continue
        for gas, mass in masses.items():
            parts[(use.category, gas, use.year)].append(mass)
            refs[(use.category, gas, use.year)].update(cited)
        by_fuel[(use.year, use.fuel)].append((tj, masses["CO2"]))
    if problems:
        raise ValidationFailed(problems)
    records = [
        EmissionRecord(
            cat,
            gas,
            year,
            math.fsum(v),
            "IPCC 2006 Vol 2 sectoral approach",
            "T1",
            "national",
            "; ".join(sorted(refs[(cat, gas, year)])),
        )
        for (cat, gas, year), v in sorted(parts.items())
    ]
    sums = {k: (math.fsum(t for t, _ in v), math.fsum(c for _, c in v)) for k, v in by_fuel.items()}
    return records, sums


def reference_approach(
    supplies: Sequence[FuelSupply], pack: MethodPack, sectoral: dict[tuple[int, str], tuple[float, float]]
) -> list[ComparisonRow]:
    """Reference approach (Vol 2 Ch 6 Eq 6.1): CO2 = sum over fuels of (apparent consumption (TJ)
    - excluded carbon (TJ)) x carbon content x oxidation factor x 44/12, where carbon content x 44/12
    is the Table 1.4 CO2 factor in the pack. One row per fuel and year, plus a 'total' row."""
    rows: list[ComparisonRow] = []
    problems: list[Problem] = []
    for i, s in enumerate(supplies):
        try:
            tj, _ = energy_tj(pack, s.fuel, s.apparent_consumption, s.unit, s.year)
            excluded_tj, _ = energy_tj(pack, s.fuel, s.non_energy_use, s.unit, s.year)
            activity = pack.activity(s.fuel)
            ef = pack.require(activity, "ef", gas="CO2", year=s.year).value
            oxidation = pack.find(activity, "oxidation_factor", year=s.year)
        except Exception as exc:
            problems.append(Problem(f"supply row {i + 1} ({s.year} {s.fuel}): {exc}"))
            continue
        carbon_t = (tj - excluded_tj) * ef / CO2_PER_C
        co2 = carbon_t * (oxidation.value if oxidation else 1.0) * CO2_PER_C
        sa_tj, sa_co2 = sectoral.get((s.year, s.fuel), (0.0, 0.0))
        rows.append(ComparisonRow(s.year, s.fuel, tj - excluded_tj, co2, sa_tj, sa_co2))
    if problems:
        raise ValidationFailed(problems)
    for year in sorted({r.year for r in rows}):
        mine = [r for r in rows if r.year == year]
        # The sectoral total covers every fuel burnt, also fuels missing from the supply table.
        sa = [v for (y, _), v in sectoral.items() if y == year]
        rows.append(
            ComparisonRow(
                year,
                "total",
                math.fsum(r.reference_tj for r in mine),
                math.fsum(r.reference_co2_t for r in mine),
                math.fsum(t for t, _ in sa),
                math.fsum(c for _, c in sa),
            )
        )
    return rows
