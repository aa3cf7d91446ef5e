"""The synthetic Belarus inventory of `carbonbridge demo`."""

from __future__ import annotations

import json
from pathlib import Path

from carbonbridge_demo.inventory import FIRST_YEAR, run_inventory_demo


def test_the_demo_compiles_a_belarus_sized_inventory_and_publishes_it(tmp_path: Path) -> None:
    summary = run_inventory_demo(tmp_path, seed=2026)
    assert 80e6 < summary["total_without_lulucf_t_co2e"] < 100e6
    assert summary["total_with_lulucf_t_co2e"] < summary["total_without_lulucf_t_co2e"]
    assert 5 <= summary["key_categories"] <= 25
    low, high = summary["uncertainty_approach2_pct"]
    assert low < 0 < high and 2 < summary["uncertainty_approach1_pct"] < 30
    root = tmp_path / "inventory"
    for name in (
        "inventory.xlsx",
        "summary1_2023.csv",
        "table10_co2e.csv",
        "primap2/BLR_inventory.csv",
        "charts/emissions_by_sector.png",
        "charts/kca_pareto.html",
        "charts/uncertainty.png",
    ):
        assert (root / name).exists(), name
    table10 = (root / "table10_co2e.csv").read_text(encoding="utf-8").splitlines()
    assert table10[0].startswith(f"category,title,{FIRST_YEAR},")
    reference = (root / "reference_approach.csv").read_text(encoding="utf-8").splitlines()
    totals = [line.split(",") for line in reference if ",total," in line]
    assert totals and all(abs(float(t[7])) < 2.0 for t in totals)  # CO2 difference within +/-2 %
    assert json.loads((root / "kca.json").read_text(encoding="utf-8"))["year"] == 2023


def test_the_same_seed_gives_the_same_inventory(tmp_path: Path) -> None:
    first = run_inventory_demo(tmp_path / "a", seed=7)
    second = run_inventory_demo(tmp_path / "b", seed=7)
    assert first["total_without_lulucf_t_co2e"] == second["total_without_lulucf_t_co2e"]
    assert (tmp_path / "a/inventory/records.csv").read_bytes() == (tmp_path / "b/inventory/records.csv").read_bytes()
