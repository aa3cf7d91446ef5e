"""The CEMS pipeline's SQL, one text for DuckDB and Spark SQL (both accept it as written).

``partials_sql``: one streaming pass over the hourly data set to per stack-month aggregates
(domain/cems/partials.SUM_COLUMNS): hour validity by the rule set's flags and
sign, stopped hours, and the sums the substitution needs. ``findings_sql``: the plausibility
screens of domain/cems/quality.plausibility as window functions (one sort per stack).
The rule set's flags are single letters checked before they enter the text.
"""

from __future__ import annotations

import re

from carbonbridge.domain.cems.rules import RuleSet

_FLAG = re.compile(r"^[A-Za-z]$")
_CODE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")


def _flags(flags: frozenset[str]) -> str:
    if not flags or not all(_FLAG.match(f) for f in flags):
        raise ValueError(f"flags must be single letters: {sorted(flags)}")
    return ", ".join(f"'{f}'" for f in sorted(flags))


def _base(source: str, rules: RuleSet, jurisdiction: str, year: int | None) -> str:
    if not _CODE.match(jurisdiction):
        raise ValueError(f"jurisdiction {jurisdiction!r}")
    valid, stopped = _flags(rules.valid_flags), _flags(rules.stopped_flags)
    year_filter = f"AND year = {int(year)}" if year is not None else ""
    return f"""
    SELECT jurisdiction, installation AS installation_id, stack_id, year, month, ts, co2, flow,
      coalesce(co2_flag IN ({valid}) AND co2 >= 0, false) AS cv,
      coalesce(flow_flag IN ({valid}) AND flow >= 0, false) AS fv,
      (coalesce(co2_flag IN ({stopped}), false) OR coalesce(flow_flag IN ({stopped}), false)) AS st
    FROM {source}
    WHERE jurisdiction = '{jurisdiction}' {year_filter}"""


def partials_sql(source: str, rules: RuleSet, jurisdiction: str, year: int | None = None) -> str:
    """Columns named and ordered as domain/cems/partials.SUM_COLUMNS. A value counts only in an
    operating hour with a valid flag and sign.

    Two aggregations. The first, over the scan, groups each stack-month's hours by what the
    rules look at - the two flags as sent and the two values' signs - and sums the values, their
    squares and their product; a stack-month has a few such groups (484,000 for 137,000
    stack-months of the synthetic national year). The rules (a valid flag, a non-negative
    value, no stop of the other column) are then applied once per group, not once per hour, and
    the second aggregation adds the groups that count to each stack-month. Against one
    aggregation with the validity tests in CASE expressions per hour this costs about 15 % less
    CPU at 10^8 hours (benchmarks/cems.py). With a year given the year is a constant, not a key."""
    if not _CODE.match(jurisdiction):
        raise ValueError(f"jurisdiction {jurisdiction!r}")
    valid, stopped = _flags(rules.valid_flags), _flags(rules.stopped_flags)
    both = rules.valid_flags & rules.stopped_flags

    def valid_if(flag: str, sign: str, stop: str, other_stop: str) -> str:
        # x IS NOT TRUE: false or NULL (no flag); a NULL value has a NULL sign, never valid
        running = f"{other_stop} IS NOT TRUE" + (f" AND {stop} IS NOT TRUE" if both else "")
        return f"coalesce({flag} IN ({valid}) AND {sign} AND {running}, false)"

    if year is None:
        year_filter, year_column, year_key = "", "year", "year, "
    else:
        year_filter, year_column, year_key = f"AND year = {int(year)}", f"{int(year)} AS year", ""
    return f"""
WITH h AS (
  SELECT installation, stack_id, {year_key}month, co2_flag, flow_flag,
    co2 >= 0 AS co2_signed, flow >= 0 AS flow_signed, co2, flow
  FROM {source}
  WHERE jurisdiction = '{jurisdiction}' {year_filter}
),
a AS (
  SELECT installation, stack_id, {year_key}month, co2_flag, flow_flag, co2_signed, flow_signed,
    count(*) AS n, sum(co2) AS c, sum(co2 * co2) AS cc, sum(flow) AS f, sum(flow * flow) AS ff,
    sum(co2 * flow) AS cf
  FROM h
  GROUP BY installation, stack_id, {year_key}month, co2_flag, flow_flag, co2_signed, flow_signed
),
s AS (
  SELECT *, co2_flag IN ({stopped}) AS cs, flow_flag IN ({stopped}) AS fs FROM a
),
v AS (
  SELECT installation, stack_id, {year_key}month, n, c, cc, f, ff, cf, coalesce(cs OR fs, false) AS st,
    {valid_if("co2_flag", "co2_signed", "cs", "fs")} AS cv,
    {valid_if("flow_flag", "flow_signed", "fs", "cs")} AS fv
  FROM s
)
SELECT installation AS installation_id, stack_id, {year_column}, month,
  CAST(sum(n) AS BIGINT) AS rows_present,
  CAST(coalesce(sum(CASE WHEN st THEN n END), 0) AS BIGINT) AS stopped,
  CAST(coalesce(sum(CASE WHEN cv AND fv THEN n END), 0) AS BIGINT) AS both_valid,
  coalesce(sum(CASE WHEN cv AND fv THEN cf END), 0.0) AS sum_co2_flow,
  CAST(coalesce(sum(CASE WHEN cv THEN n END), 0) AS BIGINT) AS co2_valid,
  coalesce(sum(CASE WHEN cv THEN c END), 0.0) AS co2_sum,
  coalesce(sum(CASE WHEN cv THEN cc END), 0.0) AS co2_sum_sq,
  CAST(coalesce(sum(CASE WHEN fv THEN n END), 0) AS BIGINT) AS flow_valid,
  coalesce(sum(CASE WHEN fv THEN f END), 0.0) AS flow_sum,
  coalesce(sum(CASE WHEN fv THEN ff END), 0.0) AS flow_sum_sq,
  coalesce(sum(CASE WHEN fv AND NOT cv THEN f END), 0.0) AS sum_flow_where_only_flow,
  coalesce(sum(CASE WHEN cv AND NOT fv THEN c END), 0.0) AS sum_co2_where_only_co2
FROM v
GROUP BY installation, stack_id, {year_key}month
"""


def findings_sql(source: str, rules: RuleSet, jurisdiction: str, year: int | None = None) -> str:
    n = int(rules.stuck_hours)
    ratio = float(rules.jump_ratio)

    def screens(value: str, valid: str) -> str:
        v = f"CASE WHEN {valid} THEN {value} END"
        return f"""
    coalesce({value} < 0, false) AS {value}_negative,
    coalesce(count({v}) OVER w_run = {n} AND min({v}) OVER w_run = max({v}) OVER w_run
             AND min(ts) OVER w_run = ts - INTERVAL '{n - 1}' HOUR, false) AS {value}_stuck,
    coalesce(lag(ts) OVER w_seq = ts - INTERVAL '1' HOUR
             AND abs({v} - lag({v}) OVER w_seq) > {ratio!r} * abs(lag({v}) OVER w_seq), false) AS {value}_jump"""

    return f"""
WITH h AS ({_base(source, rules, jurisdiction, year)}),
w AS (
  SELECT installation_id, stack_id, year, {screens("co2", "cv")}, {screens("flow", "fv")}
  FROM h
  WINDOW w_run AS (PARTITION BY installation_id, stack_id ORDER BY ts ROWS BETWEEN {n - 1} PRECEDING AND CURRENT ROW),
         w_seq AS (PARTITION BY installation_id, stack_id ORDER BY ts)
)
SELECT installation_id, stack_id, year,
  count(*) FILTER (WHERE co2_negative) AS co2_negative, count(*) FILTER (WHERE co2_stuck) AS co2_stuck,
  count(*) FILTER (WHERE co2_jump) AS co2_jumps,
  count(*) FILTER (WHERE flow_negative) AS flow_negative, count(*) FILTER (WHERE flow_stuck) AS flow_stuck,
  count(*) FILTER (WHERE flow_jump) AS flow_jumps
FROM w
GROUP BY installation_id, stack_id, year
"""
