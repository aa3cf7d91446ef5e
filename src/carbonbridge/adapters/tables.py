"""Read tabular input (CSV, XLSX, JSON) as strings with its locations; write CSV atomically."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import Collection, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl

from carbonbridge.domain.errors import Problem, ValidationFailed
from carbonbridge.domain.mrv.bulk import TableSource


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_table(path: Path, *, categorical: Collection[str] = ()) -> tuple[pl.DataFrame, TableSource]:
    """Every cell as text (or null); the caller validates. Errors name the file.

    CSV columns named in `categorical` (by their stripped header) are dictionary-encoded while
    reading, with one dictionary for the file: columns of few distinct values (units, sectors)
    then cost a few bytes a row."""
    if not path.exists():
        raise ValidationFailed([Problem("file not found", str(path))])
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path, categorical)
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    if suffix == ".json":
        return _read_json(path)
    raise ValidationFailed([Problem(f"unsupported file type {suffix!r}; expected .csv, .xlsx or .json", str(path))])


def _read_csv(path: Path, categorical: Collection[str] = ()) -> tuple[pl.DataFrame, TableSource]:
    try:
        header = pl.read_csv(path, n_rows=0, infer_schema=False, encoding="utf8", raise_if_empty=True).columns
        dictionary = _dictionary_type()
        encoded = {name: dictionary for name in header if name.strip() in categorical}
        frame = pl.read_csv(path, infer_schema=False, schema_overrides=encoded, encoding="utf8", raise_if_empty=True)
    except Exception as exc:  # polars reports malformed CSV with several exception types
        raise ValidationFailed([Problem(f"cannot read CSV: {str(exc).splitlines()[0]}", str(path))]) from None
    frame = frame.rename({c: c.strip() for c in frame.columns})
    # A blank line (or one of commas only) reads as a row of nulls: it is no record.
    records = frame.height
    blank = frame.select(pl.all_horizontal(pl.all().is_null()).alias("blank")).get_column("blank")
    kept = (~blank).arg_true() if blank.any() else None
    if kept is not None:
        frame = frame.filter(~blank)
    height = frame.height

    @cache
    def line_map() -> pl.Series:
        # Asked for only when a problem is reported: then the file is scanned once for the line
        # each record starts on (blank lines and quoted newlines make rows and lines differ).
        lines = _record_lines(path)
        if lines.len() < records:  # parsers disagree: keep the simple numbering, not a wrong map
            return pl.int_range(2, height + 2, dtype=pl.Int64, eager=True)
        return lines.gather(kept) if kept is not None else lines[:height]

    return frame, TableSource(str(path), 2, tuple(frame.columns), line_map=line_map)


def _dictionary_type() -> pl.DataType:
    """A Categorical with a dictionary of its own, shared by the columns of one read: cheaper to
    fill than Polars' global one (no lock across the reader's threads), and not growing with
    every table a long-lived process reads."""
    categories = getattr(pl, "Categories", None)
    return pl.Categorical(categories.random()) if categories is not None else pl.Categorical()


def _record_lines(path: Path) -> pl.Series:
    """The first physical line of each CSV record after the header, in one vectorised pass.

    A newline ends a record unless it lies inside quotes, that is after an odd number of
    quote characters (an escaped quote "" adds two, so it keeps the count's parity). The record
    after the record-ending newline number k (0-based among all newlines) starts on line k + 2.
    """
    import numpy as np

    data = np.frombuffer(path.read_bytes(), dtype=np.uint8)
    newlines = np.flatnonzero(data == ord("\n"))
    quotes = np.flatnonzero(data == ord('"'))
    inside = np.searchsorted(quotes, newlines) % 2 == 1
    return pl.Series("line", np.flatnonzero(~inside) + 2, dtype=pl.Int64)


def _cell(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return repr(value)
    return str(value)


def _read_xlsx(path: Path) -> tuple[pl.DataFrame, TableSource]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise ValidationFailed([Problem(f"cannot read XLSX: {exc}", str(path))]) from None
    sheet = workbook["activity"] if "activity" in workbook.sheetnames else workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [str(c).strip() if c is not None else "" for c in next(rows, ())]
    body: list[list[str | None]] = []
    lines: list[int] = []
    for number, row in enumerate(rows, start=2):  # blank rows are skipped, their numbers kept
        if any(v is not None for v in row):
            body.append([_cell(v) for v in row[: len(header)]])
            lines.append(number)
    workbook.close()
    if not header:
        raise ValidationFailed([Problem("empty sheet", str(path), 1)])
    frame = pl.DataFrame(body, schema=dict.fromkeys(header, pl.String), orient="row")
    return frame, TableSource(f"{path}[{sheet.title}]", 2, tuple(header), lines=tuple(lines))


def _read_json(path: Path) -> tuple[pl.DataFrame, TableSource]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValidationFailed([Problem(f"invalid JSON: {exc.msg}", str(path), exc.lineno, exc.colno)]) from None
    records = data.get("records") if isinstance(data, dict) else data
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise ValidationFailed([Problem('expected a list of objects (or {"records": [...]})', str(path))])
    columns: list[str] = []
    for record in records:
        columns += [k for k in record if k not in columns]
    body = {c: [_cell(r.get(c)) for r in records] for c in columns}
    frame = pl.DataFrame(body, schema=dict.fromkeys(columns, pl.String))
    # A JSON record is located by its 1-based position and field name: file.json:3:quantity
    return frame, TableSource(str(path), 1, tuple(columns), column_numbers=False)


def write_csv_atomically(frame: pl.DataFrame, path: Path) -> None:
    """Write to a temporary file beside the target and rename: never a partial output."""
    write_files_atomically([(frame, path)])


def write_files_atomically(outputs: Sequence[tuple[pl.DataFrame, Path]]) -> None:
    """Write each frame as CSV to a temporary file beside its target, then rename them all:
    no target is replaced before every file is complete. Files get the usual permissions
    (0666 less the umask), as any other file the user writes."""
    temps: list[Path] = []
    try:
        for frame, path in outputs:
            path.parent.mkdir(parents=True, exist_ok=True)
            temp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
            os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))  # reserve the name
            temps.append(temp)
            frame.write_csv(temp)
        for temp, (_, path) in zip(temps, outputs, strict=True):
            os.replace(temp, path)
    except BaseException:
        for temp in temps:
            temp.unlink(missing_ok=True)
        raise


_TRUE = {"true", "yes", "1", "y"}
_FALSE = {"false", "no", "0", "n"}


def _convert(kind: type, text: str) -> object:
    from decimal import Decimal, InvalidOperation

    if kind is Decimal:
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"expected a decimal number, got {text!r}") from None
        if not value.is_finite():
            raise ValueError(f"expected a finite number, got {text!r}")
        return value
    if kind is int:
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"expected a whole number, got {text!r}") from None
    if kind is bool:
        if text.lower() in _TRUE | _FALSE:
            return text.lower() in _TRUE
        raise ValueError(f"expected true or false, got {text!r}")
    return text


def read_typed_rows(
    path: Path, columns: dict[str, type], *, optional: dict[str, object] | None = None
) -> list[dict[str, object]]:
    """A small table (CSV, XLSX, JSON) as typed dicts; every problem located, all reported at once."""
    raw, source = read_table(path)
    optional = optional or {}
    problems = [
        Problem(f"missing required column '{c}'", source.file, source.first_line - 1, None, c)
        for c in columns
        if c not in raw.columns and c not in optional
    ]
    if problems:
        raise ValidationFailed(problems)
    rows: list[dict[str, object]] = []
    for index, record in enumerate(raw.iter_rows(named=True)):
        row: dict[str, object] = {}
        for name, kind in columns.items():
            text = (record.get(name) or "").strip()
            if not text:
                if name in optional:
                    row[name] = optional[name]
                    continue
                problems.append(source.locate(index, name, f"missing value for required column {name}"))
                continue
            try:
                row[name] = _convert(kind, text)
            except ValueError as exc:
                problems.append(source.locate(index, name, str(exc)))
        rows.append(row)
    if problems:
        raise ValidationFailed(problems[:1000], truncated=max(0, len(problems) - 1000))
    return rows
