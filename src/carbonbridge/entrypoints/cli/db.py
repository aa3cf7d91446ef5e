"""`carbonbridge db`: create or migrate the schema."""

import typer

from carbonbridge.entrypoints.cli.errors import cli_errors

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command()
def upgrade(ctx: typer.Context) -> None:
    """Create the database or migrate it to the newest schema."""
    from carbonbridge.entrypoints.bootstrap import bootstrap

    with cli_errors():
        application = bootstrap(ctx.obj["db"], upgrade=True)
    typer.echo(f"schema up to date: {application.engine.url.render_as_string(hide_password=True)}")


@app.command()
def current(ctx: typer.Context) -> None:
    """Show the schema revision(s) of the database and of the code."""
    from carbonbridge.adapters.db import migrate
    from carbonbridge.entrypoints.bootstrap import bootstrap

    with cli_errors():
        application = bootstrap(ctx.obj["db"], check=False)
        typer.echo(f"database: {', '.join(sorted(migrate.current(application.engine))) or '(empty)'}")
        typer.echo(f"code:     {', '.join(sorted(migrate.heads()))}")
