"""What every command module needs: the database named by the global --db, the time, JSON output.
Imports inside the functions keep `carbonbridge --help` from loading the storage stack."""

import json
from typing import Any

import typer


def sessions(ctx: typer.Context) -> Any:
    """The session factory of the database given to the root command (`--db`), migrated."""
    from carbonbridge.entrypoints.bootstrap import bootstrap

    return bootstrap(ctx.obj["db"]).sessions


def now() -> Any:
    from carbonbridge.entrypoints.bootstrap import utcnow

    return utcnow()


def echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))
