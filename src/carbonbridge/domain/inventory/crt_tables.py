"""CRT-like tables for people (not an import file): Summary 1 and 2, key categories (Table 7),
recalculations (Table 8), completeness (Table 9) and trends (Table 10), from CRT values and keys.

Row lists follow the Summary1 rows of the published CRT (CRT-NOTES.md section 1.2, [V]); the
columns of Tables 7-10 are a reconstruction after the CRF tables of decision 24/CP.19 ([U]).
Masses in kt of gas; F-gases and totals in kt CO2 equivalent under the chosen GWP set.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from carbonbridge.domain.inventory import kca
from carbonbridge.domain.inventory.crt_categories import CrtTree, CrtValue, crt_aggregate
from carbonbridge.domain.inventory.crt_document import CrtKey
from carbonbridge.domain.inventory.records import gas_group

Table = list[list[Any]]
Gwp = Callable[[str], float]
SUMMARY1_ROWS = (
    "0", "M.0.EL", "1", "1.A", "1.A.1", "1.A.2", "1.A.3", "1.A.4", "1.A.5", "1.B", "1.B.1", "1.B.2", "1.C",
    "2", "2.A", "2.B", "2.C", "2.D", "2.E", "2.F", "2.G", "2.H",
    "3", "3.A", "3.B", "3.C", "3.D", "3.E", "3.F", "3.G", "3.H", "3.I", "3.J",
    "4", "4.A", "4.B", "4.C", "4.D", "4.E", "4.F", "4.G", "4.H",
    "5", "5.A", "5.B", "5.C", "5.D", "5.E", "6",
    "1.D.1", "1.D.1.a", "1.D.1.b", "1.D.2", "1.D.3", "1.D.4", "M.IndN2O", "M.IndCO2",
)  # fmt: skip
MASS_GASES = ("CO2", "CH4", "N2O")
FGAS_GROUPS = ("HFCs", "PFCs", "Unspecified mix of HFCs and PFCs", "SF6", "NF3")
TREND_SECTORS = ("1", "2", "3", "4", "5", "6", "1.D.1", "0", "M.0.EL")


def _kt(value: float | None) -> float | str:
    return "" if value is None else round(value / 1000.0, 6)


def _group(gas: str) -> str:
    return gas_group(gas)


def co2e_totals(values: Sequence[CrtValue], tree: CrtTree, gwp: Gwp) -> dict[tuple[str, str, int], float]:
    """(category, gas group or 'CO2e', year) -> t CO2e, summed up the CRT tree."""
    parts: dict[tuple[str, str, int], list[float]] = defaultdict(list)
    for (category, gas, year), mass in crt_aggregate(values, tree).items():
        co2e = mass * gwp(gas)
        parts[(category, _group(gas), year)].append(co2e)
        parts[(category, "CO2e", year)].append(co2e)
    return {k: math.fsum(v) for k, v in parts.items()}


def _key_labels(keys: Sequence[CrtKey], tree: CrtTree, year: int) -> dict[tuple[str, str], str]:
    """Notation keys of a year by (category, gas group), carried up to every ancestor: an aggregate
    row without a number shows the keys of the rows below it ('NO' for a sector that does not occur)."""
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    for k in keys:
        if k.year == year:
            for code in (k.category, *tree.ancestors(k.category)):
                found[(code, _group(k.gas))].add(",".join(k.cell.keys))
    return {key: "/".join(sorted(labels)) for key, labels in found.items()}


def summary1(
    values: Sequence[CrtValue], keys: Sequence[CrtKey], tree: CrtTree, year: int, gwp: Gwp, gwp_set: str
) -> Table:
    mine = [v for v in values if v.year == year]
    mass = crt_aggregate(mine, tree)
    co2e = co2e_totals(mine, tree, gwp)
    labels = _key_labels(keys, tree, year)
    table: Table = [
        [
            "category",
            "title",
            *(f"{g} (kt)" for g in MASS_GASES),
            *(f"{g} (kt CO2e)" for g in FGAS_GROUPS),
            f"total (kt CO2e, {gwp_set})",
        ]
    ]
    for code in SUMMARY1_ROWS:
        row: list[Any] = [code, tree.titles.get(code, "")]
        row += [_cell(mass.get((code, g, year)), labels.get((code, g))) for g in MASS_GASES]
        row += [_cell(co2e.get((code, g, year)), labels.get((code, g))) for g in FGAS_GROUPS]
        row.append(_kt(co2e.get((code, "CO2e", year))))
        table.append(row)
    return table


def _cell(value: float | None, label: str | None) -> float | str:
    return _kt(value) if value is not None else (label or "")


def summary2(values: Sequence[CrtValue], tree: CrtTree, year: int, gwp: Gwp, gwp_set: str) -> Table:
    co2e = co2e_totals([v for v in values if v.year == year], tree, gwp)
    groups = (*MASS_GASES, *FGAS_GROUPS)
    table: Table = [["category", "title", *(f"{g} (kt CO2e)" for g in groups), f"total (kt CO2e, {gwp_set})"]]
    for code in SUMMARY1_ROWS:
        if code.count(".") <= 1 or code.startswith(("M.", "1.D")):
            table.append(
                [
                    code,
                    tree.titles.get(code, ""),
                    *(_kt(co2e.get((code, g, year))) for g in groups),
                    _kt(co2e.get((code, "CO2e", year))),
                ]
            )
    return table


def _leaf_estimates(values: Sequence[CrtValue], tree: CrtTree, year: int, gwp: Gwp) -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], list[float]] = defaultdict(list)
    for v in values:
        if v.year == year and not tree.is_memo(v.category):
            out[(v.category, v.gas)].append(v.mass_t * gwp(v.gas))
    return {k: math.fsum(x) for k, x in out.items()}


def table7(
    values: Sequence[CrtValue],
    tree: CrtTree,
    year: int,
    base_year: int | None,
    gwp: Gwp,
    threshold: float = kca.APPROACH1_THRESHOLD,
) -> Table:
    """Key categories (Approach 1, level and trend, with LULUCF) by CRT category and gas."""
    current = _leaf_estimates(values, tree, year, gwp)
    level = {(a.category, a.gas): a for a in kca.level(current, threshold)}
    trend: dict[tuple[str, str], kca.Assessment] = {}
    if base_year is not None and base_year != year:
        trend = {
            (a.category, a.gas): a for a in kca.trend(_leaf_estimates(values, tree, base_year, gwp), current, threshold)
        }
    table: Table = [
        [
            "category",
            "title",
            "gas",
            f"{year} (kt CO2e)",
            "level share (%)",
            "key by level",
            "trend assessment",
            "key by trend",
            f"threshold {threshold:.0%}",
        ]
    ]
    for key in sorted(set(level) | set(trend), key=lambda k: (-abs(current.get(k, 0.0)), k)):
        lv, tr = level.get(key), trend.get(key)
        if not ((lv and lv.key) or (tr and tr.key)):
            continue
        table.append(
            [
                key[0],
                tree.titles.get(key[0], ""),
                key[1],
                _kt(current.get(key)),
                round(lv.share * 100, 4) if lv else "",
                bool(lv and lv.key),
                round(tr.value, 8) if tr else "",
                bool(tr and tr.key),
                "",
            ]
        )
    return table


def table8(
    previous: Sequence[CrtValue],
    latest: Sequence[CrtValue],
    tree: CrtTree,
    year: int,
    gwp: Gwp,
    explanations: Mapping[tuple[str, str], str],
    *,
    labels: tuple[str, str],
) -> Table:
    """Recalculations: every CRT category and gas whose CO2e in `year` differs between two
    submissions, with the difference and the Party's explanation (or 'explanation missing')."""
    before = _leaf_estimates(previous, tree, year, gwp)
    after = _leaf_estimates(latest, tree, year, gwp)
    table: Table = [
        [
            "category",
            "title",
            "gas",
            f"{labels[0]} (kt CO2e)",
            f"{labels[1]} (kt CO2e)",
            "difference (kt CO2e)",
            "difference (%)",
            "explanation",
        ]
    ]
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key), after.get(key)
        if a is not None and b is not None and math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-9):
            continue
        delta = (b or 0.0) - (a or 0.0)
        pct: float | str = round(delta / abs(a) * 100.0, 4) if a else ""
        table.append(
            [
                key[0],
                tree.titles.get(key[0], ""),
                key[1],
                _kt(a),
                _kt(b),
                _kt(delta),
                pct,
                explanations.get(key) or explanations.get((key[0], "*")) or "explanation missing",
            ]
        )
    total_a = math.fsum(before.values())
    total_b = math.fsum(after.values())
    table.append(
        [
            "0",
            "Total national emissions and removals",
            "CO2e",
            _kt(total_a),
            _kt(total_b),
            _kt(total_b - total_a),
            round((total_b - total_a) / abs(total_a) * 100, 4) if total_a else "",
            "",
        ]
    )
    return table


def table9(keys: Sequence[CrtKey], tree: CrtTree) -> Table:
    """Completeness: the categories and gases reported NE, and IE with where they are included."""
    grouped: dict[tuple[str, str, str], list[CrtKey]] = defaultdict(list)
    for k in keys:
        for label in ("NE", "IE"):
            if label in k.cell.keys:
                grouped[(label, k.category, k.gas)].append(k)
    table: Table = [
        [
            "key",
            "category",
            "title",
            "gas",
            "years",
            "allocation as per IPCC Guidelines",
            "allocation used by the Party",
            "explanation",
        ]
    ]
    for (label, category, gas), ks in sorted(grouped.items()):
        first = ks[0].cell
        table.append(
            [
                label,
                category,
                tree.titles.get(category, ""),
                gas,
                _ranges(sorted(k.year for k in ks)),
                first.allocation_by_ipcc if label == "IE" else "",
                first.allocation_by_party if label == "IE" else "",
                first.explanation,
            ]
        )
    return table


def table10(values: Sequence[CrtValue], tree: CrtTree, gas: str, gwp: Gwp, gwp_set: str) -> Table:
    """Trend by sector and year; `gas` is 'CO2e', a gas (kt of gas) or 'F-gases' (kt CO2e)."""
    years = sorted({v.year for v in values})
    if gas in MASS_GASES:
        mass = crt_aggregate([v for v in values if v.gas == gas], tree)
        series = {(c, y): m for (c, g, y), m in mass.items()}
        unit = f"kt {gas}"
    else:
        co2e = co2e_totals(values, tree, gwp)
        wanted = ("CO2e",) if gas == "CO2e" else FGAS_GROUPS
        series = defaultdict(float)
        for (c, g, y), m in co2e.items():
            if g in wanted:
                series[(c, y)] += m
        unit = f"kt CO2e ({gwp_set})"
    table: Table = [["category", "title", *years, "change base to latest (%)"]]
    for code in TREND_SECTORS:
        row = [series.get((code, y)) for y in years]
        first, last = (row[0], row[-1]) if row else (None, None)
        change: float | str = round((last - first) / abs(first) * 100.0, 2) if first and last is not None else ""
        table.append([code, f"{tree.titles.get(code, '')} [{unit}]", *(_kt(v) for v in row), change])
    return table


def _ranges(years: Sequence[int]) -> str:
    out: list[str] = []
    for y in years:
        if out and re.fullmatch(r"\d+(-\d+)?", out[-1]) and int(out[-1].split("-")[-1]) == y - 1:
            out[-1] = f"{out[-1].split('-')[0]}-{y}"
        else:
            out.append(str(y))
    return ", ".join(out)


def completeness_table(values: Sequence[CrtValue], keys: Sequence[CrtKey], tree: CrtTree) -> Table:
    """Every CRT category and gas with a number or a key: the years estimated, the years under each
    key and the years with neither (derived with `notation.completeness`)."""
    from carbonbridge.domain.inventory.notation import NotationKey, completeness
    from carbonbridge.domain.inventory.records import EmissionRecord

    years = sorted({v.year for v in values} | {k.year for k in keys})
    carriers = [EmissionRecord(v.category, v.gas, v.year, v.mass_t) for v in values]
    notes = [
        NotationKey(
            k.category,
            k.gas,
            k.year,
            k.cell.keys,
            k.cell.explanation,
            k.cell.allocation_by_party,
            k.cell.allocation_by_ipcc,
        )
        for k in keys
    ]
    table: Table = [
        [
            "category",
            "title",
            "gas",
            "status",
            "years estimated",
            "years by notation key",
            "years with neither",
            "explanation",
        ]
    ]
    for row in completeness(carriers, notes, years):
        table.append(
            [
                row.category,
                tree.titles.get(row.category, ""),
                row.gas,
                row.status,
                _ranges(row.estimated_years),
                "; ".join(f"{k}: {_ranges(ys)}" for k, ys in row.keys),
                _ranges(row.missing_years),
                row.explanation,
            ]
        )
    return table
