"""`carbonbridge mrv`: factors, stateless calculation, plans, import, CEMS, reports, verification."""

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from carbonbridge.entrypoints.cli.common import now as _now
from carbonbridge.entrypoints.cli.errors import cli_errors

app = typer.Typer(help="Monitoring, reporting and verification of installation emissions.", no_args_is_help=True)

PackOption = Annotated[str, typer.Option("--pack", help="Method pack name or folder (pack.toml + factors.csv)")]
GwpOption = Annotated[str, typer.Option("--gwp", help="GWP set: AR4GWP100, AR5GWP100 or AR6GWP100")]


def _app(ctx: typer.Context) -> Any:
    from carbonbridge.entrypoints.bootstrap import bootstrap

    return bootstrap(ctx.obj["db"])


@app.command()
def factors(pack: PackOption = "ipcc2006", activity: Annotated[str | None, typer.Option()] = None) -> None:
    """List a method pack's factors with their sources."""
    from rich.console import Console
    from rich.table import Table

    from carbonbridge.adapters.packs import load_pack

    with cli_errors():
        method_pack = load_pack(pack)
    table = Table(
        "activity",
        "sector",
        "technology",
        "parameter",
        "gas",
        "value",
        "unit",
        "years",
        "source",
        title=f"{method_pack.name}: {method_pack.title}",
        caption=method_pack.edition,
    )
    wanted = None
    if activity:
        with cli_errors():
            known = method_pack.activity(activity)
        wanted = {known.code, f"group:{known.fuel_group}", f"group:{known.kind.value}"}
    for row in method_pack.rows:
        if wanted is not None and row.activity not in wanted:
            continue
        years = f"{row.valid_from or ''}-{row.valid_to or ''}" if row.valid_from or row.valid_to else "all"
        table.add_row(
            row.activity,
            row.sector,
            row.technology,
            row.parameter,
            row.gas,
            f"{row.factor.raw_value:g}",
            row.factor.unit,
            years,
            row.factor.source,
        )
    Console(width=200).print(table)


@app.command()
def calc(
    input_file: Annotated[Path, typer.Argument(metavar="INPUT", help="CSV, XLSX or JSON activity records")],
    out: Annotated[
        Path,
        typer.Option("--out", help="Output CSV (input columns + results); factor sources go to OUT.sources.csv"),
    ],
    pack: PackOption = "ipcc2006",
    gwp: GwpOption = "AR5GWP100",
    year: Annotated[int | None, typer.Option(help="Year for records without one")] = None,
    engine: Annotated[str, typer.Option(help="bulk (columnar) or record (per-record reference path)")] = "bulk",
) -> None:
    """Calculate emissions for a file, statelessly; nothing is written on any problem."""
    from carbonbridge.services.mrv.calc import calculate_file

    with cli_errors():
        summary = calculate_file(input_file, out, pack_name=pack, gwp_set=gwp, default_year=year, engine=engine)
    typer.echo(
        f"{summary.records} records -> {out}: CO2 {summary.co2_t:,.3f} t, CH4 {summary.ch4_t:,.3f} t, "
        f"N2O {summary.n2o_t:,.3f} t, {summary.co2e_t:,.3f} t CO2e ({summary.gwp_set}, {summary.pack}); "
        f"{summary.sources} factor sources -> {summary.sources_path}"
    )


@app.command()
def plan(ctx: typer.Context, plan_file: Annotated[Path, typer.Argument(metavar="PLAN.toml")]) -> None:
    """Register an installation and a new version of its monitoring plan (TOML or JSON)."""
    from carbonbridge.adapters.monitoring_plan_file import read_plan_file
    from carbonbridge.services.mrv.plans import register_plan

    with cli_errors():
        monitoring_plan = read_plan_file(plan_file)
        app = _app(ctx)
        version = register_plan(app.sessions, monitoring_plan, config=app.config, now=_now())
    typer.echo(
        f"{monitoring_plan.installation_id}: monitoring plan v{version} "
        f"({len(monitoring_plan.source_streams)} source streams)"
    )


@app.command("import")
def import_(
    ctx: typer.Context,
    input_file: Annotated[Path, typer.Argument(metavar="INPUT", help="CSV, XLSX or JSON activity records")],
    year: Annotated[int | None, typer.Option(help="Year for records without one")] = None,
) -> None:
    """Import a year of activity data: all-or-nothing, one dataset version per installation-year."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from carbonbridge.services.mrv.imports import import_activity

    with (
        cli_errors(),
        Progress(
            TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), transient=True
        ) as progress,
    ):
        task = progress.add_task("import", total=None)
        app = _app(ctx)
        datasets = import_activity(
            app.sessions,
            input_file,
            config=app.config,
            year=year,
            now=_now(),
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    for d in datasets:
        typer.echo(f"{d.installation_id} {d.year}: dataset v{d.version}, {d.records} records, CO2 {d.co2_t:,.3f} t")


@app.command()
def cems(
    ctx: typer.Context,
    input_file: Annotated[Path, typer.Argument(metavar="HOURLY.csv", help="columns hour, concentration, flow")],
    installation: Annotated[str, typer.Option()],
    year: Annotated[int, typer.Option()],
    source: Annotated[str, typer.Option(help="Measurement-based emission source of the monitoring plan")],
    gas: Annotated[str, typer.Option()] = "CO2",
    concentration_unit: Annotated[str, typer.Option()] = "g/Nm3",
    flow_unit: Annotated[str, typer.Option()] = "Nm3/h",
) -> None:
    """Measurement-based emissions of one source for a year, with EU MRR Art. 45 substitution."""
    from carbonbridge.services.mrv.imports import import_cems

    with cli_errors():
        result = import_cems(
            _app(ctx).sessions,
            input_file,
            installation_id=installation,
            year=year,
            emission_source=source,
            gas=gas,
            concentration_unit=concentration_unit,
            flow_unit=flow_unit,
            now=_now(),
        )
    typer.echo(
        f"{installation} {year} {source}: {result.emissions_t:,.3f} t {gas}; {result.hours_total} h, "
        f"{result.hours_substituted_concentration} h concentration and {result.hours_substituted_flow} h flow "
        "substituted (mean + 2 sigma, EU MRR Art. 45)"
    )


def _print_report(view: Any, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(view.as_dict(), indent=2, sort_keys=True))
        return
    status = f"verified: {view.verified_emissions_t:,} t CO2e" if view.verified else "not verified"
    typer.echo(
        f"{view.installation_id} {view.year} v{view.version} [{view.category}] CO2 {view.co2_t:,.3f} t, "
        f"CH4 {view.ch4_t:,.3f} t, N2O {view.n2o_t:,.3f} t = {view.co2e_t:,.3f} t CO2e ({view.gwp_set}); "
        f"{status}"
    )


@app.command()
def report(
    ctx: typer.Context,
    installation: Annotated[str, typer.Option()],
    year: Annotated[int, typer.Option()],
    gwp: Annotated[str | None, typer.Option("--gwp")] = None,
    reason: Annotated[str, typer.Option(help="Why a verified report is corrected")] = "",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Compile the annual emissions report (a new immutable version when anything changed)."""
    from carbonbridge.adapters.db.mrv import SqlReports
    from carbonbridge.services.mrv.reports import submit_report

    with cli_errors():
        app = _app(ctx)
        view = submit_report(
            SqlReports(app.sessions), installation, year, config=app.config, gwp_set=gwp, reason=reason, now=_now()
        )
    _print_report(view, as_json)


@app.command()
def verify(
    ctx: typer.Context,
    installation: Annotated[str, typer.Option()],
    year: Annotated[int, typer.Option()],
    verifier: Annotated[str, typer.Option()],
    opinion: Annotated[str, typer.Option(help="satisfactory, satisfactory_with_comments or not_satisfactory")],
    misstatement_t: Annotated[float, typer.Option("--misstatement-t", help="Uncorrected misstatement, t CO2e")] = 0.0,
    comments: Annotated[str, typer.Option()] = "",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Record the verifier's opinion on the latest report version (AVR Art. 23 materiality)."""
    from carbonbridge.adapters.db.mrv import SqlReports
    from carbonbridge.domain.errors import Problem, ValidationFailed
    from carbonbridge.domain.mrv.verification import Opinion
    from carbonbridge.services.mrv.reports import verify_report

    with cli_errors():
        try:
            parsed = Opinion(opinion)
        except ValueError:
            raise ValidationFailed(
                [
                    Problem(
                        f"unknown opinion {opinion!r}; expected " + ", ".join(o.value for o in Opinion), field="opinion"
                    )
                ]
            ) from None
        view = verify_report(
            SqlReports(_app(ctx).sessions),
            installation,
            year,
            verifier=verifier,
            opinion=parsed,
            misstatement_t=misstatement_t,
            comments=comments,
            now=_now(),
        )
    _print_report(view, as_json)


@app.command()
def show(
    ctx: typer.Context,
    installation: Annotated[str, typer.Option()],
    year: Annotated[int | None, typer.Option()] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show every report version of an installation (and year) with its verification status."""
    from carbonbridge.adapters.db.mrv import SqlReports
    from carbonbridge.services.mrv.reports import report_history

    with cli_errors():
        views = report_history(SqlReports(_app(ctx).sessions), installation, year)
    if as_json:
        typer.echo(json.dumps([v.as_dict() for v in views], indent=2, sort_keys=True))
        return
    if not views:
        typer.echo(f"{installation}: no reports yet")
    for view in views:
        _print_report(view, False)
