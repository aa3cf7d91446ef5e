"""Seeded synthetic (clearly fictitious) installations and a year of activity data.

Names are invented ("Synthetic CHP 07"); sizes are of the right order for Belarus (gas-fired
heat and power, two refineries, nitrogen fertilisers, cement, lime) and for China's
power sector (coal units of 300-1000 MW, gas units), so that totals look like a real system.
Industrial production stays inside the synthetic national totals of `demo/inventory.py`
(clinker 4.5 Mt, lime 0.8 Mt, ammonia 1.0 Mt, nitric acid 0.9 Mt), so that the MRV-inventory
reconciliation of the demo shows plausible shares.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

MONTHS = 12


@dataclass
class SyntheticInstallation:
    plan: dict[str, Any]
    records: list[dict[str, Any]] = field(default_factory=list)
    cems: dict[str, dict[str, Any]] = field(default_factory=dict)
    kind: str = ""


def _stream(name: str, activity: str, **tiers: str) -> dict[str, Any]:
    return {"name": name, "activity": activity, **tiers}


def _plan(
    inst_id: str, jurisdiction: str, name: str, sector: str, category: str, pack: str, streams: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "installation_id": inst_id,
        "jurisdiction": jurisdiction,
        "name": name,
        "operator": f"{name} Operator (synthetic)",
        "sector": sector,
        "category": category,
        "method_pack": pack,
        "source_streams": streams,
    }


def _monthly(rng: np.random.Generator, annual: float) -> npt.NDArray[np.float64]:
    """Split an annual quantity into 12 months with a heating-season shape and noise."""
    shape = 1.0 + 0.35 * np.cos(np.arange(MONTHS) / MONTHS * 2 * np.pi)
    weights = shape * rng.uniform(0.9, 1.1, MONTHS)
    result: npt.NDArray[np.float64] = annual * weights / weights.sum()
    return result


def _records(
    inst: SyntheticInstallation,
    rng: np.random.Generator,
    stream: str,
    activity: str,
    annual: float,
    unit: str,
    year: int,
    digits: int = 3,
    **extra: Any,
) -> None:
    make_extra = {k: v for k, v in extra.items() if not callable(v)}
    varying = {k: v for k, v in extra.items() if callable(v)}
    for month, quantity in enumerate(_monthly(rng, annual), start=1):
        row = {
            "record_id": f"{inst.plan['installation_id']}-{stream}-{year}-{month:02d}",
            "installation_id": inst.plan["installation_id"],
            "source_stream": stream,
            "activity": activity,
            "quantity": round(float(quantity), digits),
            "unit": unit,
            "year": year,
            **make_extra,
        }
        row.update({k: f(rng) for k, f in varying.items()})
        inst.records.append(row)


def _gas_ncv(rng: np.random.Generator) -> float:
    return round(float(rng.normal(33.9, 0.25)), 3)  # TJ per million m3, pipeline gas


def belarus(rng: np.random.Generator, year: int) -> list[SyntheticInstallation]:
    out: list[SyntheticInstallation] = []

    def new(kind: str, name: str, sector: str, category: str, streams: list[dict[str, Any]]) -> SyntheticInstallation:
        inst_id = f"BY-{len(out) + 1:04d}"
        inst = SyntheticInstallation(_plan(inst_id, "BY", name, sector, category, "ipcc2006", streams), kind=kind)
        out.append(inst)
        return inst

    for i in range(1, 25):  # gas-fired power plants and CHPs, 20-1,800 million m3 a year
        big = i <= 3
        gas = float(rng.uniform(900, 1800) if big else rng.lognormal(np.log(120), 0.8))
        streams = [_stream("natural_gas", "natural_gas", tier_activity="4", tier_ncv="2b", tier_ef="2a")]
        if i % 4 == 0:
            streams.append(_stream("fuel_oil", "residual_fuel_oil", tier_activity="2"))
        inst = new("power_heat", f"Synthetic CHP {i:02d}", "energy_industries", "C" if big else "B", streams)
        _records(
            inst,
            rng,
            "natural_gas",
            "natural_gas",
            gas,
            "million m3",
            year,
            4,
            sector="energy_industries",
            ncv=_gas_ncv,
            ncv_unit="TJ/million m3",
        )
        if i % 4 == 0:
            _records(
                inst,
                rng,
                "fuel_oil",
                "residual_fuel_oil",
                float(rng.uniform(2, 15)),
                "kt",
                year,
                4,
                sector="energy_industries",
            )
    for i in range(1, 3):  # refineries (1.A.1.b)
        inst = new(
            "refining",
            f"Synthetic Refinery {i}",
            "energy_industries",
            "C",
            [
                _stream("natural_gas", "natural_gas", tier_ncv="2b"),
                _stream("fuel_oil", "residual_fuel_oil"),
                _stream("lpg", "lpg"),
                _stream("petcoke", "petroleum_coke"),
            ],
        )
        _records(
            inst,
            rng,
            "natural_gas",
            "natural_gas",
            float(rng.uniform(400, 700)),
            "million m3",
            year,
            4,
            sector="energy_industries",
            ncv=_gas_ncv,
            ncv_unit="TJ/million m3",
        )
        _records(
            inst,
            rng,
            "fuel_oil",
            "residual_fuel_oil",
            float(rng.uniform(150, 300)),
            "kt",
            year,
            sector="energy_industries",
        )
        _records(inst, rng, "lpg", "lpg", float(rng.uniform(20, 60)), "kt", year, sector="energy_industries")
        _records(
            inst, rng, "petcoke", "petroleum_coke", float(rng.uniform(50, 120)), "kt", year, sector="energy_industries"
        )
    technologies = ["medium_pressure", "high_pressure", "tail_gas_destruction", "nscr"]
    for i in range(1, 5):  # nitrogen fertiliser plants: ammonia and nitric acid
        inst = new(
            "chemicals",
            f"Synthetic Azot {i}",
            "manufacturing",
            "C",
            [
                _stream("ammonia", "ammonia"),
                _stream("nitric_acid", "nitric_acid"),
                _stream("natural_gas", "natural_gas", tier_ncv="2b"),
            ],
        )
        _records(inst, rng, "ammonia", "ammonia", float(rng.uniform(210, 250)), "kt", year, 4)
        _records(
            inst,
            rng,
            "nitric_acid",
            "nitric_acid",
            float(rng.uniform(150, 220)),
            "kt",
            year,
            4,
            technology=technologies[i - 1],
        )
        _records(
            inst,
            rng,
            "natural_gas",
            "natural_gas",
            float(rng.uniform(60, 200)),
            "million m3",
            year,
            4,
            sector="manufacturing",
            ncv=_gas_ncv,
            ncv_unit="TJ/million m3",
        )
    for i in range(1, 4):  # cement: clinker and kiln fuels
        inst = new(
            "cement",
            f"Synthetic Cement {i}",
            "manufacturing",
            "C",
            [
                _stream("clinker", "clinker"),
                _stream("coal", "other_bituminous_coal", tier_ncv="2b", tier_ef="2b"),
                _stream("natural_gas", "natural_gas", tier_ncv="2b"),
            ],
        )
        _records(inst, rng, "clinker", "clinker", float(rng.uniform(1300, 1450)), "kt", year)
        _records(
            inst,
            rng,
            "coal",
            "other_bituminous_coal",
            float(rng.uniform(60, 140)),
            "kt",
            year,
            sector="manufacturing",
            ncv=lambda r: round(float(r.normal(25.5, 0.4)), 2),
            ncv_unit="GJ/t",
            carbon_content=lambda r: round(float(r.normal(25.6, 0.3)), 2),
            carbon_content_unit="kg C/GJ",
        )
        _records(
            inst,
            rng,
            "natural_gas",
            "natural_gas",
            float(rng.uniform(40, 120)),
            "million m3",
            year,
            4,
            sector="manufacturing",
            ncv=_gas_ncv,
            ncv_unit="TJ/million m3",
        )
    lime_types = ["high_calcium", "dolomitic_developed", "dolomitic_developing", "hydraulic"]
    while len(out) < 50:  # lime kilns and industrial boilers
        i = len(out)
        if i % 2:
            lime_type = lime_types[i % 4]
            inst = new(
                "lime",
                f"Synthetic Lime {i}",
                "manufacturing",
                "B",
                [_stream("lime", "lime"), _stream("natural_gas", "natural_gas", tier_ncv="2b")],
            )
            _records(inst, rng, "lime", "lime", float(rng.uniform(40, 80)), "kt", year, technology=lime_type)
            _records(
                inst,
                rng,
                "natural_gas",
                "natural_gas",
                float(rng.uniform(10, 40)),
                "million m3",
                year,
                4,
                sector="manufacturing",
                ncv=_gas_ncv,
                ncv_unit="TJ/million m3",
            )
        else:
            inst = new(
                "boiler",
                f"Synthetic Boiler House {i}",
                "commercial",
                "A",
                [_stream("natural_gas", "natural_gas"), _stream("diesel", "gas_diesel_oil")],
            )
            _records(
                inst,
                rng,
                "natural_gas",
                "natural_gas",
                float(rng.uniform(5, 25)) * 1000,
                "thousand m3",
                year,
                sector="commercial",
                ncv=_gas_ncv,
                ncv_unit="TJ/million m3",
            )
            _records(
                inst, rng, "diesel", "gas_diesel_oil", float(rng.uniform(100, 900)), "t", year, sector="commercial"
            )
    _add_cems(out[0], rng)
    return out


def _add_cems(inst: SyntheticInstallation, rng: np.random.Generator) -> None:
    """One measured stack (an auxiliary boiler), with missing hours to substitute."""
    inst.plan["source_streams"].append(
        {"name": "aux_boiler_stack", "activity": "cems", "method": "measurement", "tier_activity": "4"}
    )
    hours = 8760
    concentration = rng.normal(190.0, 8.0, hours)  # g CO2/Nm3 (about 9.7 % vol)
    flow = rng.normal(60_000.0, 4_000.0, hours)  # Nm3/h
    concentration[rng.choice(hours, 70, replace=False)] = np.nan
    flow[rng.choice(hours, 40, replace=False)] = np.nan
    inst.cems["aux_boiler_stack"] = {"concentration": concentration, "flow": flow}


def china(rng: np.random.Generator, year: int, units: int = 200) -> list[SyntheticInstallation]:
    out: list[SyntheticInstallation] = []
    for i in range(1, units + 1):
        inst_id = f"CN-{i:04d}"
        if i % 10 == 0:  # gas units: 10^4 Nm3, default NCV and carbon content of the pack
            inst = SyntheticInstallation(
                _plan(
                    inst_id,
                    "CN",
                    f"Synthetic Gas Power Unit {i:03d}",
                    "energy_industries",
                    "B",
                    "cn-mee-power-2022",
                    [_stream("natural_gas", "natural_gas")],
                ),
                kind="gas_power",
            )
            _records(
                inst,
                rng,
                "natural_gas",
                "natural_gas",
                float(rng.uniform(8_000, 40_000)),
                "10^4 m3",
                year,
                2,
                sector="energy_industries",
            )
        else:
            capacity_mw = float(rng.choice([300, 350, 600, 660, 1000]))
            hours = float(rng.uniform(3800, 5200))
            ncv = float(rng.uniform(18.0, 23.5))
            coal_t = capacity_mw * hours * 0.300 * 29.3076 / ncv  # 300 gce/kWh supply rate
            measured = i % 7 != 0  # every 7th unit lacks carbon tests: the pack's default applies
            tiers = {"tier_activity": "4", "tier_ncv": "3", "tier_ef": "3" if measured else "1"}
            inst = SyntheticInstallation(
                _plan(
                    inst_id,
                    "CN",
                    f"Synthetic Coal Power Unit {i:03d} ({capacity_mw:.0f} MW)",
                    "energy_industries",
                    "C",
                    "cn-mee-power-2022",
                    [_stream("coal", "coal", **tiers)],
                ),
                kind="coal_power",
            )
            extra: dict[str, Any] = {
                "sector": "energy_industries",
                "ncv": lambda r, n=ncv: round(float(r.normal(n, 0.3)), 3),
                "ncv_unit": "GJ/t",
            }
            if measured:
                extra.update(
                    carbon_content=lambda r: round(float(r.normal(0.0272, 0.0006)), 5), carbon_content_unit="tC/GJ"
                )
            _records(inst, rng, "coal", "coal", coal_t, "t", year, 1, **extra)
        out.append(inst)
    return out
