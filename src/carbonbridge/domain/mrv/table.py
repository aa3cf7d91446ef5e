"""A table of activity text as read from a file: where its rows come from, and its typed columns.

Cells arrive as text: `String`, or `Categorical` where the reader dictionary-encoded a column
of few distinct values (units, sectors...). Cleaning (blank -> missing, surrounding spaces
dropped) is the same for both, but it is only done where needed: a column is checked first
(numbers by one cast, since a cell the cast accepts has no surrounding space; encoded columns
on their dictionary; other text by one strip) and only a column that would change is rewritten.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

from carbonbridge.domain.errors import Problem
from carbonbridge.domain.mrv.records import NUMERIC_COLUMNS, OPTIONAL_COLUMNS, REQUIRED_COLUMNS

TEXT_DEFAULT_EMPTY = ("sector", "technology", "ncv_unit", "ef_unit", "carbon_content_unit")


@dataclass(frozen=True, slots=True)
class TableSource:
    """Where a table came from, to turn row indices into file lines and columns.

    Lines are `first_line + row` unless the reader knows better: `lines` gives them outright
    (a spreadsheet's skipped rows), `line_map` computes them only when first asked, which is
    only when a problem is reported (a CSV with blank lines or quoted newlines)."""

    file: str
    first_line: int = 2  # line (or spreadsheet row) of the first data row
    columns: tuple[str, ...] = ()  # header order, for 1-based column numbers
    column_numbers: bool = True  # False for JSON, where a field name is the location
    lines: tuple[int, ...] = ()  # the line of each row, where rows and lines are not 1:1
    # The line of every row, as an integer Series; the reader computes it on the first call.
    line_map: Callable[[], pl.Series] | None = field(default=None, compare=False)

    def _mapped(self) -> pl.Series | None:
        if self.lines:
            return pl.Series("line", self.lines, dtype=pl.Int64)
        return None if self.line_map is None else self.line_map()

    def line(self, row: int) -> int:
        """The file line (or spreadsheet row) of data row `row` (0-based)."""
        if self.lines:
            return self.lines[row]
        mapped = self._mapped()
        return self.first_line + row if mapped is None else int(mapped[row])

    def all_lines(self, count: int) -> list[int]:
        """The lines of rows 0 .. count - 1, in one go."""
        mapped = self._mapped()
        return list(range(self.first_line, self.first_line + count)) if mapped is None else mapped[:count].to_list()

    def line_expr(self, row: pl.Expr) -> pl.Expr:
        """`line` as a Polars expression over a column of row indices."""
        mapped = self._mapped()
        return row + self.first_line if mapped is None else pl.lit(mapped).gather(row)

    def locate(self, row: int, column: str | None, message: str, expected: str | None = None) -> Problem:
        return Problem(message, self.file, self.line(row), self._number(column), column, expected)

    def locate_all(self, found: pl.DataFrame) -> list[Problem]:
        """Problems from a frame of (row, column, message[, expected]), their lines looked up in one go."""
        rows = found.get_column(found.columns[0])
        mapped = self._mapped()
        lines = (rows + self.first_line).to_list() if mapped is None else mapped.gather(rows).to_list()
        return [
            Problem(
                found_row[2],
                self.file,
                line,
                self._number(found_row[1]),
                found_row[1],
                found_row[3] if len(found_row) > 3 else None,
            )
            for line, found_row in zip(lines, found.iter_rows(), strict=True)
        ]

    def _number(self, column: str | None) -> int | None:
        if column is not None and self.column_numbers and column in self.columns:
            return self.columns.index(column) + 1
        return None


def _cleaned(column: pl.Expr) -> pl.Expr:
    return column.cast(pl.String).str.strip_chars().replace("", None)


def _padded(values: pl.Series) -> bool:
    return bool((values.str.strip_chars() != values).any())


def _text_needs_cleaning(values: pl.Series) -> bool:
    """Would stripping spaces and blanking '' change this text (or its distinct values)?

    Text that stripping leaves as it is has no blank cell but '' itself, so the column is
    stripped once (not once more to look for blanks)."""
    return _padded(values) or bool((values == "").any())


def _encoded_needing_cleaning(frame: pl.DataFrame, columns: list[str]) -> set[str]:
    """The Categorical columns whose cells would change when cleaned.

    Their dictionary (Polars' global categories, shared by all such columns and by earlier
    tables) is looked at first: with no padded text in it, only a blank '' can be there, found
    by comparing codes. Otherwise each column is checked on its own distinct values."""
    if not columns:
        return set()
    listing = getattr(getattr(frame.schema[columns[0]], "categories", None), "to_series", None)
    shared = listing is not None and all(frame.schema[c] == frame.schema[columns[0]] for c in columns)
    if shared and listing is not None and not _padded(listing()):
        blank = frame.select((pl.col(c) == "").any() for c in columns).row(0, named=True)
        return {c for c, found in blank.items() if found}
    distinct = frame.select(pl.col(c).unique().implode() for c in columns)
    return {c for c in columns if _text_needs_cleaning(distinct.get_column(c)[0].cast(pl.String))}


def clean_and_type(raw: pl.DataFrame, default_year: int | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(cleaned, typed): the input columns with blanks as null and no surrounding spaces, and
    the same columns typed (numbers Float64, year Int64, optional text '' where absent).
    Absent optional columns are added as null.

    Numbers and years are cast straight from the text first: a cell the cast accepts has no
    surrounding space and is not blank, so a column is cleaned and cast again only where the
    cast refused a cell (which is then either padded, blank or a problem to report)."""
    missing = [pl.lit(None, dtype=pl.String).alias(c) for c in OPTIONAL_COLUMNS if c not in raw.columns]
    frame = raw.with_columns(missing) if missing else raw
    columns = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
    kinds: dict[str, pl.DataType] = {c: pl.Float64() for c in NUMERIC_COLUMNS} | {"year": pl.Int64()}
    cast = frame.select(pl.col(c).cast(pl.String).cast(kind, strict=False) for c, kind in kinds.items())
    refused = pl.concat([frame.select(list(kinds)), cast.select(pl.all().name.suffix("_typed"))], how="horizontal")
    checks = [(pl.col(c).is_not_null() & pl.col(f"{c}_typed").is_null()).any().alias(c) for c in kinds]
    verdicts: dict[str, bool] = refused.select(checks).row(0, named=True)
    texts = [c for c in columns if c not in kinds]
    encoded = [c for c in texts if isinstance(frame.schema[c], pl.Categorical)]
    dirty_encoded = _encoded_needing_cleaning(frame, encoded)
    for c in texts:
        dtype = frame.schema[c]
        if isinstance(dtype, pl.Categorical):
            verdicts[c] = c in dirty_encoded
        else:
            verdicts[c] = dtype != pl.String or _text_needs_cleaning(frame.get_column(c))
    dirty = {c for c, needs in verdicts.items() if needs}
    cleaned = frame.select(_cleaned(pl.col(c)) if c in dirty else pl.col(c) for c in columns)
    exprs: list[pl.Expr | pl.Series] = []
    for name in columns:
        kind = kinds.get(name)
        if kind is None:
            exprs.append(pl.col(name).fill_null("") if name in TEXT_DEFAULT_EMPTY else pl.col(name))
            continue
        typed = pl.col(name).cast(pl.String).cast(kind, strict=False) if name in dirty else cast.get_column(name)
        exprs.append(typed.fill_null(default_year) if name == "year" and default_year is not None else typed)
    return cleaned, cleaned.select(exprs)
