"""The columnar path: validation and calculation of whole tables with Polars expressions.

Plans are resolved once per distinct categorical key (see `calculation.py`) and joined onto
the rows; the arithmetic then runs column-wise in the same order as `calculation.evaluate`,
so both paths give bit-identical floats. Validation collects every problem as data with its
row and column, up to `MAX_PROBLEMS` (the rest are counted).

Speed (see benchmarks/mrv_calc.py): validation first evaluates every row check in one pass and
builds the detailed, located problem list only when something is wrong (file lines are looked
up only then); a plan key is reduced to one exact integer per row (per-column dictionary codes
combined in mixed radix), so finding the distinct keys and numbering each row's plan are cheap
single-integer operations; plan columns are gathered only inside the expressions that read
them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import polars as pl

from carbonbridge.domain.errors import Problem, ValidationFailed, one_of
from carbonbridge.domain.gwp import gwp
from carbonbridge.domain.mrv.calculation import GASES, PlanKey, PlanRejected, build_plan
from carbonbridge.domain.mrv.factors import MethodPack
from carbonbridge.domain.mrv.records import (
    NUMERIC_COLUMNS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    SECTORS,
    VALUE_UNIT_PAIRS,
    ActivityRecord,
)
from carbonbridge.domain.mrv.table import TableSource, clean_and_type

__all__ = [
    "MAX_PROBLEMS",
    "TableSource",
    "calculate_frame",
    "dense_codes",
    "records_from_frame",
    "validate_and_calculate",
    "validate_frame",
]

MAX_PROBLEMS = 1000
YEAR_RANGE = (1850, 2200)
_ROW = "_row"
_KEY = (
    "activity",
    "unit",
    "sector",
    "technology",
    "_year_key",
    "_ncv_unit_k",
    "_ef_unit_k",
    "_cc_unit_k",
    "_has_ncv",
    "_has_ef",
    "_has_of",
    "_has_cc",
)


def _with_keys(typed: pl.DataFrame) -> pl.DataFrame:
    has = {name: pl.col(name).is_not_null() for name in ("ncv", "emission_factor", "carbon_content")}
    return typed.with_columns(
        pl.col("year").fill_null(-1).alias("_year_key"),
        pl.when(has["ncv"]).then(pl.col("ncv_unit")).otherwise(pl.lit("")).alias("_ncv_unit_k"),
        pl.when(has["emission_factor"]).then(pl.col("ef_unit")).otherwise(pl.lit("")).alias("_ef_unit_k"),
        pl.when(has["carbon_content"]).then(pl.col("carbon_content_unit")).otherwise(pl.lit("")).alias("_cc_unit_k"),
        has["ncv"].alias("_has_ncv"),
        has["emission_factor"].alias("_has_ef"),
        pl.col("oxidation_factor").is_not_null().alias("_has_of"),
        has["carbon_content"].alias("_has_cc"),
    )


def _plan_key(row: dict[str, Any]) -> PlanKey:
    return PlanKey(
        activity=row["activity"],
        unit=row["unit"],
        sector=row["sector"],
        technology=row["technology"],
        year=None if row["_year_key"] == -1 else row["_year_key"],
        ncv_unit=row["_ncv_unit_k"],
        ef_unit=row["_ef_unit_k"],
        carbon_content_unit=row["_cc_unit_k"],
        has_ncv=row["_has_ncv"],
        has_ef=row["_has_ef"],
        has_oxidation=row["_has_of"],
        has_carbon_content=row["_has_cc"],
    )


_TEXT_KEYS = ("activity", "unit", "sector", "technology", "_ncv_unit_k", "_ef_unit_k", "_cc_unit_k")
_FLAG_KEYS = ("_has_ncv", "_has_ef", "_has_of", "_has_cc")
_CODE = "_key"
# A plan term's override names the record field that replaces its coefficient; coded as a small int.
_OVERRIDES = {"": 0} | {name: number for number, name in enumerate(NUMERIC_COLUMNS, start=1)}
_RADIX_LIMIT = 1 << 62


def dense_codes(codes: pl.Series, *, first_seen: bool = False) -> pl.Series:
    """0 .. k-1 for a column of k distinct integers, exactly: in their sorted order, or in order of
    first appearance with `first_seen`. Small codes (dictionary codes, -1 for null) go through a
    lookup table; sparse ones are sorted and searched."""
    distinct = codes.unique(maintain_order=True) if first_seen else codes.unique().sort()
    if distinct.len() == 0:
        return codes.cast(pl.Int64)
    low, high = distinct.min(), distinct.max()
    assert isinstance(low, int) and isinstance(high, int)
    if low >= -1 and high < 4 * codes.len() + 1024:
        numbers = pl.int_range(0, distinct.len(), dtype=pl.Int64, eager=True)
        lookup = pl.zeros(high + 2, dtype=pl.Int64, eager=True).scatter(distinct + 1, numbers)
        return lookup.gather(codes + 1).alias(codes.name)
    order = distinct.arg_sort()
    return order.gather(distinct.gather(order).search_sorted(codes)).cast(pl.Int64).alias(codes.name)


def _dictionary_codes(column: str, dtype: pl.DataType) -> pl.Expr:
    """A text column's dictionary codes: free where the reader encoded it, else by encoding."""
    text = pl.col(column)
    return (text if isinstance(dtype, pl.Categorical) else text.cast(pl.Categorical)).to_physical()


def _key_codes(keyed: pl.DataFrame) -> pl.Series:
    """One Int64 per row, equal for two rows exactly when their plan keys (`_KEY`) are equal.

    Each key column becomes a small exact code (dictionary codes of the text columns, year
    minus its minimum, the flags as 0/1) and the codes are combined in mixed radix. A
    dictionary is shared by several columns (and Polars' global one by earlier tables), so a
    column's codes can be far apart: where the radices' product would not fit in 62 bits, the
    widest text columns are renumbered densely first. Should it still not fit (only with absurd
    inputs), distinct keys are numbered by an exact join on all key columns instead.
    """
    if keyed.height == 0:
        return pl.Series(_CODE, [], dtype=pl.Int64)
    low, high = keyed.select(pl.col("_year_key").min().alias("low"), pl.col("_year_key").max().alias("high")).row(0)
    if high - low < _RADIX_LIMIT:
        parts: dict[str, pl.Expr | pl.Series] = {
            **{c: _dictionary_codes(c, keyed.schema[c]).cast(pl.Int64).fill_null(-1).add(1) for c in _TEXT_KEYS},
            "_year_key": pl.col("_year_key").sub(low),
            **{c: pl.col(c).cast(pl.Int64) for c in _FLAG_KEYS},
        }
        # The radices come from one pass of maxima; only a column renumbered densely is materialised.
        maxima = keyed.select(expr.max().alias(c) for c, expr in parts.items() if isinstance(expr, pl.Expr))
        radices = {c: int(m) + 1 for c, m in maxima.row(0, named=True).items()}
        for name in sorted(_TEXT_KEYS, key=lambda c: -radices[c]):
            if math.prod(radices.values()) < _RADIX_LIMIT:
                break
            dense = dense_codes(keyed.select(parts[name]).to_series())
            parts[name], radices[name] = dense, int(dense.max()) + 1  # type: ignore[arg-type]
        if math.prod(radices.values()) < _RADIX_LIMIT:
            code: pl.Expr = pl.lit(0, dtype=pl.Int64)
            weight = 1
            for name, radix in radices.items():
                part = parts[name]
                code = code + (pl.lit(part) if isinstance(part, pl.Series) else part) * weight
                weight *= radix
            return keyed.select(code.alias(_CODE)).to_series()
    distinct = keyed.select(_KEY).unique(maintain_order=True).with_row_index(_CODE)
    numbered = keyed.select(_KEY).join(distinct, on=list(_KEY), how="left", nulls_equal=True, maintain_order="left")
    return numbered.get_column(_CODE).cast(pl.Int64)


def _plans(
    keyed: pl.DataFrame, pack: MethodPack
) -> tuple[pl.Series, pl.DataFrame, list[tuple[int, dict[str, Any], PlanRejected]]]:
    """Key codes per row, one plan row per distinct key (by code), and the rejected keys."""
    codes = _key_codes(keyed)
    distinct = keyed.select(_KEY).with_columns(codes)[codes.arg_unique()]
    rows: list[dict[str, Any]] = []
    rejected: list[tuple[int, dict[str, Any], PlanRejected]] = []
    for key_row in distinct.iter_rows(named=True):
        code = key_row.pop(_CODE)
        if key_row["activity"] is None or key_row["unit"] is None:
            continue
        try:
            plan = build_plan(_plan_key(key_row), pack)
        except PlanRejected as exc:
            rejected.append((code, key_row, exc))
            continue
        out: dict[str, Any] = {
            _CODE: code,
            "_unit_factor": plan.unit_factor,
            "_energy_per_unit": plan.energy_per_unit,
            "_ncv_scale": plan.ncv_scale,
            "_oxidation": plan.oxidation,
            "method": plan.method,
            "factor_source": plan.factor_source,
        }
        for gas, term in zip(GASES, plan.terms, strict=True):
            out[f"_{gas}_on_energy"] = term.on_energy
            out[f"_{gas}_coef"] = term.coefficient
            out[f"_{gas}_override"] = _OVERRIDES[term.override]
            out[f"_{gas}_scale"] = term.override_scale
        rows.append(out)
    return codes, pl.DataFrame(rows, schema=_PLAN_SCHEMA), rejected


_PLAN_SCHEMA: dict[str, Any] = {
    _CODE: pl.Int64,
    "_unit_factor": pl.Float64,
    "_energy_per_unit": pl.Float64,
    "_ncv_scale": pl.Float64,
    "_oxidation": pl.Float64,
    # Few distinct texts repeated on every row: dictionary-encoded, a join copies 4 bytes a row.
    "method": pl.Categorical,
    "factor_source": pl.Categorical,
}
for _gas in GASES:
    _PLAN_SCHEMA.update(
        {
            f"_{_gas}_on_energy": pl.Boolean,
            f"_{_gas}_coef": pl.Float64,
            f"_{_gas}_override": pl.Int8,
            f"_{_gas}_scale": pl.Float64,
        }
    )


Check = tuple[pl.Expr, str, pl.Expr | str, str | None]  # condition, column, message, expected


def _flag(
    frame: pl.DataFrame, condition: pl.Expr, column: str, message: pl.Expr | str, expected: str | None = None
) -> pl.DataFrame:
    msg = pl.lit(message) if isinstance(message, str) else message
    return frame.filter(condition).select(
        pl.col(_ROW),
        pl.lit(column).alias("column"),
        msg.alias("message"),
        pl.lit(expected, dtype=pl.String).alias("expected"),
    )


def expected_of(column: str) -> str:
    """What a cell of `column` should hold (Problem.expected)."""
    if column == "oxidation_factor":
        return "number in [0, 1]"
    if column in NUMERIC_COLUMNS:
        return "number >= 0"
    if column == "year":
        return f"integer in [{YEAR_RANGE[0]}, {YEAR_RANGE[1]}]"
    if column == "sector":
        return one_of(SECTORS)
    return "text"


def _checks() -> list[Check]:
    """Per-row checks on the raw (`raw_*`) and typed columns: (condition, column, message, expected)."""
    checks: list[Check] = [
        (pl.col(f"raw_{c}").is_null(), c, f"missing value for required column {c}", expected_of(c))
        for c in REQUIRED_COLUMNS
    ]
    for c in NUMERIC_COLUMNS:
        raw = pl.col(f"raw_{c}")
        bad = raw.is_not_null() & (pl.col(c).is_null() | pl.col(c).is_nan() | pl.col(c).is_infinite())
        checks.append((bad, c, pl.format("expected a number, got '{}'", raw), expected_of(c)))
        checks.append((pl.col(c) < 0, c, pl.format("{} must not be negative, got {}", pl.lit(c), raw), expected_of(c)))
    checks.append(
        (
            pl.col("oxidation_factor") > 1,
            "oxidation_factor",
            pl.format("oxidation_factor is a fraction between 0 and 1, got {}", pl.col("raw_oxidation_factor")),
            expected_of("oxidation_factor"),
        )
    )
    year_bad = pl.col("raw_year").is_not_null() & (
        pl.col("year").is_null() | (pl.col("year") < YEAR_RANGE[0]) | (pl.col("year") > YEAR_RANGE[1])
    )
    year_message = pl.format("expected a year (1850-2200), got '{}'", pl.col("raw_year"))
    checks.append((year_bad, "year", year_message, expected_of("year")))
    checks.append(
        (
            pl.col("raw_sector").is_not_null() & ~pl.col("sector").is_in(list(SECTORS)),
            "sector",
            pl.format("unknown sector '{}'; expected one of " + ", ".join(SECTORS), pl.col("raw_sector")),
            expected_of("sector"),
        )
    )
    for value, unit in VALUE_UNIT_PAIRS:
        checks.append(
            (
                pl.col(f"raw_{value}").is_not_null() & pl.col(f"raw_{unit}").is_null(),
                unit,
                f"{value} is given, so {unit} is required",
                f"unit of {value}",
            )
        )
    return checks


def _may_repeat(ids: pl.Series) -> bool:
    """Whether some id occurs twice; the cheap proofs that none does come first.

    Ids in strictly increasing order (a file sorted by its ids: one comparison of neighbours)
    are all distinct, and so are ids whose hashes are (equal ids hash equally); otherwise the
    ids themselves are counted. Blank ids (null) are not compared."""
    if ids.null_count():
        ids = ids.drop_nulls()
    if ids.dtype != pl.String:
        ids = ids.cast(pl.String)
    if ids.len() < 2:
        return False
    if (ids.slice(1) > ids.slice(0, ids.len() - 1)).all():
        return False
    return bool(ids.hash().n_unique() != ids.len() and ids.n_unique() != ids.len())


def _row_problems(cleaned: pl.DataFrame, typed: pl.DataFrame, source: TableSource) -> list[pl.DataFrame]:
    both = pl.concat([cleaned.select(pl.all().name.prefix("raw_")), typed], how="horizontal")
    checks = _checks()
    any_bad = pl.any_horizontal(check[0] for check in checks)
    # One pass decides whether anything is wrong; the located list is built only then.
    bad_rows = both.select(any_bad.any()).item()
    duplicates = _may_repeat(cleaned.get_column("record_id"))
    found: list[pl.DataFrame] = []
    if bad_rows:
        suspects = both.with_row_index(_ROW).filter(any_bad)
        found += [_flag(suspects, *check) for check in checks]
    if duplicates:
        both = both.with_row_index(_ROW)
        first = (
            both.filter(pl.col("raw_record_id").is_not_null())
            .group_by("raw_record_id")
            .agg(pl.col(_ROW).min().alias("_first"))
        )
        dup = both.join(first, on="raw_record_id", how="inner").filter(pl.col(_ROW) != pl.col("_first"))
        found.append(
            dup.select(
                pl.col(_ROW),
                pl.lit("record_id").alias("column"),
                pl.format(
                    "duplicate record_id '{}' (first on line {})",
                    pl.col("raw_record_id"),
                    source.line_expr(pl.col("_first")),
                ).alias("message"),
                pl.lit("text unique in the file", dtype=pl.String).alias("expected"),
            )
        )
    return found


def validate_frame(
    raw: pl.DataFrame, source: TableSource, pack: MethodPack, default_year: int | None = None
) -> pl.DataFrame:
    """Check a table of strings; return it typed, or raise ValidationFailed with every problem."""
    return _validate(raw, source, pack, default_year)[0]


def validate_and_calculate(
    raw: pl.DataFrame, source: TableSource, pack: MethodPack, gwp_set: str, default_year: int | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`validate_frame` then `calculate_frame` in one go: (typed, results), the plans resolved once."""
    gwp("CH4", gwp_set)  # an unknown set fails before any work
    typed, keyed, codes, plans = _validate(raw, source, pack, default_year)
    return typed, _evaluate(keyed, codes, plans, gwp_set)


def _validate(
    raw: pl.DataFrame, source: TableSource, pack: MethodPack, default_year: int | None
) -> tuple[pl.DataFrame, pl.DataFrame, pl.Series, pl.DataFrame]:
    header = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
    known = set(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)
    problems = [Problem(f"missing required column '{c}'", source.file, source.first_line - 1, None, c) for c in header]
    problems += [
        Problem(
            f"unknown column '{c}'; expected {', '.join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)}",
            source.file,
            source.first_line - 1,
            i + 1 if source.column_numbers else None,
            c,
        )
        for i, c in enumerate(raw.columns)
        if c not in known
    ]
    if problems:
        raise ValidationFailed(problems)
    cleaned, typed = clean_and_type(raw, default_year)
    found = _row_problems(cleaned, typed, source)
    keyed = _with_keys(typed)
    codes, plans, rejected = _plans(keyed, pack)
    if rejected:
        coded = pl.DataFrame(codes).with_row_index(_ROW)
        for code, _key_row, exc in rejected:
            for problem in exc.problems:
                found.append(_flag(coded, pl.col(_CODE) == code, problem.field, problem.message, problem.expected))
    table = pl.concat(found).sort(_ROW, maintain_order=True) if found else pl.DataFrame()
    if table.height:
        shown = table.head(MAX_PROBLEMS)
        raise ValidationFailed(source.locate_all(shown), truncated=table.height - shown.height)
    return typed, keyed, codes, plans


def calculate_frame(typed: pl.DataFrame, pack: MethodPack, gwp_set: str) -> pl.DataFrame:
    """Emissions per row of a validated table: co2_t, ch4_t, n2o_t, co2e_t, gwp_set, method,
    factor_source (the last three Categorical), in input order. Bit-identical to
    `calculation.evaluate` per record."""
    keyed = _with_keys(typed)
    codes, plans, rejected = _plans(keyed, pack)
    if rejected:
        raise ValidationFailed([Problem(str(exc), field=key["activity"]) for _, key, exc in rejected])
    return _evaluate(keyed, codes, plans, gwp_set)


def _evaluate(keyed: pl.DataFrame, codes: pl.Series, plans: pl.DataFrame, gwp_set: str) -> pl.DataFrame:
    """The formulas of `calculation.evaluate`, column-wise, with each row's plan looked up by key code.

    Each row gets the index of its plan (one join on the key code); a plan column is gathered
    by that index only inside the expression that reads it, so it is dropped as soon as it is
    used. Intermediate terms are materialised once (eager selects do not share
    subexpressions) and a branch no plan takes is left out; the float operations per row are
    exactly those of `evaluate`, in the same order."""

    def plan(name: str) -> pl.Expr:
        return pl.lit(plans.get_column(name)).gather(pl.col("_plan"))

    per_unit = pl.when(pl.col("_has_ncv")).then(pl.col("ncv") * plan("_ncv_scale")).otherwise(plan("_energy_per_unit"))
    oxidation = pl.when(pl.col("_has_of")).then(pl.col("oxidation_factor")).otherwise(plan("_oxidation"))
    values: dict[str, pl.Expr] = {}
    for gas in GASES:
        overrides = set(plans.get_column(f"_{gas}_override").unique().to_list())
        coefficient: pl.Expr = plan(f"_{gas}_coef")
        for field, number in _OVERRIDES.items():
            if field and number in overrides:  # the branches exclude each other: order is free
                coefficient = (
                    pl.when(plan(f"_{gas}_override") == number)
                    .then(pl.col(field) * plan(f"_{gas}_scale"))
                    .otherwise(coefficient)
                )
        on_energy = set(plans.get_column(f"_{gas}_on_energy").unique().to_list())
        if on_energy == {True}:
            base = pl.col("_energy")
        elif on_energy == {False}:
            base = pl.col("_q_c")
        else:
            base = pl.when(plan(f"_{gas}_on_energy")).then(pl.col("_energy")).otherwise(pl.col("_q_c"))
        value = base * coefficient
        values[gas] = (value * pl.col("_of") if gas == "CO2" else value).alias(gas)
    numbered = plans.select(_CODE).with_row_index("_plan")
    index = pl.DataFrame(codes).join(numbered, on=_CODE, how="left", maintain_order="left").get_column("_plan")
    # `select`, not `with_columns`: adding a one-chunk column to the reader's many-chunk columns
    # would copy them all into one chunk first.
    rows = keyed.select(*NUMERIC_COLUMNS, "_has_ncv", "_has_of", index)
    rows = rows.select(pl.all(), (pl.col("quantity") * plan("_unit_factor")).alias("_q_c"))
    terms = rows.select(pl.all(), (pl.col("_q_c") * per_unit).alias("_energy"), oxidation.alias("_of"))
    out = terms.select(
        values["CO2"].alias("co2_t"),
        values["CH4"].alias("ch4_t"),
        values["N2O"].alias("n2o_t"),
        plan("method").alias("method"),
        plan("factor_source").alias("factor_source"),
    )
    co2e = pl.col("co2_t") + pl.col("ch4_t") * gwp("CH4", gwp_set) + pl.col("n2o_t") * gwp("N2O", gwp_set)
    gwp_column = pl.lit(gwp_set, dtype=pl.Categorical).alias("gwp_set")
    return out.select("co2_t", "ch4_t", "n2o_t", co2e.alias("co2e_t"), gwp_column, "method", "factor_source")


def records_from_frame(typed: pl.DataFrame) -> list[ActivityRecord]:
    """Validated rows as immutable records, for the per-record path and for storage."""
    columns: Sequence[str] = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
    return [ActivityRecord(**dict(zip(columns, row, strict=True))) for row in typed.select(columns).iter_rows()]
