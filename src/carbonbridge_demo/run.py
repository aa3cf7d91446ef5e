"""`carbonbridge demo`: a whole compliance year on SQLite for a synthetic BY and CN system:
monitoring plans, registry accounts and ex-ante allocation, a year of activity data, verified
reports, the CN true-up, trading, offsets, surrenders, the compliance assessment, the next
year's deductions, the BY national inventory, and reports with charts."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from carbonbridge.adapters.allocation_config import benchmark_config
from carbonbridge.adapters.db.mrv import SqlReports
from carbonbridge.adapters.monitoring_plan_file import parse_plan
from carbonbridge.adapters.reports.sections import append_to_report
from carbonbridge.domain.mrv.verification import Opinion, materiality_pct
from carbonbridge.services.allocation import EX_ANTE, TRUE_UP, post_allocation
from carbonbridge.services.mrv import (
    ReportView,
    import_activity,
    import_cems,
    register_plan,
    submit_report,
    verify_report,
)
from carbonbridge_demo import market, market_demo
from carbonbridge_demo.cems_demo import run_cems_demo
from carbonbridge_demo.compliance_report import write_compliance_report
from carbonbridge_demo.inventory import run_inventory_demo
from carbonbridge_demo.link_demo import publish_link_demo, run_link_demo
from carbonbridge_demo.market_report import section
from carbonbridge_demo.report import write_mrv_report
from carbonbridge_demo.synthetic import SyntheticInstallation, belarus, china
from carbonbridge_demo.web_users import create_for_demo as create_web_users

if TYPE_CHECKING:
    from carbonbridge.entrypoints.bootstrap import App
    from carbonbridge.entrypoints.cli.plugins import Host

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
            SqlReports(app.sessions),
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
        SqlReports(app.sessions),
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
    import_activity(app.sessions, path, config=app.config, year=year, now=now, actor=ACTOR)


def run_demo(
    output: Path, host: Host, *, seed: int = 2026, year: int = 2025, console: Console | None = None
) -> dict[str, Any]:
    """The whole demo into `output` (emptied first); `host` hands in the application and the clock."""
    console = console or Console()
    if output.exists():
        shutil.rmtree(output)
    (output / "input").mkdir(parents=True)
    plans_at = dt.datetime(year, 1, 2, 9, 0, tzinfo=dt.UTC)  # a fixed clock: same seed, same output
    now = dt.datetime(year + 1, 3, 31, 12, 0, tzinfo=dt.UTC)
    rng = np.random.default_rng(seed)
    systems = {"BY": belarus(rng, year), "CN": china(rng, year)}
    market_rng = np.random.default_rng([seed, 2])  # its own stream: the MRV data do not depend on it
    hal = market.benchmark_activity(systems["BY"], market_rng)
    outputs, outputs_before = market.unit_outputs(systems["CN"], market_rng)
    app = host.build_app(f"sqlite:///{output / 'carbonbridge.db'}", upgrade=True)
    # the link part (two registries, two serve processes, HTTP) mostly waits on its processes: it runs
    # on its own databases in a thread alongside the rest and publishes once the report exists; it
    # starts after this migration (Alembic's context is process-global: one migration at a time)
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="link-demo")
    link = pool.submit(run_link_demo, output, host, year=year, publish=False)
    views: list[ReportView] = []
    with Progress(
        TextColumn("{task.description:<44}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as progress:
        markets, allocation = {}, {}
        for code, installations in systems.items():
            task = progress.add_task(f"{code}: monitoring plans, registry accounts", total=len(installations))
            for inst in installations:
                register_plan(app.sessions, parse_plan(inst.plan), config=app.config, now=plans_at, actor=ACTOR)
                progress.advance(task)
            markets[code] = market.open_market(app, code, year, [i.plan["installation_id"] for i in installations])
        with _step(progress, "BY: benchmark allocation ex ante, auction volume"):
            allocation["BY"] = market.allocate_ex_ante(markets["BY"], hal, output / "input", f"BY_hal_{year}.csv")
            cap = benchmark_config(app.jurisdiction("BY"), year)[0].cap(year)
            by_market = markets["BY"]
            volume = cap - sum(allocation["BY"].values())
            at = dt.datetime(year, 2, 27, 10, tzinfo=dt.UTC)
            by_market.issue(by_market.allowance, volume, f"demo:BY:{year}:auction-volume", at)
        with _step(progress, f"CN: pre-allocation (70 % of {year - 1} output)"):
            allocation["CN"] = market.allocate_ex_ante(
                markets["CN"], outputs_before, output / "input", f"CN_outputs_{year - 1}.csv"
            )
        with _step(progress, f"CN: exchange trading in CNY over {year}, daily batch settlement"):
            exchange = market_demo.trade_on_exchange(markets["CN"], output / "input", seed)
        for code, installations in systems.items():
            views += _mrv_year(app, progress, output, code, installations, year, now, rng)
        verified = {v.installation_id: int(v.verified_emissions_t or 0) for v in views}
        with _step(progress, f"CN: true-up against verified {year} output"):
            path = output / "input" / f"CN_outputs_{year}.csv"
            outputs.write_csv(path)
            changes = markets["CN"].allocate(path, TRUE_UP, dt.datetime(year + 1, 4, 15, 9, tzinfo=dt.UTC))
            allocation["CN"] = {i: allocation["CN"].get(i, 0) + c for i, c in changes.items()}
        basis = dict(zip(outputs["unit_id"].to_list(), outputs["unit_type"].to_list(), strict=True))
        years = {}
        for code in systems:
            task = progress.add_task(f"{code}: compliance year", total=None)

            def describe(text: str, task: TaskID = task) -> None:
                progress.update(task, description=text)

            def auction(need: dict[str, int], code: str = code) -> dict[str, Any]:
                return market_demo.sell_auction_volume(markets[code], need, output / "input", seed)

            years[code] = market.run_compliance_year(
                markets[code],
                {i: verified[i] for i in markets[code].installations},
                allocation[code],
                basis,
                describe,
                before_trade=auction if code == "BY" else None,
            )
            progress.update(task, description=f"{code}: compliance year assessed", total=1, completed=1)
        with _step(progress, f"CN: {year + 1} pre-allocation, shortfalls deducted"):
            next_run = post_allocation(
                app.sessions,
                app.jurisdiction("CN"),
                year + 1,
                output / "input" / f"CN_outputs_{year}.csv",
                EX_ANTE,
                now=dt.datetime(year + 2, 2, 1, 9, tzinfo=dt.UTC),
                initiator=market.reps(markets["CN"].national)[0],
            )
    kinds = {inst.plan["installation_id"]: inst.kind for insts in systems.values() for inst in insts}
    summary = write_mrv_report(output / "mrv", views, kinds, year)
    summary["compliance"] = write_compliance_report(
        output / "compliance", years, allocation, verified, kinds, year, market.conservation(app), next_run
    )
    summary["market"] = market_demo.market_report(app, output / "market")
    summary["market"]["exchange"] = exchange
    markdown, fragment = section(summary["market"], years["BY"]["auctions"], output / "market")
    append_to_report(output / "compliance", markdown, fragment)
    summary["link"] = link.result()  # two registries, two processes, the link over HTTP
    pool.shutdown()
    publish_link_demo(output, summary["link"])
    summary["cems"] = run_cems_demo(output, year=year, seed=seed)  # HJ 212 plants -> receiver -> quality report
    with console.status("BY: compiling the national inventory 1990-latest (KCA, uncertainty, exports)"):
        summary["inventory"] = run_inventory_demo(output, seed=seed, sessions=app.sessions, latest_year=year)
        summary["reconciliation"] = _reconcile(app, output)
    create_web_users(app.sessions, systems, output, now, console)
    app.engine.dispose()
    _print_summary(console, summary, output)
    return summary


@contextmanager
def _step(progress: Progress, text: str) -> Iterator[None]:
    task = progress.add_task(text, total=1)
    yield
    progress.update(task, completed=1)


def _mrv_year(
    app: App,
    progress: Progress,
    output: Path,
    code: str,
    installations: list[SyntheticInstallation],
    year: int,
    now: dt.datetime,
    rng: np.random.Generator,
) -> list[ReportView]:
    """Import a year of activity data and CEMS hours, report, verify (and correct a few)."""
    activity_file = _write_inputs(output / "input", code, installations, year)
    task = progress.add_task(f"{code}: import activity data", total=None)

    def advance(done: int, total: int, task: TaskID = task) -> None:
        progress.update(task, completed=done, total=total)

    import_activity(app.sessions, activity_file, config=app.config, year=year, now=now, actor=ACTOR, progress=advance)
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
    views = []
    task = progress.add_task(f"{code}: report and verify", total=len(installations))
    for index, inst in enumerate(installations):
        installation_id = inst.plan["installation_id"]
        view = submit_report(SqlReports(app.sessions), installation_id, year, config=app.config, now=now, actor=ACTOR)
        view = _verify(app, rng, view, now, index)
        if not view.verified:  # the operator corrects its data and the verifier confirms
            _import_correction(app, output / "input", inst, year, now)
            view = submit_report(
                SqlReports(app.sessions),
                view.installation_id,
                year,
                config=app.config,
                now=now,
                actor=ACTOR,
                reason="corrected fuel metering after verification",
            )
            view = verify_report(
                SqlReports(app.sessions),
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
    return views


def _reconcile(app: App, output: Path) -> list[dict[str, Any]]:
    """Verified installation emissions against the inventory's categories (DESIGN section 2)."""
    from dataclasses import asdict

    from carbonbridge.services.inventory import reconcile_with_mrv

    rows = [asdict(r) for r in reconcile_with_mrv(app.sessions, "BY", None, gwp_set="AR5GWP100")]
    pl.DataFrame(rows).with_columns(pl.col("flags").list.join(" ")).write_csv(
        output / "inventory" / "reconciliation.csv"
    )
    return rows


def _print_compliance(console: Console, compliance: dict[str, Any], year: int) -> None:
    table = Table(
        "",
        "alloc. Mt",
        "verified Mt",
        "ok",
        "late",
        "under",
        "missing",
        "offsets kt",
        "penalties",
        title=f"Compliance year {year} (statuses of installation-years)",
    )
    for s in compliance["summaries"]:
        st = s["statuses"]
        table.add_row(
            s["jurisdiction"],
            f"{s['allocation_t'] / 1e6:,.1f}",
            f"{s['verified_t'] / 1e6:,.1f}",
            str(st["compliant"]),
            str(st["late"]),
            str(st["under_surrendered"]),
            str(st["missing_emissions"]),
            f"{s['offsets_counted_t'] / 1e3:,.0f}",
            f"{Decimal(s['penalties']) / 1_000_000:,.1f} M {s['currency']}",
        )
    console.print(table)
    rejected = ", ".join(f"{s['jurisdiction']} {s['offsets_rejected_t']:,} t" for s in compliance["summaries"])
    console.print(
        f"Offsets rejected (over the limit): {rejected}. Registry conservation "
        f"{'holds' if compliance['ledger_ok'] else 'FAILS'}, transaction log "
        f"{'verifies' if compliance['log_ok'] else 'FAILS'}; CN {year + 1} pre-allocation withheld "
        f"{compliance['withheld_t']:,} t for {year} shortfalls."
    )


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
    _print_compliance(console, summary["compliance"], summary["year"])
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
        f"Reports, inputs and the SQLite database are in {output}/ (open {output}/compliance/report.html, "
        f"{output}/mrv/report.html and {output}/inventory/)"
    )
