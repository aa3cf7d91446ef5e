"""`carbonbridge link`: the link to the partner registry (docs/link.md). Acts on this registry's
database (--db) as jurisdiction --jurisdiction; commands that talk to the partner take its URL
(--partner-url, or $CARBONBRIDGE_LINK_PARTNER_URL). `reconcile` is the daily run for cron."""

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from carbonbridge.entrypoints.cli.common import echo_json as _echo
from carbonbridge.entrypoints.cli.common import now as _now
from carbonbridge.entrypoints.cli.common import sessions as _sessions
from carbonbridge.entrypoints.cli.errors import cli_errors

app = typer.Typer(
    help="Link to the partner registry: send, status, list, reconcile, health, rates.", no_args_is_help=True
)

Jurisdiction = Annotated[str, typer.Option("--jurisdiction", "-j", help="This registry: BY or CN")]
PartnerUrl = Annotated[
    str | None,
    typer.Option("--partner-url", help="The partner registry's API (default $CARBONBRIDGE_LINK_PARTNER_URL)"),
]
TransactionId = Annotated[str, typer.Argument(help="Transaction id (ours, or the partner's for an incoming one)")]


def _link(url: str | None) -> Any:
    from carbonbridge.adapters.link_http import HttpLink

    found = url or os.environ.get("CARBONBRIDGE_LINK_PARTNER_URL")
    if not found:
        raise typer.BadParameter("give --partner-url or set CARBONBRIDGE_LINK_PARTNER_URL")
    return HttpLink(found)


@app.command()
def send(
    ctx: typer.Context,
    jurisdiction: Jurisdiction,
    source: Annotated[str, typer.Option("--from", help="Source account in this registry")],
    destination: Annotated[str, typer.Option("--to", help="Destination account in the partner registry")],
    unit_type: Annotated[str, typer.Option("--unit-type", help="e.g. CN-AL-2026")],
    quantity: Annotated[int, typer.Option("--quantity", help="Number of units")],
    by: Annotated[str, typer.Option("--by", help="Representative who initiates")],
    key: Annotated[str, typer.Option("--key", help="Client key: repeating it returns the first result")],
) -> None:
    """Send units to an account of the partner registry (approved like any transfer)."""
    from carbonbridge.services.link_transfers import send as send_units

    with cli_errors():
        view = send_units(
            _sessions(ctx),
            jurisdiction.upper(),
            client_key=key,
            source_account=source,
            partner_account=destination,
            unit_type=unit_type,
            quantity=quantity,
            initiator=by,
            now=_now(),
        )
    _echo(view.as_dict())


@app.command()
def status(
    ctx: typer.Context,
    jurisdiction: Jurisdiction,
    transaction_id: TransactionId,
    ask_partner: Annotated[bool, typer.Option("--ask-partner", help="Also ask the partner (signed query)")] = False,
    partner_url: PartnerUrl = None,
) -> None:
    """What this registry (and, asked, the partner) knows of a link transfer."""
    from carbonbridge.entrypoints.bootstrap import bootstrap
    from carbonbridge.services.link_queries import partner_status
    from carbonbridge.services.link_transfers import local_status

    own = jurisdiction.upper()
    with cli_errors():
        app = bootstrap(ctx.obj["db"])
        found = local_status(app.sessions, own, transaction_id)
        if ask_partner:
            link = _link(partner_url)
            found["partner"] = partner_status(own, transaction_id, link.query, key=app.signing_key(own), now=_now())
    _echo(found)


@app.command("list")
def list_(ctx: typer.Context, limit: Annotated[int, typer.Option(help="Most transfers shown")] = 50) -> None:
    """Link transfers, both directions, newest first."""
    from rich.console import Console
    from rich.table import Table

    from carbonbridge.services.link_transfers import list_transfers

    with cli_errors():
        found = list_transfers(_sessions(ctx), limit=limit)
    table = Table("transaction", "dir", "partner", "unit type", "quantity", "state", "code", "created")
    for t in found:
        table.add_row(
            t["transaction_id"], t["direction"], t["partner"], t["unit_type"], str(t["quantity"]), t["state"],
            t["code"] or "", t["created_at"] or "",
        )  # fmt: skip
    Console().print(table)


@app.command()
def reconcile(ctx: typer.Context, jurisdiction: Jurisdiction, partner_url: PartnerUrl = None) -> None:
    """Reconcile with the partner now (run daily from cron). Exits 3 unless completed."""
    from carbonbridge.entrypoints.bootstrap import bootstrap
    from carbonbridge.services.link_queries import reconcile_with_partner

    own = jurisdiction.upper()
    with cli_errors():
        app = bootstrap(ctx.obj["db"])
        query = _link(partner_url).query
        result = reconcile_with_partner(app.sessions, own, query, key=app.signing_key(own), now=_now())
    _echo({"status": result.status.value, "phase": result.phase, "compared": dict(result.compared)})
    if result.status.value != "completed":
        raise typer.Exit(3)


@app.command()
def health(ctx: typer.Context, jurisdiction: Jurisdiction) -> None:
    """Transfers per state, the undelivered outbox, the last message and reconciliation."""
    from carbonbridge.services.link_transfers import health as link_health

    with cli_errors():
        _echo(link_health(_sessions(ctx), jurisdiction.upper(), now=_now()))


@app.command()
def deliver(
    ctx: typer.Context,
    jurisdiction: Jurisdiction,
    partner_url: PartnerUrl = None,
    once: Annotated[bool, typer.Option("--once", help="One round, then exit")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between idle rounds")] = 1.0,
    reconcile_every: Annotated[float, typer.Option(help="Seconds between reconciliations (0: never)")] = 86400.0,
) -> None:
    """Deliver the outbox and run the link's timers (a loop; `serve --link-partner` runs it too)."""
    import threading

    from carbonbridge.entrypoints.bootstrap import bootstrap
    from carbonbridge.services.link_transfers import open_link
    from carbonbridge.services.link_worker import Worker

    own = jurisdiction.upper()
    link = _link(partner_url)
    with cli_errors():
        app = bootstrap(ctx.obj["db"])
        open_link(app.sessions, own, now=_now())
        worker = Worker(
            app.sessions,
            own,
            link.deliver,
            link.query,
            _now,
            key=app.signing_key(own),
            reconcile_every_seconds=reconcile_every,
        )
        if once:
            _echo(worker.round())
            return
        try:
            worker.run(threading.Event(), interval)
        except KeyboardInterrupt:
            return


@app.command()
def resolve(
    ctx: typer.Context,
    jurisdiction: Jurisdiction,
    transaction_id: TransactionId,
    release: Annotated[bool, typer.Option("--release/--complete", help="Release the units, or complete")],
    by: Annotated[str, typer.Option("--by", help="Administrator who decides")],
) -> None:
    """Decide a transfer the partner never answered (state manual), after asking the partner."""
    from carbonbridge.services.link_transfers import resolve_manual

    with cli_errors():
        sessions = _sessions(ctx)
        code = resolve_manual(sessions, jurisdiction.upper(), transaction_id, release=release, actor=by, now=_now())
    _echo({"transaction_id": transaction_id, "code": code})


rates_app = typer.Typer(help="The official BYN/CNY rate (NBRB, BYN per 10 CNY) as dated data.", no_args_is_help=True)
app.add_typer(rates_app, name="rates")


@rates_app.command("import")
def rates_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="JSON list in the NBRB API shape (Cur_Abbreviation, Cur_Scale, ...)")],
) -> None:
    """Store the rates of a local NBRB file (no network); a stored date with another rate exits 4."""
    from carbonbridge.adapters.link_money import read_nbrb_file
    from carbonbridge.services.market.fx_rates import import_rates

    with cli_errors():
        found = import_rates(_sessions(ctx), read_nbrb_file(file), now=_now())
    _echo({"added": found.added, "already_stored": found.repeated, "first": found.first, "last": found.last})


@rates_app.command("show")
def rates_show(
    ctx: typer.Context,
    start: Annotated[str | None, typer.Option("--from", help="First date (YYYY-MM-DD)")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last date (YYYY-MM-DD)")] = None,
    auction: Annotated[
        str | None, typer.Option("--for-auction", help="A joint auction's date: show the rate fixed for it")
    ] = None,
) -> None:
    """The stored rates (BYN per scale CNY, with their source), or the one fixed for an auction date."""
    import datetime as dt

    from carbonbridge.services.market.fx_rates import fixed_for, rates

    def day(text: str | None) -> dt.date | None:
        try:
            return dt.date.fromisoformat(text) if text else None
        except ValueError as exc:
            raise typer.BadParameter(f"not a date: {text}") from exc

    with cli_errors():
        sessions = _sessions(ctx)
        if auction:
            with sessions() as session:
                found = [fixed_for(session, day(auction) or dt.date.min, ["BY", "CN"])]
        else:
            found = rates(sessions, start=day(start), end=day(end))
    _echo(
        [
            {"date": r.on, "rate": str(r.rate), "base": r.base, "scale": r.scale, "currency": r.currency,
             "per_unit": str(r.per_unit), "source": r.source}
            for r in found
        ]
    )  # fmt: skip
