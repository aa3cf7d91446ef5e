"""MRV against real storage (SQLite and PostgreSQL): plans, import, CEMS, reports, verification."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from carbonbridge.adapters.db.models import ActivityDatasetRow, ActivityRecordRow, EmissionReportRow, VerificationRow
from carbonbridge.adapters.db.mrv import SqlReports
from carbonbridge.adapters.monitoring_plan_file import parse_plan
from carbonbridge.domain.errors import Conflict, NotFound, RuleViolation, ValidationFailed
from carbonbridge.domain.mrv.verification import Opinion
from carbonbridge.services.mrv.imports import import_activity, import_cems
from carbonbridge.services.mrv.plans import register_plan
from carbonbridge.services.mrv.reports import report_history, submit_report, verified_emissions, verify_report

PLAN = """
installation_id = "BY-GRODNO-1"
jurisdiction = "BY"
name = "Synthetic nitrogen works"
operator = "Synthetic Azot"
sector = "manufacturing"
category = "B"
method_pack = "ipcc2006"

[[source_streams]]
name = "gas"
activity = "natural_gas"
tier_ncv = "2b"

[[source_streams]]
name = "acid"
activity = "nitric_acid"

[[source_streams]]
name = "stack"
activity = "natural_gas"
method = "measurement"
"""
HEADER = "record_id,installation_id,source_stream,activity,quantity,unit,year,sector,ncv,ncv_unit,technology\n"
GAS = "gas-1,BY-GRODNO-1,gas,natural_gas,1000,thousand m3,2025,energy_industries,34.0,TJ/million m3,\n"
ACID = "acid-1,BY-GRODNO-1,acid,nitric_acid,{t},t,2025,,,,high_pressure\n"
CEMS = (
    "hour,concentration,flow\n2025-01-01T00,190,90000\n2025-01-01T01,200,\n2025-01-01T02,,100000\n"
    "2025-01-01T03,210,110000\n2025-01-01T04,,\n"
)


def plan(text: str = PLAN) -> Any:
    return parse_plan(tomllib.loads(text))


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def scenario(app: Any, folder: Path, now: dt.datetime, acid_t: float = 1_000) -> None:
    register_plan(app.sessions, plan(), config=app.config, now=now)
    import_activity(
        app.sessions,
        write(folder / "activity.csv", HEADER + GAS + ACID.format(t=acid_t)),
        year=None,
        config=app.config,
        now=now,
    )
    import_cems(
        app.sessions,
        write(folder / "stack.csv", CEMS),
        installation_id="BY-GRODNO-1",
        year=2025,
        emission_source="stack",
        now=now,
    )


def count(sessions: Any, row: type) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(row)) or 0)


def test_report_totals_follow_the_hand_calculation(app: Any, tmp_path: Path, now: dt.datetime) -> None:
    reports = SqlReports(app.sessions)
    scenario(app, tmp_path, now)
    view = submit_report(reports, "BY-GRODNO-1", 2025, config=app.config, now=now)
    # gas: 34 TJ x 56,100 kg CO2, 1 kg CH4, 0.1 kg N2O per TJ (IPCC 2006 Vol 2 Tables 1.4, 2.2)
    # acid: 1,000 t HNO3 x 9 kg N2O/t (Vol 3 Table 3.3, high pressure)
    # stack: CEMS 112.6 t CO2 with two hours of each series substituted (mean + 2 sigma)
    assert view.co2_t == pytest.approx(1907.4 + 112.6, rel=1e-12)
    assert view.ch4_t == pytest.approx(0.034, rel=1e-12)
    assert view.n2o_t == pytest.approx(0.0034 + 9.0, rel=1e-12)
    assert view.co2e_t == pytest.approx(2020.0 + 0.034 * 28 + 9.0034 * 265, rel=1e-12)  # BY: AR5GWP100
    assert (view.version, view.category, view.gwp_set, view.verified) == (1, "A", "AR5GWP100", False)
    assert view.by_source_stream["stack"]["method"] == "measurement"
    assert view.by_source_stream["stack"]["co2_t"] == pytest.approx(112.6, rel=1e-12)
    assert view.by_source_stream["acid"]["n2o_t"] == pytest.approx(9.0, rel=1e-12)
    ar4 = submit_report(reports, "BY-GRODNO-1", 2025, config=app.config, now=now, gwp_set="AR4GWP100")
    assert ar4.version == 2
    assert ar4.co2e_t == pytest.approx(2020.0 + 0.034 * 25 + 9.0034 * 298, rel=1e-12)


def test_cems_import_counts_substituted_hours_and_versions_the_result(
    app: Any, tmp_path: Path, now: dt.datetime
) -> None:
    reports = SqlReports(app.sessions)
    register_plan(app.sessions, plan(), config=app.config, now=now)
    path = write(tmp_path / "stack.csv", CEMS)
    first = import_cems(app.sessions, path, installation_id="BY-GRODNO-1", year=2025, emission_source="stack", now=now)
    assert first.emissions_t == pytest.approx(112.6, rel=1e-12)
    assert (first.hours_total, first.hours_valid) == (5, 2)
    assert (first.hours_substituted_concentration, first.hours_substituted_flow) == (2, 2)
    full = write(tmp_path / "full.csv", "hour,concentration,flow\n1,200,1000\n2,200,1000\n")
    import_cems(app.sessions, full, installation_id="BY-GRODNO-1", year=2025, emission_source="stack", now=now)
    assert submit_report(reports, "BY-GRODNO-1", 2025, config=app.config, now=now).co2_t == pytest.approx(
        0.4, rel=1e-12
    )


def test_cems_import_rejects_bad_hours_and_unknown_sources(app: Any, tmp_path: Path, now: dt.datetime) -> None:
    register_plan(app.sessions, plan(), config=app.config, now=now)
    bad = write(tmp_path / "bad.csv", "hour,concentration,flow\n1,200,1000\n2,lots,1000\n3,200,-\n4,nan,inf\n")
    with pytest.raises(ValidationFailed) as failed:
        import_cems(app.sessions, bad, installation_id="BY-GRODNO-1", year=2025, emission_source="stack", now=now)
    assert [p.render() for p in failed.value.problems] == [
        f"{bad}:3:2: expected a number or blank, got 'lots'",
        f"{bad}:4:3: expected a number or blank, got '-'",
        f"{bad}:5:2: expected a number or blank, got 'nan'",
        f"{bad}:5:3: expected a number or blank, got 'inf'",
    ]
    with pytest.raises(ValidationFailed) as failed:  # the report keeps CO2, CH4 and N2O masses only
        import_cems(
            app.sessions,
            write(tmp_path / "ok.csv", CEMS),
            installation_id="BY-GRODNO-1",
            year=2025,
            emission_source="stack",
            gas="SF6",
            now=now,
        )
    assert failed.value.problems[0].render() == "gas: unknown gas 'SF6'; expected one of CO2, CH4, N2O"
    with pytest.raises(ValidationFailed):
        import_cems(
            app.sessions,
            write(tmp_path / "ok.csv", CEMS),
            installation_id="BY-GRODNO-1",
            year=2025,
            emission_source="gas",
            now=now,
        )
    with pytest.raises(NotFound):
        import_cems(
            app.sessions,
            write(tmp_path / "ok.csv", CEMS),
            installation_id="BY-NOWHERE",
            year=2025,
            emission_source="stack",
            now=now,
        )


def test_monitoring_plan_versions_increase(app: Any, now: dt.datetime) -> None:
    assert register_plan(app.sessions, plan(), config=app.config, now=now) == 1
    assert register_plan(app.sessions, plan(), config=app.config, now=now) == 2
    with pytest.raises(ValidationFailed):
        register_plan(
            app.sessions,
            plan(PLAN.replace('activity = "nitric_acid"', 'activity = "unobtainium"')),
            config=app.config,
            now=now,
        )
    with pytest.raises(Conflict):
        register_plan(app.sessions, plan(PLAN.replace('"BY"', '"CN"')), config=app.config, now=now)


def test_tier_3_emission_factor_requires_site_specific_values(app: Any, tmp_path: Path, now: dt.datetime) -> None:
    register_plan(
        app.sessions,
        plan(PLAN.replace('activity = "nitric_acid"', 'activity = "nitric_acid"\ntier_ef = "3"')),
        config=app.config,
        now=now,
    )
    path = write(
        tmp_path / "a.csv",
        HEADER.rstrip() + ",emission_factor,ef_unit\n" + GAS.rstrip() + ",,\n" + ACID.format(t=1000).rstrip() + ",,\n",
    )
    with pytest.raises(ValidationFailed) as failed:
        import_activity(app.sessions, path, year=None, config=app.config, now=now)
    assert [p.render() for p in failed.value.problems] == [
        f"{path}:3:12: source stream 'acid' is monitored at EF tier 3: a site-specific emission_factor or "
        "carbon_content is required"
    ]
    assert count(app.sessions, ActivityRecordRow) == 0
    write(
        path,
        HEADER.rstrip()
        + ",emission_factor,ef_unit\n"
        + GAS.rstrip()
        + ",,\n"
        + ACID.format(t=1000).rstrip()
        + ",1.5,kg N2O/t\n",
    )
    (dataset,) = import_activity(app.sessions, path, year=None, config=app.config, now=now)
    assert dataset.records == 2


def test_tier_2b_ncv_requires_a_site_specific_ncv(app: Any, tmp_path: Path, now: dt.datetime) -> None:
    register_plan(app.sessions, plan(), config=app.config, now=now)
    path = write(tmp_path / "a.csv", HEADER + "gas-1,BY-GRODNO-1,gas,natural_gas,5,t,2025,manufacturing,,,\n")
    with pytest.raises(ValidationFailed) as failed:
        import_activity(app.sessions, path, year=None, config=app.config, now=now)
    assert [p.render() for p in failed.value.problems] == [
        f"{path}:2:9: source stream 'gas' is monitored at NCV tier 2b: a site-specific ncv is required"
    ]
    assert count(app.sessions, ActivityDatasetRow) == 0


@pytest.mark.parametrize("unit", ["TJ", "GWh", "Gcal", "kWh"])
def test_tier_2b_ncv_needs_no_ncv_for_a_quantity_already_in_energy(
    app: Any, tmp_path: Path, now: dt.datetime, unit: str
) -> None:
    # The calculation refuses an ncv on an energy quantity, so the tier rule must not demand one.
    register_plan(app.sessions, plan(), config=app.config, now=now)
    path = write(tmp_path / "a.csv", HEADER + f"gas-1,BY-GRODNO-1,gas,natural_gas,5,{unit},2025,manufacturing,,,\n")
    (dataset,) = import_activity(app.sessions, path, year=None, config=app.config, now=now)
    assert dataset.records == 1


def test_records_on_a_measurement_based_source_are_refused(app: Any, tmp_path: Path, now: dt.datetime) -> None:
    # Otherwise its calculated and its measured emissions would share (and overwrite) one report line.
    register_plan(app.sessions, plan(), config=app.config, now=now)
    path = write(tmp_path / "a.csv", HEADER + "s-1,BY-GRODNO-1,stack,natural_gas,5,TJ,2025,manufacturing,,,\n")
    with pytest.raises(ValidationFailed) as failed:
        import_activity(app.sessions, path, year=None, config=app.config, now=now)
    assert [p.render() for p in failed.value.problems] == [
        f"{path}:2:3: source stream 'stack' is measurement-based: import its hourly data with 'mrv cems'"
    ]


def test_a_failed_import_writes_nothing(app: Any, tmp_path: Path, now: dt.datetime) -> None:
    register_plan(app.sessions, plan(), config=app.config, now=now)
    bad = write(tmp_path / "bad.csv", HEADER + GAS + "acid-1,BY-GRODNO-1,acid,nitric_acid,-3,t,2025,,,,high_pressure\n")
    with pytest.raises(ValidationFailed):
        import_activity(app.sessions, bad, year=None, config=app.config, now=now)
    assert (count(app.sessions, ActivityDatasetRow), count(app.sessions, ActivityRecordRow)) == (0, 0)


@pytest.mark.parametrize(
    ("acid_t", "misstatement_share", "material"),
    [
        (1_000, 0.05, False),  # 5 % is not above the 5 % level (AVR Art. 23(1))
        (1_000, 0.0501, True),
        (300_000, 0.02, False),  # 2,700 t N2O = 715,500 t CO2e: above 500 kt, so 2 %
        (300_000, 0.0201, True),
    ],
)
def test_materiality_5_percent_up_to_500_kt_and_2_percent_above(
    app: Any, tmp_path: Path, now: dt.datetime, acid_t: float, misstatement_share: float, material: bool
) -> None:
    reports = SqlReports(app.sessions)
    scenario(app, tmp_path, now, acid_t=acid_t)
    report = submit_report(reports, "BY-GRODNO-1", 2025, config=app.config, now=now)
    misstatement = report.co2e_t * misstatement_share
    if material:
        with pytest.raises(RuleViolation) as refused:
            verify_report(
                reports,
                "BY-GRODNO-1",
                2025,
                verifier="V",
                opinion=Opinion.SATISFACTORY,
                misstatement_t=misstatement,
                now=now,
            )
        assert refused.value.code == "material_misstatement"
        assert count(app.sessions, VerificationRow) == 0
        view = verify_report(
            reports,
            "BY-GRODNO-1",
            2025,
            verifier="V",
            opinion=Opinion.NOT_SATISFACTORY,
            misstatement_t=misstatement,
            now=now,
        )
        assert not view.verified and view.verified_emissions_t is None
        assert verified_emissions(reports, "BY-GRODNO-1", 2025) is None
    else:
        view = verify_report(
            reports,
            "BY-GRODNO-1",
            2025,
            verifier="V",
            opinion=Opinion.SATISFACTORY_WITH_COMMENTS,
            misstatement_t=misstatement,
            now=now,
        )
        assert view.verified
        assert view.verified_emissions_t == round(report.co2e_t)
        assert verified_emissions(reports, "BY-GRODNO-1", 2025) == round(report.co2e_t)


def test_a_verified_report_is_never_changed_and_a_correction_needs_a_reason(
    app: Any, tmp_path: Path, now: dt.datetime
) -> None:
    reports = SqlReports(app.sessions)
    scenario(app, tmp_path, now)
    first = submit_report(reports, "BY-GRODNO-1", 2025, config=app.config, now=now)
    again = submit_report(reports, "BY-GRODNO-1", 2025, config=app.config, now=now)
    assert again.version == 1  # nothing changed: same version
    verified = verify_report(
        reports, "BY-GRODNO-1", 2025, verifier="V", opinion=Opinion.SATISFACTORY, misstatement_t=0.0, now=now
    )
    assert verified.verified_emissions_t == 4407  # 4,406.853 t CO2e rounded half up
    with pytest.raises(Conflict):
        verify_report(
            reports, "BY-GRODNO-1", 2025, verifier="V2", opinion=Opinion.SATISFACTORY, misstatement_t=0.0, now=now
        )

    import_activity(
        app.sessions,
        write(tmp_path / "fix.csv", HEADER + GAS + ACID.format(t=1_100)),
        year=None,
        config=app.config,
        now=now,
    )
    with pytest.raises(ValidationFailed) as failed:
        submit_report(reports, "BY-GRODNO-1", 2025, config=app.config, now=now)
    assert "needs --reason" in failed.value.problems[0].message
    corrected = submit_report(reports, "BY-GRODNO-1", 2025, config=app.config, now=now, reason="meter recalibrated")
    assert corrected.version == 2 and not corrected.verified
    assert corrected.n2o_t == pytest.approx(0.0034 + 9.9, rel=1e-12)

    history = report_history(reports, "BY-GRODNO-1", 2025)
    assert [v.version for v in history] == [1, 2]
    assert history[0] == verified  # version 1 is untouched, still verified
    assert history[0].co2e_t == first.co2e_t
    assert verified_emissions(reports, "BY-GRODNO-1", 2025) is None  # the latest version is not verified yet
    verify_report(reports, "BY-GRODNO-1", 2025, verifier="V", opinion=Opinion.SATISFACTORY, misstatement_t=0, now=now)
    assert verified_emissions(reports, "BY-GRODNO-1", 2025) == round(corrected.co2e_t)
    assert count(app.sessions, EmissionReportRow) == 2


def test_reports_need_data_and_a_known_installation(app: Any, now: dt.datetime) -> None:
    reports = SqlReports(app.sessions)
    with pytest.raises(NotFound):
        submit_report(reports, "BY-NOWHERE", 2025, config=app.config, now=now)
    register_plan(app.sessions, plan(), config=app.config, now=now)
    with pytest.raises(NotFound):
        submit_report(reports, "BY-GRODNO-1", 2025, config=app.config, now=now)
    with pytest.raises(NotFound):
        verify_report(
            reports, "BY-GRODNO-1", 2025, verifier="V", opinion=Opinion.SATISFACTORY, misstatement_t=0, now=now
        )


@pytest.mark.postgres
def test_sqlite_and_postgresql_give_identical_reports(
    sqlite_url: str, pg_url: str, tmp_path: Path, now: dt.datetime
) -> None:
    from carbonbridge.entrypoints.bootstrap import build_app

    views = []
    for name, url in (("sqlite", sqlite_url), ("postgresql", pg_url)):
        application = build_app(url, upgrade=True)
        folder = tmp_path / name
        folder.mkdir()
        try:
            scenario(application, folder, now, acid_t=123_456.789)
            reports = SqlReports(application.sessions)
            # many records so that summation order matters if the sums were naive
            rows = "".join(
                f"g{i},BY-GRODNO-1,gas,natural_gas,{1 + i * 0.1},thousand m3,2025,energy_industries,"
                f"{33 + i % 7 * 0.37},TJ/million m3,\n"
                for i in range(400)
            )
            import_activity(
                application.sessions,
                write(folder / "many.csv", HEADER + rows + ACID.format(t=0.1)),
                year=None,
                config=application.config,
                now=now,
            )
            submit_report(reports, "BY-GRODNO-1", 2025, config=application.config, now=now)
            verify_report(
                reports,
                "BY-GRODNO-1",
                2025,
                verifier="V",
                opinion=Opinion.SATISFACTORY,
                misstatement_t=1.5,
                now=now,
            )
            views.append(report_history(reports, "BY-GRODNO-1"))
        finally:
            application.engine.dispose()
    on_sqlite, on_postgresql = views
    assert len(on_sqlite) == len(on_postgresql) == 1
    a, b = on_sqlite[0], on_postgresql[0]
    assert (a.co2_t, a.ch4_t, a.n2o_t, a.co2e_t) == (b.co2_t, b.ch4_t, b.n2o_t, b.co2e_t)
    assert a.by_source_stream == b.by_source_stream
    assert a == b
