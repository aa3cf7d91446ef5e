"""`carbonbridge market`: replay, conservation check, bank statements, MSR, market data, surveillance."""

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from carbonbridge.entrypoints.cli import joint_auction
from carbonbridge.entrypoints.cli.common import now as _now
from carbonbridge.entrypoints.cli.common import sessions as _sessions
from carbonbridge.entrypoints.cli.errors import cli_errors

app = typer.Typer(help="Market: auctions, exchange, cash ledger, settlement, MSR, market data.", no_args_is_help=True)
Jurisdiction = Annotated[str, typer.Option("--jurisdiction", "-j", help="BY or CN")]
app.add_typer(joint_auction.app, name="joint-auction")


@app.command()
def replay(
    orders: Annotated[Path, typer.Argument(help="ORDERS.csv: seq,op,order_id,side,price,quantity,type")],
    out: Annotated[
        Path, typer.Option("--out", help="FILLS.csv to write: seq,taker_order_id,maker_order_id,price,quantity")
    ],
) -> None:
    """Run a stream of orders through a bare book (no bands, no reservations) and write its fills.
    Bad input: every problem as FILE:LINE:COLUMN: message, exit 2, nothing written."""
    from carbonbridge.domain.errors import Problem, ValidationFailed
    from carbonbridge.domain.market.replay import fills_csv, parse_orders
    from carbonbridge.domain.market.replay import replay as run

    with cli_errors():
        try:
            content = orders.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValidationFailed([Problem(f"cannot read: {exc}", str(orders))]) from exc
        ops, problems = parse_orders(content, str(orders))
        if problems:
            raise ValidationFailed(problems)
        fills = run(ops)
        out.write_text(fills_csv(fills), encoding="utf-8")
    typer.echo(f"{len(ops)} operations, {len(fills)} fills -> {out}")


@app.command()
def check(ctx: typer.Context) -> None:
    """Conservation of every currency and of the market's unit holds, and the registry's check (exit 1 on a problem)."""
    from carbonbridge.services.market.check import check as run

    with cli_errors():
        report = run(_sessions(ctx))
    for problem in report.problems:
        typer.echo(f"problem: {problem}", err=True)
    money = ", ".join(f"{c} {v / 100:,.2f}" for c, v in sorted(report.money_in_system.items())) or "none"
    typer.echo(f"{report.accounts} cash accounts; money in the system: {money}; {'OK' if report.ok else 'FAILED'}")
    if not report.ok:
        raise typer.Exit(1)


@app.command("import-statement")
def import_statement(
    ctx: typer.Context, statement: Annotated[Path, typer.Argument()], jurisdiction: Jurisdiction
) -> None:
    """Apply a settlement-bank statement (credits: deposits, debits: withdrawals), idempotent by bank reference."""
    from carbonbridge.services.market.statement import import_statement as run

    with cli_errors():
        found = run(_sessions(ctx), statement, jurisdiction.upper(), now=_now())
    typer.echo(
        f"{found.lines} lines: {found.applied} applied, {found.repeated} already imported; "
        f"credited {found.credited / 100:,.2f}, debited {found.debited / 100:,.2f}"
    )


@app.command()
def accounts(ctx: typer.Context, owner: Annotated[str | None, typer.Option(help="Participant id")] = None) -> None:
    """Cash accounts with balance and held amounts (major units)."""
    from carbonbridge.services.market.cash import accounts as run

    with cli_errors():
        for a in run(_sessions(ctx), owner):
            typer.echo(f"{a.id:40} {a.kind:12} {a.balance / 100:>18,.2f} held {a.held / 100:>16,.2f}")


msr_app = typer.Typer(help="Market stability reserve: figures for a year, applied to the auction calendar.")
app.add_typer(msr_app, name="msr")


@msr_app.callback(invoke_without_command=True)
def msr(
    ctx: typer.Context,
    year: Annotated[int | None, typer.Option(help="Year the TNAC is published in")] = None,
    tnac: Annotated[int | None, typer.Option(help="TNAC; omitted: computed from the registry's holdings")] = None,
    jurisdiction: Jurisdiction = "BY",
) -> None:
    """Market stability reserve intake or release for a year (EU rules by default, data/market/<J>.toml)."""
    from carbonbridge.adapters.market_config import load_market_config
    from carbonbridge.services.market.msr import msr_figures

    if ctx.invoked_subcommand is not None:
        return
    if year is None:
        typer.echo("--year is required", err=True)
        raise typer.Exit(2)
    with cli_errors():
        policy = load_market_config(jurisdiction.upper()).msr
        figures = msr_figures(None if tnac is not None else _sessions(ctx), jurisdiction.upper(), year, policy, tnac)
    typer.echo(json.dumps(_figures(figures), indent=2))


def _figures(figures: Any) -> dict[str, object]:
    return {
        "year": figures.year,
        "tnac": figures.tnac,
        "intake": figures.intake,
        "release": figures.release,
        "rule": figures.rule,
        "monthly": list(figures.monthly),
    }


@msr_app.command("apply")
def msr_apply(
    ctx: typer.Context,
    year: Annotated[int, typer.Option(help="Year the TNAC is published in")],
    tnac: Annotated[int | None, typer.Option(help="TNAC; omitted: computed from the registry's holdings")] = None,
    start: Annotated[str | None, typer.Option(help="First day of the 12 months (default: 1 September of YEAR)")] = None,
    jurisdiction: Jurisdiction = "BY",
) -> None:
    """Take the year's intake out of the scheduled auctions of the next 12 months (into the reserve
    account), or add a release to them; idempotent per jurisdiction and year, audited."""
    import datetime as dt

    from carbonbridge.services.market.msr_apply import apply_msr

    try:
        first = dt.date.fromisoformat(start) if start else None
    except ValueError:
        typer.echo(f"--start: {start!r} is not a date (YYYY-MM-DD)", err=True)
        raise typer.Exit(2) from None
    with cli_errors():
        done = apply_msr(_sessions(ctx), jurisdiction, year, now=_now(), tnac=tnac, start=first)
    out: dict[str, object] = {
        **_figures(done.figures),
        "start": done.start.isoformat(),
        "auctions": [{"auction": a, "volume_change": d} for a, d in done.changes],
        "applied": done.applied,
        "not_applied": done.not_applied,
        "registry_transactions": list(done.registry_transactions),
        "repeated": done.repeated,
    }
    typer.echo(json.dumps(out, indent=2))


@app.command("msr-scenario")
def msr_scenario(
    scenario: Annotated[Path, typer.Argument(help="CSV: year,cap,free_allocation,emissions")],
    out: Annotated[Path, typer.Option("--out", help="Folder for msr_scenario.{csv,html,png}")],
    opening_tnac: Annotated[int, typer.Option(help="TNAC before the first year")] = 0,
    opening_reserve: Annotated[int, typer.Option(help="Allowances in the reserve before the first year")] = 0,
    jurisdiction: Jurisdiction = "BY",
) -> None:
    """Run the MSR policy over several years; chart supply, TNAC and the reserve."""
    from carbonbridge.adapters.market_config import load_market_config
    from carbonbridge.services.market.msr import run_scenario

    with cli_errors():
        years = run_scenario(
            scenario,
            load_market_config(jurisdiction.upper()).msr,
            out,
            opening_tnac=opening_tnac,
            opening_reserve=opening_reserve,
        )
    for y in years:
        typer.echo(
            f"{y.year}: auctioned {y.auctioned:,} TNAC {y.tnac:,} intake {y.intake:,} release {y.release:,} "
            f"reserve {y.reserve:,}"
        )
    typer.echo(f"charts: {out / 'msr_scenario.html'}, {out / 'msr_scenario.png'}")


@app.command("export")
def export_data(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="Folder")],
    fmt: Annotated[str, typer.Option("--format", help="csv or parquet")] = "csv",
) -> None:
    """Trades, daily OHLCV with the VWAP close per instrument, auction results."""
    from carbonbridge.services.market.data import export

    if fmt not in ("csv", "parquet"):
        typer.echo("--format must be csv or parquet", err=True)
        raise typer.Exit(2)
    with cli_errors():
        for path in export(_sessions(ctx), out, fmt=fmt):
            typer.echo(str(path))


@app.command()
def auctions(ctx: typer.Context, jurisdiction: Jurisdiction = "BY") -> None:
    """Published auction results: clearing price, volumes, bidders, cover ratio."""
    from carbonbridge.services.market.auctions import results

    with cli_errors():
        for a in results(_sessions(ctx), jurisdiction.upper()):
            price = f"{a.clearing_price / 100:,.2f}" if a.clearing_price is not None else "-"
            typer.echo(
                f"{a.id:22} {a.auction_date} {a.state:9} {a.code or '':26} volume {a.volume:>10,} sold "
                f"{a.volume_sold or 0:>10,} price {price:>8} {a.currency} bidders {a.bidders or 0} cover "
                f"{a.cover_ratio or '-'}" + (f" MSR {a.msr_adjusted:+,}" if a.msr_adjusted else "")
            )


@app.command()
def surveillance(
    ctx: typer.Context,
    jurisdiction: Jurisdiction = "CN",
    out: Annotated[Path | None, typer.Option("--out", help="CSV report")] = None,
) -> None:
    """Alerts: wash trades, orders at the band limits, order-to-trade ratios, concentration."""
    import csv

    from carbonbridge.services.market.data import surveillance as run

    with cli_errors():
        found = run(_sessions(ctx), jurisdiction.upper())
    counts: dict[str, int] = {}
    for a in found:
        counts[a.kind] = counts.get(a.kind, 0) + 1
    if out is not None:
        with out.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(("kind", "subject", "detail"))
            writer.writerows((a.kind, a.subject, a.detail) for a in found)
    typer.echo(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "no alerts")


@app.command()
def recover(ctx: typer.Context, instrument: Annotated[str, typer.Argument(help="e.g. CN-AL-2025")]) -> None:
    """After a crash during a trading day: expire its open orders and reset holds to what is owed."""
    from carbonbridge.services.market.exchange import recover as run

    with cli_errors():
        expired = run(_sessions(ctx), instrument, now=_now())
    typer.echo(f"{expired} open orders expired; holds recomputed")
