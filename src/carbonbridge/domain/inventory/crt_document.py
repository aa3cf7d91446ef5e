"""Fill a CRT Data Exchange JSON document with an inventory, and read one back.

Template-fill (CRT-NOTES.md section 6.1): start from the Party's own ETF export (or an empty
document), write one entry per CRT variable and year - a number in the variable's unit or a
notation key with its comments - and keep every other entry of the template as it was.
"""

from __future__ import annotations

import copy
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from carbonbridge.domain.errors import Problem, UnknownGas
from carbonbridge.domain.inventory.crt_categories import CrtConversion, CrtValue
from carbonbridge.domain.inventory.crt_metadata import Catalog, Variable, normal_gas
from carbonbridge.domain.inventory.crt_values import Gwp, KeyCell, decode_key, decode_number, key_entry, number_entry
from carbonbridge.domain.inventory.notation import ORDER, NotationKey


@dataclass(frozen=True, slots=True)
class CrtKey:
    category: str
    gas: str
    year: int
    cell: KeyCell


@dataclass
class FillReport:
    numbers: int = 0
    keys: int = 0
    replaced: int = 0
    kept_from_template: int = 0
    notes: list[str] = field(default_factory=list)


def empty_document() -> dict[str, Any]:
    return {
        "country_specific_data": {
            "dimension_instances": [],
            "nodes": [],
            "variables": [],
            "grids": [],
            "drop_downs": [],
            "line_description": [],
        },
        "data": {"values": []},
    }


def keys_to_crt(
    keys: Iterable[NotationKey], values: Sequence[CrtValue], conversion: CrtConversion
) -> tuple[list[CrtKey], list[Problem], list[str]]:
    """IPCC keys to CRT cells. Keys of several IPCC categories on one CRT cell merge; a key on a
    cell that also has a number (from another IPCC category) is left out and noted."""
    numbered = {(v.category, v.gas, v.year) for v in values}
    merged: dict[tuple[str, str, int], list[NotationKey]] = defaultdict(list)
    problems: list[Problem] = []
    for k in keys:
        rule = conversion.rule_for(k.category)
        if rule is None:
            problems.append(
                Problem(
                    f"{k.category}/{k.gas}/{k.year}: no CRT category for this IPCC 2006 category",
                    file=k.file,
                    line=k.line,
                    field="category",
                )
            )
            continue
        merged[(rule.crt, k.gas, k.year)].append(k)
    out, notes = [], []
    for (crt, gas, year), ks in sorted(merged.items()):
        if (crt, gas, year) in numbered:
            notes.append(
                f"CRT {crt} {gas} {year}: key {'/'.join(k.label for k in ks)} of "
                f"{', '.join(sorted({k.category for k in ks}))} not written, the cell has a number"
            )
            continue
        labels = {x for k in ks for x in k.keys}
        cell = KeyCell(
            tuple(x for x in ORDER if x in labels),
            _join(k.explanation for k in ks),
            _join(k.allocation_by_ipcc or k.category for k in ks if "IE" in k.keys),
            _join(k.included_in for k in ks),
        )
        out.append(CrtKey(crt, gas, year, cell))
    return out, problems, notes


def keys_to_ipcc(keys: Iterable[CrtKey], conversion: CrtConversion) -> tuple[list[NotationKey], list[Problem]]:
    out, problems = [], []
    for k in keys:
        ipcc = conversion.ipcc_for(k.category)
        if ipcc is None:
            problems.append(Problem(f"CRT {k.category}/{k.gas}/{k.year}: no IPCC 2006 category", field="category"))
            continue
        ie = "IE" in k.cell.keys
        out.append(
            NotationKey(
                ipcc,
                k.gas,
                k.year,
                k.cell.keys,
                k.cell.explanation,
                k.cell.allocation_by_party if ie else "",
                k.cell.allocation_by_ipcc if ie else "",
            )
        )
    return out, problems


def fill(
    template: dict[str, Any] | None,
    catalog: Catalog,
    values: Sequence[CrtValue],
    keys: Sequence[CrtKey],
    *,
    gwp: Gwp,
    time_stamp: str,
    source: str,
) -> tuple[dict[str, Any], FillReport, list[Problem]]:
    """The filled document (a copy; the template is not changed), what was done, and every cell
    that could not be written (unknown or calculated variable, unit), located as CATEGORY/GAS/YEAR."""
    doc = copy.deepcopy(template) if template is not None else empty_document()
    report, problems = FillReport(), []
    entries: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}
    cells: list[tuple[str, str, int, Any]] = [(v.category, v.gas, v.year, v) for v in values]
    cells += [(k.category, k.gas, k.year, k) for k in keys]
    for category, gas, year, item in cells:
        where = f"{category}/{gas}/{year}"
        variable, why = catalog.resolve(category, gas)
        if variable is None:
            problems.append(Problem(why, file=source, field=where))
            continue
        try:
            entry = (
                number_entry(variable, item.mass_t, gas, gwp)
                if isinstance(item, CrtValue)
                else key_entry(variable, item.cell, time_stamp)
            )
        except (ValueError, KeyError, UnknownGas) as exc:
            problems.append(Problem(f"variable {variable.uid}: {exc}", file=source, field=where))
            continue
        slot = (str(year), variable.uid)
        if slot in entries:
            problems.append(
                Problem(f"variable {variable.uid} already written for {entries[slot][1]}", file=source, field=where)
            )
            continue
        entries[slot] = (entry, where)
        if isinstance(item, CrtValue):
            report.numbers += 1
        else:
            report.keys += 1
    if problems:
        return doc, report, problems
    _write(doc, entries, report, catalog)
    return doc, report, problems


def _write(
    doc: dict[str, Any],
    entries: dict[tuple[str, str], tuple[dict[str, Any], str]],
    report: FillReport,
    catalog: Catalog,
) -> None:
    data = doc.setdefault("data", {}).setdefault("values", [])
    by_year = {str(e.get("inventory_year")): e for e in data if isinstance(e, dict)}
    stale: list[str] = []
    for year, _uid in sorted(entries):
        if year not in by_year:
            by_year[year] = {"inventory_year": year, "values": []}
            data.append(by_year[year])
    for year_entry in data:
        year = str(year_entry.get("inventory_year"))
        mine = {uid: e for (y, uid), (e, _) in entries.items() if y == year}
        kept = []
        for old in year_entry.get("values", []):
            uid = str(old.get("variable_uid", "")).lower() if isinstance(old, dict) else ""
            if uid in mine:
                report.replaced += 1
            else:
                kept.append(old)
                variable = catalog.variables.get(uid)
                if variable is not None and variable.is_emission and variable.code and not variable.computed_by_tool:
                    stale.append(f"{year} {variable.code} {variable.name.gas}")
        report.kept_from_template += len(kept)
        year_entry["values"] = kept + [mine[uid] for uid in sorted(mine)]
    data.sort(key=lambda e: str(e.get("inventory_year")))
    if stale:
        report.notes.append(
            f"{len(stale)} emission entries of the template are not in this inventory and were kept as they were "
            f"(check them in the ETF tool): {', '.join(stale[:20])}{' ...' if len(stale) > 20 else ''}"
        )


@dataclass
class ReadResult:
    values: list[CrtValue]
    keys: list[CrtKey]
    skipped: int  # entries of variables that are not emissions (activity data, methods, ...)
    problems: list[Problem]


def read_document(doc: Any, catalog: Catalog, *, gwp: Gwp, file: str) -> ReadResult:
    """Numbers (in t) and notation keys of every emission variable in the document."""
    values: list[CrtValue] = []
    keys: list[CrtKey] = []
    problems: list[Problem] = []
    skipped = 0
    sums: dict[tuple[str, str, int], list[float]] = defaultdict(list)
    for i, year_entry in enumerate(_years(doc)):
        year_text = str(year_entry.get("inventory_year", ""))
        if not year_text.isdigit():
            problems.append(
                Problem(
                    f"inventory_year {year_text!r} is not a year", file=file, field=f"data.values[{i}].inventory_year"
                )
            )
            continue
        entries = year_entry.get("values")
        if not isinstance(entries, list):
            problems.append(Problem("'values' is not a list", file=file, field=f"data.values[{i}].values"))
            continue
        for j, entry in enumerate(entries):
            path = f"data.values[{i}].values[{j}]"
            variable = (
                catalog.variables.get(str(entry.get("variable_uid", "")).lower()) if isinstance(entry, dict) else None
            )
            if variable is None:
                problems.append(
                    Problem(
                        f"unknown variable {entry.get('variable_uid') if isinstance(entry, dict) else entry!r}",
                        file=file,
                        field=f"{path}.variable_uid",
                    )
                )
                continue
            if not variable.is_emission or variable.code is None or variable.computed_by_tool:
                skipped += 1
                continue
            gas = _record_gas(variable)
            try:
                kind = entry["value"]["type"]
                if kind == "number":
                    sums[(variable.code, gas, int(year_text))].append(
                        decode_number(variable, entry["value"]["value"], gas, gwp)
                    )
                elif kind == "NK":
                    keys.append(CrtKey(variable.code, gas, int(year_text), decode_key(entry)))
                else:
                    skipped += 1
            except (KeyError, TypeError, ValueError, UnknownGas) as exc:
                problems.append(Problem(f"variable {variable.uid}: {exc}", file=file, field=f"{path}.value"))
    values = [CrtValue(c, g, y, math.fsum(m)) for (c, g, y), m in sorted(sums.items())]
    return ReadResult(values, keys, skipped, problems)


def _years(doc: Any) -> list[dict[str, Any]]:
    data = doc.get("data") if isinstance(doc, dict) else None
    values = data.get("values") if isinstance(data, dict) else None
    return [e for e in values if isinstance(e, dict)] if isinstance(values, list) else []


# The gas spelling of EmissionRecord for a variable's gas (names use subscripts and may differ in case).
_GASES = {normal_gas(g): g for g in ("CO2", "CH4", "N2O", "SF6", "NF3", "HFCs", "PFCs")}


def _record_gas(variable: Variable) -> str:
    gas = variable.name.gas
    return _GASES.get(normal_gas(gas), gas.replace(" ", ""))


def _join(texts: Iterable[str]) -> str:
    unique: dict[str, None] = {}
    for t in texts:
        if t and t.strip():
            unique.setdefault(t.strip(), None)
    return "; ".join(unique)
