"""The CEMS pipeline on DuckDB: streaming from the Parquet data set under a memory limit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from carbonbridge.adapters.cems_sql import findings_sql, partials_sql
from carbonbridge.adapters.cems_store import hourly_glob
from carbonbridge.domain.cems.partials import MonthPartial, MonthPartials, partials_from_sums
from carbonbridge.domain.cems.rules import RuleSet

DEFAULT_MEMORY_LIMIT = "2GiB"


def connect(memory_limit: str = DEFAULT_MEMORY_LIMIT, threads: int | None = None, temp_dir: Path | None = None) -> Any:
    import duckdb

    con = duckdb.connect()
    # The limit bounds DuckDB's buffer manager; operators beyond it spill to temp_directory.
    con.execute("SET memory_limit = ?", [memory_limit])
    con.execute("SET preserve_insertion_order = false")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    if temp_dir is not None:
        con.execute("SET temp_directory = ?", [str(temp_dir)])
    return con


def source(root: Path) -> str:
    glob = hourly_glob(root).replace("'", "''")
    return (
        f"read_parquet('{glob}', hive_partitioning = true, hive_types = {{'jurisdiction': VARCHAR, "
        f"'year': INTEGER, 'month': INTEGER, 'installation': VARCHAR}})"
    )


def has_data(root: Path) -> bool:
    return any((root / "hourly").glob("*/*/*/*/*.parquet"))


def month_partial_columns(
    con: Any, root: Path, rules: RuleSet, jurisdiction: str, year: int | None = None
) -> MonthPartials | None:
    """The stack-months as NumPy columns (no Python object per row); None without data."""
    if not has_data(root):
        return None
    columns = con.execute(partials_sql(source(root), rules, jurisdiction, year)).fetchnumpy()
    return partials_from_sums(jurisdiction, columns) if len(columns["month"]) else None


def month_partials(
    con: Any, root: Path, rules: RuleSet, jurisdiction: str, year: int | None = None
) -> list[MonthPartial]:
    columns = month_partial_columns(con, root, rules, jurisdiction, year)
    return [] if columns is None else columns.rows()


def findings(con: Any, root: Path, rules: RuleSet, jurisdiction: str, year: int | None = None) -> list[tuple[Any, ...]]:
    if not has_data(root):
        return []
    return list(con.execute(findings_sql(source(root), rules, jurisdiction, year)).fetchall())


def peak_memory_bytes(con: Any) -> int:
    """DuckDB's own buffer-manager use now (its peak is not exposed; the benchmark samples it)."""
    row = con.execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchone()
    return int(row[0] or 0)
