"""`carbonbridge demo`, added to the product's CLI through the entry point group
`carbonbridge.commands` (see carbonbridge.entrypoints.cli.plugins). Only Typer is imported here
the CLI loads this module at start-up (with the plug-in interface, `Host`); the demo itself loads
when the command runs."""

from pathlib import Path
from typing import Annotated

import typer

from carbonbridge.entrypoints.cli.plugins import Host


def register(cli: typer.Typer, host: Host) -> None:
    @cli.command()
    def demo(
        output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the reports")] = Path("demo-output"),
        seed: Annotated[int, typer.Option(help="Seed of the synthetic data")] = 2026,
        year: Annotated[int, typer.Option(help="Reporting year")] = 2025,
    ) -> None:
        """Generate a synthetic (clearly fictitious) year for BY and CN, compute, verify and report."""
        from carbonbridge_demo.run import run_demo

        with host.errors():
            run_demo(output, host, seed=seed, year=year)
