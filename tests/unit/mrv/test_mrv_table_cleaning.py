"""Cleaning text cells (spaces around, blank '' cells) only where needed gives what cleaning all would."""

from __future__ import annotations

import polars as pl
import pytest

from carbonbridge.domain.mrv.table import clean_and_type

ROWS = {
    "record_id": ["r1", "r2", "r3"],
    "installation_id": ["BY-1", "BY-1", "BY-2"],
    "source_stream": ["gas", "gas", "coal"],
    "activity": ["natural_gas", "natural_gas", "lignite"],
    "quantity": ["1", "2.5", "3"],
    "unit": ["TJ", "TJ", "kt"],
}


def encoded(rows: dict[str, list[str | None]]) -> pl.DataFrame:
    """Text columns dictionary-encoded with a dictionary of their own (not the global one)."""
    dtype = pl.Categorical(pl.Categories.random())
    text = ("installation_id", "source_stream", "activity", "unit")
    return pl.DataFrame(rows, schema={c: dtype if c in text else pl.String for c in rows})


def as_text(frame: pl.DataFrame) -> dict[str, list[object]]:
    return frame.cast({c: pl.String for c, t in frame.schema.items() if isinstance(t, pl.Categorical)}).to_dict(
        as_series=False
    )


@pytest.mark.parametrize(
    ("column", "cell", "cleaned"),
    [
        ("activity", "", None),  # a quoted empty cell ("") is a missing value
        ("activity", "  ", None),
        ("unit", " kt\t", "kt"),
        ("installation_id", " BY-2", "BY-2"),
        ("record_id", "r3 ", "r3"),
        ("record_id", "", None),
    ],
)
def test_a_cell_needing_cleaning_is_cleaned_wherever_it_is(column: str, cell: str, cleaned: str | None) -> None:
    rows: dict[str, list[str | None]] = {name: list(values) for name, values in ROWS.items()}
    rows[column][2] = cell
    for frame in (pl.DataFrame(rows), encoded(rows)):
        got, _ = clean_and_type(frame, None)
        expected = {name: list(values) for name, values in ROWS.items()}
        expected[column][2] = cleaned
        assert {c: v for c, v in as_text(got).items() if c in ROWS} == expected


def test_a_padded_text_elsewhere_in_the_dictionary_leaves_other_columns_as_they_are() -> None:
    rows: dict[str, list[str | None]] = {name: list(values) for name, values in ROWS.items()}
    rows["source_stream"][0] = "gas "  # padded: the shared dictionary now holds a padded text
    got, typed = clean_and_type(encoded(rows), None)
    text = as_text(got)
    assert text["source_stream"] == ["gas", "gas", "coal"]
    assert text["activity"] == ROWS["activity"] and text["unit"] == ROWS["unit"]
    assert typed.get_column("quantity").to_list() == [1.0, 2.5, 3.0]


def test_numbers_with_spaces_or_blank_are_read_as_their_trimmed_value_or_missing() -> None:
    rows: dict[str, list[str | None]] = {name: list(values) for name, values in ROWS.items()}
    rows["quantity"] = [" 1", "2.5 ", "   "]
    rows["year"] = ["2024", " 2025", None]
    _, typed = clean_and_type(pl.DataFrame(rows), 2023)
    assert typed.get_column("quantity").to_list() == [1.0, 2.5, None]
    assert typed.get_column("year").to_list() == [2024, 2025, 2023]
