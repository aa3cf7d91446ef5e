"""Stateless calculation of a file of activity records (`carbonbridge mrv calc`).

The output repeats the input and adds the results; each row names its factors by a short
`factor_ref` (S1, S2... in order of first use) whose full citation is in a companion file,
`<out>.sources.csv` (factor_ref, factor_source): repeating ~150 characters of citation on every
row made the output 2.5 times the input.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from carbonbridge.adapters.packs import load_pack
from carbonbridge.adapters.tables import read_table, write_files_atomically
from carbonbridge.domain.errors import Problem, ValidationFailed
from carbonbridge.domain.gwp import gwp
from carbonbridge.domain.mrv.bulk import (
    TableSource,
    dense_codes,
    records_from_frame,
    validate_and_calculate,
    validate_frame,
)
from carbonbridge.domain.mrv.calculation import Calculator

# Text columns of few distinct values, dictionary-encoded while the CSV is read.
CATEGORICAL_INPUT = (
    "installation_id",
    "source_stream",
    "activity",
    "unit",
    "sector",
    "ncv_unit",
    "ef_unit",
    "carbon_content_unit",
    "technology",
)
EMISSIONS = ("co2_t", "ch4_t", "n2o_t", "co2e_t")


@dataclass(frozen=True, slots=True)
class CalcSummary:
    records: int
    co2_t: float
    ch4_t: float
    n2o_t: float
    co2e_t: float
    gwp_set: str
    pack: str
    sources_path: Path | None = None
    sources: int = 0


def sources_path_for(out_path: Path) -> Path:
    """Where the factor sources of an output go: `results.csv` -> `results.sources.csv`."""
    return out_path.with_name(f"{out_path.stem}.sources.csv")


def _per_record(typed: pl.DataFrame, pack_name: str, gwp_set: str) -> pl.DataFrame:
    calculator = Calculator(load_pack(pack_name), gwp_set)
    results = [calculator.calculate(r) for r in records_from_frame(typed)]
    return pl.DataFrame(
        {
            "co2_t": [r.co2_t for r in results],
            "ch4_t": [r.ch4_t for r in results],
            "n2o_t": [r.n2o_t for r in results],
            "co2e_t": [r.co2e_t for r in results],
            "gwp_set": [r.gwp_set for r in results],
            "method": [r.method for r in results],
            "factor_source": [r.factor_source for r in results],
        },
        schema={
            "co2_t": pl.Float64,
            "ch4_t": pl.Float64,
            "n2o_t": pl.Float64,
            "co2e_t": pl.Float64,
            "gwp_set": pl.String,
            "method": pl.String,
            "factor_source": pl.String,
        },
    )


def calculate_table(
    raw: pl.DataFrame,
    source: TableSource,
    *,
    pack_name: str,
    gwp_set: str,
    default_year: int | None,
    engine: str = "bulk",
) -> pl.DataFrame:
    """Validate and calculate; returns the input columns followed by the output columns."""
    gwp("CH4", gwp_set)  # unknown set: error before any work
    pack = load_pack(pack_name)
    if engine == "bulk":
        _, results = validate_and_calculate(raw, source, pack, gwp_set, default_year)
    elif engine == "record":
        results = _per_record(validate_frame(raw, source, pack, default_year), pack_name, gwp_set)
    else:
        raise ValueError(f"unknown engine {engine!r}")
    clashing = [c for c in results.columns if c in raw.columns]
    return pl.concat([raw.drop(clashing), results], how="horizontal")


def factor_refs(table: pl.DataFrame) -> tuple[pl.Series, pl.DataFrame]:
    """(factor_ref of each row, sources: factor_ref, factor_source).

    Refs are S1, S2... in the order the sources first appear in the rows, so both engines (and
    any rerun on the same input) give the same refs. The work is on dictionary codes: the
    distinct sources are few, the rows many."""
    column = table.get_column("factor_source")
    codes = column.cast(pl.Categorical).to_physical().cast(pl.Int64).fill_null(-1)
    texts = column.gather(codes.arg_unique()).cast(pl.String)  # first row of each, in order
    refs = [f"S{number}" for number in range(1, texts.len() + 1)]
    factor_ref = pl.Series("factor_ref", refs, dtype=pl.Enum(refs)).gather(dense_codes(codes, first_seen=True))
    return factor_ref, pl.DataFrame({"factor_ref": refs, "factor_source": texts})


def output_table(table: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(the rows as written: `factor_ref` in place of `factor_source`, emissions rounded; sources).

    Float noise below a microgram (0.0034000000000000002) is rounded away in the file only.
    One `select` builds the frame: adding a column to a frame of many-chunked columns (as
    read) would copy every column into one chunk first."""
    factor_ref, sources = factor_refs(table)
    columns = (
        factor_ref if name == "factor_source" else pl.col(name).round(9) if name in EMISSIONS else pl.col(name)
        for name in table.columns
    )
    return table.select(columns), sources


def calculate_file(
    input_path: Path,
    out_path: Path,
    *,
    pack_name: str,
    gwp_set: str,
    default_year: int | None = None,
    engine: str = "bulk",
) -> CalcSummary:
    """Read, validate, calculate and write the output and its sources; on any problem nothing
    is written."""
    sources_path = sources_path_for(out_path)
    for target, what in ((out_path, "--out"), (sources_path, f"the factor sources file {sources_path}")):
        if target.resolve() == input_path.resolve():
            raise ValidationFailed([Problem(f"{what} must differ from the input file", str(target))])
    raw, source = read_table(input_path, categorical=CATEGORICAL_INPUT)
    table = calculate_table(raw, source, pack_name=pack_name, gwp_set=gwp_set, default_year=default_year, engine=engine)
    rows, sources = output_table(table)
    write_files_atomically([(sources, sources_path), (rows, out_path)])
    co2, ch4, n2o, co2e = table.select(pl.col(c).sum() for c in EMISSIONS).row(0)
    return CalcSummary(table.height, co2, ch4, n2o, co2e, gwp_set, pack_name, sources_path, sources.height)
