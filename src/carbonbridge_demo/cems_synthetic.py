"""Synthetic (clearly fictitious) national CEMS data: a year of hourly values per stack, written
straight into fresh partitions of the data set (the benchmark's and the engine tests' input).

Each stack gets a CO2 concentration around 120-220 g/Nm3 and a flow around 0.2-1.5 million
Nm3/h, with absent hours (CEMS down), fault-flagged hours (D), stopped blocks (F), a few
negative readings and occasional stuck stretches, drawn from the seeded generator.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl

from carbonbridge.adapters.cems_store import WIDE_COLUMNS, partition_dir
from carbonbridge.domain.cems.annual import hours_in_year


def stack_ids(n_stacks: int) -> list[str]:
    return [f"S{i:06d}" for i in range(n_stacks)]


def write_synthetic(
    root: Path,
    *,
    jurisdiction: str,
    year: int,
    n_stacks: int,
    stacks_per_installation: int = 20,
    seed: int = 17,
    hours: int | None = None,
) -> int:
    """Write the year's partitions; returns the number of rows written."""
    rng = np.random.default_rng(seed)
    total_hours = hours or hours_in_year(year)
    start = np.datetime64(dt.datetime(year, 1, 1), "us")
    all_ts = start + np.arange(total_hours).astype("timedelta64[h]").astype("timedelta64[us]")
    months = (all_ts.astype("datetime64[M]").astype(int) % 12) + 1
    written = 0
    ids = stack_ids(n_stacks)
    for first in range(0, n_stacks, stacks_per_installation):
        installation = f"INST{first // stacks_per_installation:05d}"
        group = ids[first : first + stacks_per_installation]
        k = len(group)
        present = rng.random((k, total_hours)) > 0.01
        co2 = rng.uniform(120, 220, (k, 1)) + rng.normal(0, 8, (k, total_hours))
        flow = rng.uniform(2e5, 1.5e6, (k, 1)) * (1 + rng.normal(0, 0.05, (k, total_hours)))
        co2[rng.random((k, total_hours)) < 0.0005] *= -1
        stuck_from = rng.integers(0, total_hours - 40, k)
        for j in range(k):
            if rng.random() < 0.3:
                co2[j, stuck_from[j] : stuck_from[j] + 30] = co2[j, stuck_from[j]]
        co2_flag = np.where(rng.random((k, total_hours)) < 0.02, "D", "N").astype(object)
        flow_flag = np.where(rng.random((k, total_hours)) < 0.01, "M", "N").astype(object)
        stop_from = rng.integers(0, total_hours - 200, k)
        for j in range(k):
            co2_flag[j, stop_from[j] : stop_from[j] + 120] = "F"
            flow_flag[j, stop_from[j] : stop_from[j] + 120] = "F"
        for month in np.unique(months):
            cols = months == month
            mask = present[:, cols]
            n = int(mask.sum())
            frame = pl.DataFrame(
                {
                    "stack_id": np.repeat(np.array(group, dtype=object), cols.sum()).reshape(k, -1)[mask],
                    "ts": np.broadcast_to(all_ts[cols], (k, int(cols.sum())))[mask],
                    "co2": co2[:, cols][mask],
                    "co2_flag": co2_flag[:, cols][mask],
                    "co2_qn": ["20250101000000000"] * n,
                    "flow": flow[:, cols][mask],
                    "flow_flag": flow_flag[:, cols][mask],
                    "flow_qn": ["20250101000000000"] * n,
                }
            ).select(WIDE_COLUMNS)
            path = partition_dir(root, "hourly", jurisdiction, year, int(month), installation) / "part.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            frame.write_parquet(path, compression="zstd", statistics=True)
            written += n
    return written
