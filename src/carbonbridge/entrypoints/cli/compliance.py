"""`carbonbridge compliance`: the compliance year of a jurisdiction (enter verified emissions,
block accounts without them, assess, statuses, penalties)."""

import json
from decimal import Decimal
from typing import Annotated, Any

import typer

from carbonbridge.entrypoints.cli.common import now as _now
from carbonbridge.entrypoints.cli.common import sessions as _sessions
from carbonbridge.entrypoints.cli.errors import cli_errors

app = typer.Typer(
    help="The compliance year: verified emissions, blocking, assessment, penalties.", no_args_is_help=True
)
Jurisdiction = Annotated[str, typer.Argument(help="BY or CN")]
Year = Annotated[int, typer.Argument(help="Compliance year")]
AsJson = Annotated[bool, typer.Option("--json")]


def _jurisdiction(ctx: typer.Context, code: str) -> Any:
    """The configured jurisdiction, from the application of the root command's database."""
    from carbonbridge.entrypoints.bootstrap import bootstrap

    return bootstrap(ctx.obj["db"]).jurisdiction(code)


@app.command("enter")
def enter(ctx: typer.Context, jurisdiction: Jurisdiction, year: Year) -> None:
    """Enter the verified emissions of every installation whose latest MRV report is verified."""
    from carbonbridge.services.compliance import enter_all

    with cli_errors():
        entered, missing = enter_all(_sessions(ctx), _jurisdiction(ctx, jurisdiction), year, now=_now())
    typer.echo(f"entered {len(entered)} installations; without a verified report: {', '.join(missing) or 'none'}")


@app.command("block")
def block(ctx: typer.Context, jurisdiction: Jurisdiction, year: Year) -> None:
    """After the emissions deadline: block operator accounts with no verified emissions entered by then."""
    from carbonbridge.services.compliance import block_missing

    with cli_errors():
        blocked = block_missing(_sessions(ctx), _jurisdiction(ctx, jurisdiction), year, now=_now())
    typer.echo(f"blocked {len(blocked)} accounts" + (f": {', '.join(blocked)}" if blocked else ""))


@app.command("assess")
def assess(
    ctx: typer.Context,
    jurisdiction: Jurisdiction,
    year: Year,
    reference_price: Annotated[
        str | None, typer.Option("--reference-price", help="Price per tonne for penalties set as a multiple of it")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """After the surrender deadline: assess every installation-year and record the outcome."""
    from carbonbridge.domain.errors import Problem, ValidationFailed
    from carbonbridge.services.compliance import assess_year

    with cli_errors():
        price = None
        if reference_price is not None:
            try:
                price = Decimal(reference_price)
            except ArithmeticError:
                raise ValidationFailed(
                    [Problem(f"expected a decimal number, got {reference_price!r}", field="--reference-price")]
                ) from None
        views = assess_year(_sessions(ctx), _jurisdiction(ctx, jurisdiction), year, now=_now(), reference_price=price)
    _print(views, as_json)


@app.command("status")
def status(ctx: typer.Context, jurisdiction: Jurisdiction, year: Year, as_json: AsJson = False) -> None:
    """The latest assessment of every installation-year."""
    from carbonbridge.services.compliance import assessments

    with cli_errors():
        views = assessments(_sessions(ctx), jurisdiction, year)
    _print(views, as_json)


@app.command("penalties")
def penalties(ctx: typer.Context, jurisdiction: Jurisdiction, year: Year, as_json: AsJson = False) -> None:
    """Installations with a penalty or a shortfall carried to next year."""
    from carbonbridge.services.compliance import assessments

    with cli_errors():
        views = [v for v in assessments(_sessions(ctx), jurisdiction, year) if v.penalty or v.shortfall_t]
    if as_json:
        typer.echo(json.dumps([v.as_dict() for v in views]))
        return
    for v in views:
        carried = (
            f"make good {v.carried_forward_t:,} t next year"
            if v.carried_forward_t
            else f"{v.deducted_next_t:,} t deducted from next allocation"
        )
        typer.echo(
            f"{v.installation_id:<12} {v.status:<18} shortfall at deadline {v.shortfall_at_deadline_t:>10,} t  "
            f"penalty {v.penalty:>16,} {v.currency}  {carried}"
        )
    total = sum((v.penalty for v in views), Decimal(0))
    typer.echo(f"{len(views)} installations; penalties {total:,} {views[0].currency if views else ''}".rstrip())


def _print(views: list[Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps([v.as_dict() for v in views]))
        return
    counts: dict[str, int] = {}
    for v in views:
        counts[v.status] = counts.get(v.status, 0) + 1
        typer.echo(
            f"{v.installation_id:<12} {v.status:<18} required {v.required_t:>12,}"
            f"  allowances {v.counted_allowances_t:>12,}"
            f"  offsets {v.counted_offsets_t:>9,} (rejected {v.rejected_offsets_t:,})  shortfall {v.shortfall_t:>10,}"
            f"  penalty {v.penalty:>14,} {v.currency}"
        )
    typer.echo(", ".join(f"{status} {n}" for status, n in sorted(counts.items())))
