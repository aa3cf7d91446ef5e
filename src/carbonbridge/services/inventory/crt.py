"""The inventory in the CRT Data Exchange JSON: export (template-fill), validate, read back.

Export refuses to write anything while any problem remains: records it cannot place, notation-key
rules, and every import rule after the repairs (the written file is a fixed point of them)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from carbonbridge.adapters.inventory_crt_categories import crt_conversion
from carbonbridge.adapters.inventory_crt_json import dumps, new_country_uid, read_json, write_atomically
from carbonbridge.domain.errors import Problem, ValidationFailed
from carbonbridge.domain.gwp import gwp
from carbonbridge.domain.inventory.crt_categories import CrtValue, to_crt, to_ipcc
from carbonbridge.domain.inventory.crt_document import (
    CrtKey,
    fill,
    keys_to_crt,
    keys_to_ipcc,
    read_document,
)
from carbonbridge.domain.inventory.crt_metadata import Catalog, build_catalog, metadata_root
from carbonbridge.domain.inventory.crt_rules import repair, validate
from carbonbridge.domain.inventory.notation import (
    NE_THRESHOLDS,
    NotationKey,
    check_insignificance,
    check_keys,
    flexibility_keys,
)
from carbonbridge.domain.inventory.records import EmissionRecord, total_co2e_t


def _fail_on(problems: Sequence[Problem]) -> None:
    if problems:
        raise ValidationFailed(list(problems)[:500], truncated=max(0, len(problems) - 500))


def load_catalog(metadata_path: Path, document: Any | None, document_file: str) -> Catalog:
    metadata, _ = read_json(metadata_path, what="CRT metadata")
    root, problems = metadata_root(metadata, str(metadata_path))
    _fail_on(problems)
    assert root is not None
    catalog = build_catalog(root, document, metadata_file=str(metadata_path), party_file=document_file)
    _fail_on(catalog.problems)
    return catalog


@dataclass
class ExportResult:
    output: str
    numbers: int
    keys: int
    replaced: int
    kept_from_template: int
    repairs: list[str]
    notes: list[str]

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def export_crt(
    records: Sequence[EmissionRecord],
    keys: Sequence[NotationKey],
    *,
    metadata_path: Path,
    output: Path,
    now: dt.datetime,
    template_path: Path | None = None,
    fx_years: Sequence[int] = (),
    gwp_set: str = "AR5GWP100",
    source: str = "inventory",
    ne_threshold: str | None = None,
    sectors: Sequence[str] = (),
) -> ExportResult:
    """Fill the template (or an empty document) with `records` and `keys`, repair, validate, write.
    `ne_threshold` ('standard' or 'flexibility') also checks every NE against the insignificance
    thresholds of the MPGs. `sectors` (energy, ippu, agriculture, lulucf, waste, other) limits the
    cells written to those sectors, for a template exported from one sector of the ETF tool."""
    problems = check_keys(keys, records)
    if ne_threshold is not None and ne_threshold not in NE_THRESHOLDS:
        problems.append(Problem(f"{ne_threshold!r} is not one of {', '.join(NE_THRESHOLDS)}", field="--ne-threshold"))
    elif ne_threshold is not None:
        totals = {y: total_co2e_t(records, y, gwp_set) for y in sorted({r.year for r in records})}
        problems += check_insignificance(keys, totals, ne_threshold)
    keys = [*keys, *flexibility_keys(records, keys, fx_years)]
    template = None
    if template_path is not None:
        # A BOM in the Party's export does not matter: the file we write never has one.
        template, _ = read_json(template_path, what="ETF export (template)")
        if not isinstance(template, dict):
            problems.append(Problem("the template is not a JSON object", file=str(template_path)))
            template = None
    catalog = load_catalog(metadata_path, template, str(template_path or ""))
    if template is not None:  # every rule the repairs do not fix holds in the template, located there
        found = validate(template, catalog, file=str(template_path))
        problems += [p for p in found if not p.message.startswith(("[parents]", "[grids]", "[calculated]"))]
    conversion = crt_conversion()
    values, convert_problems = to_crt(records, conversion)
    crt_keys, key_problems, notes_ = keys_to_crt(keys, values, conversion)
    wanted = {SECTORS.get(s.lower(), s) for s in sectors}
    problems += [
        Problem(f"unknown sector {s!r} (one of {', '.join(SECTORS)})", field="--sector")
        for s in sorted(wanted - set(SECTORS.values()))
    ]
    if wanted:
        left_out = sum(1 for v in values if _sector(v.category) not in wanted)
        values = [v for v in values if _sector(v.category) in wanted]
        crt_keys = [k for k in crt_keys if _sector(k.category) in wanted]
        notes_.append(f"{left_out} numbers of other sectors left out (sectors {', '.join(sorted(wanted))})")
    _fail_on(problems + [_located(p, source) for p in convert_problems] + key_problems)
    stamp = now.astimezone(dt.UTC).strftime("%Y/%m/%d %H:%M (UTC)")
    doc, report, fill_problems = fill(
        template, catalog, values, crt_keys, gwp=partial(_gwp, gwp_set=gwp_set), time_stamp=stamp, source=source
    )
    _fail_on(fill_problems)
    repaired, changes = repair(doc, catalog, new_country_uid)
    final_catalog = build_catalog(
        _root(metadata_path), repaired, metadata_file=str(metadata_path), party_file=str(output)
    )
    _fail_on(final_catalog.problems + validate(repaired, final_catalog, file=str(output)))
    write_atomically(output, dumps(repaired))
    return ExportResult(
        str(output),
        report.numbers,
        report.keys,
        report.replaced,
        report.kept_from_template,
        changes,
        report.notes + notes_,
    )


# Sector aliases as etf-cli's `data filter -s` names them ([V]); memo items 1.D go with energy.
SECTORS = {"energy": "1", "ippu": "2", "agriculture": "3", "lulucf": "4", "waste": "5", "other": "6"}


def _sector(crt_category: str) -> str:
    return crt_category.split(".", 1)[0]


def _gwp(gas: str, gwp_set: str) -> float:
    return gwp(gas, gwp_set)


def _root(metadata_path: Path) -> Any:
    metadata, _ = read_json(metadata_path, what="CRT metadata")
    return metadata["Metadata"][0]


def _located(problem: Problem, source: str) -> Problem:
    return Problem(
        problem.message,
        file=source if problem.file == "<input>" else problem.file,
        line=problem.line,
        field=problem.field,
    )


def validate_crt(path: Path, metadata_path: Path) -> dict[str, Any]:
    """Every broken import rule of the file; a file the repairs would still change is not clean."""
    document, notes = read_json(path, what="CRT JSON")
    catalog = load_catalog(metadata_path, document if isinstance(document, dict) else None, str(path))
    problems = list(notes) + validate(document, catalog, file=str(path))
    if isinstance(document, dict) and not problems:
        _, changes = repair(document, catalog, new_country_uid)
        problems += [Problem(f"[fixed-point] the repairs would change the file: {c}", file=str(path)) for c in changes]
    _fail_on(problems)
    years = [e.get("inventory_year") for e in document["data"]["values"]]
    entries = sum(len(e.get("values", [])) for e in document["data"]["values"])
    return {"file": str(path), "valid": True, "years": years, "entries": entries}


@dataclass
class ReadBack:
    records: list[EmissionRecord]
    keys: list[NotationKey]
    crt_values: list[CrtValue]
    crt_keys: list[CrtKey]
    skipped: int


def read_crt(path: Path, metadata_path: Path, *, gwp_set: str = "AR5GWP100") -> ReadBack:
    """Numbers and keys of every emission variable, in the CRT and converted to IPCC 2006."""
    document, _ = read_json(path, what="CRT JSON")
    catalog = load_catalog(metadata_path, document if isinstance(document, dict) else None, str(path))
    result = read_document(document, catalog, gwp=partial(_gwp, gwp_set=gwp_set), file=str(path))
    _fail_on(result.problems)
    conversion = crt_conversion()
    records, problems = to_ipcc(result.values, conversion, source="crt")
    keys, key_problems = keys_to_ipcc(result.keys, conversion)
    _fail_on([_located(p, str(path)) for p in problems + key_problems])
    return ReadBack(records, keys, result.values, result.keys, result.skipped)


README = [
    ["CRT-like tables written by CarbonBridge for people: NOT an import file for the ETF tool."],
    ["Import the CRT Data Exchange JSON (carbonbridge inventory crt export) instead."],
    ["Masses in kt of gas; F-gases and totals in kt CO2 equivalent. Row lists follow CRT Summary 1;"],
    ["the columns of Tables 7 to 10 are a reconstruction after the CRF tables (see docs/crt.md)."],
]


def crt_tables(
    records: Sequence[EmissionRecord],
    keys: Sequence[NotationKey],
    out_dir: Path,
    *,
    jurisdiction: str,
    years: Sequence[int] | None = None,
    base_year: int | None = None,
    previous: Sequence[EmissionRecord] | None = None,
    labels: tuple[str, str] = ("previous submission", "latest submission"),
    explanations: Sequence[tuple[str, str, str, int]] = (),
    explanations_file: str = "",
    gwp_set: str = "AR5GWP100",
    kca_threshold: float = 0.95,
) -> dict[str, Any]:
    """One XLSX per year: Summary1, Summary2, Table7, Table8 (when a previous submission is given),
    Table9, Completeness (every category and gas: estimated, keyed or missing years) and Table10s1-s5."""
    from carbonbridge.adapters.inventory_primap import ISO3
    from carbonbridge.adapters.inventory_tables import write_xlsx
    from carbonbridge.domain.inventory import crt_tables as t

    conversion = crt_conversion()
    problems = check_keys(keys, records)
    if not 0 < kca_threshold <= 1:
        problems.append(Problem(f"{kca_threshold} is not a share between 0 and 1", field="--kca-threshold"))
    values, p1 = to_crt(records, conversion)
    crt_keys, p2, _ = keys_to_crt(keys, values, conversion)
    old_values, p3 = to_crt(previous or [], conversion)
    why: dict[tuple[str, str], str] = {}
    for category, gas, text, line in explanations:
        rule = conversion.rule_for(category)
        if rule is None:
            problems.append(
                Problem(f"{category} has no CRT category", file=explanations_file, line=line, field="category")
            )
            continue
        why[(rule.crt, gas)] = (why[(rule.crt, gas)] + "; " + text) if (rule.crt, gas) in why else text
    _fail_on(problems + p1 + p2 + p3)
    g = partial(_gwp, gwp_set=gwp_set)
    all_years = sorted({v.year for v in values})
    base = base_year if base_year is not None else (all_years[0] if all_years else None)
    files = []
    for year in years or all_years[-1:]:
        sheets: dict[str, list[list[Any]]] = {
            "README": README,
            "Summary1": t.summary1(values, crt_keys, conversion.tree, year, g, gwp_set),
            "Summary2": t.summary2(values, conversion.tree, year, g, gwp_set),
            "Table7": t.table7(values, conversion.tree, year, base, g, kca_threshold),
        }
        if previous is not None:
            sheets["Table8"] = t.table8(old_values, values, conversion.tree, year, g, why, labels=labels)
        sheets["Table9"] = t.table9(crt_keys, conversion.tree)
        sheets["Completeness"] = t.completeness_table(values, crt_keys, conversion.tree)
        for n, gas in enumerate(("CO2e", "CO2", "CH4", "N2O", "F-gases"), 1):
            sheets[f"Table10s{n}"] = t.table10(values, conversion.tree, gas, g, gwp_set)
        name = f"{ISO3.get(jurisdiction, jurisdiction)}-CRT-like-{year}.xlsx"
        files.append(str(write_xlsx(sheets, out_dir / name)))
    return {"files": files}


def parse_years(text: str, *, field: str = "--fx-years") -> list[int]:
    """'1990-2004,2006' -> [1990, ..., 2004, 2006]; ValidationFailed naming the bad part (in `field`)."""
    out: list[int] = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        first, _, last = part.partition("-")
        try:
            a, b = int(first), int(last or first)
            if not 1700 <= a <= b <= 2200:
                raise ValueError
        except ValueError:
            raise ValidationFailed([Problem(f"{part!r} is not a year or FIRST-LAST", field=field)]) from None
        out += range(a, b + 1)
    return sorted(set(out))


def inventory_inputs(
    sessions: Any, jurisdiction: str, *, version: int | None, records_file: Path | None, keys_file: Path | None
) -> tuple[list[EmissionRecord], list[NotationKey], str]:
    """Records of a stored submission (or a records CSV) and the notation keys of a CSV, with a label."""
    from carbonbridge.adapters.inventory_notation_files import read_notation_keys
    from carbonbridge.services.inventory.commands import _records

    records = _records(sessions, None if records_file else jurisdiction, version, records_file)
    keys = read_notation_keys(keys_file) if keys_file is not None else []
    label = str(records_file) if records_file else f"{jurisdiction} v{version or 'latest'}"
    return records, keys, label


def read_to_files(
    path: Path, metadata_path: Path, *, records_out: Path | None, keys_out: Path | None, gwp_set: str = "AR5GWP100"
) -> dict[str, Any]:
    from carbonbridge.adapters.inventory_files import write_records
    from carbonbridge.adapters.inventory_notation_files import write_notation_keys

    back = read_crt(path, metadata_path, gwp_set=gwp_set)
    if records_out is not None:
        write_records(back.records, records_out)
    if keys_out is not None:
        write_notation_keys(back.keys, keys_out)
    return {
        "file": str(path),
        "records": len(back.records),
        "notation_keys": len(back.keys),
        "skipped_entries": back.skipped,
        "years": sorted({r.year for r in back.records} | {k.year for k in back.keys}),
        "records_file": str(records_out) if records_out else None,
        "keys_file": str(keys_out) if keys_out else None,
    }


def crt_coverage(
    records: Sequence[EmissionRecord],
    keys: Sequence[NotationKey],
    *,
    metadata_path: Path,
    template_path: Path | None = None,
) -> dict[str, Any]:
    """What an export would place, without writing: each CRT category and gas of the inventory with
    its variable or the reason it has none, IPCC categories without a CRT category, and the writable
    emission variables of the metadata that would get neither a number nor a key."""
    template = read_json(template_path, what="ETF export (template)")[0] if template_path else None
    catalog = load_catalog(metadata_path, template if isinstance(template, dict) else None, str(template_path or ""))
    conversion = crt_conversion()
    values, unconverted = to_crt(records, conversion)
    crt_keys, key_problems, _ = keys_to_crt(keys, values, conversion)
    placed: list[dict[str, str]] = []
    unplaced: list[dict[str, str]] = []
    for category, gas in sorted({(v.category, v.gas) for v in values} | {(k.category, k.gas) for k in crt_keys}):
        variable, why = catalog.resolve(category, gas)
        if variable is None:
            unplaced.append({"category": category, "gas": gas, "reason": why})
        else:
            placed.append({"category": category, "gas": gas, "variable_uid": variable.uid})
    used = {p["variable_uid"] for p in placed}
    empty = sorted(
        v.name.text()
        for v in catalog.variables.values()
        if v.is_emission
        and not v.is_template
        and not v.computed_by_tool
        and v.node_type != "LIST"
        and v.uid not in used
    )
    return {
        "placed": placed,
        "unplaced": unplaced,
        "not_converted": [p.message for p in unconverted + key_problems],
        "variables_without_number_or_key": empty,
    }


def tables_command(
    sessions: Any,
    jurisdiction: str,
    output: Path,
    *,
    version: int | None,
    records_file: Path | None,
    keys_file: Path | None,
    previous_version: int | None,
    previous_records: Path | None,
    explanations: Path | None,
    years: Sequence[int] | None,
    base_year: int | None,
    gwp_set: str,
    kca_threshold: float,
) -> dict[str, Any]:
    """`crt tables`: the inventory, the previous submission (for Table 8) and the explanations."""
    from carbonbridge.adapters.inventory_notation_files import read_explanations
    from carbonbridge.services.inventory.commands import _records

    records, keys, label = inventory_inputs(
        sessions, jurisdiction, version=version, records_file=records_file, keys_file=keys_file
    )
    previous = None
    if previous_records is not None or previous_version is not None:
        previous = _records(sessions, None if previous_records else jurisdiction, previous_version, previous_records)
    return crt_tables(
        records,
        keys,
        output,
        jurisdiction=jurisdiction,
        years=years,
        base_year=base_year,
        previous=previous,
        labels=(str(previous_records or f"v{previous_version}"), label),
        explanations=read_explanations(explanations) if explanations else [],
        explanations_file=str(explanations or ""),
        gwp_set=gwp_set,
        kca_threshold=kca_threshold,
    )
