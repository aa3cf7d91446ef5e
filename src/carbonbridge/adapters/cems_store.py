"""The CEMS Parquet data set: hive partitions jurisdiction=/year=/month=/installation=, one file each.

Two data sets under one root: ``hourly/`` (one row per stack-hour: co2, flow, their HJ 212 flags
and the QN of the packet each came from) and ``minute/`` (the same per stack-minute). Writing is
a merge: a partition's rows are read back, joined with the new ones, and each (stack, time,
parameter) is kept once by a deterministic rule - the value sent last wins (the greatest QN, the
sender's request time), equal QNs keep the smaller (flag, value) - and the file is replaced
atomically. A packet or file sent again therefore changes nothing. Hours derived from minutes
carry a QN starting with '!', below any real QN: a reported hourly value always wins, and the
derived ones are recomputed from the whole minute partition whenever minutes arrive.
One writer at a time: an exclusive lock file at the root.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from carbonbridge.adapters.cems_config import PARAMETERS
from carbonbridge.domain.cems.quality import INSUFFICIENT, MINUTES_PER_HOUR
from carbonbridge.domain.cems.rules import RuleSet

LONG_SCHEMA: dict[str, Any] = {
    "installation_id": pl.String,
    "stack_id": pl.String,
    "ts": pl.Datetime("us"),
    "parameter": pl.String,
    "value": pl.Float64,
    "flag": pl.String,
    "qn": pl.String,
}
WIDE_COLUMNS = ["stack_id", "ts"] + [f"{p}{s}" for p in PARAMETERS for s in ("", "_flag", "_qn")]
DERIVED_QN = "!minutes"
SAFE_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")


@dataclass(frozen=True, slots=True)
class WriteStats:
    values_in: int
    values_new: int
    values_changed: int
    partitions: int

    @property
    def values_repeated(self) -> int:
        return self.values_in - self.values_new - self.values_changed


def partition_dir(root: Path, resolution: str, jurisdiction: str, year: int, month: int, installation: str) -> Path:
    return (
        root
        / resolution
        / f"jurisdiction={jurisdiction}"
        / f"year={year}"
        / f"month={month}"
        / f"installation={installation}"
    )


@contextmanager
def writer_lock(root: Path) -> Iterator[None]:
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".writer.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _to_long(wide: pl.DataFrame, installation: str) -> pl.DataFrame:
    parts = [
        wide.select(
            pl.lit(installation).alias("installation_id"),
            "stack_id",
            "ts",
            pl.lit(p).alias("parameter"),
            pl.col(p).alias("value"),
            pl.col(f"{p}_flag").alias("flag"),
            pl.col(f"{p}_qn").alias("qn"),
        ).filter(pl.col("flag").is_not_null())
        for p in PARAMETERS
    ]
    return pl.concat(parts).cast(LONG_SCHEMA)  # type: ignore[arg-type]


def _to_wide(long: pl.DataFrame) -> pl.DataFrame:
    keys = long.select("stack_id", "ts").unique()
    for p in PARAMETERS:
        part = long.filter(pl.col("parameter") == p).select(
            "stack_id", "ts", pl.col("value").alias(p), pl.col("flag").alias(f"{p}_flag"), pl.col("qn").alias(f"{p}_qn")
        )
        keys = keys.join(part, on=["stack_id", "ts"], how="left")
    return keys.select(WIDE_COLUMNS).sort("stack_id", "ts")


def dedupe(long: pl.DataFrame) -> pl.DataFrame:
    """Each (stack, time, parameter) once: greatest QN, then smallest flag, then smallest value."""
    return long.sort(
        ["stack_id", "ts", "parameter", "qn", "flag", "value"],
        descending=[False, False, False, True, False, False],
        nulls_last=True,
    ).unique(subset=["stack_id", "ts", "parameter"], keep="first", maintain_order=True)


def _replace(path: Path, frame: pl.DataFrame) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".parquet.tmp")
    frame.write_parquet(tmp, compression="zstd", statistics=True)
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _merge_partition(path: Path, installation: str, new: pl.DataFrame, *, drop_derived: bool) -> tuple[int, int]:
    old = _to_long(pl.read_parquet(path), installation) if path.exists() else pl.DataFrame(schema=LONG_SCHEMA)
    if drop_derived and old.height:
        keys = new.select("stack_id", "ts", "parameter")
        derived = old.filter(pl.col("qn").str.starts_with("!")).join(
            keys, on=["stack_id", "ts", "parameter"], how="semi"
        )
        old = old.join(derived, on=["stack_id", "ts", "parameter", "qn"], how="anti")
    merged = dedupe(pl.concat([old, new.cast(LONG_SCHEMA)]))  # type: ignore[arg-type]
    key = ["stack_id", "ts", "parameter"]
    before = old.select(*key, "value", "flag", "qn")
    after = merged.select(*key, "value", "flag", "qn")
    new_keys = after.join(before, on=key, how="anti").height
    changed = after.join(before, on=[*key, "value", "flag", "qn"], how="anti", nulls_equal=True).height - new_keys
    if new_keys or changed or not path.exists():
        _replace(path, _to_wide(merged))
    return new_keys, changed


def write_values(
    root: Path, jurisdiction: str, resolution: str, values: pl.DataFrame, rules: RuleSet | None = None
) -> WriteStats:
    """Merge long rows (LONG_SCHEMA) into the data set. Minutes also refresh the hours derived from them."""
    if resolution not in ("hourly", "minute"):
        raise ValueError(resolution)
    values = values.cast(LONG_SCHEMA)  # type: ignore[arg-type]
    if resolution == "hourly":
        values = values.with_columns(pl.col("ts").dt.truncate("1h"))
    else:
        values = values.with_columns(pl.col("ts").dt.truncate("1m"))
    new = changed = 0
    touched: list[tuple[int, int, str]] = []
    with writer_lock(root):
        for (year, month, installation), group in values.group_by(
            pl.col("ts").dt.year().alias("y"), pl.col("ts").dt.month().alias("m"), "installation_id"
        ):
            path = partition_dir(root, resolution, jurisdiction, int(year), int(month), str(installation))
            n, c = _merge_partition(path / "part.parquet", str(installation), group, drop_derived=False)
            new, changed = new + n, changed + c
            touched.append((int(year), int(month), str(installation)))
        if resolution == "minute":
            if rules is None:
                raise ValueError("minute data need the jurisdiction's rules to derive hours")
            for year, month, installation in touched:
                minutes = pl.read_parquet(
                    partition_dir(root, "minute", jurisdiction, year, month, installation) / "part.parquet"
                )
                hours = derive_hours(_to_long(minutes, installation), rules)
                path = partition_dir(root, "hourly", jurisdiction, year, month, installation) / "part.parquet"
                _merge_partition(path, installation, hours, drop_derived=True)
    return WriteStats(values.height, new, changed, len(touched))


def derive_hours(minutes: pl.DataFrame, rules: RuleSet) -> pl.DataFrame:
    """Hours from minute values (domain/cems/quality.hour_from_minutes, vectorised): valid when at
    least the rule's share of 60 minutes is valid (value = their mean), stopped when every minute
    is stopped, else invalid with flag I."""
    valid = pl.col("flag").is_in(list(rules.valid_flags)) & pl.col("value").is_not_null() & (pl.col("value") >= 0)
    stopped = pl.col("flag").is_in(list(rules.stopped_flags))
    grouped = minutes.group_by("installation_id", "stack_id", pl.col("ts").dt.truncate("1h"), "parameter").agg(
        pl.col("value").filter(valid).mean().alias("mean"),
        valid.sum().alias("n_valid"),
        stopped.all().alias("all_stopped"),
    )
    stop_flag = sorted(rules.stopped_flags)[0] if rules.stopped_flags else INSUFFICIENT
    enough = pl.col("n_valid") >= rules.minimum_valid_share * MINUTES_PER_HOUR
    return grouped.select(
        "installation_id",
        "stack_id",
        "ts",
        "parameter",
        pl.when(enough).then(pl.col("mean")).otherwise(None).alias("value"),
        pl.when(enough)
        .then(pl.lit("N"))
        .when(pl.col("all_stopped"))
        .then(pl.lit(stop_flag))
        .otherwise(pl.lit(INSUFFICIENT))
        .alias("flag"),
        pl.lit(DERIVED_QN).alias("qn"),
    ).cast(LONG_SCHEMA)  # type: ignore[arg-type]


def check_name(kind: str, name: str) -> str | None:
    """A partition name must be a safe path element; the problem as text, or None."""
    return None if SAFE_NAME.match(name) else f"{kind} {name!r} must be 1-64 of A-Z a-z 0-9 _ . -"


def hourly_glob(root: Path) -> str:
    return str(root / "hourly" / "*" / "*" / "*" / "*" / "*.parquet")


def epoch(ts: dt.datetime) -> float:
    return ts.replace(tzinfo=dt.UTC).timestamp()
