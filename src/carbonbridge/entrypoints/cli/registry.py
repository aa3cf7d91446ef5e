"""`carbonbridge registry`: accounts, issuance, transfers, compliance, the transaction log.

Transaction commands print the transaction as JSON; a refused one exits 5 (`refused: CODE`)
after it is recorded as terminated, so repeating the same --key gives the same answer.
"""

from typing import Annotated, Any

import typer

from carbonbridge.entrypoints.cli.common import echo_json as _echo
from carbonbridge.entrypoints.cli.common import now as _now
from carbonbridge.entrypoints.cli.common import sessions as _sessions
from carbonbridge.entrypoints.cli.errors import cli_errors

app = typer.Typer(help="Allowance registry: accounts, transactions, holdings, transaction log.", no_args_is_help=True)

Key = Annotated[str, typer.Option("--key", help="Client key: repeating a command with it returns the first result")]
By = Annotated[str, typer.Option("--by", help="Representative who initiates / approves / cancels")]
Reason = Annotated[str, typer.Option("--reason", help="Why (recorded in the audit trail)")]
Quantity = Annotated[int, typer.Argument(help="Number of units")]
UnitArg = Annotated[str, typer.Argument(help="Unit type code, e.g. BY-AL-2026")]


def _propose(
    ctx: typer.Context,
    kind: str,
    key: str,
    source: str | None,
    destination: str,
    unit: str,
    quantity: int,
    by: str,
    **extra: Any,
) -> None:
    from carbonbridge.adapters.db.registry.ledger import SqlLedgers
    from carbonbridge.domain.registry.commands import TransactionRequest
    from carbonbridge.domain.registry.model import TransactionType
    from carbonbridge.services.registry.transactions import propose

    with cli_errors():
        request = TransactionRequest(key, TransactionType(kind), source, destination, unit, quantity, by, **extra)
        _echo(propose(SqlLedgers(_sessions(ctx)), request, now=_now()).as_dict())


@app.command("unit-type")
def unit_type(
    ctx: typer.Context,
    jurisdiction: Annotated[str, typer.Argument(help="BY or CN")],
    vintage: Annotated[int, typer.Option(help="Vintage (compliance period year)")],
    cap: Annotated[int, typer.Option(help="Most units that may ever be issued")],
    kind: Annotated[str, typer.Option(help="allowance or offset")] = "allowance",
    origin: Annotated[str, typer.Option(help="Origin of offset credits, e.g. CCER")] = "",
) -> None:
    """Create a unit type with its cap (also opens the issuance and deletion accounts)."""
    from carbonbridge.domain.registry.model import UnitKind
    from carbonbridge.services.registry.accounts import create_unit_type

    with cli_errors():
        created = create_unit_type(
            _sessions(ctx), jurisdiction.upper(), UnitKind(kind), vintage, cap, now=_now(), origin=origin
        )
    typer.echo(f"{created.code}: cap {created.cap}, issued {created.issued}")


@app.command("open-account")
def open_account(
    ctx: typer.Context,
    account_id: Annotated[str, typer.Argument(help="Account id")],
    jurisdiction: Annotated[str, typer.Option("--jurisdiction", "-j")],
    account_type: Annotated[str, typer.Option("--type", help="national_holding, operator_holding, trading, ...")],
    holder: Annotated[str, typer.Option(help="Account holder")],
    installation: Annotated[str | None, typer.Option(help="Installation of an operator holding account")] = None,
) -> None:
    """Open an account (idempotent by account id)."""
    from carbonbridge.domain.registry.model import AccountType
    from carbonbridge.services.registry.accounts import open_account as open_

    with cli_errors():
        account = open_(
            _sessions(ctx),
            account_id,
            jurisdiction.upper(),
            AccountType(account_type),
            holder,
            now=_now(),
            installation_id=installation,
        )
    typer.echo(f"{account.id}: {account.type.value}, {account.state.value}")


@app.command("account-state")
def account_state(
    ctx: typer.Context,
    account_id: str,
    state: Annotated[str, typer.Argument(help="open, blocked, suspended, closed")],
    reason: Reason,
) -> None:
    """Block, suspend, reopen or close an account."""
    from carbonbridge.domain.registry.model import AccountState
    from carbonbridge.services.registry.accounts import set_account_state

    with cli_errors():
        account = set_account_state(_sessions(ctx), account_id, AccountState(state), now=_now(), reason=reason)
    typer.echo(f"{account.id}: {account.state.value}")


@app.command()
def representative(
    ctx: typer.Context,
    representative_id: str,
    name: Annotated[str, typer.Option()],
    account: Annotated[list[str], typer.Option("--account", help="Account to represent (repeatable)")],
) -> None:
    """Create a representative and authorise them for accounts."""
    from carbonbridge.services.registry.accounts import add_representative

    with cli_errors():
        accounts = add_representative(_sessions(ctx), representative_id, name, account, now=_now())
    typer.echo(f"{representative_id}: {', '.join(accounts)}")


@app.command()
def reinstate(ctx: typer.Context, representative_id: str, reason: Reason) -> None:
    """Lift a representative's suspension."""
    from carbonbridge.services.registry.accounts import reinstate_representative

    with cli_errors():
        reinstate_representative(_sessions(ctx), representative_id, now=_now(), reason=reason)
    typer.echo(f"{representative_id}: active")


@app.command()
def trust(
    ctx: typer.Context,
    account_id: str,
    trusted_account_id: str,
    by: By,
    remove: Annotated[bool, typer.Option("--remove", help="Remove from the trusted list (at once)")] = False,
) -> None:
    """Add an account to the trusted list (effective after N working days) or remove it."""
    from carbonbridge.services.registry.accounts import change_trusted

    with cli_errors():
        change = change_trusted(_sessions(ctx), account_id, trusted_account_id, add=not remove, now=_now(), actor=by)
    typer.echo(
        f"{change.account_id} -> {change.trusted_account_id}: {change.action}, effective "
        f"{change.effective_at.isoformat()}"
    )


@app.command()
def issue(
    ctx: typer.Context, unit: UnitArg, quantity: Quantity, to: Annotated[str, typer.Option("--to")], by: By, key: Key
) -> None:
    """Issue units into the national holding account (within the cap)."""
    _propose(ctx, "issuance", key, None, to, unit, quantity, by)


@app.command()
def allocate(
    ctx: typer.Context,
    unit: UnitArg,
    quantity: Quantity,
    source: Annotated[str, typer.Option("--from")],
    to: Annotated[str, typer.Option("--to")],
    by: By,
    key: Key,
) -> None:
    """Allocate units free of charge to an operator holding account."""
    _propose(ctx, "allocation", key, source, to, unit, quantity, by)


@app.command()
def transfer(
    ctx: typer.Context,
    unit: UnitArg,
    quantity: Quantity,
    source: Annotated[str, typer.Option("--from")],
    to: Annotated[str, typer.Option("--to")],
    by: By,
    key: Key,
) -> None:
    """Propose a transfer (completes, waits for approval, or waits for its delay window)."""
    _propose(ctx, "transfer", key, source, to, unit, quantity, by)


@app.command()
def surrender(
    ctx: typer.Context,
    unit: UnitArg,
    quantity: Quantity,
    source: Annotated[str, typer.Option("--from")],
    installation: Annotated[str, typer.Option()],
    year: Annotated[int, typer.Option()],
    by: By,
    key: Key,
) -> None:
    """Surrender units for an installation's compliance year (into the deletion account)."""
    jurisdiction = unit.split("-", 1)[0]
    _propose(
        ctx,
        "surrender",
        key,
        source,
        f"{jurisdiction}-DELETION",
        unit,
        quantity,
        by,
        installation_id=installation,
        compliance_year=year,
    )


@app.command()
def delete(
    ctx: typer.Context,
    unit: UnitArg,
    quantity: Quantity,
    source: Annotated[str, typer.Option("--from")],
    by: By,
    key: Key,
) -> None:
    """Delete units voluntarily (they can never be used again)."""
    _propose(ctx, "deletion", key, source, f"{unit.split('-', 1)[0]}-DELETION", unit, quantity, by)


@app.command()
def reverse(ctx: typer.Context, transaction_id: str, by: By, key: Key) -> None:
    """Reverse a completed transfer or allocation by a compensating transaction."""
    from carbonbridge.services.registry.queries import transaction

    with cli_errors():
        original = transaction(_sessions(ctx), transaction_id)
    _propose(
        ctx,
        "reversal",
        key,
        original.destination_account,
        original.source_account or "",
        original.unit_type,
        original.quantity,
        by,
        reverses=transaction_id,
    )


@app.command()
def approve(ctx: typer.Context, transaction_id: str, by: By) -> None:
    """Approve a proposed transfer as a second representative."""
    from carbonbridge.adapters.db.registry.ledger import SqlLedgers
    from carbonbridge.services.registry.workflow import approve as approve_

    with cli_errors():
        _echo(approve_(SqlLedgers(_sessions(ctx)), transaction_id, by, now=_now()).as_dict())


@app.command()
def cancel(ctx: typer.Context, transaction_id: str, by: By) -> None:
    """Cancel a pending transfer before its delay window ends; the units are free again."""
    from carbonbridge.adapters.db.registry.ledger import SqlLedgers
    from carbonbridge.services.registry.workflow import cancel as cancel_

    with cli_errors():
        _echo(cancel_(SqlLedgers(_sessions(ctx)), transaction_id, by, now=_now()).as_dict())


@app.command()
def settle(ctx: typer.Context) -> None:
    """Complete delayed transfers whose window has ended."""
    from carbonbridge.adapters.db.registry.ledger import SqlLedgers
    from carbonbridge.services.registry.workflow import settle_due

    with cli_errors():
        done = settle_due(SqlLedgers(_sessions(ctx)), now=_now())
    typer.echo(f"{len(done)} transactions settled")
    for view in done:
        typer.echo(f"{view.id}: {view.state.value} {view.response_code.value}")


@app.command()
def show(ctx: typer.Context, transaction_id: str) -> None:
    """Show one transaction."""
    from carbonbridge.services.registry.queries import transaction

    with cli_errors():
        _echo(transaction(_sessions(ctx), transaction_id).as_dict())


@app.command()
def holdings(ctx: typer.Context, account_id: str) -> None:
    """Units held by an account, per unit type, with their serial blocks."""
    from carbonbridge.services.registry.queries import holdings as holdings_

    with cli_errors():
        found = holdings_(_sessions(ctx), account_id)
    for h in found:
        blocks = ", ".join(f"{a}-{b}" for a, b in h.blocks)
        typer.echo(
            f"{h.unit_type}: {h.quantity} ({h.reserved} reserved, {h.market_held} held by the market, "
            f"{h.available} available) serials {blocks}"
        )


@app.command()
def history(ctx: typer.Context, unit: UnitArg, serial: Annotated[int, typer.Argument(help="Serial number")]) -> None:
    """Every movement of one unit since issuance."""
    from carbonbridge.services.registry.queries import serial_history

    with cli_errors():
        events = serial_history(_sessions(ctx), unit, serial)
    for e in events:
        typer.echo(
            f"{e.at.isoformat()} {e.type} {e.from_account or '-'} -> {e.to_account} "
            f"(block {e.block[0]}-{e.block[1]}, transaction {e.transaction_id})"
        )


@app.command("verify-log")
def verify_log(ctx: typer.Context) -> None:
    """Recompute the hash chains of the transaction log; exit 1 on any edited, deleted or reordered entry."""
    from carbonbridge.services.registry.log import verify_log as verify

    with cli_errors():
        report = verify(_sessions(ctx))
    for problem in report.problems:
        typer.echo(f"TAMPERED: {problem}", err=True)
    typer.echo(
        f"{report.entries} log entries, {report.transactions} transactions, {report.trusted_changes} trusted-list "
        f"changes, anchor {report.anchor}: "
        f"{'OK' if report.ok else 'FAILED'}"
    )
    raise typer.Exit(0 if report.ok else 1)


@app.command()
def check(ctx: typer.Context) -> None:
    """Conservation report: per unit type issued, deleted and held; exit 1 on any breach."""
    from carbonbridge.services.registry.queries import check as check_

    with cli_errors():
        report = check_(_sessions(ctx))
    for code, issued in report.issued.items():
        typer.echo(f"{code}: issued {issued}, deleted {report.deleted[code]}, held {report.held[code]}")
    if report.integrity_errors:
        typer.echo(
            f"writes refused by a database constraint (rolled back, see the audit record): {report.integrity_errors}",
            err=True,
        )
    for problem in report.problems:
        typer.echo(f"BREACH: {problem}", err=True)
    raise typer.Exit(0 if report.ok else 1)


@app.command()
def compliance(
    ctx: typer.Context,
    installation: str,
    year: int,
    enter: Annotated[
        bool, typer.Option("--enter", help="First enter verified emissions from the verified report")
    ] = False,
) -> None:
    """Compliance status of an installation-year (A: surrendered >= verified emissions)."""
    from carbonbridge.services.compliance import compliance as status
    from carbonbridge.services.compliance import enter_verified_emissions

    with cli_errors():
        sessions = _sessions(ctx)
        record = (
            enter_verified_emissions(sessions, installation, year, now=_now())
            if enter
            else status(sessions, installation, year)
        )
    typer.echo(
        f"{installation} {year}: verified {record.verified_emissions_t}, surrendered {record.surrendered}, "
        f"status {record.status.value}"
    )
