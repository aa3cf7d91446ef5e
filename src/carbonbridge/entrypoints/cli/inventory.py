"""`carbonbridge inventory`: compile, key categories, uncertainty, export, diff, reconcile."""

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from carbonbridge.entrypoints.cli.errors import cli_errors

app = typer.Typer(help="National GHG inventory: compile, KCA, uncertainty, export, diff.", no_args_is_help=True)

GwpOption = Annotated[str, typer.Option("--gwp", help="GWP set: AR4GWP100, AR5GWP100 or AR6GWP100")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON")]
YearOption = Annotated[int | None, typer.Option("--year", help="Reporting year (default: latest)")]
BaseOption = Annotated[int | None, typer.Option("--base-year", help="Base year for trend (default: first)")]
CsvOption = Annotated[Path | None, typer.Option("--csv", help="Plain CSV: category, gas, year, value_t, uncertainties")]
JurOption = Annotated[str | None, typer.Option("--jurisdiction", "-j", help="Stored inventory of BY or CN")]
VersionOption = Annotated[int | None, typer.Option("--version", help="Submission version (default: latest)")]
RecordsOption = Annotated[Path | None, typer.Option("--records", help="Records CSV instead of the database")]
UncOption = Annotated[Path | None, typer.Option("--uncertainty-table", help="Uncertainty table CSV")]


def _sessions(ctx: typer.Context) -> Any:
    from carbonbridge.entrypoints.bootstrap import bootstrap

    return bootstrap(ctx.obj["db"]).sessions


def _emit(result: Any, as_json: bool, summary: str) -> None:
    typer.echo(json.dumps(result, indent=2, default=str) if as_json else summary)


@app.command("compile")
def compile_(
    ctx: typer.Context,
    jurisdiction: Annotated[str, typer.Argument(help="BY or CN")],
    input_dir: Annotated[Path, typer.Option("--input", help="Folder of activity data CSVs")],
    label: Annotated[str, typer.Option(help="Label of the submission")] = "",
    mrv_category: Annotated[list[str] | None, typer.Option(help="Use verified MRV for this category")] = None,
    factors: Annotated[Path | None, typer.Option(help="Factor table overriding the shipped defaults")] = None,
    gwp: GwpOption = "AR5GWP100",
    as_json: JsonOption = False,
) -> None:
    """Compile a submission from national activity data and verified MRV; a new version if inputs changed."""
    from carbonbridge.entrypoints.bootstrap import utcnow
    from carbonbridge.services.inventory import compile_submission

    with cli_errors():
        view = compile_submission(
            _sessions(ctx),
            jurisdiction,
            input_dir,
            now=utcnow(),
            label=label,
            mrv_categories=mrv_category,
            gwp_set=gwp,
            factors=factors,
        )
    _emit(
        view.as_dict(),
        as_json,
        f"{jurisdiction} inventory v{view.version} ({'new' if view.new else 'unchanged'}): "
        f"{view.records} records, {view.years[0]}-{view.years[-1]}, latest total without LULUCF "
        f"{view.latest_total_without_lulucf_t_co2e / 1e6:.3f} Mt CO2e ({gwp})",
    )


@app.command()
def kca(
    ctx: typer.Context,
    csv_file: CsvOption = None,
    jurisdiction: JurOption = None,
    version: VersionOption = None,
    records: RecordsOption = None,
    uncertainty_table: UncOption = None,
    year: YearOption = None,
    base_year: BaseOption = None,
    gwp: GwpOption = "AR5GWP100",
    lulucf: Annotated[bool, typer.Option(help="Include LULUCF categories (stored inventories)")] = True,
    as_json: JsonOption = False,
) -> None:
    """Key category analysis: Approach 1 level and trend (95 %), Approach 2 where uncertainties are known (90 %)."""
    from carbonbridge.services import inventory_commands as commands

    with cli_errors():
        if csv_file is not None:
            result = commands.kca_from_csv(csv_file, year=year, base_year=base_year, gwp_set=gwp)
        else:
            sessions = _sessions(ctx) if jurisdiction and records is None else None
            result = commands.kca_from_store(
                sessions,
                jurisdiction,
                version=version,
                records_file=records,
                year=year,
                base_year=base_year,
                gwp_set=gwp,
                uncertainty_file=uncertainty_table,
                with_lulucf=lulucf,
            )
    lines = [f"key categories {result['year']} (base {result['base_year']}):"]
    lines += [f"  {k['category']:<10} {k['gas']:<9} by {', '.join(k['by'])}" for k in result["key_categories"]]
    _emit(result, as_json, "\n".join(lines))


@app.command()
def uncertainty(
    ctx: typer.Context,
    csv_file: CsvOption = None,
    jurisdiction: JurOption = None,
    version: VersionOption = None,
    records: RecordsOption = None,
    uncertainty_table: UncOption = None,
    year: YearOption = None,
    base_year: BaseOption = None,
    gwp: GwpOption = "AR5GWP100",
    seed: Annotated[int, typer.Option(help="Seed of the Monte Carlo generator")] = 1,
    iterations: Annotated[int, typer.Option(help="Monte Carlo iterations")] = 20_000,
    lulucf: Annotated[bool, typer.Option(help="Include LULUCF in the total (stored inventories)")] = False,
    as_json: JsonOption = False,
) -> None:
    """Uncertainty: Approach 1 (propagation) and Approach 2 (Monte Carlo, 2.5-97.5 % interval)."""
    from carbonbridge.services import inventory_commands as commands

    with cli_errors():
        if csv_file is not None:
            result = commands.uncertainty_from_csv(
                csv_file, year=year, base_year=base_year, gwp_set=gwp, seed=seed, iterations=iterations
            )
        else:
            if uncertainty_table is None:
                raise typer.BadParameter("--uncertainty-table is needed with a stored inventory or --records")
            sessions = _sessions(ctx) if jurisdiction and records is None else None
            result = commands.uncertainty_from_store(
                sessions,
                jurisdiction,
                version=version,
                records_file=records,
                year=year,
                base_year=base_year,
                gwp_set=gwp,
                uncertainty_file=uncertainty_table,
                seed=seed,
                iterations=iterations,
                with_lulucf=lulucf,
            )
    _emit(
        result,
        as_json,
        f"{result['year']}: total {result['total'] / 1e6:.3f} Mt CO2e; Approach 1 "
        f"+/-{result['approach1_pct']:.2f} %; Approach 2 -{result['approach2_low_pct']:.2f} % / "
        f"+{result['approach2_high_pct']:.2f} % ({result['iterations']} iterations, seed {result['seed']})",
    )


@app.command()
def export(
    ctx: typer.Context,
    jurisdiction: Annotated[str, typer.Argument(help="BY or CN")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the publications")],
    version: VersionOption = None,
    records: RecordsOption = None,
    uncertainty_table: UncOption = None,
    year: YearOption = None,
    base_year: BaseOption = None,
    gwp: GwpOption = "AR5GWP100",
    seed: Annotated[int, typer.Option(help="Seed of the Monte Carlo generator")] = 1,
    charts: Annotated[bool, typer.Option(help="Also draw the charts (PNG and HTML)")] = True,
    as_json: JsonOption = False,
) -> None:
    """Write primap2 interchange files, Summary 1 / Table 10 CSV + XLSX and the charts."""
    from carbonbridge.services import inventory_commands as commands

    with cli_errors():
        sessions = _sessions(ctx) if records is None else None
        result = commands.export(
            sessions,
            jurisdiction,
            output,
            version=version,
            records_file=records,
            year=year,
            base_year=base_year,
            gwp_set=gwp,
            uncertainty_file=uncertainty_table,
            seed=seed,
            charts=charts,
        )
    _emit(result, as_json, "\n".join(result["files"]))


@app.command()
def diff(
    ctx: typer.Context,
    jurisdiction: Annotated[str, typer.Argument(help="BY or CN")],
    old: Annotated[int, typer.Argument(help="Older version")],
    new: Annotated[int | None, typer.Argument(help="Newer version (default: latest)")] = None,
    gwp: GwpOption = "AR5GWP100",
    as_json: JsonOption = False,
) -> None:
    """What a recalculation changed: category, gas and year, in t and t CO2e."""
    from carbonbridge.services.inventory import diff_versions

    with cli_errors():
        changes = diff_versions(_sessions(ctx), jurisdiction, old, new, gwp_set=gwp)
    rows = [
        {
            "category": c.category,
            "gas": c.gas,
            "year": c.year,
            "kind": c.kind,
            "old_t": c.old_t,
            "new_t": c.new_t,
            "delta_t_co2e": c.delta_co2e_t,
        }
        for c in changes
    ]
    lines = [f"{len(rows)} changes"] + [
        f"  {r['year']} {r['category']:<10} {r['gas']:<9} {r['kind']:<8} {r['delta_t_co2e']:+,.1f} t CO2e" for r in rows
    ]
    _emit(rows, as_json, "\n".join(lines))


@app.command()
def reconcile(
    ctx: typer.Context,
    jurisdiction: Annotated[str, typer.Argument(help="BY or CN")],
    version: VersionOption = None,
    gwp: GwpOption = "AR5GWP100",
    as_json: JsonOption = False,
) -> None:
    """Verified installation emissions against the inventory, per category and year, with flags."""
    from dataclasses import asdict

    from carbonbridge.services.inventory import reconcile_with_mrv

    with cli_errors():
        rows = [asdict(r) for r in reconcile_with_mrv(_sessions(ctx), jurisdiction, version, gwp_set=gwp)]
    lines = [
        f"  {r['year']} {r['category']:<8} inventory {r['inventory_co2e_t']:,.0f} installations "
        f"{r['installations_co2e_t']:,.0f} ({r['installations']}) {' '.join(r['flags'])}"
        for r in rows
    ]
    _emit(rows, as_json, "\n".join([f"{len(rows)} category-years reported by installations", *lines]))
