"""Inventory records: categories and hierarchy, GWP recomputation, LULUCF totals, validation,
the cited factor table, diffs and reconciliation, and the purity of the domain package."""

from __future__ import annotations

import ast
import csv
from importlib import resources
from pathlib import Path

import pytest

from carbonbridge.domain.errors import ValidationFailed
from carbonbridge.domain.inventory.factors import build_table
from carbonbridge.domain.inventory.reconcile import EXCEEDS, LOW_SHARE, NO_INVENTORY, reconcile
from carbonbridge.domain.inventory.records import (
    EmissionRecord,
    aggregate,
    ancestors,
    total_co2e_t,
    validate,
)
from carbonbridge.domain.inventory.versions import diff


def test_co2e_is_recomputed_from_masses_under_each_gwp_set() -> None:
    ch4 = EmissionRecord("3.A.1", "CH4", 2020, 1.0)
    n2o = EmissionRecord("3.C.4", "N2O", 2020, 1.0)
    sf6 = EmissionRecord("2.G.1", "SF6", 2020, 1.0)
    assert [ch4.co2e_t(s) for s in ("AR4GWP100", "AR5GWP100", "AR6GWP100")] == [25.0, 28.0, 27.9]
    assert [n2o.co2e_t(s) for s in ("AR4GWP100", "AR5GWP100", "AR6GWP100")] == [298.0, 265.0, 273.0]
    assert [sf6.co2e_t(s) for s in ("AR4GWP100", "AR5GWP100", "AR6GWP100")] == [22_800.0, 23_500.0, 25_200.0]


def test_totals_with_and_without_lulucf() -> None:
    records = [
        EmissionRecord("1.A.1", "CO2", 2020, 100.0),
        EmissionRecord("3.B.1.a", "CO2", 2020, -30.0),
        EmissionRecord("3.A.1", "CH4", 2020, 1.0),
    ]
    assert total_co2e_t(records, 2020, "AR5GWP100") == 128.0
    assert total_co2e_t(records, 2020, "AR5GWP100", with_lulucf=True) == 98.0


def test_aggregation_follows_the_ipcc_2006_hierarchy() -> None:
    assert ancestors("1.A.3.b") == ("0", "1", "1.A", "1.A.3")
    totals = aggregate(
        [
            EmissionRecord("1.A.1", "CO2", 2020, 10.0),
            EmissionRecord("1.A.2", "CO2", 2020, 5.0),
            EmissionRecord("2.F.1", "HFC-134a", 2020, 1.0),
        ],
        "AR5GWP100",
    )
    assert totals[("1.A", "CO2e", 2020)] == 15.0
    assert totals[("0", "CO2e", 2020)] == 15.0 + 1300.0  # HFC-134a AR5 GWP100 = 1300
    assert totals[("2", "HFCs", 2020)] == 1300.0


def test_validation_reports_every_bad_record_together() -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate(
            [
                EmissionRecord("9.Z", "CO2", 2020, 1.0),
                EmissionRecord("1.A.1", "CO2", 2020, -1.0),
                EmissionRecord("1.A.2", "XYZ", 2020, 1.0),
                EmissionRecord("1.A.2", "XYZ", 2020, 2.0),
            ]
        )
    messages = [p.message for p in caught.value.problems]
    assert len(messages) == 5
    assert any("unknown IPCC 2006 category" in m for m in messages)
    assert any("negative emissions outside LULUCF" in m for m in messages)
    assert any("duplicate" in m for m in messages)


def test_removals_are_accepted_in_lulucf() -> None:
    assert validate([EmissionRecord("3.B.1.a", "CO2", 2020, -5.0)])[0].mass_t == -5.0


def test_every_shipped_default_factor_cites_its_source() -> None:
    path = Path(str(resources.files("carbonbridge") / "data" / "inventory" / "factors.csv"))
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and all(r["ref"].startswith("V") and r["source"].startswith("IPCC 2006") for r in rows)
    build_table(rows)


def test_a_factor_row_without_source_or_with_the_wrong_unit_is_rejected() -> None:
    with pytest.raises(ValidationFailed) as caught:
        build_table(
            [
                {
                    "parameter": "soil_ef1",
                    "key": "x",
                    "value": "0.01",
                    "unit": "kg N2O-N/kg N",
                    "ref": "",
                    "source": "",
                },
                {
                    "parameter": "soil_ef1",
                    "key": "y",
                    "value": "0.01",
                    "unit": "kg N2O/kg N",
                    "ref": "r",
                    "source": "s",
                },
            ]
        )
    assert [p.line for p in caught.value.problems] == [2, 3]


def test_diff_lists_changed_added_and_removed_records() -> None:
    old = [EmissionRecord("1.A.1", "CO2", 2020, 10.0), EmissionRecord("4.A", "CH4", 2020, 1.0)]
    new = [EmissionRecord("1.A.1", "CO2", 2020, 12.0), EmissionRecord("3.A.1", "CH4", 2020, 1.0)]
    changes = diff(old, new, "AR5GWP100")
    assert [(c.category, c.kind, c.delta_co2e_t) for c in changes] == [
        ("1.A.1", "changed", 2.0),
        ("3.A.1", "added", 28.0),
        ("4.A", "removed", -28.0),
    ]


def test_reconciliation_flags_installations_above_the_inventory_and_low_shares() -> None:
    rows = reconcile(
        {("2.A.1", 2020): 500.0, ("1.A.1", 2020): 1000.0},
        {("2.A.1", 2020): (600.0, 2), ("1.A.1", 2020): (400.0, 3), ("2.B.1", 2020): (10.0, 1)},
        minimum_share={"1.A.1": 0.5},
    )
    flags = {r.category: r.flags for r in rows}
    assert flags == {"1.A.1": (LOW_SHARE,), "2.A.1": (EXCEEDS,), "2.B.1": (NO_INVENTORY,)}
    assert next(r for r in rows if r.category == "2.A.1").share == pytest.approx(1.2)


def test_the_inventory_domain_does_no_io_and_reads_no_clock() -> None:
    forbidden = {"os", "sqlalchemy", "datetime", "time", "random", "pathlib", "requests", "httpx", "typer", "csv"}
    folder = Path(str(resources.files("carbonbridge") / "domain" / "inventory"))
    for module in folder.glob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else ([node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            )
            for name in names:
                assert name.split(".")[0] not in forbidden, f"{module.name} imports {name}"
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id != "open", f"{module.name} opens files"


def test_validation_spells_every_category_the_dotted_way() -> None:
    assert [r.category for r in validate([EmissionRecord("1A3b", "CO2", 2020, 1.0)])] == ["1.A.3.b"]
    with pytest.raises(ValidationFailed, match="duplicate"):
        validate([EmissionRecord("1A1", "CO2", 2020, 1.0), EmissionRecord("1.A.1", "CO2", 2020, 1.0)])
