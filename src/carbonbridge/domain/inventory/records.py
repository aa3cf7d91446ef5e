"""Inventory records: by-gas masses per IPCC 2006 category and year, with their provenance.

CO2e is never stored: `co2e_t` recomputes it from the mass under any GWP set that
`carbonbridge.domain.gwp` supports. Categories are codes of the climate-categories
`IPCC2006` categorisation; LULUCF is 3.B (Land) and 3.D.1 (harvested wood products).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from carbonbridge.domain.errors import Problem, ValidationFailed
from carbonbridge.domain.gwp import gwp

CATEGORISATION = "IPCC2006"
SECTORS: dict[str, str] = {
    "1": "Energy",
    "2": "Industrial processes and product use",
    "3": "Agriculture, forestry and other land use",
    "4": "Waste",
    "5": "Other",
}
LULUCF_PREFIXES = ("3.B", "3.D.1")
MAIN_GASES = ("CO2", "CH4", "N2O")


@dataclass(frozen=True, slots=True)
class EmissionRecord:
    """Mass of one gas (t) emitted (+) or removed (-) by a category in a year, and how it was made."""

    category: str
    gas: str
    year: int
    mass_t: float
    method: str = "input"
    tier: str = ""
    source: str = "national"  # national activity data | mrv | input
    factor: str = ""

    def co2e_t(self, gwp_set: str) -> float:
        return self.mass_t * gwp(self.gas, gwp_set)


@cache
def _categorisation() -> Any:
    import climate_categories

    return climate_categories.IPCC2006


def category_title(code: str) -> str:
    return str(_categorisation()[code].title)


def is_category(code: str) -> bool:
    try:
        _categorisation()[code]
    except KeyError:
        return False
    return True


def canonical_code(code: str) -> str:
    """The dotted spelling ('1A1' -> '1.A.1'); KeyError for an unknown category."""
    return str(_categorisation()[code].codes[0])


@cache
def ancestors(code: str) -> tuple[str, ...]:
    """Every ancestor of `code` in the IPCC 2006 hierarchy, '0' (national total) included."""
    found = _categorisation().ancestors(code)
    return tuple(sorted(str(c.codes[0]) for c in found))


def is_lulucf(code: str) -> bool:
    return any(code == p or code.startswith(p + ".") for p in LULUCF_PREFIXES)


def sector_of(code: str) -> str:
    return code.split(".", 1)[0]


def gas_group(gas: str) -> str:
    """Reporting column of a gas: CO2, CH4, N2O, HFCs, PFCs, SF6, NF3."""
    upper = gas.upper().replace("-", "")
    if upper.startswith("HFC"):
        return "HFCs"
    if upper.startswith("PFC") or upper in ("CF4", "C2F6", "C3F8", "CC4F8", "C4F10", "C5F12", "C6F14"):
        return "PFCs"
    return gas


def validate(records: Iterable[EmissionRecord], gwp_set: str = "AR5GWP100") -> tuple[EmissionRecord, ...]:
    """Check every record (known category, gas with a GWP, finite mass, emissions not negative
    outside LULUCF, no duplicate category/gas/year) and report all problems together. Returns the
    records with categories in their dotted spelling."""
    problems: list[Problem] = []
    seen: set[tuple[str, str, int]] = set()
    out: list[EmissionRecord] = []
    for i, rec in enumerate(records):
        where = f"record {i + 1} ({rec.category}/{rec.gas}/{rec.year})"
        if not is_category(rec.category):
            problems.append(Problem(f"{where}: unknown IPCC 2006 category {rec.category!r}", field="category"))
            continue
        if canonical_code(rec.category) != rec.category:  # '1A1' -> '1.A.1', one spelling per category
            rec = replace(rec, category=canonical_code(rec.category))
        try:
            gwp(rec.gas, gwp_set)
        except Exception as exc:
            problems.append(Problem(f"{where}: {exc}", field="gas"))
        if not math.isfinite(rec.mass_t):
            problems.append(Problem(f"{where}: mass is not a finite number", field="mass_t"))
        elif rec.mass_t < 0 and not is_lulucf(rec.category):
            problems.append(Problem(f"{where}: negative emissions outside LULUCF", field="mass_t"))
        key = (rec.category, rec.gas, rec.year)
        if key in seen:
            problems.append(Problem(f"{where}: duplicate category, gas and year", field="category"))
        seen.add(key)
        out.append(rec)
    if problems:
        raise ValidationFailed(problems)
    return tuple(out)


def years(records: Iterable[EmissionRecord]) -> list[int]:
    return sorted({r.year for r in records})


def total_co2e_t(records: Iterable[EmissionRecord], year: int, gwp_set: str, *, with_lulucf: bool = False) -> float:
    """National total in t CO2e for a year, without LULUCF unless asked."""
    return math.fsum(
        r.co2e_t(gwp_set) for r in records if r.year == year and (with_lulucf or not is_lulucf(r.category))
    )


def by_category_gas(
    records: Iterable[EmissionRecord], year: int, gwp_set: str, *, with_lulucf: bool = True
) -> dict[tuple[str, str], float]:
    """t CO2e per (category, gas) in a year; the unit of key category analysis."""
    out: dict[tuple[str, str], list[float]] = defaultdict(list)
    for r in records:
        if r.year == year and (with_lulucf or not is_lulucf(r.category)):
            out[(r.category, r.gas)].append(r.co2e_t(gwp_set))
    return {k: math.fsum(v) for k, v in sorted(out.items())}


def aggregate(records: Sequence[EmissionRecord], gwp_set: str | None = None) -> dict[tuple[str, str, int], float]:
    """Sum records up the hierarchy: (category or ancestor, gas or gas group, year) -> t (or t CO2e
    under `gwp_set`, with gas 'CO2e' added). Ancestor '0' is the total with LULUCF; 'M.0.EL' the
    total without LULUCF."""
    parts: dict[tuple[str, str, int], list[float]] = defaultdict(list)
    for r in records:
        value = r.co2e_t(gwp_set) if gwp_set else r.mass_t
        targets = (r.category, *ancestors(r.category))
        if not is_lulucf(r.category):
            targets = (*targets, "M.0.EL")
        gases = {r.gas, gas_group(r.gas)}
        if gwp_set:
            gases.add("CO2e")
        for cat in targets:
            for gas in gases:
                parts[(cat, gas, r.year)].append(value)
    return {k: math.fsum(v) for k, v in parts.items()}
