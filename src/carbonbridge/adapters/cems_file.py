"""The hourly CSV of one measured emission source (columns hour, concentration, flow; a blank
cell = a missing hour) read into two float arrays, every problem located (file, line, column)."""

from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl

from carbonbridge.adapters.tables import read_table
from carbonbridge.domain.errors import Problem, ValidationFailed
from carbonbridge.domain.mrv import cems
from carbonbridge.domain.mrv.bulk import TableSource


def read_hourly_series(path: Path) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Concentration and flow per hour as given (NaN where blank), in the file's units; raises
    ValidationFailed with every problem: missing columns, cells that are not numbers (or are
    'nan'/'inf'), blank or repeated hours, more hours than a year has."""
    raw, source = read_table(path)
    missing = [c for c in ("hour", "concentration", "flow") if c not in raw.columns]
    if missing:
        raise ValidationFailed([Problem(f"missing required column '{c}'", source.file, 1, None, c) for c in missing])
    problems: list[Problem] = []
    arrays: dict[str, npt.NDArray[np.float64]] = {}
    for name in ("concentration", "flow"):
        text = raw.get_column(name).str.strip_chars().replace("", None)
        values = text.cast(pl.Float64, strict=False)
        # A blank cell marks a missing hour; 'nan' or 'inf' is no measurement and is refused.
        bad = (text.is_not_null() & (values.is_null() | values.is_nan() | values.is_infinite())).arg_true().to_list()
        problems += [
            Problem(
                f"expected a number or blank, got {text[i]!r}",
                source.file,
                source.line(i),
                source.columns.index(name) + 1,
                name,
                "number or blank",
            )
            for i in bad[:500]
        ]
        arrays[name] = values.fill_null(float("nan")).to_numpy().astype(np.float64)
    problems += _hour_problems(raw.get_column("hour"), source)
    if problems:
        raise ValidationFailed(sorted(problems, key=lambda p: (p.line or 0, p.column or 0)))
    return arrays["concentration"], arrays["flow"]


def _hour_problems(hours: pl.Series, source: TableSource) -> list[Problem]:
    """Each hour of the year once: a blank or repeated hour would count a stack twice or not at all."""
    column = source.columns.index("hour") + 1
    text = hours.str.strip_chars().replace("", None)
    problems = [
        Problem("missing hour", source.file, source.line(i), column, "hour", "text unique in the file")
        for i in text.is_null().arg_true().to_list()[:500]
    ]
    repeated = text.is_duplicated() & text.is_not_null()
    problems += [
        Problem(
            f"hour {text[i]!r} appears more than once",
            source.file,
            source.line(i),
            column,
            "hour",
            "text unique in the file",
        )
        for i in repeated.arg_true().to_list()[:500]
    ]
    if hours.len() > cems.MAX_HOURS_PER_YEAR:
        problems.append(
            Problem(
                f"{hours.len()} hours is more than a year has ({cems.MAX_HOURS_PER_YEAR})", source.file, field="hour"
            )
        )
    return problems
