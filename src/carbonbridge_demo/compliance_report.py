"""The demo's compliance report: every installation-year's assessment as CSV, a summary per
jurisdiction, Markdown (with a PNG) and HTML with Plotly charts: free allocation against verified
emissions per sector, compliance statuses, and the surplus/deficit distribution."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

from carbonbridge.adapters.reports.compliance_html import render_compliance_report
from carbonbridge.services.allocation import AllocationRun

STATUS_ORDER = ("compliant", "late", "under_surrendered", "missing_emissions")
STATUS_COLOURS = {
    "compliant": "#2a9d8f",
    "late": "#e9c46a",
    "under_surrendered": "#e76f51",
    "missing_emissions": "#6d597a",
}
COLOURS = {"BY": "#2a9d8f", "CN": "#e76f51"}


def _table(
    years: dict[str, dict[str, Any]], allocation: dict[str, dict[str, int]], kinds: dict[str, str]
) -> pl.DataFrame:
    rows = []
    for code, result in years.items():
        for v in result["assessments"]:
            rows.append(
                {
                    "installation_id": v.installation_id,
                    "jurisdiction": code,
                    "kind": kinds[v.installation_id],
                    "allocation_t": allocation[code].get(v.installation_id, 0),
                    "verified_emissions_t": v.verified_emissions_t,
                    "obligation_t": v.obligation_t,
                    "required_t": v.required_t,
                    "counted_allowances_t": v.counted_allowances_t,
                    "counted_offsets_t": v.counted_offsets_t,
                    "rejected_offsets_t": v.rejected_offsets_t,
                    "shortfall_at_deadline_t": v.shortfall_at_deadline_t,
                    "shortfall_t": v.shortfall_t,
                    "status": v.status,
                    "penalty": str(v.penalty),
                    "currency": v.currency,
                    "make_good_next_year_t": v.carried_forward_t,
                    "deducted_next_allocation_t": v.deducted_next_t,
                    "banked_t": v.banked_t,
                    "account_blocked": v.account_blocked,
                }
            )
    return pl.DataFrame(rows).sort("installation_id")


def _summary(code: str, part: pl.DataFrame, result: dict[str, Any]) -> dict[str, Any]:
    statuses = Counter(part["status"].to_list())
    penalties = sum((Decimal(p) for p in part["penalty"].to_list()), Decimal(0))
    return {
        "jurisdiction": code,
        "installations": part.height,
        "allocation_t": int(part["allocation_t"].sum()),
        "verified_t": int(part["verified_emissions_t"].sum()),
        "surrendered_allowances_t": int(part["counted_allowances_t"].sum()),
        "offsets_counted_t": int(part["counted_offsets_t"].sum()),
        "offsets_rejected_t": int(part["rejected_offsets_t"].sum()),
        "statuses": {s: statuses.get(s, 0) for s in STATUS_ORDER},
        "penalties": str(penalties),
        "currency": result["currency"],
        "make_good_t": int(part["make_good_next_year_t"].sum()),
        "deducted_next_t": int(part["deducted_next_allocation_t"].sum()),
        "banked_t": int(part["banked_t"].sum()),
        "accounts_blocked_at_deadline": len(result["blocked"]),
        "transfers": result["transfers"],
    }


def _charts(table: pl.DataFrame) -> str:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    by_sector = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("BY: free allocation vs verified emissions (Mt)", "CN: allocation vs verified emissions (Mt)"),
    )
    for column, code in enumerate(("BY", "CN"), start=1):
        sectors = (
            table.filter(pl.col("jurisdiction") == code)
            .group_by("kind")
            .agg(
                (pl.col("allocation_t").sum() / 1e6).alias("allocation"),
                (pl.col("verified_emissions_t").sum() / 1e6).alias("verified"),
            )
            .sort("verified", descending=True)
        )
        for name, colour in (("allocation", "#8ab17d"), ("verified", "#264653")):
            by_sector.add_trace(
                go.Bar(
                    name=f"{name}",
                    x=sectors["kind"].to_list(),
                    y=sectors[name].to_list(),
                    marker_color=colour,
                    showlegend=column == 1,
                    legendgroup=name,
                ),
                row=1,
                col=column,
            )
    by_sector.update_layout(barmode="group", height=420, template="plotly_white", title="Allocation by sector")

    status = go.Figure()
    for name in STATUS_ORDER:
        counts = [table.filter((pl.col("jurisdiction") == c) & (pl.col("status") == name)).height for c in ("BY", "CN")]
        status.add_trace(go.Bar(name=name, x=["BY", "CN"], y=counts, marker_color=STATUS_COLOURS[name]))
    status.update_layout(
        barmode="stack", height=420, template="plotly_white", title="Compliance status (installation-years)"
    )

    balance = go.Figure()
    for code in ("BY", "CN"):
        part = table.filter(pl.col("jurisdiction") == code)
        share = ((part["allocation_t"] - part["verified_emissions_t"]) / part["verified_emissions_t"] * 100).to_list()
        balance.add_trace(go.Histogram(x=share, name=code, marker_color=COLOURS[code], opacity=0.7, nbinsx=40))
    balance.update_layout(
        barmode="overlay",
        height=420,
        template="plotly_white",
        title="Surplus (+) / deficit (-) of allocation against verified emissions, % per installation",
        xaxis_title="(allocation - verified) / verified, %",
        yaxis_title="installations",
    )
    figures = [by_sector, status, balance]
    return "".join(
        f.to_html(full_html=False, include_plotlyjs=(i == 0), div_id=f"chart-{i}") for i, f in enumerate(figures)
    )


def _png(table: pl.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    for axis, code in zip(axes[:2], ("BY", "CN"), strict=True):
        part = table.filter(pl.col("jurisdiction") == code)
        sectors = part.group_by("kind").agg(
            pl.col("allocation_t").sum() / 1e6, pl.col("verified_emissions_t").sum() / 1e6
        )
        sectors = sectors.sort("verified_emissions_t", descending=True)
        x = range(sectors.height)
        axis.bar(
            [i - 0.2 for i in x], sectors["allocation_t"].to_list(), width=0.4, label="allocation", color="#8ab17d"
        )
        axis.bar(
            [i + 0.2 for i in x],
            sectors["verified_emissions_t"].to_list(),
            width=0.4,
            label="verified",
            color="#264653",
        )
        axis.set_xticks(list(x), sectors["kind"].to_list(), rotation=30, ha="right")
        axis.set_title(f"{code}: allocation vs verified (Mt)")
        axis.legend()
    bottom = [0, 0]
    for name in STATUS_ORDER:
        counts = [table.filter((pl.col("jurisdiction") == c) & (pl.col("status") == name)).height for c in ("BY", "CN")]
        axes[2].bar(["BY", "CN"], counts, bottom=bottom, label=name, color=STATUS_COLOURS[name])
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    axes[2].set_title("Compliance status")
    axes[2].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _markdown(year: int, summaries: list[dict[str, Any]], table: pl.DataFrame, extra: dict[str, Any]) -> str:
    lines = [
        f"# CarbonBridge demo: compliance year {year}",
        "",
        "Synthetic, clearly fictitious installations. BY: absolute cap, benchmark allocation ex ante, "
        "penalty per tonne and make-good. CN: intensity allocation (70 % pre-allocated, trued up), "
        "CCER offsets up to 5 %, penalty a multiple of the price and deduction from next year's allocation.",
        "",
        "![allocation and compliance](compliance.png)",
        "",
        "| | installations | allocation (t) | verified (t) | allowances surrendered | offsets counted | "
        "offsets rejected | compliant | late | under-surrendered | missing emissions | penalties | "
        "make-good next year (t) | deducted next year (t) | banked (t) | transfers |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in summaries:
        st = s["statuses"]
        lines.append(
            f"| {s['jurisdiction']} | {s['installations']} | {s['allocation_t']:,} | {s['verified_t']:,} | "
            f"{s['surrendered_allowances_t']:,} | {s['offsets_counted_t']:,} | {s['offsets_rejected_t']:,} | "
            f"{st['compliant']} | {st['late']} | {st['under_surrendered']} | {st['missing_emissions']} | "
            f"{Decimal(s['penalties']):,} {s['currency']} | {s['make_good_t']:,} | {s['deducted_next_t']:,} | "
            f"{s['banked_t']:,} | {s['transfers']} |"
        )
    failing = table.filter(pl.col("status") != "compliant")
    lines += [
        "",
        "## Installations that did not comply",
        "",
        "| installation | kind | status | required (t) | shortfall at deadline (t) | shortfall (t) | penalty |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r['installation_id']} | {r['kind']} | {r['status']} | {r['required_t']:,} | "
        f"{r['shortfall_at_deadline_t']:,} | {r['shortfall_t']:,} | {Decimal(r['penalty']):,} {r['currency']} |"
        for r in failing.iter_rows(named=True)
    ]
    lines += [
        "",
        f"Registry: conservation {'holds' if extra['ledger_ok'] else 'FAILS'}; "
        f"transaction log {'verifies' if extra['log_ok'] else 'FAILS'}. "
        f"CN {year + 1} pre-allocation withheld {extra['withheld_t']:,} t for {year} shortfalls "
        f"({extra['still_owed_t']:,} t still owed).",
    ]
    return "\n".join(lines) + "\n"


def write_compliance_report(
    folder: Path,
    years: dict[str, dict[str, Any]],
    allocation: dict[str, dict[str, int]],
    verified: dict[str, int],
    kinds: dict[str, str],
    year: int,
    conservation: dict[str, Any],
    next_run: AllocationRun,
) -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=True)
    table = _table(years, allocation, kinds)
    table.write_csv(folder / "assessments.csv")
    summaries = [_summary(code, table.filter(pl.col("jurisdiction") == code), years[code]) for code in years]
    withheld = sum(p.deducted_t for p in next_run.postings)
    owed = sum(int(v) for v in table["deducted_next_allocation_t"].to_list())
    extra = {**conservation, "withheld_t": withheld, "still_owed_t": owed - withheld}
    markdown = _markdown(year, summaries, table, extra)
    (folder / "report.md").write_text(markdown, encoding="utf-8")
    _png(table, folder / "compliance.png")
    page = render_compliance_report(
        summaries,
        ledger_ok=extra["ledger_ok"],
        log_ok=extra["log_ok"],
        charts_html=_charts(table),
        title=f"CarbonBridge compliance {year}",
        heading=f"Compliance year {year} (synthetic data)",
    )
    (folder / "report.html").write_text(page, encoding="utf-8")
    return {"summaries": summaries, **extra, "problems": conservation["problems"]}
