"""`carbonbridge demo`: the whole MRV chain on SQLite for a synthetic BY and CN system."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from carbonbridge.demo.inventory import run_inventory_demo
from carbonbridge.demo.report import write_mrv_report
from carbonbridge.demo.synthetic import SyntheticInstallation, belarus, china
from carbonbridge.domain.mrv.monitoring import parse_plan
from carbonbridge.domain.mrv.verification import Opinion, materiality_pct
from carbonbridge.entrypoints.bootstrap import App, build_app
from carbonbridge.services.mrv import import_activity, import_cems, register_plan
from carbonbridge.services.reports import ReportView, submit_report, verify_report

ACTOR = "demo"


def _write_inputs(folder: Path, code: str, installations: list[SyntheticInstallation], year: int) -> Path:
    (folder / "plans").mkdir(parents=True, exist_ok=True)
    for inst in installations:
        (folder / "plans" / f"{inst.plan['installation_id']}.json").write_text(json.dumps(inst.plan, indent=2))
        for source, series in inst.cems.items():
            pl.DataFrame(
                {
                    "hour": np.arange(series["concentration"].size),
                    "concentration": series["concentration"],
                    "flow": series["flow"],
                }
            ).fill_nan(None).write_csv(folder / f"{inst.plan['installation_id']}_{source}.csv")  # blank = missing
    path = folder / f"{code}_activity_{year}.csv"
    pl.DataFrame([r for inst in installations for r in inst.records], infer_schema_length=None).write_csv(path)
    return path


def _verify(app: App, rng: np.random.Generator, view: ReportView, now: dt.datetime, index: int) -> ReportView:
    """Most reports pass with a small misstatement; a few are found materially misstated,
    corrected by the operator (a new version with a reason) and then verified."""
    threshold = materiality_pct(view.co2e_t) / 100.0
    verifier = f"Synthetic Verification Body {1 + index % 3}"
    if index % 23 == 5:
        verify_report(
            app.sessions,
            view.installation_id,
            view.year,
            verifier=verifier,
            opinion=Opinion.NOT_SATISFACTORY,
            misstatement_t=view.co2e_t * threshold * 1.6,
            now=now,
            comments="material misstatement in fuel metering",
            actor=ACTOR,
        )
        return view
    misstatement = float(view.co2e_t * threshold * rng.uniform(0.0, 0.6))
    return verify_report(
        app.sessions,
        view.installation_id,
        view.year,
        verifier=verifier,
        opinion=Opinion.SATISFACTORY,
        misstatement_t=round(misstatement, 3),
        now=now,
        actor=ACTOR,
    )


def _import_correction(app: App, folder: Path, inst: SyntheticInstallation, year: int, now: dt.datetime) -> None:
    """The corrected fuel metering: 4 % less of every fuel, as a new dataset version."""
    corrected = [{**r, "quantity": round(r["quantity"] * 0.96, 4)} for r in inst.records]
    path = folder / f"{inst.plan['installation_id']}_corrected_{year}.csv"
    pl.DataFrame(corrected, infer_schema_length=None).write_csv(path)
    import_activity(app.sessions, path, year=year, now=now, actor=ACTOR)


def run_demo(output: Path, *, seed: int = 2026, year: int = 2025, console: Console | None = None) -> dict[str, Any]:
    console = console or Console()
    if output.exists():
        shutil.rmtree(output)
    (output / "input").mkdir(parents=True)
    now = dt.datetime(year + 1, 3, 31, 12, 0, tzinfo=dt.UTC)  # a fixed clock: same seed, same output
    rng = np.random.default_rng(seed)
    systems = {"BY": belarus(rng, year), "CN": china(rng, year)}
    app = build_app(f"sqlite:///{output / 'carbonbridge.db'}", upgrade=True)
    views: list[ReportView] = []
    with Progress(
        TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as progress:
        for code, installations in systems.items():
            activity_file = _write_inputs(output / "input", code, installations, year)
            task = progress.add_task(f"{code}: monitoring plans", total=len(installations))
            for inst in installations:
                register_plan(app.sessions, parse_plan(inst.plan), now=now, actor=ACTOR)
                progress.advance(task)
            task = progress.add_task(f"{code}: import activity data", total=None)

            def advance(done: int, total: int, task: TaskID = task) -> None:
                progress.update(task, completed=done, total=total)

            import_activity(
                app.sessions,
                activity_file,
                year=year,
                now=now,
                actor=ACTOR,
                progress=advance,
            )
            for inst in installations:
                for source in inst.cems:
                    import_cems(
                        app.sessions,
                        output / "input" / f"{inst.plan['installation_id']}_{source}.csv",
                        installation_id=inst.plan["installation_id"],
                        year=year,
                        emission_source=source,
                        now=now,
                        actor=ACTOR,
                    )
            task = progress.add_task(f"{code}: report and verify", total=len(installations))
            for index, inst in enumerate(installations):
                view = submit_report(app.sessions, inst.plan["installation_id"], year, now=now, actor=ACTOR)
                view = _verify(app, rng, view, now, index)
                if not view.verified:  # the operator corrects its data and the verifier confirms
                    _import_correction(app, output / "input", inst, year, now)
                    view = submit_report(
                        app.sessions,
                        view.installation_id,
                        year,
                        now=now,
                        actor=ACTOR,
                        reason="corrected fuel metering after verification",
                    )
                    view = verify_report(
                        app.sessions,
                        view.installation_id,
                        year,
                        verifier="Synthetic Verification Body 1",
                        opinion=Opinion.SATISFACTORY,
                        misstatement_t=0.0,
                        now=now,
                        actor=ACTOR,
                    )
                views.append(view)
                progress.advance(task)
    kinds = {inst.plan["installation_id"]: inst.kind for insts in systems.values() for inst in insts}
    summary = write_mrv_report(output / "mrv", views, kinds, year)
    with console.status("BY: compiling the national inventory 1990-latest (KCA, uncertainty, exports)"):
        summary["inventory"] = run_inventory_demo(output, seed=seed, sessions=app.sessions, latest_year=year)
        summary["reconciliation"] = _reconcile(app, output)
    app.engine.dispose()
    _print_summary(console, summary, output)
    return summary


def _reconcile(app: App, output: Path) -> list[dict[str, Any]]:
    """Verified installation emissions against the inventory's categories (DESIGN section 2)."""
    from dataclasses import asdict

    from carbonbridge.services.inventory import reconcile_with_mrv

    rows = [asdict(r) for r in reconcile_with_mrv(app.sessions, "BY", None, gwp_set="AR5GWP100")]
    pl.DataFrame(rows).with_columns(pl.col("flags").list.join(" ")).write_csv(
        output / "inventory" / "reconciliation.csv"
    )
    return rows


def _print_summary(console: Console, summary: dict[str, Any], output: Path) -> None:
    table = Table(
        "",
        "kind",
        "installations",
        "CO2e t (AR5)",
        "verified t",
        "corrected",
        title="CarbonBridge demo: synthetic, clearly fictitious data",
    )
    for row in summary["by_kind"]:
        table.add_row(
            row["jurisdiction"],
            row["kind"],
            str(row["installations"]),
            f"{row['co2e_t']:,.0f}",
            f"{row['verified_t']:,}",
            str(row["corrected"]),
        )
    console.print(table)
    inventory = summary["inventory"]
    low, high = inventory["uncertainty_approach2_pct"]
    console.print(
        f"BY inventory {inventory['latest_year']}: {inventory['total_without_lulucf_t_co2e'] / 1e6:,.1f} Mt CO2e "
        f"without LULUCF, {inventory['total_with_lulucf_t_co2e'] / 1e6:,.1f} Mt with ({inventory['gwp_set']}); "
        f"{inventory['key_categories']} key categories; uncertainty +/-{inventory['uncertainty_approach1_pct']:.1f} % "
        f"(Approach 1), {low:+.1f} % / {high:+.1f} % (Approach 2)"
    )
    shares = ", ".join(
        f"{r['category']} {100 * r['share']:.0f} %" + (f" ({' '.join(r['flags'])})" if r["flags"] else "")
        for r in summary["reconciliation"]
        if r["year"] == inventory["latest_year"]
    )
    console.print(f"Installations' share of the inventory (inventory/reconciliation.csv): {shares}")
    console.print(
        f"Reports, inputs and the SQLite database are in {output}/ (open {output}/mrv/report.html "
        f"and {output}/inventory/)"
    )
