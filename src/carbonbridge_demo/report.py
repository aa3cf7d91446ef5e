"""The demo's MRV report: a CSV of every report, Markdown, HTML with Plotly charts, a PNG."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import polars as pl

from carbonbridge.adapters.reports.mrv_html import render_mrv_report
from carbonbridge.services.mrv import ReportView


def _table(views: list[ReportView], kinds: dict[str, str]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "installation_id": v.installation_id,
                "jurisdiction": v.installation_id[:2],
                "kind": kinds[v.installation_id],
                "year": v.year,
                "version": v.version,
                "category": v.category,
                "co2_t": round(v.co2_t, 3),
                "ch4_t": round(v.ch4_t, 6),
                "n2o_t": round(v.n2o_t, 6),
                "co2e_t": round(v.co2e_t, 3),
                "gwp_set": v.gwp_set,
                "verified": v.verified,
                "verified_emissions_t": v.verified_emissions_t,
            }
            for v in views
        ]
    ).sort("installation_id")


def _by_kind(table: pl.DataFrame) -> list[dict[str, Any]]:
    grouped = (
        table.group_by("jurisdiction", "kind")
        .agg(
            pl.len().alias("installations"),
            pl.col("co2e_t").sum(),
            pl.col("verified_emissions_t").sum().alias("verified_t"),
            (pl.col("version") > 1).sum().alias("corrected"),
        )
        .sort("jurisdiction", "co2e_t", descending=[False, True])
    )
    return [{**row, "co2e_t": round(row["co2e_t"], 3)} for row in grouped.iter_rows(named=True)]


def _charts(table: pl.DataFrame, folder: Path) -> str:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    figure = make_subplots(
        rows=1,
        cols=3,
        column_widths=[0.3, 0.3, 0.4],
        subplot_titles=(
            "BY: verified emissions by kind (Mt CO2e)",
            "CN: verified emissions by kind (Mt CO2e)",
            "Installations by size (t CO2e, log scale)",
        ),
    )
    for column, (code, colour) in enumerate((("BY", "#2a9d8f"), ("CN", "#e76f51")), start=1):
        part = table.filter(pl.col("jurisdiction") == code)
        kinds = (
            part.group_by("kind")
            .agg((pl.col("verified_emissions_t").sum() / 1e6).alias("mt"))
            .sort("mt", descending=True)
        )
        figure.add_trace(
            go.Bar(name=code, x=kinds["kind"].to_list(), y=kinds["mt"].to_list(), marker_color=colour),
            row=1,
            col=column,
        )
        figure.add_trace(
            go.Box(name=code, y=part["co2e_t"].to_list(), marker_color=colour, boxpoints="all", showlegend=False),
            row=1,
            col=3,
        )
    figure.update_yaxes(type="log", row=1, col=3)
    figure.update_layout(height=480, template="plotly_white")
    html: str = figure.to_html(full_html=False, include_plotlyjs=True)
    _png(table, folder / "emissions_by_kind.png")
    return html


def _png(table: pl.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    totals: dict[str, dict[str, float]] = defaultdict(dict)
    for row in table.group_by("jurisdiction", "kind").agg(pl.col("co2e_t").sum()).iter_rows(named=True):
        totals[row["jurisdiction"]][row["kind"]] = row["co2e_t"] / 1e6
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for axis, (code, values) in zip(axes, sorted(totals.items()), strict=True):
        names = sorted(values, key=values.__getitem__, reverse=True)
        axis.barh(names, [values[n] for n in names], color="#2a9d8f" if code == "BY" else "#e76f51")
        axis.set_title(f"{code}: verified emissions by kind (Mt CO2e, AR5)")
        axis.invert_yaxis()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_mrv_report(folder: Path, views: list[ReportView], kinds: dict[str, str], year: int) -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=True)
    table = _table(views, kinds)
    table.write_csv(folder / "emissions_reports.csv")
    by_kind = _by_kind(table)
    lines = [
        f"# CarbonBridge demo: verified emissions {year}",
        "",
        "Synthetic, clearly fictitious installations. AR5 GWP100. Method packs: BY `ipcc2006`, CN `cn-mee-power-2022`.",
        "CO2e is the calculated total; verified emissions are whole tonnes per installation (rounded half up by the",
        "verifier's statement, as the registry takes them), so the two columns differ by the rounding.",
        "",
        "| jurisdiction | kind | installations | CO2e (t) | verified (t) | corrected reports |",
        "|---|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r['jurisdiction']} | {r['kind']} | {r['installations']} | {r['co2e_t']:,.0f} | {r['verified_t']:,} "
        f"| {r['corrected']} |"
        for r in by_kind
    ]
    (folder / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    chart = _charts(table, folder)
    page = render_mrv_report(
        by_kind,
        chart,
        title=f"CarbonBridge demo {year}",
        heading=f"Verified emissions {year} (synthetic data)",
    )
    (folder / "report.html").write_text(page, encoding="utf-8")
    return {
        "year": year,
        "reports": table.height,
        "by_kind": by_kind,
        "co2e_t": {
            code: round(float(table.filter(pl.col("jurisdiction") == code)["co2e_t"].sum()), 3) for code in ("BY", "CN")
        },
    }
