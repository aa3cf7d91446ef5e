"""`carbonbridge inventory`: compile, key categories, uncertainty, export, diff."""

from __future__ import annotations

import typer

app = typer.Typer(help="National GHG inventory: compile, KCA, uncertainty, export, diff.", no_args_is_help=True)
