"""`carbonbridge demo`: the whole chain on SQLite, reproducible for a seed."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

pytestmark = pytest.mark.xdist_group("demo")  # one worker runs the demo for every test that reads it


def _digests(folder: Path) -> dict[str, str]:
    files = [p for p in folder.rglob("*") if p.suffix in {".csv", ".json", ".md"}]
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(files)}


def test_demo_runs_twice_with_identical_results_and_verifies_every_installation(run_demo: Callable[..., Path]) -> None:
    first, second = run_demo("7"), run_demo("7", fresh=True)
    assert first != second
    runs = [_digests(first), _digests(second)]
    assert runs[0] == runs[1]
    assert len(runs[0]) > 50
    reports = pl.read_csv(first / "mrv" / "emissions_reports.csv")
    assert reports.height == 250  # 50 BY installations + 200 CN units
    assert reports["verified"].all()
    assert reports.filter(pl.col("version") > 1).height > 0  # corrected after a negative opinion
    assert (first / "mrv" / "report.html").read_text().count("plotly") > 0
    assert (first / "inventory" / "inventory.xlsx").exists()
    _assert_compliance_year(first)
    _assert_link(first)


def _assert_link(folder: Path) -> None:
    """The Belarus kiln's CN allowances were bought on the CN exchange (settled in CNY) by a Belarusian
    company's CN trading account, then sent across the link; the report's Link section shows both."""
    import json

    s = json.loads((folder / "link" / "link.json").read_text())
    p = s["purchase"]
    assert p["buyer_account"] == "CN-BYCEM-T1" and p["currency"] == "CNY" and p["market_check"]
    assert p["bought"] == sum(t["quantity"] for t in p["trades"]) == s["sent_across"] == s["foreign_limit"] + 1
    assert p["registry_transfers"] == 2  # seller -> clearing -> buyer
    assert s["refused_beyond_limit"] == "R15_FOREIGN_LIMIT_EXCEEDED" and s["status"] == "A"
    assert s["reconciliation"] == {"BY": "completed", "CN": "completed"} and all(s["conserved"].values())
    assert {f["unit_type"]: f["net"] for f in s["flows"]["BY"]}[p["unit_type"]] == p["bought"]
    section = (folder / "compliance" / "report.md").read_text().split("## Link BY-CN", 1)[1]
    assert f"bought on the CN exchange on {p['day']} by CN-BYCEM-T1 | {p['bought']} |" in section
    assert f"{p['paid_by_buyer']} CNY" in section and "one link transfer CN -> BY" in section


def _assert_compliance_year(folder: Path) -> None:
    """The compliance year ends as FAILURES prescribes, and the ledger and log hold."""
    from carbonbridge_demo.market import FAILURES

    table = pl.read_csv(folder / "compliance" / "assessments.csv")
    assert table.height == 250
    expected = {
        "under": "under_surrendered",
        "late": "late",
        "missing": "missing_emissions",
        "offsets_over_limit": "under_surrendered",
    }
    statuses = dict(zip(table["installation_id"], table["status"], strict=True))
    for failures in FAILURES.values():
        for inst, how in failures.items():
            assert statuses.pop(inst) == expected[how], inst
    assert set(statuses.values()) == {"compliant"}
    assert table.filter(pl.col("status") == "under_surrendered")["penalty"].cast(float).min() > 0
    over = table.filter(pl.col("installation_id") == "CN-0021").row(0, named=True)
    assert over["rejected_offsets_t"] > 0 and over["counted_offsets_t"] == over["verified_emissions_t"] * 5 // 100
    report = (folder / "compliance" / "report.md").read_text()
    assert "conservation holds; transaction log verifies" in report
    assert (folder / "compliance" / "report.html").read_text().count("plotly-graph-div") >= 3


def test_a_different_seed_gives_different_data(run_demo: Callable[..., Path]) -> None:
    first = pl.read_csv(run_demo("7") / "mrv" / "emissions_reports.csv")["co2e_t"].sum()
    second = pl.read_csv(run_demo("8") / "mrv" / "emissions_reports.csv")["co2e_t"].sum()
    assert first != second
