"""4.A solid waste disposal (first order decay, IPCC 2006 Vol 5 Ch 3, Tier 1) and 4.D.1 domestic
wastewater CH4 and N2O (Vol 5 Ch 6, Tier 1)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from carbonbridge.domain.errors import Problem, ValidationFailed
from carbonbridge.domain.inventory.factors import FactorTable
from carbonbridge.domain.inventory.records import EmissionRecord

CH4_PER_C = 16.0 / 12.0
N2O_PER_N2O_N = 44.0 / 28.0
COMPONENTS = ("food", "garden", "paper", "wood", "textiles", "nappies")
PATHWAYS = (
    "centralized_aerobic_well_managed",
    "centralized_aerobic_not_well_managed",
    "anaerobic_digester",
    "septic",
    "latrine",
    "sea_river_lake",
)
_COLLECTED = ("centralized_aerobic_well_managed", "centralized_aerobic_not_well_managed", "anaerobic_digester")


@dataclass(frozen=True, slots=True)
class SolidWasteYear:
    """Municipal solid waste deposited in SWDS in a year, t wet weight, and its composition
    (mass fractions; the rest is inert)."""

    year: int
    deposited_t: float
    composition: Mapping[str, float]
    swds_type: str = "uncategorised"
    recovered_ch4_t: float = 0.0
    oxidation: str = "default"


@dataclass(frozen=True, slots=True)
class WastewaterYear:
    """Domestic wastewater: population, protein intake and shares of the treatment pathways."""

    year: int
    population: float
    protein_kg_per_person_yr: float
    pathways: Mapping[str, float] = field(default_factory=dict)
    recovered_ch4_t: float = 0.0
    region: str = "europe"


def solid_waste_fod(
    history: Sequence[SolidWasteYear], table: FactorTable, *, climate: str = "temperate_wet", report_from: int = 0
) -> list[EmissionRecord]:
    """First order decay per waste component (Vol 5 Ch 3 Eqs 3.1-3.6):
    DDOCm_d(T) = W(T) x DOC x DOCf x MCF(T); DDOCm_a(T) = DDOCm_d(T) + DDOCm_a(T-1) x e^-k;
    decomposed(T) = DDOCm_a(T-1) x (1 - e^-k); CH4 generated = decomposed x F x 16/12;
    CH4 emitted = (generated - R) x (1 - OX). Decay starts the year after deposition."""
    rows = sorted(history, key=lambda r: r.year)
    problems = [
        Problem(f"solid waste years must be consecutive: {a.year} is followed by {b.year}", field="year")
        for a, b in itertools.pairwise(rows)
        if b.year != a.year + 1
    ]
    for r in rows:
        unknown = sorted(set(r.composition) - set(COMPONENTS))
        if unknown or math.fsum(r.composition.values()) > 1 + 1e-9:
            problems.append(Problem(f"{r.year}: bad composition (unknown {unknown} or fractions above 1)"))
    if problems:
        raise ValidationFailed(problems)
    docf, f = table.value("swds_docf", "default"), table.value("swds_f", "default")
    accumulated = dict.fromkeys(COMPONENTS, 0.0)
    decay = {c: math.exp(-table.value("swds_k", f"{climate}:{c}")) for c in COMPONENTS}
    out = []
    for r in rows:
        mcf = table.value("swds_mcf", r.swds_type)
        decomposed = []
        for c in COMPONENTS:
            deposited = r.deposited_t * r.composition.get(c, 0.0) * table.value("swds_doc", c) * docf * mcf
            decomposed.append(accumulated[c] * (1.0 - decay[c]))
            accumulated[c] = deposited + accumulated[c] * decay[c]
        generated = math.fsum(decomposed) * f * CH4_PER_C
        emitted = (generated - r.recovered_ch4_t) * (1.0 - table.value("swds_ox", r.oxidation))
        if r.year >= report_from:
            out.append(
                EmissionRecord(
                    "4.A",
                    "CH4",
                    r.year,
                    max(emitted, 0.0),
                    "IPCC 2006 Vol 5 Ch 3 FOD",
                    "T1",
                    "national",
                    f"V5 Tables 2.4, 3.1, 3.3; DOCf={docf:g}, F={f:g}, MCF={mcf:g}",
                )
            )
    return out


def domestic_wastewater(years: Sequence[WastewaterYear], table: FactorTable) -> list[EmissionRecord]:
    """CH4 (Vol 5 Ch 6 Eqs 6.1-6.3): sum over pathways j of share_j x TOW_j x Bo x MCF_j - R, with
    TOW_j = P x BOD x 0.001 x I_j x 365 kg BOD (I = 1.25 where collected). N2O from effluent
    (Eqs 6.7-6.8): P x protein x F_NPR x F_NON-CON x F_IND-COM x EF x 44/28 (no sludge removal)."""
    bo = table.value("ww_bo", "default")
    out: list[EmissionRecord] = []
    problems: list[Problem] = []
    for w in sorted(years, key=lambda w: w.year):
        if abs(math.fsum(w.pathways.values()) - 1.0) > 1e-6 or set(w.pathways) - set(PATHWAYS):
            problems.append(Problem(f"{w.year}: wastewater pathway shares must be known pathways summing to 1"))
            continue
        bod = table.value("ww_bod", w.region)
        ch4_kg = math.fsum(
            share
            * w.population
            * bod
            * 0.001
            * 365.0
            * table.value("ww_i", "collected" if j in _COLLECTED else "uncollected")
            * bo
            * table.value("ww_mcf", j)
            for j, share in w.pathways.items()
        )
        ch4_t = max(ch4_kg / 1000.0 - w.recovered_ch4_t, 0.0)
        n_effluent_kg = (
            w.population
            * w.protein_kg_per_person_yr
            * table.value("ww_f_npr", "default")
            * table.value("ww_f_non_con", "default")
            * table.value("ww_f_ind_com", "default")
        )
        n2o_t = n_effluent_kg * table.value("ww_ef_effluent", "default") * N2O_PER_N2O_N / 1000.0
        out.append(
            EmissionRecord(
                "4.D.1",
                "CH4",
                w.year,
                ch4_t,
                "IPCC 2006 Vol 5 Ch 6 Eq 6.1",
                "T1",
                "national",
                "V5 Tables 6.2, 6.3, 6.4",
            )
        )
        out.append(
            EmissionRecord(
                "4.D.1", "N2O", w.year, n2o_t, "IPCC 2006 Vol 5 Ch 6 Eq 6.7", "T1", "national", "V5 Table 6.11"
            )
        )
    if problems:
        raise ValidationFailed(problems)
    return out
