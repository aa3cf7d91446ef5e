"""The primap2 interchange format (a wide CSV plus a YAML metadata file), written and read
without primap2 itself, so that primap2's `read_interchange_format` reads the same values.

Masses are written in t per year with `repr` floats, so a reader that parses the text as
IEEE doubles gets bit-identical values. Entities use openscm-units spellings (HFC134a).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

from carbonbridge.domain.errors import Problem, ValidationFailed
from carbonbridge.domain.inventory.records import EmissionRecord

ISO3 = {"BY": "BLR", "CN": "CHN"}
AREA, CATEGORY, SCENARIO = "area (ISO3)", "category (IPCC2006)", "scenario (PRIMAP)"
KEY_COLUMNS = ("source", SCENARIO, "provenance", AREA, "entity", "unit", CATEGORY)


def _entity(gas: str) -> str:
    return gas.replace("-", "")


def write_interchange(
    records: Sequence[EmissionRecord],
    stem: Path,
    *,
    jurisdiction: str,
    source: str = "CarbonBridge",
    scenario: str = "SUBMISSION",
    title: str = "",
    categorisation: str = "IPCC2006",
) -> tuple[Path, Path]:
    """Write `stem`.csv and `stem`.yaml; returns both paths. `categorisation` names the category
    codes (IPCC2006, or CRT for CRT values carried in EmissionRecords)."""
    category_column = f"category ({categorisation})"
    key_columns = (*KEY_COLUMNS[:-1], category_column)
    stem.parent.mkdir(parents=True, exist_ok=True)
    area = ISO3.get(jurisdiction, jurisdiction)
    years = sorted({r.year for r in records})
    table: dict[tuple[str, str], dict[int, float]] = defaultdict(dict)
    for r in records:
        row = table[(_entity(r.gas), r.category)]
        if r.year in row:
            raise ValidationFailed([Problem(f"duplicate record {r.category}/{r.gas}/{r.year}")])
        row[r.year] = r.mass_t
    csv_path, yaml_path = stem.with_suffix(".csv"), stem.with_suffix(".yaml")
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_MINIMAL)
        writer.writerow([*key_columns, *map(str, years)])
        for (entity, category), values in sorted(table.items()):
            writer.writerow(
                [
                    source,
                    scenario,
                    "measured",
                    area,
                    entity,
                    f"t {entity} / yr",
                    category,
                    *(repr(values[y]) if y in values else "" for y in years),
                ]
            )
    dims = "\n".join(f"  - {c}" for c in sorted(key_columns))
    yaml_path.write_text(
        "attrs:\n"
        f"  area: {AREA}\n"
        f"  cat: {category_column}\n"
        f"  scen: {SCENARIO}\n"
        f"  title: {_quote(title or f'{area} national GHG inventory (CarbonBridge)')}\n"
        f"data_file: {csv_path.name}\n"
        "dimensions:\n"
        f"  '*':\n{dims}\n"
        "time_format: '%Y'\n",
        encoding="utf-8",
    )
    return csv_path, yaml_path


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def read_interchange(yaml_path: Path) -> list[EmissionRecord]:
    """Read back a file `write_interchange` wrote (category, entity, year, mass)."""
    data_file = yaml_path.with_suffix(".csv")
    for line in yaml_path.read_text(encoding="utf-8").splitlines():
        if line.startswith("data_file:"):
            data_file = yaml_path.parent / line.split(":", 1)[1].strip()
    with data_file.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        years = [c for c in reader.fieldnames or [] if c.isdigit()]
        out = []
        for row in reader:
            for y in years:
                if row[y] != "":
                    out.append(EmissionRecord(row[CATEGORY], row["entity"], int(y), float(row[y]), source="primap2"))
    return sorted(out, key=lambda r: (r.year, r.category, r.gas))


def entities(records: Iterable[EmissionRecord]) -> list[str]:
    return sorted({_entity(r.gas) for r in records})
