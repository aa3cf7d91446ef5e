"""The demo's CEMS section: plants' files and live HJ 212 packets, refused and repeated ones, the report."""

from __future__ import annotations

from pathlib import Path

from carbonbridge_demo.cems_demo import PLANTS, run_cems_demo


def test_the_cems_section_receives_refuses_and_reports(tmp_path: Path) -> None:
    summary = run_cems_demo(tmp_path, year=2025, seed=5)
    stacks = sum(len(s) for s in PLANTS.values())
    assert summary["packets_refused"] == {"crc": 3, "truncated": 3}
    assert summary["packets_acknowledged"] == stacks * 72 + 3  # three days per stack, one repeat per plant
    assert summary["values_repeated"] == 6  # the repeated packets' CO2 and flow, stored once
    assert set(summary["installations"]) == set(PLANTS)
    # China has no substitution rule configured: missing hours stay missing and the year is incomplete.
    assert all(not v["complete"] and v["co2_t"] > 0 for v in summary["installations"].values())
    page = (tmp_path / summary["report"]).read_text()
    assert "Hours missing (no substitution rule configured) per month" in page
