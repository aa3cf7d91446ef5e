"""`carbonbridge cap` and `carbonbridge allocate`: caps and free allocation plans."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from carbonbridge.entrypoints.cli.errors import cli_errors

allocate_app = typer.Typer(help="Free allocation: plans from configuration and production data.", no_args_is_help=True)
JurisdictionArg = Annotated[str, typer.Argument(help="BY or CN")]


def cap(
    jurisdiction: JurisdictionArg,
    first: Annotated[int, typer.Option("--from", help="First year")] = 2026,
    last: Annotated[int, typer.Option("--to", help="Last year")] = 2035,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The absolute cap per year (linear reduction factor); an intensity cap follows output."""
    from carbonbridge.services.allocation import caps

    with cli_errors():
        rows = caps(jurisdiction, first, last)
    if as_json:
        typer.echo(json.dumps([{"year": y, "cap_t": c} for y, c in rows]))
        return
    for year, value in rows:
        typer.echo(f"{year}  {value:>14,} allowances")


@allocate_app.command("plan")
def plan(
    jurisdiction: JurisdictionArg,
    input_file: Annotated[Path, typer.Option("--input", help="Historical activity (BY) or unit outputs (CN)")],
    out: Annotated[Path | None, typer.Option("--out", help="Write the plan as CSV")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Free allocation per installation or unit, with the next year's ex-ante pre-allocation (CN)."""
    import polars as pl

    from carbonbridge.services.allocation import plan as make_plan

    with cli_errors():
        lines = make_plan(jurisdiction, input_file)
    rows = [asdict(line) for line in lines]
    if out is not None:
        pl.DataFrame(rows).write_csv(out)
    if as_json:
        typer.echo(json.dumps(rows))
        return
    for line in lines:
        pre = (
            f", pre-allocation next year {line.pre_allocation_next_year_t:,}" if line.pre_allocation_next_year_t else ""
        )
        typer.echo(f"{line.holder:<12} {line.basis:<22} {line.allocation_t:>12,} t ({line.detail}){pre}")
    typer.echo(f"total {sum(line.allocation_t for line in lines):,} allowances")
