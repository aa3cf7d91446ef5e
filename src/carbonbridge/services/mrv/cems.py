"""CEMS use cases: batch import into the data set, the annual pipeline on an engine, the quality report."""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

from carbonbridge.adapters import cems_duckdb
from carbonbridge.adapters.cems_config import PARAMETERS, load_rule_set
from carbonbridge.adapters.cems_store import LONG_SCHEMA, WriteStats, check_name, write_values
from carbonbridge.adapters.tables import read_table, read_typed_rows
from carbonbridge.domain.cems.annual import Corroboration, StackYear, corroborate
from carbonbridge.domain.cems.partials import MonthPartial, MonthPartials, stack_years
from carbonbridge.domain.cems.rules import RuleSet
from carbonbridge.domain.errors import NotFound, Problem, ValidationFailed

IMPORT_COLUMNS = ("installation_id", "stack_id", "time", "parameter", "value")
ENGINES = ("duckdb", "spark")


def _read(path: Path) -> pl.DataFrame:
    """A plant file as text columns: CSV through the project's table reader (which names the file
    of a missing or malformed input), Parquet as written."""
    if path.suffix.lower() != ".parquet":
        return read_table(path)[0]
    try:
        return pl.read_parquet(path)
    except FileNotFoundError:
        raise ValidationFailed([Problem("file not found", str(path))]) from None
    except Exception as exc:  # polars reports a damaged Parquet file with several exception types
        raise ValidationFailed([Problem(f"cannot read Parquet: {str(exc).splitlines()[0]}", str(path))]) from None


def import_file(
    root: Path, path: Path, *, jurisdiction: str, resolution: str = "hourly", default_qn: str = "00000000000000000"
) -> WriteStats:
    """A plant data system's CSV or Parquet (columns installation_id, stack_id, time, parameter
    (co2 g/Nm3 | flow Nm3/h), value, optional flag (default N) and qn) into the data set. Every
    problem is reported with its line; nothing is written when there is one."""
    rules = load_rule_set(jurisdiction)
    raw = _read(path)
    missing = [c for c in IMPORT_COLUMNS if c not in raw.columns]
    if missing:
        raise ValidationFailed([Problem(f"missing required column '{c}'", str(path), 1, None, c) for c in missing])
    text = raw.with_columns(pl.col(c).cast(pl.String) for c in raw.columns)
    frame = text.select(
        pl.col("installation_id").str.strip_chars(),
        pl.col("stack_id").str.strip_chars(),
        pl.col("time").str.strip_chars().str.to_datetime(strict=False, time_unit="us").alias("ts"),
        pl.col("parameter").str.strip_chars(),
        pl.col("value").str.strip_chars().cast(pl.Float64, strict=False),
        (pl.col("flag").str.strip_chars() if "flag" in raw.columns else pl.lit("N")).fill_null("N").alias("flag"),
        (pl.col("qn").str.strip_chars() if "qn" in raw.columns else pl.lit(default_qn))
        .fill_null(default_qn)
        .alias("qn"),
    ).with_row_index("line", offset=2)
    problems: list[Problem] = []
    checks = {
        "time": pl.col("ts").is_null(),
        "parameter": ~pl.col("parameter").is_in(list(PARAMETERS)),
    }
    for column, bad in checks.items():
        for line in frame.filter(bad)["line"].to_list()[:200]:
            problems.append(Problem(f"invalid {column}", str(path), int(line), None, column))
    bad_value = frame.filter(pl.col("value").is_null() & text["value"].fill_null("").str.strip_chars().ne(""))
    problems += [
        Problem("value is not a number", str(path), int(line), None, "value") for line in bad_value["line"][:200]
    ]
    for kind in ("installation_id", "stack_id"):
        for name in frame[kind].unique().to_list():
            message = check_name(kind, name or "")
            if message:
                problems.append(Problem(message, str(path), None, None, kind))
    if problems:
        raise ValidationFailed(sorted(problems, key=lambda p: p.line or 0))
    rows = frame.drop("line").cast(LONG_SCHEMA)  # type: ignore[arg-type]
    return write_values(root, jurisdiction, resolution, rows, rules)


@dataclass
class AnnualResult:
    jurisdiction: str
    year: int
    engine: str
    rules: RuleSet
    stacks: list[tuple[str, StackYear]]  # (installation_id, stack year)
    months: MonthPartials
    findings: list[tuple[Any, ...]] = field(default_factory=list)
    corroboration: dict[str, Corroboration] = field(default_factory=dict)

    def installations(self) -> dict[str, tuple[float | None, float | None, bool]]:
        """installation -> (emissions t, uncertainty t (stacks' added linearly: one method, correlated), complete)."""
        out: dict[str, list[Any]] = defaultdict(lambda: [0.0, 0.0, True])
        for installation, s in self.stacks:
            entry = out[installation]
            if s.emissions_t is None or entry[0] is None:
                entry[0] = entry[1] = None
            else:
                entry[0] += s.emissions_t
                entry[1] += s.uncertainty_t or 0.0
            entry[2] = entry[2] and s.complete
        return {k: (v[0], v[1], v[2]) for k, v in sorted(out.items())}

    @property
    def partials(self) -> list[MonthPartial]:
        """The stack-months one by one (the quality report's heat map; the years need none of them)."""
        return self.months.rows()

    def availability(self) -> list[tuple[str, int, float, int]]:
        """(stack, month, share of operating hours with both values valid, hours substituted or missing)."""
        out = []
        for p in sorted(self.partials, key=lambda p: (p.stack_id, p.month)):
            hours = _hours_in_month(p.year, p.month)
            operating = hours - p.stopped
            out.append((p.stack_id, p.month, p.both_valid / operating if operating else 1.0, operating - p.both_valid))
        return out


def _hours_in_month(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1] * 24


def month_partials(
    root: Path | str,
    rules: RuleSet,
    jurisdiction: str,
    year: int,
    engine: str,
    memory_limit: str = cems_duckdb.DEFAULT_MEMORY_LIMIT,
    spark: Any = None,
    with_findings: bool = False,
) -> tuple[MonthPartials | None, list[tuple[Any, ...]]]:
    if engine == "duckdb":
        con = cems_duckdb.connect(memory_limit)
        partials = cems_duckdb.month_partial_columns(con, Path(root), rules, jurisdiction, year)
        found = cems_duckdb.findings(con, Path(root), rules, jurisdiction, year) if with_findings else []
        return partials, found
    if engine == "spark":
        from carbonbridge.adapters import cems_spark

        session = spark or cems_spark.local_session()
        partials = cems_spark.month_partial_columns(session, str(root), rules, jurisdiction, year)
        found = cems_spark.findings(session, str(root), rules, jurisdiction, year) if with_findings else []
        return partials, found
    raise ValidationFailed([Problem(f"engine must be one of {', '.join(ENGINES)}", field="engine")])


def annual(
    root: Path | str,
    *,
    jurisdiction: str,
    year: int,
    engine: str = "duckdb",
    tier: str | None = None,
    memory_limit: str = cems_duckdb.DEFAULT_MEMORY_LIMIT,
    with_findings: bool = False,
    spark: Any = None,
    calculated: dict[str, tuple[float, float]] | None = None,
    progress: Callable[[str], None] | None = None,
) -> AnnualResult:
    """Quality flags, substitution and the year per stack and installation on the chosen engine.

    ``calculated`` maps installation -> (calculation-based t CO2, its relative expanded
    uncertainty): each such installation is corroborated (EU MRR Art. 46)."""
    rules = load_rule_set(jurisdiction)
    rules.uncertainty(tier)  # an unknown tier fails before the scan
    if progress:
        progress(f"scanning the {jurisdiction} {year} data set on {engine}")
    partials, found = month_partials(root, rules, jurisdiction, year, engine, memory_limit, spark, with_findings)
    if partials is None:
        raise NotFound(f"no CEMS values for {jurisdiction} {year} in the data set {root}")
    if progress:
        progress(f"substituting and summing {len(partials)} stack-months")
    stacks = stack_years(partials, rules, tier)
    result = AnnualResult(jurisdiction, year, engine, rules, stacks, partials, found)
    for installation, (measured, u, _) in result.installations().items():
        if calculated and installation in calculated and measured is not None and u is not None:
            calc_t, calc_rel_u = calculated[installation]
            result.corroboration[installation] = corroborate(measured, u, calc_t, calc_t * calc_rel_u)
    return result


def read_calculated(path: Path) -> dict[str, tuple[float, float]]:
    """CSV installation_id, co2_t, uncertainty (relative, e.g. 0.05) of the calculation-based figure."""
    rows = read_typed_rows(path, {"installation_id": str, "co2_t": Decimal, "uncertainty": Decimal})
    return {str(r["installation_id"]): (float(r["co2_t"]), float(r["uncertainty"])) for r in rows}  # type: ignore[arg-type]
