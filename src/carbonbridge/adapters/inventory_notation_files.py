"""Notation keys as a CSV file: category (IPCC 2006), gas, year (or 'FIRST-LAST'), key ('NO', 'IE,NO'),
explanation, included_in (IE: where the Party includes the emissions), allocation_by_ipcc (IE:
where the IPCC Guidelines allocate them; default the row's category). Every problem of every row is
reported together, located as FILE:LINE:COLUMN."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from carbonbridge.adapters.inventory_files import MAX_PROBLEMS, _Reader
from carbonbridge.domain.errors import NotFound, Problem, ValidationFailed
from carbonbridge.domain.inventory.notation import NotationKey, parse_keys

COLUMNS = ("category", "gas", "year", "key", "explanation", "included_in", "allocation_by_ipcc", "likely_t_co2e")


def _years(text: str, path: Path, line: int, problems: list[Problem]) -> list[int]:
    first, _, last = text.partition("-")
    try:
        a, b = int(first), int(last or first)
        if not (1700 <= a <= b <= 2200):
            raise ValueError
        return list(range(a, b + 1))
    except ValueError:
        problems.append(Problem(f"year {text!r} is not a year or FIRST-LAST", str(path), line, field="year"))
        return []


def read_notation_keys(path: Path) -> list[NotationKey]:
    if not path.exists():
        raise NotFound(f"no such file {path}")
    reader = _Reader(path)
    out = []
    for n, row in reader.rows(("category", "gas", "year", "key")):
        category = reader.category(row, n)
        years = _years(row["year"], path, n, reader.problems)
        try:
            keys = parse_keys(row["key"])
        except ValueError as exc:
            reader.problems.append(Problem(str(exc), str(path), n, field="key"))
            continue
        likely = reader.number(row, n, "likely_t_co2e") if row.get("likely_t_co2e") else None
        out += [
            NotationKey(
                category,
                row["gas"],
                y,
                keys,
                row.get("explanation", ""),
                row.get("included_in", ""),
                row.get("allocation_by_ipcc", ""),
                likely,
                file=str(path),
                line=n,
            )
            for y in years
        ]
    if reader.problems:
        raise ValidationFailed(reader.problems[:MAX_PROBLEMS], truncated=max(0, len(reader.problems) - MAX_PROBLEMS))
    return out


def write_notation_keys(keys: Iterable[NotationKey], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for k in keys:
            writer.writerow(
                [
                    k.category,
                    k.gas,
                    k.year,
                    k.label,
                    k.explanation,
                    k.included_in,
                    k.allocation_by_ipcc,
                    "" if k.likely_t_co2e is None else repr(k.likely_t_co2e),
                ]
            )
    return path


def read_explanations(path: Path) -> list[tuple[str, str, str, int]]:
    """Recalculation explanations (CRT Table 8): category (IPCC 2006), gas ('*' for every gas),
    explanation; returns (category, gas, explanation, line)."""
    if not path.exists():
        raise NotFound(f"no such file {path}")
    reader = _Reader(path)
    out = []
    for n, row in reader.rows(("category", "gas", "explanation")):
        category = reader.category(row, n)
        if not row["explanation"]:
            reader.problems.append(Problem("an explanation is empty", str(path), n, field="explanation"))
        out.append((category, row["gas"] or "*", row["explanation"], n))
    if reader.problems:
        raise ValidationFailed(reader.problems[:MAX_PROBLEMS])
    return out
