"""`carbonbridge inventory`: compile, key categories, uncertainty, export, diff, reconcile, crt."""

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from carbonbridge.entrypoints.cli.common import sessions as _sessions
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
    from carbonbridge.services.inventory import commands

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
    from carbonbridge.services.inventory import commands

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
    from carbonbridge.services.inventory import commands

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
    from carbonbridge.services.inventory.compile import diff_versions

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

    from carbonbridge.services.inventory.compile import reconcile_with_mrv

    with cli_errors():
        rows = [asdict(r) for r in reconcile_with_mrv(_sessions(ctx), jurisdiction, version, gwp_set=gwp)]
    lines = [
        f"  {r['year']} {r['category']:<8} inventory {r['inventory_co2e_t']:,.0f} installations "
        f"{r['installations_co2e_t']:,.0f} ({r['installations']}) {' '.join(r['flags'])}"
        for r in rows
    ]
    _emit(rows, as_json, "\n".join([f"{len(rows)} category-years reported by installations", *lines]))


crt_app = typer.Typer(
    help="The inventory in the CRT Data Exchange JSON of the ETF tool (decision 5/CMA.3), and CRT-like XLSX.",
    no_args_is_help=True,
)
app.add_typer(crt_app, name="crt")
MetadataOption = Annotated[Path, typer.Option("--metadata", help="CRT metadata JSON from UNFCCC (user-supplied)")]
KeysOption = Annotated[Path | None, typer.Option("--notation-keys", help="Notation keys CSV (docs/crt.md)")]


@crt_app.command("export")
def crt_export(
    ctx: typer.Context,
    jurisdiction: Annotated[str, typer.Argument(help="BY or CN")],
    metadata: MetadataOption,
    output: Annotated[Path, typer.Option("--output", "-o", help="CRT JSON to write")],
    template: Annotated[Path | None, typer.Option("--template", help="The Party's own ETF export to fill")] = None,
    version: VersionOption = None,
    records: RecordsOption = None,
    notation_keys: KeysOption = None,
    fx_years: Annotated[str, typer.Option("--fx-years", help="Flexibility years, e.g. 1990-2004,2006")] = "",
    ne_threshold: Annotated[
        str | None, typer.Option("--ne-threshold", help="Check NE insignificance: standard or flexibility")
    ] = None,
    sector: Annotated[
        list[str] | None, typer.Option("--sector", help="Only this sector (repeat): energy, ippu, ..., lulucf")
    ] = None,
    gwp: GwpOption = "AR5GWP100",
    as_json: JsonOption = False,
) -> None:
    """Fill the template with the inventory; nothing is written while any problem remains."""
    from carbonbridge.entrypoints.bootstrap import utcnow
    from carbonbridge.services.inventory import crt

    with cli_errors():
        sessions = _sessions(ctx) if records is None else None
        recs, keys, label = crt.inventory_inputs(
            sessions, jurisdiction, version=version, records_file=records, keys_file=notation_keys
        )
        result = crt.export_crt(
            recs,
            keys,
            metadata_path=metadata,
            template_path=template,
            output=output,
            now=utcnow(),
            fx_years=crt.parse_years(fx_years),
            gwp_set=gwp,
            source=label,
            ne_threshold=ne_threshold,
            sectors=sector or (),
        )
    summary = (
        f"{output}: {result.numbers} numbers, {result.keys} notation keys, "
        f"{result.kept_from_template} template entries kept, {len(result.repairs)} repairs"
    )
    _emit(
        result.as_dict(),
        as_json,
        "\n".join([summary, *(f"  repair: {r}" for r in result.repairs), *(f"  note: {n}" for n in result.notes)]),
    )


@crt_app.command("coverage")
def crt_coverage(
    ctx: typer.Context,
    jurisdiction: Annotated[str, typer.Argument(help="BY or CN")],
    metadata: MetadataOption,
    template: Annotated[Path | None, typer.Option("--template", help="The Party's own ETF export")] = None,
    version: VersionOption = None,
    records: RecordsOption = None,
    notation_keys: KeysOption = None,
    as_json: JsonOption = False,
) -> None:
    """Report, without writing, where each CRT category and gas would go and which rows stay empty."""
    from carbonbridge.services.inventory import crt

    with cli_errors():
        sessions = _sessions(ctx) if records is None else None
        recs, keys, _ = crt.inventory_inputs(
            sessions, jurisdiction, version=version, records_file=records, keys_file=notation_keys
        )
        result = crt.crt_coverage(recs, keys, metadata_path=metadata, template_path=template)
    lines = [f"{len(result['placed'])} CRT category/gas pairs have a variable; {len(result['unplaced'])} do not:"]
    lines += [f"  {u['category']} {u['gas']}: {u['reason']}" for u in result["unplaced"]]
    lines += [f"not converted: {m}" for m in result["not_converted"]]
    lines += [f"{len(result['variables_without_number_or_key'])} emission variables get neither a number nor a key:"]
    lines += [f"  {name}" for name in result["variables_without_number_or_key"]]
    _emit(result, as_json, "\n".join(lines))


@crt_app.command("validate")
def crt_validate(
    file: Annotated[Path, typer.Argument(help="CRT JSON to check")],
    metadata: MetadataOption,
    as_json: JsonOption = False,
) -> None:
    """Check every import rule; exit 2 with one located problem per line if any is broken."""
    from carbonbridge.services.inventory.crt import validate_crt

    with cli_errors():
        result = validate_crt(file, metadata)
    _emit(result, as_json, f"{file}: valid ({result['entries']} entries, {len(result['years'])} years)")


@crt_app.command("read")
def crt_read(
    file: Annotated[Path, typer.Argument(help="CRT JSON to read")],
    metadata: MetadataOption,
    records_out: Annotated[Path | None, typer.Option("--records-out", help="Write IPCC 2006 records CSV")] = None,
    keys_out: Annotated[Path | None, typer.Option("--keys-out", help="Write notation keys CSV")] = None,
    gwp: GwpOption = "AR5GWP100",
    as_json: JsonOption = False,
) -> None:
    """Read the emissions and notation keys back, converted to IPCC 2006 categories."""
    from carbonbridge.services.inventory.crt import read_to_files

    with cli_errors():
        result = read_to_files(file, metadata, records_out=records_out, keys_out=keys_out, gwp_set=gwp)
    _emit(result, as_json, f"{file}: {result['records']} records, {result['notation_keys']} notation keys")


@crt_app.command("tables")
def crt_tables(
    ctx: typer.Context,
    jurisdiction: Annotated[str, typer.Argument(help="BY or CN")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the XLSX workbooks")],
    year: Annotated[list[int] | None, typer.Option("--year", help="Workbook year (repeat; default latest)")] = None,
    base_year: BaseOption = None,
    version: VersionOption = None,
    records: RecordsOption = None,
    notation_keys: KeysOption = None,
    previous_version: Annotated[int | None, typer.Option(help="Submission to compare with (Table 8)")] = None,
    previous_records: Annotated[Path | None, typer.Option(help="Records CSV to compare with (Table 8)")] = None,
    explanations: Annotated[Path | None, typer.Option(help="Recalculation explanations CSV")] = None,
    kca_threshold: Annotated[float, typer.Option(help="Key category threshold (0.95; flexibility 0.85)")] = 0.95,
    gwp: GwpOption = "AR5GWP100",
    as_json: JsonOption = False,
) -> None:
    """CRT-like workbooks for people, one per year (not an import file)."""
    from carbonbridge.services.inventory.crt import tables_command

    with cli_errors():
        sessions = _sessions(ctx) if records is None or previous_version is not None else None
        result = tables_command(
            sessions,
            jurisdiction,
            output,
            version=version,
            records_file=records,
            keys_file=notation_keys,
            previous_version=previous_version,
            previous_records=previous_records,
            explanations=explanations,
            years=year,
            base_year=base_year,
            gwp_set=gwp,
            kca_threshold=kca_threshold,
        )
    _emit(result, as_json, "\n".join(result["files"]))
