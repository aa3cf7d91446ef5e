"""MRV over HTTP beyond verification: monitoring plans, activity data upload (CSV and XLSX,
multipart) with the located problems of the import's validation, and report compilation,
send-back and correction - each through the services the CLI calls."""

from __future__ import annotations

import io
from typing import Any

import pytest
from sqlalchemy import func, select

from api_world import ACTIVITY_HEADER, GAS_PLAN, World, activity_row, add_plan, make_world
from carbonbridge.adapters.db.models import ActivityDatasetRow
from carbonbridge.client import ApiError


@pytest.fixture
def world(sqlite_url: str) -> World:
    from carbonbridge.entrypoints.bootstrap import build_app

    w = make_world(build_app(sqlite_url, upgrade=True))
    for installation in ("INST-1", "INST-2"):
        add_plan(w.core, installation, "BY", w.clock.now)
    return w


def datasets(world: World) -> int:
    with world.core.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(ActivityDatasetRow)) or 0)


def plan(installation_id: str, jurisdiction: str = "BY", **extra: Any) -> dict[str, Any]:
    return {
        **GAS_PLAN,
        "installation_id": installation_id,
        "jurisdiction": jurisdiction,
        "name": "Plant",
        "operator": "Op",
        **extra,
    }


def test_the_national_administrator_registers_an_installation_and_its_operator_versions_the_plan(world: World) -> None:
    national, operator = world.as_user("national"), world.as_user("operator")
    made = national.register_plan(plan("INST-9"))
    assert (made["installation_id"], made["version"], made["source_streams"][0]["tier_ncv"]) == ("INST-9", 1, "2b")
    again = operator.register_plan(plan("INST-1", category="B"))
    assert (again["version"], again["category"]) == (2, "B")
    first = operator.get("/mrv/installations/INST-1/monitoring-plans", limit=1)
    assert [p["version"] for p in first["items"]] == [1] and first["next_cursor"]
    rest = operator.get("/mrv/installations/INST-1/monitoring-plans", limit=1, cursor=first["next_cursor"])
    assert [p["version"] for p in rest["items"]] == [2]
    assert world.as_user("verifier").get("/mrv/installations/INST-1/monitoring-plans/2")["category"] == "B"
    with pytest.raises(ApiError) as foreign:
        operator.register_plan(plan("INST-2"))
    assert foreign.value.status == 404
    with pytest.raises(ApiError) as bad:
        national.register_plan(
            plan("INST-1", source_streams=[{"name": "gas", "activity": "natural_gas", "tier_ef": "9"}])
        )
    assert bad.value.status == 422
    assert bad.value.problem["problems"][0]["field"] == "source_streams[0].tier_ef"


def test_a_csv_upload_stores_a_dataset_and_a_bad_one_answers_every_located_problem_and_stores_nothing(
    world: World,
) -> None:
    operator = world.as_user("operator")
    bad = ACTIVITY_HEADER + activity_row("INST-1", quantity="lots") + activity_row("INST-1", record="gas-2")
    bad += "gas-3,INST-1,gas,natural_gas,5,thousand m3,2025,energy_industries,,TJ/million m3\n"
    with pytest.raises(ApiError) as refused:
        operator.upload_activity("june.csv", bad.encode())
    assert refused.value.status == 422
    assert refused.value.problem["type"] == "urn:carbonbridge:problem:validation"
    located = [(p["file"], p["line"], p["field"]) for p in refused.value.problem["problems"]]
    assert ("june.csv", 2, "quantity") in located
    assert any(line == 4 for _, line, _ in located), located  # the missing NCV of a tier 2b stream
    assert datasets(world) == 0
    done = operator.upload_activity("june.csv", (ACTIVITY_HEADER + activity_row("INST-1")).encode())
    assert [(d["installation_id"], d["year"], d["version"], d["records"]) for d in done["datasets"]] == [
        ("INST-1", 2025, 1, 1)
    ]
    assert datasets(world) == 1


def test_an_xlsx_upload_is_read_like_the_csv(world: World) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for line in (ACTIVITY_HEADER + activity_row("INST-1")).splitlines():
        sheet.append(line.split(","))
    buffer = io.BytesIO()
    book.save(buffer)
    done = world.as_user("national").upload_activity("activity.xlsx", buffer.getvalue())
    assert done["datasets"][0]["co2_t"] == pytest.approx(1907.4)


def test_a_file_naming_another_operators_installation_is_refused_whole(world: World) -> None:
    text = ACTIVITY_HEADER + activity_row("INST-1") + activity_row("INST-2", record="gas-2")
    with pytest.raises(ApiError) as hidden:
        world.as_user("operator").upload_activity("both.csv", text.encode())
    assert hidden.value.status == 404
    assert datasets(world) == 0
    with pytest.raises(ApiError) as forbidden:
        world.as_user("verifier").upload_activity("a.csv", (ACTIVITY_HEADER + activity_row("INST-1")).encode())
    assert forbidden.value.status == 403


def test_a_report_sent_back_and_a_verified_one_are_corrected_by_new_versions(world: World) -> None:
    operator, verifier = world.as_user("operator"), world.as_user("verifier")
    operator.upload_activity("a.csv", (ACTIVITY_HEADER + activity_row("INST-1")).encode())
    first = operator.submit_report("INST-1", 2025)
    assert (first["version"], first["verified"]) == (1, False)
    assert operator.submit_report("INST-1", 2025)["version"] == 1  # nothing changed: the same version
    sent_back = verifier.verify_report("INST-1", 2025, "not_satisfactory", misstatement_t=100)
    assert sent_back["verified"] is False
    operator.upload_activity("a.csv", (ACTIVITY_HEADER + activity_row("INST-1", quantity=900)).encode())
    corrected = operator.submit_report("INST-1", 2025, reason="meter recalibrated")
    assert corrected["version"] == 2 and corrected["co2_t"] < first["co2_t"]
    assert verifier.verify_report("INST-1", 2025, "satisfactory")["verified"] is True
    operator.upload_activity("a.csv", (ACTIVITY_HEADER + activity_row("INST-1", quantity=950)).encode())
    with pytest.raises(ApiError) as no_reason:
        operator.submit_report("INST-1", 2025)
    assert no_reason.value.status == 422 and no_reason.value.problem["problems"][0]["field"] == "reason"
    assert operator.submit_report("INST-1", 2025, reason="late invoice")["version"] == 3
    assert [r["version"] for r in operator.reports("INST-1", 2025)] == [1, 2, 3]


def test_the_upload_writes_nothing_on_postgresql_either_when_one_line_is_wrong(app: Any) -> None:
    w = make_world(app)
    add_plan(w.core, "INST-1", "BY", w.clock.now)
    text = ACTIVITY_HEADER + activity_row("INST-1") + activity_row("INST-1", quantity=-5, record="gas-2")
    with pytest.raises(ApiError) as refused:
        w.as_user("operator").upload_activity("a.csv", text.encode())
    assert refused.value.status == 422 and refused.value.problem["problems"][0]["line"] == 3
    assert datasets(w) == 0


def test_located_problems_say_what_each_field_should_hold(world: World) -> None:
    rows = activity_row("INST-1", quantity=-1) + activity_row("INST-1", record="gas-2").replace(",2025,", ",20x5,")
    with pytest.raises(ApiError) as bad:
        world.as_user("operator").upload_activity("activity.csv", (ACTIVITY_HEADER + rows).encode())
    found = [(p["line"], p["field"], p["expected"]) for p in bad.value.problem["problems"]]
    assert found == [(2, "quantity", "number >= 0"), (3, "year", "integer in [1850, 2200]")]
