"""Commands other distributions add to `carbonbridge`: the entry point group `carbonbridge.commands`.

Each entry point names a function `register(cli: typer.Typer, host: Host) -> None` that adds its
command(s) to the root command. The CLI loads every one at start-up (so that `--help` lists them),
so a plug-in module imports only Typer at its top and its commands import their work when they
run. The plug-in gets what it needs from the product through `Host` (the composition root, the
clock, the error-to-exit-code map) instead of importing the entry points itself: it depends on
the product, never the other way (the demo, `carbonbridge_demo`, is the first such plug-in).

    [project.entry-points."carbonbridge.commands"]
    demo = "carbonbridge_demo.cli:register"
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from carbonbridge.entrypoints.bootstrap import App

GROUP = "carbonbridge.commands"


class Host:
    """What the product hands a plug-in command. Each method imports the storage stack only when
    called, so building a Host costs nothing at start-up."""

    def build_app(self, url: str, *, upgrade: bool = False) -> App:
        """The application (engine and sessions) for a database URL; migrated first with `upgrade`."""
        from carbonbridge.entrypoints.bootstrap import build_app

        return build_app(url, upgrade=upgrade)

    def utcnow(self) -> dt.datetime:
        """The clock adapter."""
        from carbonbridge.entrypoints.bootstrap import utcnow

        return utcnow()

    def errors(self) -> AbstractContextManager[None]:
        """The CLI's map of typed errors to messages and exit codes, for the body of a command."""
        from carbonbridge.entrypoints.cli.errors import cli_errors

        return cli_errors()


Register = Callable[[typer.Typer, Host], None]


def register_plugins(cli: typer.Typer, host: Host | None = None) -> list[str]:
    """Load the `carbonbridge.commands` entry points and let each register its commands; the names
    of those registered. One that fails to load is named on stderr and skipped: a broken add-on
    leaves the product's own commands working."""
    host = host or Host()
    registered = []
    for point in sorted(entry_points(group=GROUP), key=lambda p: p.name):
        try:
            register: Register = point.load()
            register(cli, host)
        except Exception as exc:  # an add-on's failure, reported, does not stop the product's CLI
            typer.echo(f"carbonbridge: plug-in {point.name!r} ({point.value}) not loaded: {exc}", err=True)
            continue
        registered.append(point.name)
    return registered
