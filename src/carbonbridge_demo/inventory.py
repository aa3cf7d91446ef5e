"""A synthetic (clearly fictitious) Belarus-like national inventory, 1990 to the latest year:
activity data shaped like a small gas-fired economy (about 90 Mt CO2e without LULUCF in recent
years), compiled with the Tier 1 defaults, analysed (KCA, uncertainty) and published."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

FIRST_YEAR, LATEST_YEAR = 1990, 2023
WASTE_FROM = 1950
# Anchor points (year -> multiplier) of the synthetic drivers: the 1990s collapse and recovery.
_ECONOMY = {1990: 1.0, 1995: 0.62, 2000: 0.68, 2010: 0.78, 2023: 0.80}
_CATTLE = {1990: 1.0, 1995: 0.72, 2000: 0.60, 2010: 0.62, 2023: 0.60}

# (category, fuel) -> TJ in the latest year, and its 1990/latest ratio.
_FUELS = {
    ("1.A.1", "natural_gas"): (560_000, 0.70),
    ("1.A.1", "residual_fuel_oil"): (6_000, 30.0),
    ("1.A.1", "peat"): (6_000, 1.5),
    ("1.A.2", "natural_gas"): (120_000, 1.1),
    ("1.A.2", "other_bituminous_coal"): (10_000, 1.5),
    ("1.A.2", "petroleum_coke"): (5_000, 0.4),
    ("1.A.3.b", "motor_gasoline"): (60_000, 1.2),
    ("1.A.3.b", "gas_diesel_oil"): (110_000, 0.8),
    ("1.A.3.b", "lpg"): (8_000, 0.5),
    ("1.A.3.c", "gas_diesel_oil"): (5_000, 2.0),
    ("1.A.4.a", "natural_gas"): (30_000, 0.8),
    ("1.A.4.b", "natural_gas"): (60_000, 0.6),
    ("1.A.4.b", "peat"): (10_000, 2.5),
    ("1.A.4.b", "other_bituminous_coal"): (3_000, 3.0),
    ("1.A.4.c", "gas_diesel_oil"): (20_000, 2.0),
}
_PRODUCTS = {
    ("clinker", ""): 4_500_000,
    ("lime", ""): 800_000,
    ("ammonia", ""): 1_000_000,
    ("nitric_acid", "high_pressure"): 900_000,
}
_HERDS = {"dairy_cattle": 1_450_000, "other_cattle": 2_900_000, "swine": 2_800_000, "sheep": 100_000, "horses": 50_000}
_MANURE = {
    "dairy_cattle": {"liquid_slurry_crust": 0.3, "solid_storage": 0.5, "pasture": 0.2},
    "other_cattle": {"solid_storage": 0.6, "pasture": 0.4},
    "swine": {"liquid_slurry": 0.7, "solid_storage": 0.3},
}
# category prefix, gas, AD %, EF %, distribution, EF group; synthetic assumptions (see docs/inventory.md).
UNCERTAINTY = [
    ("1.A", "CO2", 2, 3, "normal", "fuel-CO2"),
    ("1.A", "CH4", 2, 100, "lognormal", ""),
    ("1.A", "N2O", 2, 100, "lognormal", ""),
    ("2", "*", 5, 10, "normal", ""),
    ("2.F", "*", 30, 30, "normal", ""),
    ("2.B.2", "N2O", 2, 30, "normal", ""),
    ("3.A.1", "CH4", 10, 40, "normal", "enteric"),
    ("3.A.2", "CH4", 10, 30, "normal", ""),
    ("3.A.2", "N2O", 10, 100, "lognormal", ""),
    ("3.C.4", "N2O", 10, 150, "lognormal", ""),
    ("3.B", "CO2", 10, 30, "normal", ""),
    ("4.A", "CH4", 30, 40, "triangular", ""),
    ("4.D", "CH4", 20, 30, "uniform", ""),
    ("4.D", "N2O", 20, 100, "lognormal", ""),
]


def _path(anchors: dict[int, float], years: list[int]) -> npt.NDArray[np.float64]:
    xs = sorted(anchors)
    return np.interp(years, xs, [anchors[x] for x in xs])


def _write(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def write_synthetic_inputs(folder: Path, *, seed: int, latest_year: int = LATEST_YEAR) -> Path:
    """Write the activity data CSVs of the synthetic country into `folder`."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    years = list(range(FIRST_YEAR, latest_year + 1))
    economy = _path(_ECONOMY, years) / _ECONOMY[2023]
    cattle = _path(_CATTLE, years) / _CATTLE[2023]

    def noisy(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.asarray(values * rng.normal(1.0, 0.015, len(values)))

    energy: list[list[Any]] = []
    supply_tj: dict[tuple[int, str], float] = {}
    for (category, fuel), (latest, ratio_1990) in _FUELS.items():
        trend = np.interp(years, [FIRST_YEAR, 2000, latest_year], [ratio_1990, (ratio_1990 + 1) / 2, 1.0])
        series = noisy(latest * trend * economy / economy[-1])
        for y, tj in zip(years, series, strict=True):
            energy.append([y, category, fuel, round(float(tj), 1), "TJ"])
            supply_tj[(y, fuel)] = supply_tj.get((y, fuel), 0.0) + float(tj)
    _write(folder / "energy_balance.csv", ["year", "category", "fuel", "amount", "unit"], energy)
    production: list[list[Any]] = []
    for (product, tech), latest in _PRODUCTS.items():
        for y, q in zip(years, noisy(latest * economy), strict=True):
            production.append([y, product, tech, round(float(q))])
    _write(folder / "production.csv", ["year", "product", "technology", "quantity_t"], production)
    ammonia_tj = {int(row[0]): float(row[3]) * 0.0375 for row in production if row[1] == "ammonia"}
    supply = []
    for (y, fuel), tj in sorted(supply_tj.items()):
        feedstock = ammonia_tj[y] if fuel == "natural_gas" else 0.0
        statistical_difference = float(rng.normal(1.0, 0.006))
        supply.append(
            [
                y,
                fuel,
                "TJ",
                0.0 if fuel != "peat" else round(tj, 1),
                round((tj + feedstock) * statistical_difference, 1) if fuel != "peat" else 0.0,
                0.0,
                0.0,
                0.0,
                round(feedstock, 1),
            ]
        )
    _write(
        folder / "fuel_supply.csv",
        [
            "year",
            "fuel",
            "unit",
            "production",
            "imports",
            "exports",
            "international_bunkers",
            "stock_change",
            "non_energy_use",
        ],
        supply,
    )
    livestock = [
        [y, animal, round(float(h))]
        for animal, latest in _HERDS.items()
        for y, h in zip(years, noisy(latest * (cattle if "cattle" in animal else economy)), strict=True)
    ]
    _write(folder / "livestock.csv", ["year", "animal", "heads"], livestock)
    _write(
        folder / "manure_systems.csv",
        ["animal", "system", "share"],
        [[a, s, v] for a, systems in _MANURE.items() for s, v in systems.items()],
    )
    fertiliser_n = noisy(500_000 * np.interp(years, [1990, 1996, 2023], [2.2, 0.8, 1.0]))
    soils = [
        [y, round(float(n)), round(float(n) * 0.3), round(float(n) * 0.2)]
        for y, n in zip(years, fertiliser_n, strict=True)
    ]
    _write(folder / "soils.csv", ["year", "synthetic_n_t", "organic_n_t", "crop_residue_n_t"], soils)
    waste_years = list(range(WASTE_FROM, latest_year + 1))
    msw = np.interp(waste_years, [1950, 1990, 2023], [1_200_000, 3_200_000, 3_500_000])
    _write(
        folder / "solid_waste.csv",
        ["year", "deposited_t", "food", "garden", "paper", "wood", "textiles", "nappies", "swds_type"],
        [
            [
                y,
                round(float(w)),
                0.30,
                0.05,
                0.20,
                0.03,
                0.05,
                0.03,
                "uncategorised" if y < 2005 else "managed_anaerobic",
            ]
            for y, w in zip(waste_years, msw, strict=True)
        ],
    )
    _write(
        folder / "wastewater.csv",
        ["year", "population", "protein_kg_per_person_yr", "centralized_aerobic_not_well_managed", "septic", "latrine"],
        [
            [y, round(float(p)), 30.0, 0.75, 0.20, 0.05]
            for y, p in zip(years, np.interp(years, [1990, 2023], [10_190_000, 9_200_000]), strict=True)
        ],
    )
    direct = [
        [y, "2.F.1", "HFC-134a", round(max(0.0, 700.0 * (y - 1995) / 28), 3), "T1 inventory of stocks"]
        for y in years
        if y > 1995
    ]
    direct += [[y, "2.G.1", "SF6", 3.0, "T1 equipment"] for y in years]
    direct += [
        [y, "3.B.1.a", "CO2", round(float(v)), "synthetic forest land remaining forest land"]
        for y, v in zip(years, noisy(np.interp(years, [1990, 2023], [-22e6, -26e6])), strict=True)
    ]
    _write(folder / "emissions.csv", ["year", "category", "gas", "mass_t", "method"], direct)
    _write(
        folder / "uncertainty.csv",
        ["category", "gas", "ad_uncertainty_pct", "ef_uncertainty_pct", "distribution", "ef_group"],
        [list(row) for row in UNCERTAINTY],
    )
    return folder


def run_inventory_demo(
    output_dir: Path, *, seed: int, sessions: Any = None, latest_year: int = LATEST_YEAR
) -> dict[str, Any]:
    """Generate, compile (and store when `sessions` is given), analyse and publish the synthetic
    inventory under output_dir/'inventory'. Returns a small summary."""
    from carbonbridge.adapters.inventory_files import (
        default_factor_table,
        read_national_data,
        read_uncertainty_table,
    )
    from carbonbridge.adapters.packs import load_pack
    from carbonbridge.domain.inventory.compile import compile_inventory
    from carbonbridge.domain.inventory.records import total_co2e_t
    from carbonbridge.services.inventory import analysis, export_inventory

    root = output_dir / "inventory"
    inputs = write_synthetic_inputs(root / "input", seed=seed, latest_year=latest_year)
    gwp_set = "AR5GWP100"
    if sessions is not None:
        import datetime as dt

        from carbonbridge.services.inventory import compile_submission, load_submission, submission

        compile_submission(
            sessions, "BY", inputs, now=dt.datetime(latest_year + 2, 4, 15, tzinfo=dt.UTC), label="synthetic demo"
        )
        records = load_submission(sessions, "BY")
        reference = submission(sessions, "BY").reference_approach
    else:
        compiled = compile_inventory(read_national_data(inputs), load_pack(), default_factor_table())
        records = list(compiled.records)
        reference = [r.as_dict() for r in compiled.reference_approach]
    # Uncertainty of the total without LULUCF (the headline total); KCA includes LULUCF.
    current = analysis.records_estimates(records, latest_year, gwp_set, with_lulucf=False)
    base = analysis.records_estimates(records, FIRST_YEAR, gwp_set, with_lulucf=False)
    every = analysis.records_estimates(records, latest_year, gwp_set)
    table = analysis.match_uncertainties(
        sorted(set(current) | set(base) | set(every)), read_uncertainty_table(inputs / "uncertainty.csv")
    )
    uncertainty = analysis.uncertainty_report(current, base, table, seed=seed, iterations=20_000)
    u_pct = {k: float(np.hypot(v["ad_pct"], v["ef_pct"])) for k, v in table.items()}
    published = export_inventory(
        records,
        root,
        jurisdiction="BY",
        gwp_set=gwp_set,
        year=latest_year,
        base_year=FIRST_YEAR,
        uncertainty=uncertainty,
        uncertainty_pct=u_pct,
        reference=reference,
    )
    (root / "uncertainty.json").write_text(json.dumps(uncertainty, indent=2), encoding="utf-8")
    (root / "kca.json").write_text(json.dumps(published["kca"], indent=2), encoding="utf-8")
    return {
        "latest_year": latest_year,
        "total_without_lulucf_t_co2e": total_co2e_t(records, latest_year, gwp_set),
        "total_with_lulucf_t_co2e": total_co2e_t(records, latest_year, gwp_set, with_lulucf=True),
        "key_categories": len(published["kca"]["key_categories"]),
        "uncertainty_approach1_pct": uncertainty["approach1_pct"],
        "uncertainty_approach2_pct": [-uncertainty["approach2_low_pct"], uncertainty["approach2_high_pct"]],
        "gwp_set": gwp_set,
        "output": str(root),
    }
