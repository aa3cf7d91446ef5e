"""The fidelity page (docs/fidelity.md): every rule and factor family, its source, its period and
whether it was checked, generated from the shipped configuration so that it cannot drift.

Reads the shipped files only (never a CARBONBRIDGE_CONFIG override): allocation and compliance
rule versions, the method packs' factor rows and the inventory factor table. Regenerate with
`python scripts/generate_fidelity.py`; a test fails when the committed page differs.
"""

from __future__ import annotations

import csv
import re
import tomllib
from collections.abc import Callable, Iterable
from importlib import resources
from pathlib import Path
from typing import Any

from carbonbridge.adapters.allocation_config import (
    parse_benchmark_config,
    parse_industry_config,
    parse_intensity_config,
)
from carbonbridge.adapters.compliance_config import parse_compliance_config
from carbonbridge.adapters.packs import available_packs, load_activities
from carbonbridge.domain.mrv.factors import build_pack
from carbonbridge.domain.provenance import Provenance

NOT_REVIEWED = "not re-read against the text in the issue-15 review"


def _data() -> Path:
    return Path(str(resources.files("carbonbridge") / "data"))


def _toml(relative: str) -> tuple[dict[str, Any], str]:
    return tomllib.loads((_data() / relative).read_text(encoding="utf-8")), relative


def _rules() -> list[Provenance]:
    found: list[Provenance] = []
    parsers: list[tuple[str, Callable[..., Any], dict[str, str]]] = [
        ("allocation/BY.toml", parse_benchmark_config, {"family": "BY allocation"}),
        ("allocation/CN.toml", parse_intensity_config, {"family": "CN allocation (power)"}),
        ("allocation/CN-industry.toml", parse_industry_config, {"family": "CN allocation (steel, cement, aluminium)"}),
        ("compliance/BY.toml", parse_compliance_config, {"jurisdiction": "BY"}),
        ("compliance/CN.toml", parse_compliance_config, {"jurisdiction": "CN"}),
    ]
    for relative, parse, extra in parsers:
        data, file = _toml(relative)
        found += parse(data, file=f"data/{file}", **extra).provenance
    return found


def _period(valid_from: int | None, valid_to: int | None) -> str:
    if valid_from is None and valid_to is None:
        return "all years"
    return f"{valid_from or ''}-{valid_to or ''}"


def _packs() -> list[Provenance]:
    found = []
    for name in available_packs():
        folder = _data() / "packs" / name
        meta = tomllib.loads((folder / "pack.toml").read_text(encoding="utf-8"))
        with (folder / "factors.csv").open(newline="", encoding="utf-8") as handle:
            pack = build_pack(meta, load_activities(), list(csv.DictReader(handle)), file=f"data/packs/{name}")
        for row in pack.rows:
            f = row.factor
            scope = "/".join(part for part in (row.sector, row.technology) if part != "*")
            name_of = (
                f"{row.activity} {row.parameter}{' ' + row.gas if row.gas else ''}{' (' + scope + ')' if scope else ''}"
            )
            found.append(
                Provenance(
                    f"Method pack {pack.name}",
                    pack.name,
                    _period(row.valid_from, row.valid_to),
                    name_of,
                    f"{f.raw_value:g}",
                    f.unit,
                    f.source,
                    f.checked,
                    f.checked_in,
                    "" if f.checked else NOT_REVIEWED,
                    f"data/packs/{name}/factors.csv",
                )
            )
    return found


def _inventory() -> list[Provenance]:
    with (_data() / "inventory" / "factors.csv").open(newline="", encoding="utf-8") as handle:
        return [
            Provenance(
                "Inventory factors (IPCC 2006 Tier 1)",
                "inventory",
                "all years",
                f"{row['parameter']} {row['key']}",
                row["value"],
                row["unit"],
                row["source"],
                False,
                "",
                NOT_REVIEWED,
                "data/inventory/factors.csv",
            )
            for row in csv.DictReader(handle)
        ]


def provenance() -> list[Provenance]:
    """Every configured value, in the order of the families on the page."""
    return _rules() + _packs() + _inventory()


def _field(name: str) -> str:
    return re.sub(r"^versions\[\d+\]\.", "", name)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").strip() or "-"


def _status(entry: Provenance) -> str:
    if entry.checked:
        return f"checked in: {entry.checked_in}"
    if not entry.value and entry.note:
        return f"NOT CONFIGURED: {entry.note}"
    return f"unchecked: {entry.note or 'no citation to check against (a policy or demo choice)'}"


def _summary(entries: Iterable[Provenance]) -> list[str]:
    counts: dict[str, list[int]] = {}
    for e in entries:
        row = counts.setdefault(e.family, [0, 0, 0, 0])
        row[0] += 1
        row[1 if e.checked else 3 if not e.value and e.note else 2] += 1
    lines = ["| family | values | checked | unchecked | not configured |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {family} | {a} | {b} | {c} | {d} |" for family, (a, b, c, d) in counts.items()]
    return lines


def render() -> str:
    """The page's Markdown text."""
    entries = provenance()
    lines = [
        "# Fidelity: every rule and factor, its source, its period, and whether it was checked",
        "",
        "Generated by `python scripts/generate_fidelity.py` from the configuration shipped in",
        "`src/carbonbridge/data`; do not edit by hand (`tests/unit/test_fidelity_page.py` fails when this page",
        "differs from what the generator produces). A value is *checked* only where it was read in the text",
        "or in a faithful public transcription named on its line. *Not configured* means the figure was not",
        "public, or could not be read, and is left out: a calculation that needs it is refused with that",
        "reason instead of using a guessed number. How versions are chosen by year: `docs/compliance.md`.",
        "",
        "## Summary",
        "",
        *_summary(entries),
    ]
    family, version = "", None
    for e in entries:
        if e.family != family:
            family, version = e.family, None
            lines += ["", f"## {family}", ""]
        if e.version != version:
            version = e.version
            lines += [
                *([""] if lines[-1] else []),
                f"### {version} - `{e.file}`",
                "",
                "| field | years | value | unit | source | status |",
                "|---|---|---|---|---|---|",
            ]
        lines.append(
            f"| {_cell(_field(e.name))} | {_cell(e.period)} | {_cell(e.value)} | {_cell(e.unit)} "
            f"| {_cell(e.source)} | {_cell(_status(e))} |"
        )
    return "\n".join(lines) + "\n"
