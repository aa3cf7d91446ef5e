"""`carbonbridge market joint-auction`: a joint auction of the BY and CN volumes (docs/market.md).
`schedule` and `run` act on both registries' databases in turn (--by-db, --cn-db), never in one
transaction; `bid` and `show` act on one registry (the global --db)."""

from typing import Annotated, Any

import typer

from carbonbridge.entrypoints.cli.common import echo_json as _echo
from carbonbridge.entrypoints.cli.common import now as _now
from carbonbridge.entrypoints.cli.errors import cli_errors

app = typer.Typer(help="Joint auctions of both jurisdictions' volumes (one clearing currency).", no_args_is_help=True)
JointId = Annotated[str, typer.Argument(help="Joint auction id, e.g. JA-2026-03")]
ByDb = Annotated[str, typer.Option("--by-db", help="Database URL of the BY registry")]
CnDb = Annotated[str, typer.Option("--cn-db", help="Database URL of the CN registry")]


def _sides(by_db: str, cn_db: str) -> dict[str, Any]:
    from carbonbridge.entrypoints.bootstrap import build_app

    return {"BY": build_app(by_db).sessions, "CN": build_app(cn_db).sessions}


@app.command()
def schedule(
    joint_id: JointId,
    date: Annotated[str, typer.Option("--date", help="Auction date (YYYY-MM-DD)")],
    by_db: ByDb,
    cn_db: CnDb,
    by_volume: Annotated[int, typer.Option("--by-volume", help="BY allowances offered")],
    cn_volume: Annotated[int, typer.Option("--cn-volume", help="CN allowances offered")],
    by_unit_type: Annotated[str, typer.Option("--by-unit-type", help="e.g. BY-AL-2026")],
    cn_unit_type: Annotated[str, typer.Option("--cn-unit-type", help="e.g. CN-AL-2026")],
    by_national: Annotated[str, typer.Option("--by-national", help="BY account the volume comes from")],
    cn_national: Annotated[str, typer.Option("--cn-national", help="CN account the volume comes from")],
    currency: Annotated[str, typer.Option("--currency", help="Clearing currency: BYN or CNY")] = "CNY",
) -> None:
    """Move each side's volume to its auction delivery account and record both shares (one tie seed)."""
    import datetime as dt

    from carbonbridge.services.market.joint_auctions import schedule as run_schedule

    with cli_errors():
        try:
            day = dt.date.fromisoformat(date)
        except ValueError as exc:
            raise typer.BadParameter(f"not a date: {date}") from exc
        shares = run_schedule(
            _sides(by_db, cn_db),
            joint_id,
            day,
            {"BY": by_volume, "CN": cn_volume},
            {"BY": by_unit_type, "CN": cn_unit_type},
            {"BY": by_national, "CN": cn_national},
            currency.upper(),
            now=_now(),
        )
    _echo({code: {"auction": v.id, "volume": v.volume, "currency": v.currency, "state": v.state}
           for code, v in shares.items()})  # fmt: skip


@app.command()
def bid(
    ctx: typer.Context,
    joint_id: JointId,
    jurisdiction: Annotated[str, typer.Option("--jurisdiction", "-j", help="The bidder's registry: BY or CN")],
    bidder: Annotated[str, typer.Option("--bidder", help="Participant id")],
    price: Annotated[str, typer.Option("--price", help="Per allowance, in the bidder's currency, e.g. 36.50")],
    units: Annotated[int, typer.Option("--units", help="Allowances: whole joint lots")],
    key: Annotated[str, typer.Option("--key", help="Client key: repeating it returns the first bid")],
) -> None:
    """A sealed bid with the bidder's own registry (the global --db), cash held in its currency."""
    from carbonbridge.domain.market.money import parse_price
    from carbonbridge.entrypoints.bootstrap import bootstrap
    from carbonbridge.services.market.joint_auctions import place_bid

    try:
        minor = parse_price(price)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    with cli_errors():
        sessions = bootstrap(ctx.obj["db"]).sessions
        bid_id = place_bid(sessions, joint_id, jurisdiction, bidder, minor, units, key, now=_now())
    _echo({"bid": bid_id})


@app.command()
def run(joint_id: JointId, by_db: ByDb, cn_db: CnDb) -> None:
    """Close both shares, clear them together at the rate fixed the business day before, settle each
    side (idempotent: run it again after an interruption). Exits 5 when the auction was cancelled."""
    from carbonbridge.services.market.joint_auctions import result_document
    from carbonbridge.services.market.joint_auctions import run as run_auction

    with cli_errors():
        result = run_auction(_sides(by_db, cn_db), joint_id, now=_now())
    _echo(result_document(result))
    if result.result.status.value != "cleared":
        raise typer.Exit(5)


@app.command()
def show(ctx: typer.Context, joint_id: JointId) -> None:
    """The joint auction as this registry (the global --db) recorded it."""
    from carbonbridge.entrypoints.bootstrap import bootstrap
    from carbonbridge.services.market.joint_auctions import joint_result

    with cli_errors():
        _echo(joint_result(bootstrap(ctx.obj["db"]).sessions, joint_id))
