"""`carbonbridge cap` and `carbonbridge allocate`: caps and free allocation plans."""

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
    from carbonbridge.entrypoints.bootstrap import configuration
    from carbonbridge.services.allocation import caps

    with cli_errors():
        rows = caps(configuration().jurisdiction(jurisdiction), first, last)
    if as_json:
        typer.echo(json.dumps([{"year": y, "cap_t": c} for y, c in rows]))
        return
    for year, value in rows:
        typer.echo(f"{year}  {value:>14,} allowances")


@allocate_app.command("plan")
def plan(
    jurisdiction: JurisdictionArg,
    input_file: Annotated[Path, typer.Option("--input", help="Historical activity (BY) or unit outputs (CN)")],
    year: Annotated[
        int | None, typer.Option("--year", help="Allocation year: picks the rules in force (default: the latest)")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the plan as CSV")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Free allocation per installation or unit, with the next year's ex-ante pre-allocation (CN)."""
    import polars as pl

    from carbonbridge.entrypoints.bootstrap import configuration
    from carbonbridge.services.allocation import plan as make_plan

    with cli_errors():
        lines = make_plan(configuration().jurisdiction(jurisdiction), input_file, year)
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
    rules = ", ".join(sorted({line.rules for line in lines}))
    typer.echo(f"total {sum(line.allocation_t for line in lines):,} allowances (rules: {rules or 'none'})")


def _post(
    ctx: typer.Context, jurisdiction: str, year: int, input_file: Path, phase: str, by: str, as_json: bool
) -> None:
    from carbonbridge.entrypoints.bootstrap import bootstrap, utcnow
    from carbonbridge.services.allocation import post_allocation

    with cli_errors():
        app = bootstrap(ctx.obj["db"])
        run = post_allocation(
            app.sessions, app.jurisdiction(jurisdiction), year, input_file, phase, now=utcnow(), initiator=by
        )
    if as_json:
        typer.echo(json.dumps({**asdict(run), "delivered_t": run.delivered_t}))
        return
    for p in run.postings:
        extra = "".join(
            f", {label} {value:,}" for label, value in (("deducted", p.deducted_t), ("debt", p.debt_t)) if value
        )
        typer.echo(
            f"{p.installation_id:<12} {p.basis:<24} {p.allocation_t:>+14,} t, delivered {p.delivered_t:>+14,}{extra}"
        )
    intensity = f"; intensity cap {run.intensity_cap_t:,}" if run.intensity_cap_t is not None else ""
    typer.echo(
        f"{run.unit_type}: delivered {run.delivered_t:+,} units to {len(run.postings)} installations; "
        f"cap {run.cap_t:,}{intensity}; rules {run.rules}"
    )


Year = Annotated[int, typer.Option("--year", help="Compliance year the allowances are for")]
By = Annotated[str, typer.Option("--by", help="Representative of the national holding account")]


@allocate_app.command("pre-allocate")
def pre_allocate(
    ctx: typer.Context,
    jurisdiction: JurisdictionArg,
    year: Year,
    input_file: Annotated[
        Path, typer.Option("--input", help="Historical activity (BY) or the previous year's unit outputs (CN)")
    ],
    by: By,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Issue and allocate ex ante: the benchmark allocation (BY) or 70 % of the previous year's output (CN)."""
    from carbonbridge.services.allocation import EX_ANTE

    _post(ctx, jurisdiction, year, input_file, EX_ANTE, by, as_json)


@allocate_app.command("true-up")
def true_up(
    ctx: typer.Context,
    jurisdiction: JurisdictionArg,
    year: Year,
    input_file: Annotated[Path, typer.Option("--input", help="Verified output (CN) or revised activity levels (BY)")],
    by: By,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Final allocation from verified output: issue the rest, or take the excess back (a debt if it is gone)."""
    from carbonbridge.services.allocation import TRUE_UP

    _post(ctx, jurisdiction, year, input_file, TRUE_UP, by, as_json)
