"""`carbonbridge cems`: receive HJ 212 packets, import plant files, quality report, annual emissions."""

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from carbonbridge.entrypoints.cli.errors import cli_errors

if TYPE_CHECKING:
    from carbonbridge.services.mrv.cems import AnnualResult

app = typer.Typer(
    help="Continuous emissions monitoring: HJ 212 ingest, data quality, annual emissions.", no_args_is_help=True
)

DataOption = Annotated[Path, typer.Option("--data", help="Root of the partitioned Parquet data set")]
JurisdictionOption = Annotated[str, typer.Option("--jurisdiction", help="BY or CN (rule set data/cems/<CODE>.toml)")]
EngineOption = Annotated[str, typer.Option("--engine", help="duckdb (one machine) or spark (pip install '.[spark]')")]
MemoryOption = Annotated[str, typer.Option("--memory-limit", help="DuckDB memory_limit")]


@app.command()
def receive(
    port: Annotated[int, typer.Option(help="TCP port to listen on")],
    data: DataOption,
    jurisdiction: JurisdictionOption = "CN",
    host: Annotated[str, typer.Option(help="Address to bind")] = "127.0.0.1",
    stacks: Annotated[
        Path | None, typer.Option(help="CSV mn,installation_id,stack_id (default: MN names both)")
    ] = None,
) -> None:
    """Receive HJ 212-2017 uploads over TCP until interrupted; refused packets go to DATA/receive.log."""
    import asyncio  # here, not at the top: every other command would pay ~20 ms to import it

    from carbonbridge.services.mrv.cems_receive import serve_forever

    with cli_errors():
        asyncio.run(serve_forever(data, jurisdiction.upper(), host, port, stacks))


@app.command("import")
def import_(
    files: Annotated[list[Path], typer.Argument(metavar="FILE...", help="CSV or Parquet files")],
    data: DataOption,
    jurisdiction: JurisdictionOption,
    resolution: Annotated[str, typer.Option(help="hourly or minute")] = "hourly",
) -> None:
    """Import plant data files (installation_id, stack_id, time, parameter, value[, flag, qn])."""
    from rich.progress import Progress

    from carbonbridge.services.mrv.cems import import_file

    with cli_errors(), Progress() as progress:
        task = progress.add_task("import", total=len(files))
        for file in files:
            stats = import_file(data, file, jurisdiction=jurisdiction.upper(), resolution=resolution)
            progress.console.print(
                f"{file.name}: {stats.values_in} values, {stats.values_new} new, "
                f"{stats.values_changed} changed, {stats.values_repeated} already stored"
            )
            progress.advance(task)


def _run(
    data: Path,
    jurisdiction: str,
    year: int,
    engine: str,
    memory_limit: str,
    tier: str | None,
    with_findings: bool,
    calculated: Path | None = None,
) -> "AnnualResult":
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from carbonbridge.services.mrv.cems import annual, read_calculated

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn()) as progress:
        task = progress.add_task("start", total=None)
        return annual(
            data,
            jurisdiction=jurisdiction.upper(),
            year=year,
            engine=engine,
            tier=tier,
            memory_limit=memory_limit,
            with_findings=with_findings,
            calculated=read_calculated(calculated) if calculated else None,
            progress=lambda text: progress.update(task, description=text),
        )


@app.command()
def quality(
    data: DataOption,
    jurisdiction: JurisdictionOption,
    year: Annotated[int, typer.Option()],
    report: Annotated[Path, typer.Option(help="HTML report to write")] = Path("cems-quality.html"),
    engine: EngineOption = "duckdb",
    memory_limit: MemoryOption = "2GiB",
) -> None:
    """Availability per stack and month, substituted hours and plausibility findings, with charts."""
    from carbonbridge.adapters.cems_charts import write_quality_report

    with cli_errors():
        result = _run(data, jurisdiction, year, engine, memory_limit, None, True)
        path = write_quality_report(report, result)
    findings = sum(1 for f in result.findings if any(f[3:]))
    typer.echo(f"{len(result.stacks)} stacks; {findings} with plausibility findings; report: {path}")


@app.command("annual")
def annual_(
    data: DataOption,
    jurisdiction: JurisdictionOption,
    year: Annotated[int, typer.Option()],
    engine: EngineOption = "duckdb",
    memory_limit: MemoryOption = "2GiB",
    tier: Annotated[str | None, typer.Option(help="Measurement tier (EU MRR Annex VIII table 1)")] = None,
    calculated: Annotated[
        Path | None, typer.Option(help="CSV installation_id,co2_t,uncertainty to corroborate")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Annual CO2 per installation from measurement, with uncertainty and corroboration (Art. 46)."""
    with cli_errors():
        result = _run(data, jurisdiction, year, engine, memory_limit, tier, False, calculated)
    rows: list[dict[str, object]] = []
    for installation, (t, u, complete) in result.installations().items():
        c = result.corroboration.get(installation)
        rows.append(
            {
                "installation_id": installation,
                "co2_t": t,
                "uncertainty_t": u,
                "complete": complete,
                "calculated_t": c.calculated_t if c else None,
                "corroborated": c.corroborated if c else None,
            }
        )
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        mass = "n/a" if r["co2_t"] is None else f"{r['co2_t']:,.1f} t CO2 +/- {r['uncertainty_t']:,.1f}"
        extra = (
            ""
            if r["corroborated"] is None
            else f"; calculated {r['calculated_t']:,.1f} t: "
            + ("corroborated" if r["corroborated"] else "NOT corroborated")
        )
        typer.echo(f"{r['installation_id']}: {mass}{'' if r['complete'] else ' (incomplete)'}{extra}")
