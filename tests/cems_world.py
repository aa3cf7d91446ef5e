"""Shared helpers of the CEMS engine tests: a generated data set and the reference result per stack."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl

from carbonbridge.adapters.cems_store import WIDE_COLUMNS, partition_dir
from carbonbridge.domain.cems.annual import HourRecord, StackYear, stack_year
from carbonbridge.domain.cems.rules import RuleSet


def reference_years(root: Path, rules: RuleSet) -> dict[str, StackYear]:
    """Every stack's year by the domain reference (domain/mrv/cems.py underneath), read with Polars."""
    frame = pl.read_parquet(str(root / "hourly" / "**" / "*.parquet"), hive_partitioning=True)
    out = {}
    for (stack,), rows in frame.group_by("stack_id"):
        year = int(rows["ts"].dt.year()[0])
        records = [
            HourRecord(r["ts"], r["co2"], r["co2_flag"] or "", r["flow"], r["flow_flag"] or "")
            for r in rows.iter_rows(named=True)
        ]
        out[str(stack)] = stack_year(str(stack), year, records, rules)
    return out


def write_edge_cases(root: Path, seed: int) -> None:
    """Hours of every kind the rules tell apart - values missing (NULL) or negative, flags absent,
    valid, stopped or faulty on either column, in every combination - in two months of two
    stacks of installation I1 (BY, 2025)."""
    rng = np.random.default_rng(seed)
    n = 24 * 28

    def values(mean: float) -> list[float | None]:
        v = rng.normal(mean, mean / 10, n)
        v[rng.random(n) < 0.05] *= -1
        return [None if r < 0.05 else float(x) for x, r in zip(v, rng.random(n), strict=True)]

    def flags() -> list[str | None]:
        return [str(f) if f != "-" else None for f in rng.choice(["N"] * 12 + ["F", "D", "M", "-"], n)]

    for month in (2, 3):
        hours = [dt.datetime(2025, month, 1) + dt.timedelta(hours=i) for i in range(n)]
        frame = pl.DataFrame(
            {
                "stack_id": ["S1"] * n + ["S2"] * n,
                "ts": hours * 2,
                "co2": values(200.0) + values(150.0),
                "co2_flag": flags() + flags(),
                "co2_qn": ["q"] * 2 * n,
                "flow": values(5e5) + values(8e5),
                "flow_flag": flags() + flags(),
                "flow_qn": ["q"] * 2 * n,
            },
            schema_overrides={"co2": pl.Float64, "flow": pl.Float64, "co2_flag": pl.String, "flow_flag": pl.String},
        ).select(WIDE_COLUMNS)
        path = partition_dir(root, "hourly", "BY", 2025, month, "I1") / "part.parquet"
        path.parent.mkdir(parents=True)
        frame.write_parquet(path)
