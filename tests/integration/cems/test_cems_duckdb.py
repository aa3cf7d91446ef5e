"""The DuckDB pipeline over the Parquet data set against the domain reference, and the store's idempotence."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from carbonbridge.adapters import cems_duckdb
from carbonbridge.adapters.cems_config import load_rule_set
from carbonbridge.adapters.cems_store import write_values
from carbonbridge.domain.cems.partials import stack_year_from_partials
from carbonbridge.domain.cems.quality import plausibility
from carbonbridge_demo.cems_synthetic import write_synthetic
from cems_world import reference_years, write_edge_cases

BY = load_rule_set("BY")


@pytest.fixture(scope="module")
def national(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cems")
    write_synthetic(root, jurisdiction="BY", year=2025, n_stacks=6, stacks_per_installation=4, seed=3)
    return root


def test_duckdb_partials_give_each_stacks_reference_year(national: Path) -> None:
    con = cems_duckdb.connect(memory_limit="256MiB", threads=1)
    partials = cems_duckdb.month_partials(con, national, BY, "BY", 2025)
    reference = reference_years(national, BY)
    assert len(partials) == 6 * 12
    for stack, expected in reference.items():
        got = stack_year_from_partials([p for p in partials if p.stack_id == stack], BY)
        assert got.emissions_t == pytest.approx(expected.emissions_t, rel=1e-9)
        assert (got.hours_valid, got.hours_stopped, got.hours_substituted_co2, got.hours_substituted_flow) == (
            expected.hours_valid,
            expected.hours_stopped,
            expected.hours_substituted_co2,
            expected.hours_substituted_flow,
        )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_duckdb_partials_follow_the_reference_on_missing_values_flags_and_signs(tmp_path: Path, seed: int) -> None:
    write_edge_cases(tmp_path, seed)
    con = cems_duckdb.connect(memory_limit="256MiB", threads=1)
    partials = cems_duckdb.month_partials(con, tmp_path, BY, "BY", 2025)
    assert len(partials) == 4
    for stack, expected in reference_years(tmp_path, BY).items():
        got = stack_year_from_partials([p for p in partials if p.stack_id == stack], BY)
        assert got.emissions_t == pytest.approx(expected.emissions_t, rel=1e-9)
        assert got.substitute_co2_g_per_nm3 == pytest.approx(expected.substitute_co2_g_per_nm3, rel=1e-9)
        assert got.substitute_flow_nm3_per_h == pytest.approx(expected.substitute_flow_nm3_per_h, rel=1e-9)
        for name in ("hours_stopped", "hours_valid", "hours_substituted_co2", "hours_substituted_flow"):
            assert getattr(got, name) == getattr(expected, name), name


def test_duckdb_findings_equal_the_domain_screens(national: Path) -> None:
    con = cems_duckdb.connect(memory_limit="256MiB", threads=1)
    rows = {r[1]: r for r in cems_duckdb.findings(con, national, BY, "BY", 2025)}
    frame = pl.read_parquet(str(national / "hourly" / "**" / "*.parquet"))
    for (stack,), group in frame.group_by("stack_id"):
        by_hour = {r["ts"]: r for r in group.iter_rows(named=True)}
        hours = [dt.datetime(2025, 1, 1) + dt.timedelta(hours=i) for i in range(8_760)]
        co2 = [(by_hour[h]["co2"], by_hour[h]["co2_flag"]) if h in by_hour else (None, "") for h in hours]
        expected = plausibility(co2, BY)
        _, _, _, negative, stuck, jumps, *_ = rows[stack]
        assert (negative, stuck, jumps) == (expected.negative, expected.stuck, expected.jumps)
    assert sum(r[4] for r in rows.values()) > 0  # the generated stuck stretches are found


def _values(qn: str, value: float) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "installation_id": ["I1", "I1"],
            "stack_id": ["S1", "S1"],
            "ts": [dt.datetime(2025, 3, 1, 5), dt.datetime(2025, 3, 1, 5)],
            "parameter": ["co2", "flow"],
            "value": [value, 1_000.0],
            "flag": ["N", "N"],
            "qn": [qn, qn],
        }
    )


def test_a_file_sent_again_writes_nothing_and_the_last_sent_value_wins_whatever_the_order(tmp_path: Path) -> None:
    first, second = _values("20250301060000001", 200.0), _values("20250301070000001", 210.0)
    a, b = tmp_path / "a", tmp_path / "b"
    assert write_values(a, "BY", "hourly", first).values_new == 2
    repeat = write_values(a, "BY", "hourly", first)
    assert (repeat.values_new, repeat.values_changed, repeat.values_repeated) == (0, 0, 2)
    write_values(a, "BY", "hourly", second)
    write_values(b, "BY", "hourly", second)
    write_values(b, "BY", "hourly", first)  # the older packet arrives late
    file = Path("hourly/jurisdiction=BY/year=2025/month=3/installation=I1/part.parquet")
    assert pl.read_parquet(a / file).equals(pl.read_parquet(b / file))
    assert pl.read_parquet(a / file)["co2"].to_list() == [210.0]


def test_minutes_make_an_hour_unless_the_hour_was_reported(tmp_path: Path) -> None:
    minutes = pl.DataFrame(
        {
            "installation_id": "I1",
            "stack_id": "S1",
            "ts": [dt.datetime(2025, 3, 1, h, m) for h in (5, 6) for m in range(60)],
            "parameter": "co2",
            "value": [100.0] * 120,
            "flag": ["N"] * 120,
            "qn": "20250301070000001",
        }
    )
    write_values(tmp_path, "BY", "hourly", _values("20250301060000001", 200.0))
    write_values(tmp_path, "BY", "minute", minutes, BY)
    hours = pl.read_parquet(tmp_path / "hourly/jurisdiction=BY/year=2025/month=3/installation=I1/part.parquet")
    assert hours.sort("ts")["co2"].to_list() == [200.0, 100.0]  # 05:00 as reported; 06:00 from its minutes
    assert hours.sort("ts")["co2_qn"].to_list() == ["20250301060000001", "!minutes"]
