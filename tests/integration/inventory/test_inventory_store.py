"""Compiling and storing inventory submissions on SQLite and PostgreSQL: versions, diffs,
MRV in place of Tier 1 and reconciliation with verified installation reports."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from carbonbridge.adapters.db.models import (
    ActivityDatasetRow,
    ActivityRecordRow,
    EmissionReportRow,
    InstallationRow,
    MonitoringPlanRow,
    VerificationRow,
)
from carbonbridge.adapters.db.uow import unit_of_work
from carbonbridge.domain.errors import NotFound, ValidationFailed
from carbonbridge.services.inventory import compile as service

NOW = dt.datetime(2026, 4, 15, 12, 0, tzinfo=dt.UTC)


def write_inputs(folder: Path, *, clinker_2020: int = 1_000_000) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "energy_balance.csv").write_text(
        "year,category,fuel,amount,unit\n2019,1.A.1,natural_gas,1000,TJ\n2020,1.A.1,natural_gas,1100,TJ\n"
        "2020,1.A.3.b,gas_diesel_oil,10000,t\n",
        encoding="utf-8",
    )
    (folder / "production.csv").write_text(
        f"year,product,technology,quantity_t\n2019,clinker,,900000\n2020,clinker,,{clinker_2020}\n", encoding="utf-8"
    )
    (folder / "emissions.csv").write_text(
        "year,category,gas,mass_t,method\n2019,3.B.1.a,CO2,-20000,synthetic\n2020,3.B.1.a,CO2,-21000,synthetic\n",
        encoding="utf-8",
    )
    return folder


def test_compiling_stores_a_version_and_recompiling_unchanged_inputs_does_not(app: Any, tmp_path: Path) -> None:
    inputs = write_inputs(tmp_path / "in")
    first = service.compile_submission(app.sessions, "BY", inputs, now=NOW)
    again = service.compile_submission(app.sessions, "BY", inputs, now=NOW)
    assert (first.version, first.new, again.version, again.new) == (1, True, 1, False)
    # 2020: 1100 TJ x 56.1 + 430 TJ diesel x 74.1 + 1e6 t clinker x 0.52, plus CH4/N2O in CO2e (AR5)
    co2 = 1100 * 56.1 + 430 * 74.1 + 520_000
    ch4 = 1100 * 0.001 + 430 * 0.0039
    n2o = 1100 * 0.0001 + 430 * 0.0039
    assert first.latest_total_without_lulucf_t_co2e == pytest.approx(co2 + ch4 * 28 + n2o * 265)
    records = service.load_submission(app.sessions, "BY")
    assert {r.category for r in records} == {"1.A.1", "1.A.3.b", "2.A.1", "3.B.1.a"}


def test_a_recalculation_is_a_new_version_and_the_diff_shows_what_changed(app: Any, tmp_path: Path) -> None:
    service.compile_submission(app.sessions, "BY", write_inputs(tmp_path / "v1"), now=NOW)
    second = service.compile_submission(
        app.sessions,
        "BY",
        write_inputs(tmp_path / "v2", clinker_2020=1_100_000),
        now=NOW,
        label="clinker statistics revised",
    )
    assert second.version == 2
    changes = service.diff_versions(app.sessions, "BY", 1, 2)
    assert [(c.category, c.gas, c.year, c.kind) for c in changes] == [("2.A.1", "CO2", 2020, "changed")]
    assert changes[0].delta_co2e_t == pytest.approx(100_000 * 0.52)
    assert service.versions(app.sessions, "BY") == [1, 2]
    old = service.load_submission(app.sessions, "BY", 1)
    assert next(r for r in old if r.category == "2.A.1" and r.year == 2020).mass_t == pytest.approx(520_000)


def test_an_unknown_version_is_not_found(app: Any) -> None:
    with pytest.raises(NotFound):
        service.load_submission(app.sessions, "BY", 7)


def test_bad_activity_data_reports_every_problem_with_file_and_line(app: Any, tmp_path: Path) -> None:
    folder = write_inputs(tmp_path / "bad")
    (folder / "production.csv").write_text(
        "year,product,technology,quantity_t\n20x0,clinker,,1\n2020,clinker,,lots\n", encoding="utf-8"
    )
    with pytest.raises(ValidationFailed) as caught:
        service.compile_submission(app.sessions, "BY", folder, now=NOW)
    located = [(Path(p.file).name, p.line) for p in caught.value.problems]
    assert located == [("production.csv", 2), ("production.csv", 3)]


def add_verified_cement_plant(app: Any, *, co2_t: float, year: int = 2020, verified: bool = True) -> None:
    with unit_of_work(app.sessions) as s:
        s.add(
            InstallationRow(
                id="BY-CEM-1", jurisdiction="BY", name="Kiln", operator="Op", sector="manufacturing", created_at=NOW
            )
        )
        s.flush()
        plan = MonitoringPlanRow(
            installation_id="BY-CEM-1", version=1, category="C", method_pack="ipcc2006", created_at=NOW
        )
        s.add(plan)
        s.flush()
        data = ActivityDatasetRow(
            installation_id="BY-CEM-1",
            year=year,
            version=1,
            plan_id=plan.id,
            source_file="x",
            sha256="0" * 64,
            method_pack="ipcc2006",
            record_count=1,
            imported_at=NOW,
        )
        s.add(data)
        s.flush()
        s.add(
            ActivityRecordRow(
                dataset_id=data.id,
                record_id="r1",
                source_stream="clinker",
                activity="clinker",
                quantity=co2_t / 0.52,
                unit="t",
                sector="manufacturing",
                technology="",
                ncv=None,
                ncv_unit="",
                emission_factor=None,
                ef_unit="",
                oxidation_factor=None,
                carbon_content=None,
                carbon_content_unit="",
                co2_t=co2_t,
                ch4_t=0.0,
                n2o_t=0.0,
                method="calculation",
                factor_source="V3 Eq 2.4",
            )
        )
        report = EmissionReportRow(
            installation_id="BY-CEM-1",
            year=year,
            version=1,
            dataset_id=data.id,
            gwp_set="AR5GWP100",
            method_pack="ipcc2006",
            co2_t=co2_t,
            ch4_t=0.0,
            n2o_t=0.0,
            co2e_t=co2_t,
            category="C",
            by_source_stream={},
            reason="",
            submitted_at=NOW,
        )
        s.add(report)
        s.flush()
        s.add(
            VerificationRow(
                report_id=report.id,
                verifier="V",
                opinion="satisfactory",
                misstatement_t=0.0,
                materiality_pct=2.0,
                material=False,
                verified=verified,
                verified_emissions_t=round(co2_t),
                comments="",
                verified_at=NOW,
            )
        )


def test_reconciliation_flags_installations_that_exceed_the_inventory(app: Any, tmp_path: Path) -> None:
    add_verified_cement_plant(app, co2_t=600_000.0)
    service.compile_submission(app.sessions, "BY", write_inputs(tmp_path / "in"), now=NOW)
    rows = service.reconcile_with_mrv(app.sessions, "BY")
    assert [(r.category, r.year, r.installations, r.flags) for r in rows] == [
        ("2.A.1", 2020, 1, ("installations_exceed_inventory",))
    ]
    assert rows[0].share == pytest.approx(600_000 / 520_000)


def test_unverified_reports_are_ignored(app: Any, tmp_path: Path) -> None:
    add_verified_cement_plant(app, co2_t=600_000.0, verified=False)
    service.compile_submission(app.sessions, "BY", write_inputs(tmp_path / "in"), now=NOW)
    assert service.reconcile_with_mrv(app.sessions, "BY") == []


def test_verified_mrv_replaces_tier1_in_the_chosen_categories(app: Any, tmp_path: Path) -> None:
    add_verified_cement_plant(app, co2_t=510_000.0)
    view = service.compile_submission(
        app.sessions, "BY", write_inputs(tmp_path / "in"), now=NOW, mrv_categories=["2.A.1"]
    )
    records = service.load_submission(app.sessions, "BY", view.version)
    cement = {r.year: (r.mass_t, r.source) for r in records if r.category == "2.A.1"}
    assert cement[2020] == (510_000.0, "mrv")
    assert cement[2019] == (pytest.approx(900_000 * 0.52), "national")  # no installation data for 2019


def test_the_demo_stores_its_inventory_when_given_a_database(app: Any, tmp_path: Path) -> None:
    from carbonbridge_demo.inventory import LATEST_YEAR, run_inventory_demo

    summary = run_inventory_demo(tmp_path, seed=3, sessions=app.sessions)
    stored = service.submission(app.sessions, "BY")
    assert stored.version == 1 and stored.years[-1] == LATEST_YEAR
    assert stored.latest_total_without_lulucf_t_co2e == summary["total_without_lulucf_t_co2e"]
    assert len(stored.reference_approach) > 0


def test_an_empty_or_misnamed_input_folder_is_refused(app: Any, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    with pytest.raises(ValidationFailed, match="no emissions"):
        service.compile_submission(app.sessions, "BY", folder, now=NOW)
    (folder / "energy.csv").write_text("year\n", encoding="utf-8")
    with pytest.raises(ValidationFailed, match="unknown input file"):
        service.compile_submission(app.sessions, "BY", folder, now=NOW)
    assert service.versions(app.sessions, "BY") == []


def test_a_national_factor_table_overrides_a_default_and_makes_a_new_version(app: Any, tmp_path: Path) -> None:
    inputs = write_inputs(tmp_path / "in")
    (inputs / "livestock.csv").write_text("year,animal,heads\n2020,sheep,1000\n", encoding="utf-8")
    service.compile_submission(app.sessions, "BY", inputs, now=NOW)
    national = tmp_path / "national_factors.csv"
    national.write_text(
        "parameter,key,value,unit,ref,source\n"
        "enteric_ef,sheep,6.5,kg CH4/head/yr,NIR 2026 Annex 3,Country-specific Tier 2 average\n",
        encoding="utf-8",
    )
    view = service.compile_submission(app.sessions, "BY", inputs, now=NOW, factors=national)
    assert view.version == 2
    records = service.load_submission(app.sessions, "BY")
    enteric = next(r for r in records if r.category == "3.A.1")
    assert enteric.mass_t == pytest.approx(6.5) and "NIR 2026 Annex 3" in enteric.factor
