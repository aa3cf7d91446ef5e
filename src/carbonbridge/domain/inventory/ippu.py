"""2.A.1 cement, 2.A.2 lime, 2.B.1 ammonia, 2.B.2 nitric acid (IPCC 2006 Vol 3 Ch 2-3, Tier 1),
with the defaults of the MRV method pack (Vol 3 Eq 2.4, Table 2.4, Eq 2.8, Tables 3.1 and 3.3)."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from carbonbridge.domain.errors import Problem, ValidationFailed
from carbonbridge.domain.inventory.records import EmissionRecord
from carbonbridge.domain.mrv.factors import MethodPack

PRODUCT_CATEGORIES = {"clinker": "2.A.1", "lime": "2.A.2", "ammonia": "2.B.1", "nitric_acid": "2.B.2"}
CO2_PER_C = 44.0 / 12.0


@dataclass(frozen=True, slots=True)
class Production:
    """Output of an industrial product in a year, t (clinker for cement, 100 % HNO3 for nitric acid)."""

    year: int
    product: str
    quantity_t: float
    technology: str = ""
    urea_co2_recovered_t: float = 0.0  # ammonia only: CO2 recovered for urea (Vol 3 Eq 3.1, R_urea)


def _masses(pack: MethodPack, p: Production) -> tuple[str, float, str]:
    activity = pack.activity(p.product)
    tech = p.technology
    if p.product in ("clinker", "lime"):
        # Cement: Vol 3 Eq 2.1/2.4, clinker x EF_clk (0.52 incl. CKD); lime: Eq 2.8, lime x EF_lime.
        ef = pack.require(activity, "ef", gas="CO2", technology=tech, year=p.year)
        return "CO2", p.quantity_t * ef.value, ef.ref
    if p.product == "ammonia":
        # Vol 3 Eq 3.1: E = AP x FR x CCF x COF x 44/12 - R_urea
        fr = pack.require(activity, "fuel_requirement", technology=tech, year=p.year)
        ccf = pack.require(activity, "carbon_content", technology=tech, year=p.year)
        cof = pack.find(activity, "oxidation_factor", technology=tech, year=p.year)
        co2 = p.quantity_t * fr.value * ccf.value * (cof.value if cof else 1.0) * CO2_PER_C
        return "CO2", co2 - p.urea_co2_recovered_t, f"{fr.ref}; {ccf.ref}"
    if p.product == "nitric_acid":
        # Vol 3 Eq 3.5 without abatement: N2O = EF(technology) x NAP
        ef = pack.require(activity, "ef", gas="N2O", technology=tech or "high_pressure", year=p.year)
        return "N2O", p.quantity_t * ef.value, ef.ref
    raise ValueError(f"unknown product {p.product!r}; expected one of {', '.join(PRODUCT_CATEGORIES)}")


def industrial_processes(rows: Iterable[Production], pack: MethodPack) -> list[EmissionRecord]:
    """Tier 1 process emissions per category, gas and year."""
    parts: dict[tuple[str, str, int], list[float]] = defaultdict(list)
    refs: dict[tuple[str, str, int], set[str]] = defaultdict(set)
    problems: list[Problem] = []
    for i, p in enumerate(rows):
        try:
            gas, mass, ref = _masses(pack, p)
        except Exception as exc:
            problems.append(Problem(f"production row {i + 1} ({p.year} {p.product}): {exc}"))
            continue
        if mass < 0:
            problems.append(Problem(f"production row {i + 1}: recovered CO2 exceeds the CO2 generated"))
            continue
        key = (PRODUCT_CATEGORIES[p.product], gas, p.year)
        parts[key].append(mass)
        refs[key].add(ref)
    if problems:
        raise ValidationFailed(problems)
    return [
        EmissionRecord(
            cat,
            gas,
            year,
            math.fsum(v),
            "IPCC 2006 Vol 3 Tier 1",
            "T1",
            "national",
            "; ".join(sorted(refs[(cat, gas, year)])),
        )
        for (cat, gas, year), v in sorted(parts.items())
    ]
