"""Compile an inventory from national activity data and verified installation (MRV) emissions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from carbonbridge.domain.inventory import agriculture, energy, ippu, waste
from carbonbridge.domain.inventory.factors import FactorTable
from carbonbridge.domain.inventory.records import EmissionRecord, validate
from carbonbridge.domain.mrv.factors import MethodPack

# Differences above this share between the reference and sectoral approaches need an explanation
# in the inventory report (a review convention, configurable by the caller).
REFERENCE_THRESHOLD_PCT = 2.0


@dataclass(frozen=True)
class NationalData:
    """Everything the Tier 1 compiler reads; each part may be empty."""

    fuel_use: Sequence[energy.FuelUse] = ()
    fuel_supply: Sequence[energy.FuelSupply] = ()
    production: Sequence[ippu.Production] = ()
    livestock: Sequence[agriculture.Livestock] = ()
    manure_shares: Sequence[agriculture.ManureShare] = ()
    soils: Sequence[agriculture.SoilInputs] = ()
    solid_waste: Sequence[waste.SolidWasteYear] = ()
    wastewater: Sequence[waste.WastewaterYear] = ()
    direct: Sequence[EmissionRecord] = ()  # estimates given as masses (F-gases, LULUCF, others)
    climate: str = "temperate_wet"


@dataclass(frozen=True)
class CompiledInventory:
    records: tuple[EmissionRecord, ...]
    reference_approach: tuple[energy.ComparisonRow, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)


def compile_inventory(
    data: NationalData,
    pack: MethodPack,
    table: FactorTable,
    *,
    mrv: Sequence[EmissionRecord] = (),
    mrv_categories: Sequence[str] = (),
    gwp_set: str = "AR5GWP100",
) -> CompiledInventory:
    """Tier 1 estimates for every category with activity data; for `mrv_categories`, the
    verified installation totals (plant-level, Tier 3) replace the Tier 1 estimate in the years
    that installations report. Records are validated together and every problem is reported."""
    records: list[EmissionRecord] = []
    sectoral, by_fuel = energy.sectoral_approach(data.fuel_use, pack, table)
    records += sectoral
    comparison = energy.reference_approach(data.fuel_supply, pack, by_fuel) if data.fuel_supply else []
    records += ippu.industrial_processes(data.production, pack)
    animals, prp = agriculture.livestock(data.livestock, data.manure_shares, table)
    records += animals
    records += agriculture.managed_soils_direct(data.soils, prp, table)
    first_year = min((r.year for r in records), default=0)
    records += waste.solid_waste_fod(data.solid_waste, table, climate=data.climate, report_from=first_year)
    records += waste.domestic_wastewater(data.wastewater, table)
    records += data.direct
    notes: list[str] = []
    if mrv_categories:
        replaced = {(r.category, r.year) for r in mrv if r.category in mrv_categories}
        kept = [r for r in records if (r.category, r.year) not in replaced]
        notes.append(
            f"{len(records) - len(kept)} Tier 1 records replaced by verified installation data "
            f"in {', '.join(sorted(mrv_categories))}"
        )
        records = kept + [r for r in mrv if r.category in mrv_categories]
    ordered = sorted(records, key=lambda r: (r.year, r.category, r.gas))
    notes += reference_notes(comparison) + gap_notes(ordered)
    return CompiledInventory(validate(ordered, gwp_set), tuple(comparison), tuple(notes))


def reference_notes(rows: Sequence[energy.ComparisonRow], threshold_pct: float = REFERENCE_THRESHOLD_PCT) -> list[str]:
    """Years where the reference and sectoral approach totals differ by more than the threshold."""
    return [
        f"{r.year}: reference approach CO2 differs from the sectoral approach by {r.co2_difference_pct:+.2f} % "
        f"(more than {threshold_pct:g} %): explain the difference"
        for r in rows
        if r.fuel == "total" and abs(r.co2_difference_pct) > threshold_pct
    ]


def gap_notes(records: Sequence[EmissionRecord]) -> list[str]:
    """Time-series consistency: a category and gas estimated in some years of the series but not in
    others inside its first and last year (IPCC 2006 Vol 1 Ch 5: fill gaps by splicing)."""
    seen: dict[tuple[str, str], set[int]] = {}
    for r in records:
        seen.setdefault((r.category, r.gas), set()).add(r.year)
    all_years = sorted({r.year for r in records})
    notes = []
    for (category, gas), present in sorted(seen.items()):
        missing = [y for y in all_years if min(present) < y < max(present) and y not in present]
        if missing:
            notes.append(f"{category} {gas}: no estimate for {', '.join(map(str, missing))} inside its time series")
    return notes
