"""Shared helpers of the CEMS engine tests: a generated data set and the reference result per stack."""

from __future__ import annotations

from pathlib import Path

import polars as pl

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
