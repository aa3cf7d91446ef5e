"""3.A.1 enteric fermentation, 3.A.2 manure management (CH4 and direct N2O) and 3.C.4 direct N2O
from managed soils, IPCC 2006 Vol 4 Ch 10-11, Tier 1.

The issue's CRF-style labels "3.B manure management" and "3.D.1 direct N2O from managed soils"
are IPCC 2006 categories 3.A.2 and 3.C.4; in the IPCC 2006 tree 3.B is Land (LULUCF).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from carbonbridge.domain.errors import Problem, ValidationFailed
from carbonbridge.domain.inventory.factors import FactorTable
from carbonbridge.domain.inventory.records import EmissionRecord

N2O_PER_N2O_N = 44.0 / 28.0
# Vol 4 Ch 11 Table 11.1: EF3PRP,CPP for cattle, poultry and pigs; EF3PRP,SO for sheep and others.
_CPP = ("dairy_cattle", "other_cattle", "swine", "poultry")


@dataclass(frozen=True, slots=True)
class Livestock:
    year: int
    animal: str
    heads: float


@dataclass(frozen=True, slots=True)
class ManureShare:
    """Fraction of an animal type's manure N handled in a management system (Vol 4 Eq 10.25, MS)."""

    animal: str
    system: str
    share: float


@dataclass(frozen=True, slots=True)
class SoilInputs:
    """N applied to managed soils in a year, t N (Vol 4 Ch 11 Eq 11.1 F_SN, F_ON, F_CR, F_SOM)."""

    year: int
    synthetic_n_t: float
    organic_n_t: float = 0.0
    crop_residue_n_t: float = 0.0
    mineralised_n_t: float = 0.0


def _shares(shares: Sequence[ManureShare]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = defaultdict(dict)
    problems = []
    for s in shares:
        out[s.animal][s.system] = s.share
    for animal, systems in out.items():
        total = math.fsum(systems.values())
        if abs(total - 1.0) > 1e-6:
            problems.append(Problem(f"manure system shares of {animal} sum to {total:g}, not 1", field="share"))
    if problems:
        raise ValidationFailed(problems)
    return out


def n_excreted_kg(table: FactorTable, animal: str, heads: float) -> float:
    """Vol 4 Eq 10.30 (Nex = N_rate x TAM / 1000 x 365) times the population: kg N per year."""
    rate = table.value("n_excretion_rate", animal)
    tam = table.value("typical_animal_mass", animal)
    return heads * rate * tam / 1000.0 * 365.0


def livestock(
    herds: Iterable[Livestock], shares: Sequence[ManureShare], table: FactorTable
) -> tuple[list[EmissionRecord], dict[tuple[int, str], float]]:
    """Enteric CH4 (Eq 10.19-10.20), manure CH4 (Eq 10.22) and direct manure N2O (Eq 10.25).

    Also returns the N deposited on pasture, range and paddock, t N per (year, 'cpp'|'so'), that
    3.C.4 needs (F_PRP, Eq 11.5)."""
    by_animal = _shares(shares)
    parts: dict[tuple[str, str, int], list[float]] = defaultdict(list)
    refs: dict[tuple[str, str, int], set[str]] = defaultdict(set)
    prp: dict[tuple[int, str], list[float]] = defaultdict(list)
    problems: list[Problem] = []
    for h in herds:
        try:
            ent = table.get("enteric_ef", h.animal)
            parts[("3.A.1", "CH4", h.year)].append(h.heads * ent.value / 1000.0)
            refs[("3.A.1", "CH4", h.year)].add(ent.ref)
            man = table.get("manure_ch4_ef", h.animal)
            parts[("3.A.2", "CH4", h.year)].append(h.heads * man.value / 1000.0)
            refs[("3.A.2", "CH4", h.year)].add(man.ref)
            if h.animal in table.keys("n_excretion_rate"):
                nex_kg = n_excreted_kg(table, h.animal, h.heads)
                systems = by_animal.get(h.animal)
                if systems is None:
                    raise ValueError(f"no manure management system shares for {h.animal}")
                for system, share in systems.items():
                    ef3 = table.get("manure_ef3", system)
                    n2o_t = nex_kg * share * ef3.value * N2O_PER_N2O_N / 1000.0
                    parts[("3.A.2", "N2O", h.year)].append(n2o_t)
                    refs[("3.A.2", "N2O", h.year)].add(ef3.ref)
                    if system == "pasture":
                        prp[(h.year, "cpp" if h.animal in _CPP else "so")].append(nex_kg * share / 1000.0)
        except Exception as exc:
            problems.append(Problem(f"livestock {h.year} {h.animal}: {exc}"))
    if problems:
        raise ValidationFailed(problems)
    records = [
        EmissionRecord(
            cat,
            gas,
            year,
            math.fsum(v),
            "IPCC 2006 Vol 4 Ch 10 Tier 1",
            "T1",
            "national",
            "; ".join(sorted(refs[(cat, gas, year)])),
        )
        for (cat, gas, year), v in sorted(parts.items())
    ]
    return records, {k: math.fsum(v) for k, v in prp.items()}


def managed_soils_direct(
    inputs: Iterable[SoilInputs], prp_n_t: Mapping[tuple[int, str], float], table: FactorTable
) -> list[EmissionRecord]:
    """Vol 4 Ch 11 Eq 11.1 (Tier 1): N2O-N = (F_SN + F_ON + F_CR + F_SOM) x EF1
    + F_PRP,CPP x EF3PRP,CPP + F_PRP,SO x EF3PRP,SO; N2O = N2O-N x 44/28."""
    ef1 = table.get("soil_ef1", "default")
    cpp = table.get("soil_ef3_prp", "cpp")
    so = table.get("soil_ef3_prp", "so")
    out = []
    for s in sorted(inputs, key=lambda s: s.year):
        n_inputs = math.fsum((s.synthetic_n_t, s.organic_n_t, s.crop_residue_n_t, s.mineralised_n_t))
        n2o_n = math.fsum(
            (
                n_inputs * ef1.value,
                prp_n_t.get((s.year, "cpp"), 0.0) * cpp.value,
                prp_n_t.get((s.year, "so"), 0.0) * so.value,
            )
        )
        out.append(
            EmissionRecord(
                "3.C.4",
                "N2O",
                s.year,
                n2o_n * N2O_PER_N2O_N,
                "IPCC 2006 Vol 4 Ch 11 Eq 11.1",
                "T1",
                "national",
                f"{ef1.ref} EF1={ef1.value:g}, EF3PRP={cpp.value:g}/{so.value:g}",
            )
        )
    return out
