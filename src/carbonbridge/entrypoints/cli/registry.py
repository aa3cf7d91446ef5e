"""`carbonbridge registry`: accounts, issuance, transfers, compliance, the transaction log."""

from __future__ import annotations

import typer

app = typer.Typer(help="Allowance registry: accounts, transactions, holdings, transaction log.", no_args_is_help=True)
