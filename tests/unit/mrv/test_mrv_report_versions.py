"""When a compiled annual report becomes a new version (domain/mrv/reporting.next_version)."""

import pytest

from carbonbridge.domain.errors import ValidationFailed
from carbonbridge.domain.mrv.reporting import ReportHead, ReportInputs, next_version

INPUTS = ReportInputs(dataset_id=7, measurement_ids=(3, 4))


def head(*, version: int = 2, gwp_set: str = "AR5", inputs: ReportInputs | None = INPUTS, verified: bool = False):
    return ReportHead(version, gwp_set, inputs, verified)


def test_the_first_report_of_a_year_is_version_one() -> None:
    assert next_version(None, INPUTS, "AR5", reason="") == 1


def test_the_same_inputs_under_the_same_gwp_set_keep_the_latest_version() -> None:
    assert next_version(head(), ReportInputs(7, (3, 4)), "AR5", reason="") is None


def test_the_same_inputs_keep_a_verified_version_without_asking_for_a_reason() -> None:
    assert next_version(head(verified=True), INPUTS, "AR5", reason="") is None


def test_a_new_dataset_gives_the_next_version() -> None:
    assert next_version(head(), ReportInputs(8, (3, 4)), "AR5", reason="") == 3


def test_a_new_measured_series_gives_the_next_version() -> None:
    assert next_version(head(), ReportInputs(7, (3, 5)), "AR5", reason="") == 3


def test_another_gwp_set_gives_the_next_version() -> None:
    assert next_version(head(), INPUTS, "AR6", reason="") == 3


def test_a_latest_version_without_recorded_inputs_is_superseded() -> None:
    assert next_version(head(inputs=None), INPUTS, "AR5", reason="") == 3


@pytest.mark.parametrize("reason", ["", "   ", "\n"])
def test_correcting_a_verified_report_without_a_reason_is_refused(reason: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        next_version(head(verified=True), ReportInputs(8, ()), "AR5", reason=reason)
    assert [p.field for p in refused.value.problems] == ["reason"]
    assert "needs --reason" in refused.value.problems[0].message


def test_correcting_a_verified_report_with_a_reason_gives_the_next_version() -> None:
    assert next_version(head(verified=True), ReportInputs(8, ()), "AR5", reason="meter recalibrated") == 3


def test_stored_inputs_read_back_equal_the_inputs_written() -> None:
    assert ReportInputs.from_record(INPUTS.as_record()) == INPUTS
    assert ReportInputs.from_record({"dataset_id": None, "measurement_ids": []}) == ReportInputs(None, ())


@pytest.mark.parametrize(
    "record",
    [None, "x", {}, {"dataset_id": "7", "measurement_ids": []}, {"dataset_id": 7, "measurement_ids": ["3"]}],
)
def test_a_record_that_does_not_name_the_inputs_reads_as_none(record: object) -> None:
    assert ReportInputs.from_record(record) is None
