"""What `carbonbridge mrv cems`, `inventory compile|diff|reconcile` and `inventory crt read|tables`
do, over HTTP through the same services: CEMS hours into a report, an inventory compiled from
uploaded activity data, what a recalculation changed, verified installations against the
inventory, a CRT JSON read back, and the CRT-like workbooks."""

from __future__ import annotations

import io
import json
import statistics
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from api_world import ACTIVITY_HEADER, World, add_plan, make_world
from carbonbridge.client import ApiError

CRT = Path(__file__).parents[2] / "fixtures" / "crt"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ENERGY = "year,category,fuel,amount,unit\n2019,1.A.1,natural_gas,1000,TJ\n2020,1.A.1,natural_gas,{tj},TJ\n"
INPUTS = {
    "production.csv": b"year,product,technology,quantity_t\n2019,clinker,,900000\n2020,clinker,,1000000\n",
    "emissions.csv": b"year,category,gas,mass_t,method\n2019,3.B.1.a,CO2,-20000,synthetic\n"
    b"2020,3.B.1.a,CO2,-21000,synthetic\n",
}
STACK_PLAN = {
    "installation_id": "INST-1",
    "jurisdiction": "BY",
    "name": "Plant INST-1",
    "operator": "Operator LLC",
    "sector": "energy_industries",
    "source_streams": [{"name": "stack", "activity": "cems", "method": "measurement"}],
}


@pytest.fixture
def world(sqlite_url: str) -> World:
    from carbonbridge.entrypoints.bootstrap import build_app

    w = make_world(build_app(sqlite_url, upgrade=True))
    for installation in ("INST-1", "INST-2"):
        add_plan(w.core, installation, "BY", w.clock.now)
    return w


def _inputs(tj: int = 1100) -> dict[str, bytes]:
    return {"energy_balance.csv": ENERGY.format(tj=tj).encode(), **INPUTS}


def _refused(status: int, call: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(ApiError) as info:
        call(*args, **kwargs)
    assert info.value.status == status, info.value.problem
    return info.value.problem


def test_an_operator_uploads_a_year_of_cems_hours_and_the_report_takes_them(world: World) -> None:
    operator = world.as_user("operator")
    operator.register_plan(STACK_PLAN)
    hours = b"hour,concentration,flow\n0,150,200000\n1,,200000\n2,151,200000\n3,150,200000\n"
    done = operator.upload_measurements("INST-1", "hours.csv", hours, year=2025, emission_source="stack")
    substitute = statistics.mean([150, 151, 150]) + 2 * statistics.stdev([150, 151, 150])  # EU MRR Art. 45
    assert done["emissions_t"] == pytest.approx((150 + substitute + 151 + 150) * 200_000 / 1e6, rel=1e-12)
    assert (done["hours_total"], done["hours_valid"], done["hours_substituted_concentration"]) == (4, 3, 1)
    report = operator.submit_report("INST-1", 2025)
    assert report["co2_t"] == pytest.approx(done["emissions_t"], rel=1e-12)
    bad = _refused(
        422,
        operator.upload_measurements,
        "INST-1",
        "hours.csv",
        b"hour,concentration,flow\n0,abc,1\n",
        year=2025,
        emission_source="stack",
    )
    assert [(p["file"], p["line"], p["column"], p["field"]) for p in bad["problems"]] == [
        ("hours.csv", 2, 2, "concentration")
    ]
    not_measured = _refused(
        422, operator.upload_measurements, "INST-1", "h.csv", hours, year=2025, emission_source="gas"
    )
    assert not_measured["problems"][0]["field"] == "emission_source"
    _refused(404, operator.upload_measurements, "INST-2", "h.csv", hours, year=2025, emission_source="stack")
    _refused(
        403, world.as_user("trader").upload_measurements, "INST-1", "h.csv", hours, year=2025, emission_source="stack"
    )


def test_the_national_administrator_compiles_a_submission_from_uploaded_activity_data(world: World) -> None:
    national = world.as_user("national")
    first = national._send(
        "POST",
        "/inventory/BY/submissions",
        files=[("activity_data", (name, content)) for name, content in _inputs().items()],
        data={"label": "2022 submission"},
    )
    assert first.status_code == 201
    made = first.json()
    assert (made["version"], made["new"], made["label"], made["years"]) == (1, True, "2022 submission", [2019, 2020])
    again = national.compile_inventory("BY", _inputs(), label="2022 submission")
    assert (again["version"], again["new"]) == (1, False)  # the same inputs: the latest version (200)
    assert world.as_user("auditor").inventory_submission("BY", 1)["records"] == made["records"]
    unknown = _refused(422, national.compile_inventory, "BY", {**_inputs(), "soil.csv": b"year\n2020\n"})
    assert [p["file"] for p in unknown["problems"]] == ["soil.csv"]
    _refused(403, world.as_user("admin").compile_inventory, "BY", _inputs())
    _refused(403, world.as_user("auditor").compile_inventory, "BY", _inputs())
    assert [s["version"] for s in national.inventory_submissions("BY")] == [1]  # nothing stored on refusal


def test_the_changes_of_a_recalculation_are_listed_page_by_page(world: World) -> None:
    national = world.as_user("national")
    national.compile_inventory("BY", _inputs(1100))
    assert national.compile_inventory("BY", _inputs(1200))["version"] == 2
    changes = world.as_user("auditor").inventory_changes("BY", 2, since=1)
    co2 = [c for c in changes if (c["category"], c["gas"], c["year"]) == ("1.A.1", "CO2", 2020)]
    # 100 TJ more natural gas x 56.1 t CO2/TJ (IPCC 2006 Vol 2 Table 1.4)
    assert [(c["kind"], c["new_t"] - c["old_t"]) for c in co2] == [("changed", pytest.approx(5610.0, rel=1e-9))]
    assert all(c["year"] == 2020 and c["kind"] == "changed" for c in changes)
    first = national.get("/inventory/BY/submissions/2/changes", since=1, limit=1)
    rest = national.get("/inventory/BY/submissions/2/changes", since=1, limit=50, cursor=first["next_cursor"])
    assert first["items"] + rest["items"] == changes and rest["next_cursor"] is None
    _refused(404, national.inventory_changes, "BY", 2, since=7)
    _refused(404, world.as_user("cnadmin").inventory_changes, "BY", 2, since=1)


def test_verified_installation_emissions_are_reconciled_with_the_inventory(world: World) -> None:
    row = "gas-1,INST-1,gas,natural_gas,1000,thousand m3,2020,energy_industries,34.0,TJ/million m3\n"
    world.as_user("operator").upload_activity("a.csv", (ACTIVITY_HEADER + row).encode())
    report = world.as_user("operator").submit_report("INST-1", 2020)
    world.as_user("verifier").verify_report("INST-1", 2020, "satisfactory")
    national = world.as_user("national")
    national.compile_inventory("BY", _inputs())
    rows = national.reconciliation("BY", 1)
    assert [(r["category"], r["year"], r["installations"]) for r in rows] == [("1.A.1", 2020, 1)]
    assert rows[0]["installations_co2e_t"] == pytest.approx(report["co2e_t"], rel=1e-9)
    assert rows[0]["share"] == pytest.approx(rows[0]["installations_co2e_t"] / rows[0]["inventory_co2e_t"])
    _refused(403, world.as_user("operator").reconciliation, "BY", 1)


def test_a_crt_json_is_read_back_and_the_crt_like_workbooks_are_downloaded(world: World) -> None:
    national = world.as_user("national")
    national.compile_inventory("BY", _inputs(1100))
    national.compile_inventory("BY", _inputs(1200))
    metadata = (CRT / "synthetic_metadata.json").read_bytes()
    template = (CRT / "synthetic_party_export.json").read_bytes()
    exported = national.crt_export("BY", 2, metadata, template=template)
    back = world.as_user("auditor").crt_read("BY", json.dumps(exported["document"]).encode(), metadata)
    assert back["years"] == [2019, 2020]
    energy = {(r["category"], r["gas"], r["year"]): r["mass_t"] for r in back["records"]}
    assert energy[("1.A.1", "CO2", 2020)] == pytest.approx(1200 * 56.1, rel=1e-6)
    broken = _refused(422, national.crt_read, "BY", b'{"data": {"values": [{}]}}', metadata)
    assert {p["file"] for p in broken["problems"]} <= {"crt.json", "metadata.json"}

    media, content = national.crt_tables("BY", 2, years="2020", previous_version=1)
    assert media == XLSX
    sheets = load_workbook(io.BytesIO(content), read_only=True).sheetnames
    assert {"Summary1", "Table7", "Table8", "Table9", "Table10s1"} <= set(sheets)
    media, content = national.crt_tables("BY", 2, years="2019-2020")
    assert media == "application/zip"
    assert sorted(zipfile.ZipFile(io.BytesIO(content)).namelist()) == [
        "BLR-CRT-like-2019.xlsx",
        "BLR-CRT-like-2020.xlsx",
    ]
    bad = _refused(422, national.crt_tables, "BY", 2, years="twenty")
    assert bad["problems"][0]["field"] == "years"
    _refused(404, national.crt_tables, "BY", 9)
