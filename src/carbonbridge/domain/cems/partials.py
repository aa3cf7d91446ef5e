"""Annual emissions from per stack-month partial aggregates - the form an engine (DuckDB, Spark)
returns after one streaming pass over the hourly data set.

The arithmetic is that of domain/mrv/cems.py, regrouped so that it needs sums, counts and
per-month variance terms only: with C and F the Art. 45(3) / Annex VIII Eq. 4 substitutes,
grams = sum(c x f | both valid) + C x sum(f | only flow valid) + F x sum(c | only CO2 valid)
      + C x F x (hours with neither valid, including hours with no record at all).
Means and sample standard deviations of the year are combined from the months exactly (the sum
of squared deviations of the year is that of the months plus n x (month's mean - year's mean)^2,
Chan et al.), so no value is read twice. All stacks at once, as NumPy columns (MonthPartials):
a national year is 137,000 stack-months.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from carbonbridge.domain.cems.annual import StackYear, hours_in_year
from carbonbridge.domain.cems.rules import RuleSet

Array = npt.NDArray[Any]


class MonthPartial(NamedTuple):
    """Aggregates of one stack-month; ``m2`` is the sum of squared deviations from the month's mean.
    A NamedTuple (immutable like the frozen dataclass it was, built about 4x faster: an engine
    returns one per stack-month, 137,000 for a national year)."""

    jurisdiction: str
    installation_id: str
    stack_id: str
    year: int
    month: int
    rows: int
    stopped: int
    both_valid: int
    sum_co2_flow: float
    co2_valid: int
    co2_mean: float
    co2_m2: float
    flow_valid: int
    flow_mean: float
    flow_m2: float
    sum_flow_where_only_flow: float
    sum_co2_where_only_co2: float
    neither_rows: int


FIELDS = MonthPartial._fields
# An engine's columns per stack-month (adapters/cems_sql.partials_sql), in its order.
SUM_COLUMNS = (
    "installation_id",
    "stack_id",
    "year",
    "month",
    "rows_present",
    "stopped",
    "both_valid",
    "sum_co2_flow",
    "co2_valid",
    "co2_sum",
    "co2_sum_sq",
    "flow_valid",
    "flow_sum",
    "flow_sum_sq",
    "sum_flow_where_only_flow",
    "sum_co2_where_only_co2",
)
_COUNTS = ("rows", "stopped", "both_valid", "co2_valid", "flow_valid", "neither_rows")


@dataclass(frozen=True)
class MonthPartials:
    """Many stack-months as columns (one NumPy array per MonthPartial field, same names): the
    engine's result is turned into years with array arithmetic instead of one object a month."""

    columns: Mapping[str, Array]

    def __post_init__(self) -> None:
        for column in self.columns.values():
            column.flags.writeable = False

    def __len__(self) -> int:
        return len(self.columns["month"])

    def rows(self) -> list[MonthPartial]:
        cols = [self.columns[f].tolist() for f in FIELDS]
        return [MonthPartial(*row) for row in zip(*cols, strict=True)]


def partials_from_rows(partials: Sequence[MonthPartial]) -> MonthPartials:
    if not partials:
        raise ValueError("no partials")
    return MonthPartials(
        {f: np.array(col, dtype=_dtype(f)) for f, col in zip(FIELDS, zip(*partials, strict=True), strict=True)}
    )


def _dtype(field: str) -> Any:
    if field in ("jurisdiction", "installation_id", "stack_id"):
        return object
    return np.int64 if field in _COUNTS or field in ("year", "month") else np.float64


def partials_from_sums(jurisdiction: str, sums: Mapping[str, Any]) -> MonthPartials:
    """MonthPartials from an engine's columns (adapters/cems_sql.partials_sql, by its column names):
    counts, sums and sums of squares per month; a month's sum of squared deviations is ss - s^2 / n
    (months are short: at most 744 values, so the cancellation costs about 1e-12 of the variance)."""

    def col(name: str, dtype: Any) -> Array:
        return np.asarray(sums[name], dtype=dtype)

    rows, stopped, both = col("rows_present", np.int64), col("stopped", np.int64), col("both_valid", np.int64)
    nc, sc, scc = col("co2_valid", np.int64), col("co2_sum", np.float64), col("co2_sum_sq", np.float64)
    nf, sf, sff = col("flow_valid", np.int64), col("flow_sum", np.float64), col("flow_sum_sq", np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        c_mean = np.where(nc > 0, sc / np.maximum(nc, 1), 0.0)
        f_mean = np.where(nf > 0, sf / np.maximum(nf, 1), 0.0)
    return MonthPartials(
        {
            "jurisdiction": np.full(len(rows), jurisdiction, dtype=object),
            "installation_id": np.asarray(sums["installation_id"], dtype=object),
            "stack_id": np.asarray(sums["stack_id"], dtype=object),
            "year": col("year", np.int64),
            "month": col("month", np.int64),
            "rows": rows,
            "stopped": stopped,
            "both_valid": both,
            "sum_co2_flow": col("sum_co2_flow", np.float64),
            "co2_valid": nc,
            "co2_mean": c_mean,
            "co2_m2": np.maximum(0.0, scc - sc * c_mean),
            "flow_valid": nf,
            "flow_mean": f_mean,
            "flow_m2": np.maximum(0.0, sff - sf * f_mean),
            "sum_flow_where_only_flow": col("sum_flow_where_only_flow", np.float64),
            "sum_co2_where_only_co2": col("sum_co2_where_only_co2", np.float64),
            "neither_rows": rows - stopped - (nc + nf - both),
        }
    )


def _combined(n: Array, mean: Array, m2: Array, starts: Array) -> tuple[Array, ...]:
    """Per group (rows starts[i] to starts[i+1]): count, mean and sum of squared deviations of the
    year from its months' - exact: m2 = sum(m2_i + n_i (mean_i - mean)^2) (Chan et al.)."""
    total = np.add.reduceat(n, starts)
    group = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(n))))
    with np.errstate(invalid="ignore", divide="ignore"):
        year_mean = np.where(total > 0, np.add.reduceat(n * mean, starts) / np.maximum(total, 1), 0.0)
    deviation = mean - year_mean[group]
    return total, year_mean, np.add.reduceat(m2 + n * deviation * deviation, starts)


def _substitutes(n: Array, mean: Array, m2: Array) -> Array:
    """EU MRR Annex VIII section 4 Eq. 4: mean + 2 x sample standard deviation of the year's
    valid values (defined from two values on: the caller tests n >= 2)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        substitute: Array = mean + 2.0 * np.sqrt(m2 / np.maximum(n - 1, 1))
    return substitute


def stack_years(partials: MonthPartials, rules: RuleSet, tier: str | None = None) -> list[tuple[str, StackYear]]:
    """Each stack's year, as (installation, StackYear) ordered by installation, stack and year.

    With C and F the substitutes of the year, grams = sum(c x f | both valid)
    + C x sum(f | only flow valid) + F x sum(c | only CO2 valid) + C x F x (hours with neither
    valid, including hours with no record at all) when the rule set substitutes and both CO2
    and flow have two valid values or more. Otherwise the year is the valid hours' mass, complete,
    if no operating hour misses a value or the rule set does not substitute (then it is
    incomplete), and unknown (None) if a substitution is due but cannot be made."""
    u = rules.uncertainty(tier)
    c = partials.columns
    if len(c["month"]) == 0:
        return []
    inst, stack, year = c["installation_id"], c["stack_id"], c["year"]
    order = np.lexsort((year, stack.astype(str), inst.astype(str)))  # stable: months keep their order
    if not np.array_equal(order, np.arange(len(order))):
        c = {k: v[order] for k, v in c.items()}
        inst, stack, year = c["installation_id"], c["stack_id"], c["year"]
    new = np.ones(len(year), dtype=bool)
    new[1:] = (inst[1:] != inst[:-1]) | (stack[1:] != stack[:-1]) | (year[1:] != year[:-1])
    starts = np.flatnonzero(new)

    def total(name: str) -> Array:
        return np.add.reduceat(c[name], starts)

    years = year[starts]
    in_year = {int(y): hours_in_year(int(y)) for y in np.unique(years)}
    hours = np.array([in_year[y] for y in years.tolist()], dtype=np.int64)
    rows, stopped, both = total("rows"), total("stopped"), total("both_valid")
    nc, mc, m2c = _combined(c["co2_valid"], c["co2_mean"], c["co2_m2"], starts)
    nf, mf, m2f = _combined(c["flow_valid"], c["flow_mean"], c["flow_m2"], starts)
    neither = total("neither_rows") + (hours - rows)
    operating = hours - stopped
    valid_grams = total("sum_co2_flow")
    c_sub, f_sub = _substitutes(nc, mc, m2c), _substitutes(nf, mf, m2f)
    substituted = (nc >= 2) & (nf >= 2) & rules.substitutes
    with np.errstate(invalid="ignore"):
        grams = (
            valid_grams
            + c_sub * total("sum_flow_where_only_flow")
            + f_sub * total("sum_co2_where_only_co2")
            + c_sub * f_sub * neither
        )
    missing = operating - both
    out: list[tuple[str, StackYear]] = []
    for i, start in enumerate(starts.tolist()):
        if substituted[i]:
            emissions = float(grams[i]) * 1e-6
            out.append(
                (
                    str(inst[start]),
                    StackYear(
                        str(stack[start]),
                        int(years[i]),
                        emissions,
                        int(hours[i]),
                        int(stopped[i]),
                        int(both[i]),
                        int(operating[i] - nc[i]),
                        int(operating[i] - nf[i]),
                        0,
                        float(c_sub[i]),
                        float(f_sub[i]),
                        emissions * u,
                        True,
                    ),
                )
            )
            continue
        value = float(valid_grams[i]) * 1e-6 if not rules.substitutes or missing[i] == 0 else None
        out.append(
            (
                str(inst[start]),
                StackYear(
                    str(stack[start]),
                    int(years[i]),
                    value,
                    int(hours[i]),
                    int(stopped[i]),
                    int(both[i]),
                    0,
                    0,
                    int(missing[i]),
                    None,
                    None,
                    None if value is None else value * u,
                    bool(missing[i] == 0),
                ),
            )
        )
    return out


def stack_year_from_partials(partials: list[MonthPartial], rules: RuleSet, tier: str | None = None) -> StackYear:
    """One stack's year from its months (all of the same stack and year)."""
    first = partials[0]
    if any((p.stack_id, p.year) != (first.stack_id, first.year) for p in partials):
        raise ValueError("partials of more than one stack-year")
    same = [p._replace(installation_id=first.installation_id) for p in partials]
    ((_, year),) = stack_years(partials_from_rows(same), rules, tier)
    return year
