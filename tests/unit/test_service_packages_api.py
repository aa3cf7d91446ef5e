"""The declared API (`__all__`) of the MRV and inventory service packages, pinned: each name is a
use case or a view defined inside the package, and nothing is added or dropped unnoticed."""

import importlib

import pytest

PINNED = {
    "carbonbridge.services.mrv": [
        "CalcSummary", "ImportedDataset", "PlanView", "ReportView", "SourceStreamView", "calculate_file",
        "import_activity", "import_cems", "monitoring_plan", "plan_versions", "register_plan",
        "report_history", "submit_report", "verified_emissions", "verify_report",
    ],
    "carbonbridge.services.inventory": [
        "SubmissionView", "compile_submission", "diff_versions", "export_crt", "export_inventory", "kca_report",
        "load_submission", "mrv_records", "read_crt", "reconcile_with_mrv", "submission", "uncertainty_report",
        "validate_crt", "versions",
    ],
}  # fmt: skip


@pytest.mark.parametrize("package", sorted(PINNED))
def test_the_declared_api_is_exactly_the_pinned_names(package: str) -> None:
    assert sorted(importlib.import_module(package).__all__) == PINNED[package]


@pytest.mark.parametrize("package", sorted(PINNED))
def test_every_declared_name_is_defined_inside_the_package(package: str) -> None:
    module = importlib.import_module(package)
    outside = {name: getattr(module, name).__module__ for name in module.__all__}
    assert {n: m for n, m in outside.items() if not m.startswith(f"{package}.")} == {}
