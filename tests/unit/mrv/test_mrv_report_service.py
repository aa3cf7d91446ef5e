"""The annual-report use cases (services/mrv/reports.py) against the in-memory reports
(testing/memory_reports.py): the same services as on SQLite and PostgreSQL, no database,
milliseconds per test."""

from __future__ import annotations

import datetime as dt

import pytest

from carbonbridge.adapters.config import load_config
from carbonbridge.domain.errors import Conflict, NotFound, ValidationFailed
from carbonbridge.domain.jurisdiction import Config
from carbonbridge.domain.mrv.reporting import StreamEmissions
from carbonbridge.domain.mrv.verification import Opinion
from carbonbridge.services.mrv.reports import report_history, submit_report, verified_emissions, verify_report
from carbonbridge.testing.memory_reports import MemoryReports

NOW = dt.datetime(2026, 3, 31, 12, 0, tzinfo=dt.UTC)
INST = "BY-GRODNO-1"
FUEL = (StreamEmissions("natural gas", "calculation", 30_000.0, 0.5, 0.05),)


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(None)  # the shipped jurisdictions: BY reports under AR5 GWP100


@pytest.fixture
def reports() -> MemoryReports:
    reports = MemoryReports()
    reports.add_installation(INST, "BY")
    reports.import_activity(INST, 2025, FUEL)
    return reports


def _verify(reports: MemoryReports, opinion: Opinion = Opinion.SATISFACTORY, misstatement_t: float = 0.0) -> bool:
    view = verify_report(reports, INST, 2025, verifier="VB-1", opinion=opinion, misstatement_t=misstatement_t, now=NOW)
    return view.verified


def test_submit_verify_correct_with_a_reason_and_refuse_one_without(reports: MemoryReports, config: Config) -> None:
    first = submit_report(reports, INST, 2025, config=config, now=NOW)
    assert (first.version, first.gwp_set, first.category, first.verified) == (1, "AR5GWP100", "A", False)
    assert first.co2e_t == pytest.approx(30_000.0 + 0.5 * 28 + 0.05 * 265)
    assert submit_report(reports, INST, 2025, config=config, now=NOW) == first  # nothing changed: idempotent

    verified = verify_report(
        reports, INST, 2025, verifier="VB-1", opinion=Opinion.SATISFACTORY, misstatement_t=10.0, now=NOW
    )
    assert verified.verified and verified.verified_emissions_t == round(first.co2e_t)
    assert verified_emissions(reports, INST, 2025) == round(first.co2e_t)
    with pytest.raises(Conflict, match="already verified"):
        _verify(reports)

    reports.import_activity(INST, 2025, [StreamEmissions("natural gas", "calculation", 28_800.0, 0.48, 0.048)])
    with pytest.raises(ValidationFailed) as refused:
        submit_report(reports, INST, 2025, config=config, now=NOW)
    assert [p.field for p in refused.value.problems] == ["reason"]
    assert [v.version for v in report_history(reports, INST, 2025)] == [1]  # the refusal stored nothing

    corrected = submit_report(reports, INST, 2025, config=config, now=NOW, reason="meter recalibrated")
    assert (corrected.version, corrected.verified) == (2, False)
    assert corrected.co2_t == pytest.approx(28_800.0)
    assert verified_emissions(reports, INST, 2025) is None  # the latest version is not verified yet
    history = report_history(reports, INST)
    assert [(v.version, v.verified) for v in history] == [(1, True), (2, False)]  # v1 keeps its opinion
    assert _verify(reports)
    assert verified_emissions(reports, INST, 2025) == round(corrected.co2e_t)
    assert reports.audit_actions() == ["report.submitted", "report.verified", "report.submitted", "report.verified"]


def test_a_report_sent_back_is_corrected_without_a_reason(reports: MemoryReports, config: Config) -> None:
    submit_report(reports, INST, 2025, config=config, now=NOW)
    assert not _verify(reports, Opinion.NOT_SATISFACTORY, misstatement_t=5_000.0)
    assert verified_emissions(reports, INST, 2025) is None
    reports.import_activity(INST, 2025, [StreamEmissions("natural gas", "calculation", 25_000.0)])
    assert submit_report(reports, INST, 2025, config=config, now=NOW).version == 2
    assert reports.audit_actions() == ["report.submitted", "report.not_verified", "report.submitted"]


def test_the_latest_measurement_of_each_source_and_gas_counts(reports: MemoryReports, config: Config) -> None:
    reports.import_measurement(INST, 2025, "stack 1", "CO2", 1_000.0)
    latest = reports.import_measurement(INST, 2025, "stack 1", "CO2", 1_200.0)
    view = submit_report(reports, INST, 2025, config=config, now=NOW, gwp_set="AR4GWP100")
    assert view.by_source_stream["stack 1"]["co2_t"] == 1_200.0
    assert view.co2_t == pytest.approx(31_200.0)
    assert view.by_source_stream["_provenance"] == {"dataset_id": 1, "measurement_ids": [latest]}
    assert view.gwp_set == "AR4GWP100"


def test_what_is_refused(reports: MemoryReports, config: Config) -> None:
    with pytest.raises(NotFound, match="unknown installation"):
        submit_report(reports, "BY-NOWHERE", 2025, config=config, now=NOW)
    with pytest.raises(NotFound, match="no activity data or measurements"):
        submit_report(reports, INST, 2024, config=config, now=NOW)
    with pytest.raises(NotFound, match="no emissions report"):
        _verify(reports)
    with pytest.raises(ValidationFailed):
        verify_report(reports, INST, 2025, verifier=" ", opinion=Opinion.SATISFACTORY, misstatement_t=0.0, now=NOW)
    with pytest.raises(NotFound, match="unknown installation"):
        report_history(reports, "BY-NOWHERE")
    assert verified_emissions(reports, INST, 2025) is None
    assert reports.audit_actions() == []
