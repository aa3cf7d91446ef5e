"""The national inventory, cap and allocation over HTTP: submissions, exports, KCA, uncertainty,
the CRT JSON (export, validate, coverage) on the synthetic fixture metadata; the cap, plans and
the posting of an ex-ante allocation by the administrators of that jurisdiction only."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from api_world import World, add_inventory, make_world
from carbonbridge.client import ApiError

CRT = Path(__file__).parents[2] / "fixtures" / "crt"
UNCERTAINTY = "category,gas,ad_uncertainty_pct,ef_uncertainty_pct\n1,*,5,10\n2,*,5,10\n3,*,20,50\n"
HAL = "installation_id,product,historical_activity_level,carbon_leakage_exposed\nINST-1,grey_cement_clinker,1000,true\n"


@pytest.fixture
def world(sqlite_url: str, tmp_path: Path) -> World:
    from carbonbridge.entrypoints.bootstrap import build_app

    w = make_world(build_app(sqlite_url, upgrade=True))
    add_inventory(w.core.sessions, tmp_path / "v1", w.clock.now)
    return w


def test_submissions_are_listed_and_exported_in_the_cli_formats(world: World, tmp_path: Path) -> None:
    national = world.as_user("national")
    (tmp_path / "v2").mkdir()
    add_inventory(world.core.sessions, tmp_path / "v2", world.clock.now)  # same inputs: no new version
    listed = national.inventory_submissions("BY")
    assert [s["version"] for s in listed] == [1] and listed[0]["years"] == [2019, 2020]
    assert national.inventory_submission("BY", 1)["records"] == listed[0]["records"]
    bundle = zipfile.ZipFile(io.BytesIO(national.inventory_export("BY", 1)))
    names = set(bundle.namelist())
    assert {"inventory.xlsx", "summary1_2020.csv", "primap2/BLR_inventory.csv", "primap2/BLR_inventory.yaml"} <= names
    summary = national.inventory_export("BY", 1, "summary1-csv").decode()
    assert summary == bundle.read("summary1_2020.csv").decode()
    assert national.inventory_export("BY", 1, "xlsx")[:2] == b"PK"
    with pytest.raises(ApiError) as missing:
        national.inventory_submission("BY", 7)
    assert missing.value.status == 404


def test_kca_and_uncertainty_of_a_stored_submission(world: World) -> None:
    auditor = world.as_user("auditor")
    kca = auditor.kca("BY", 1, year=2020)
    assert kca["year"] == 2020 and kca["base_year"] == 2019
    assert ("2.A.1", "CO2") in {(k["category"], k["gas"]) for k in kca["key_categories"]}
    result = auditor.uncertainty("BY", 1, UNCERTAINTY.encode(), iterations=500, seed=3)
    assert result["iterations"] == 500 and 0 < result["approach1_pct"] < 15
    assert result == auditor.uncertainty("BY", 1, UNCERTAINTY.encode(), iterations=500, seed=3)  # seeded
    with pytest.raises(ApiError) as bad:
        auditor.uncertainty("BY", 1, b"category,gas\n")
    assert bad.value.status == 422 and bad.value.problem["problems"]


def test_crt_export_validates_and_its_coverage_is_reported(world: World) -> None:
    national = world.as_user("national")
    metadata = (CRT / "synthetic_metadata.json").read_bytes()
    template = (CRT / "synthetic_party_export.json").read_bytes()
    coverage = national.crt_coverage("BY", 1, metadata, template)
    placed = {(p["category"], p["gas"]) for p in coverage["placed"]}
    assert {("1.A.1", "CO2"), ("2.A.1", "CO2"), ("4.A.1", "CO2")} <= placed and coverage["unplaced"] == []
    energy = national.crt_export("BY", 1, metadata, template=template, sectors="energy")
    assert (energy["numbers"], energy["kept_from_template"]) == (9, 1)
    every = national.crt_export("BY", 1, metadata, template=template)
    assert every["numbers"] == 13 and every["repairs"] == []
    checked = national.crt_validate("BY", json.dumps(every["document"]).encode(), metadata)
    assert checked["valid"] is True and checked["entries"] > 0


def test_a_broken_crt_file_gets_its_problems_named_by_the_uploaded_file(world: World) -> None:
    metadata = (CRT / "synthetic_metadata.json").read_bytes()
    with pytest.raises(ApiError) as refused:
        world.as_user("national").crt_validate("BY", b'{"data": {"values": [{}]}}', metadata)
    assert refused.value.status == 422
    assert {p["file"] for p in refused.value.problem["problems"]} <= {"crt.json", "metadata.json"}


def test_the_inventory_is_the_administrators_of_its_jurisdiction_only(world: World) -> None:
    for user, status in (("cnadmin", 404), ("operator", 403), ("trader", 403)):
        with pytest.raises(ApiError) as denied:
            world.as_user(user).inventory_submissions("BY")
        assert denied.value.status == status


def test_cap_pages_and_a_plan_is_computed_without_storing(world: World) -> None:
    admin = world.as_user("admin")
    first = admin.get("/allocation/BY/cap", **{"from": 2026, "to": 2030, "limit": 2})
    assert [c["year"] for c in first["items"]] == [2026, 2027]
    assert [c["year"] for c in admin.cap("BY", 2026, 2030)] == [2026, 2027, 2028, 2029, 2030]
    lines = admin.allocation_plan("BY", "hal.csv", HAL.encode(), year=2025)
    assert lines["total_t"] == sum(line["allocation_t"] for line in lines["lines"]) > 0
    assert admin.allocation_entries("BY", 2025) == []


def _post(world: World, user: str, content: bytes = HAL.encode()) -> Any:
    return world.as_user(user).post_allocation("BY", 2025, "ex_ante", "hal.csv", content, code=world.code(user))


def test_the_registry_administrator_posts_the_allocation_once_signed(world: World) -> None:
    with pytest.raises(ApiError) as unsigned:
        world.as_user("admin").post_allocation("BY", 2025, "ex_ante", "hal.csv", HAL.encode())
    assert unsigned.value.problem["type"].endswith("second-factor-required")
    run = _post(world, "admin")
    assert [(p["installation_id"], p["phase"]) for p in run["postings"]] == [("INST-1", "ex_ante")]
    assert run["delivered_t"] == run["postings"][0]["allocation_t"] > 0
    assert _post(world, "admin")["delivered_t"] == run["delivered_t"]  # a repeat: the first run
    held = {h["unit_type"]: h["quantity"] for h in world.as_user("operator").holdings("BY-OP1")}
    assert held[run["unit_type"]] == run["delivered_t"]
    entries = world.as_user("auditor").allocation_entries("BY", 2025, phase="ex_ante")
    assert [(e["installation_id"], e["delivered_t"]) for e in entries] == [("INST-1", run["delivered_t"])]
    for user, status in (("cnadmin", 404), ("auditor", 403), ("operator", 403)):
        with pytest.raises(ApiError) as denied:
            world.as_user(user).post_allocation("BY", 2025, "ex_ante", "hal.csv", HAL.encode(), code="000000")
        assert denied.value.status == status


def test_the_national_administrator_posts_the_allocation_as_its_own_representative_of_the_national_account(
    world: World,
) -> None:
    # the national user has no representative id: it acts for BY-NHA as national-admin.national
    run = _post(world, "national")
    assert run["delivered_t"] == run["postings"][0]["allocation_t"] > 0
    moved = world.as_user("auditor").transactions(type="allocation")
    assert {(t["source_account"], t["initiator"]) for t in moved} == {("BY-NHA", "national-admin.national")}
    issued = world.as_user("auditor").transactions(type="issuance")
    assert {t["initiator"] for t in issued} == {"national-admin.national"}
    again = _post(world, "national")  # the same representative, not a second one: the first run
    assert again["delivered_t"] == run["delivered_t"]
    from sqlalchemy import select

    from carbonbridge.adapters.db.registry_models import RegistryAccountRepresentativeRow as Link

    with world.core.sessions() as session:
        held = session.scalars(select(Link.account_id).where(Link.representative_id == "national-admin.national"))
        assert list(held) == ["BY-NHA"]  # the national account only, nothing else


def test_a_long_user_id_gets_a_short_unique_national_representative_id() -> None:
    from carbonbridge.services.national_representation import representative_id

    long_a, long_b = "a" * 60 + "x", "a" * 60 + "y"
    assert representative_id("national") == "national-admin.national"
    assert len(representative_id(long_a)) <= 64 and representative_id(long_a) != representative_id(long_b)


def test_allocation_posting_on_both_databases(app: Any, tmp_path: Path) -> None:
    w = make_world(app)
    run = _post(w, "admin")
    assert run["postings"][0]["delivered_t"] > 0
    with pytest.raises(ApiError) as other:
        _post(w, "admin", HAL.replace("1000,", "2000,").encode())
    assert other.value.status == 409
    assert w.as_user("admin").check()["ok"] is True
