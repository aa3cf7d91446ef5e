"""Root of the `carbonbridge` command: global options and the capability sub-commands."""

import gc
from typing import Annotated, Any

import typer

from carbonbridge import __version__
from carbonbridge.entrypoints.cli import (
    allocation,
    compliance,
    db,
    errors,
    inventory,
    market,
    mrv,
    registry,
    serve,
    users,
)
from carbonbridge.entrypoints.cli import cems as cems_cli
from carbonbridge.entrypoints.cli import link as link_cli
from carbonbridge.entrypoints.cli.errors import cli_errors
from carbonbridge.entrypoints.cli.plugins import register_plugins


class _Program(typer.Typer):
    """The root command. Run as the program (no arguments: the command line is `sys.argv`), it
    ends by raising SystemExit and the process exits next; every object still alive is then
    moved out of the garbage collector's sight (`gc.freeze`), so the interpreter's shutdown does
    not walk the object graphs of Polars, pydantic and Typer once more (~50 ms of every run).
    Shutdown itself (atexit handlers, flushing, closing files) happens as before. Called with
    arguments (tests, other programs), nothing changes."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except SystemExit:
            if not args and "args" not in kwargs:
                gc.freeze()
            raise


app = _Program(
    name="carbonbridge",
    help="GHG MRV, national inventory, allowance registry and linked emissions trading (BY/CN). "
    "The CLI is an administrator's local tool: it acts with direct database access (--by names who acts); "
    "other users work through the HTTP API (carbonbridge serve), where the signed-in principal acts.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(db.app, name="db")
app.add_typer(mrv.app, name="mrv")
app.add_typer(inventory.app, name="inventory")
app.add_typer(registry.app, name="registry")
app.add_typer(allocation.allocate_app, name="allocate")
app.add_typer(compliance.app, name="compliance")
app.add_typer(market.app, name="market")
app.command("cap")(allocation.cap)
app.add_typer(users.app, name="users")
app.command("serve")(serve.serve)
app.add_typer(link_cli.app, name="link")
app.add_typer(cems_cli.app, name="cems")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"carbonbridge {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    database: Annotated[
        str | None,
        typer.Option("--db", help="Database URL or SQLite file (default: $CARBONBRIDGE_DB or ./carbonbridge.db)"),
    ] = None,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True)] = False,
    problems: Annotated[
        str,
        typer.Option(
            "--problems",
            help="How rejected input is reported on stderr: text (FILE:LINE:COLUMN: message) or json "
            "(one object a line: file, line, column, field, message, expected)",
        ),
    ] = "text",
) -> None:
    if problems not in errors.PROBLEM_FORMATS:
        raise typer.BadParameter(f"one of {', '.join(errors.PROBLEM_FORMATS)}", param_hint="--problems")
    errors.problem_format = problems
    ctx.obj = {"db": database}


register_plugins(app)  # `carbonbridge demo` and any other add-on's commands (entry points)


@app.command()
def jurisdictions() -> None:
    """List the configured jurisdictions."""
    from rich.console import Console
    from rich.table import Table

    from carbonbridge.entrypoints.bootstrap import configuration

    table = Table("code", "name", "currency", "GWP set", "method pack", "time zone")
    with cli_errors():
        config = configuration()
        for code in sorted(config.jurisdictions):
            j = config.jurisdiction(code)
            table.add_row(j.code, j.name, j.currency, j.gwp_set, j.method_pack, j.timezone)
    Console().print(table)


if __name__ == "__main__":
    app()
