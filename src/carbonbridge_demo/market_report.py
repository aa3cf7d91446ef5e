"""The market section of the demo's compliance report: auction results, daily OHLC with the VWAP
close and volumes, cash positions, surveillance alerts and the market check."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import polars as pl

from carbonbridge.adapters.reports.sections import markdown_section_html
from carbonbridge.domain.market.money import format_minor


def _auction_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    return list(summary.get("auctions", {}).get("auctions", []))


def section(market: dict[str, Any], auctions: dict[str, Any], folder: Path) -> tuple[str, str]:
    """Markdown and HTML of the market section, from the exports in `folder`."""
    md = [
        "",
        "## Market",
        "",
        "### BY primary auctions (BYN)",
        "",
        "| auction | date | state | code | volume (t) | sold (t) | clearing price | bidders | winners | cover | "
        "carried over |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for a in auctions.get("auctions", []):
        price = format_minor(a["clearing_price"]) if a["clearing_price"] is not None else "-"
        md.append(
            f"| {a['id']} | {a['auction_date']} | {a['state']} | {a['code']} | {a['volume']:,} | "
            f"{a['volume_sold'] or 0:,} | "
            f"{price} | {a['bidders']} | {a['winners']} | {a['cover_ratio']} | {a['carried_over']} |"
        )
    daily = sorted(folder.glob("daily_*.csv"))
    bars = (
        pl.concat(
            [pl.read_csv(p).with_columns(pl.lit(p.stem.removeprefix("daily_")).alias("instrument")) for p in daily]
        )
        if daily
        else None
    )
    md += [
        "",
        "### CN exchange: daily OHLC, VWAP close and volume (CNY per t)",
        "",
        "| instrument | day | open | high | low | close (VWAP) | volume (t) | trades |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    if bars is not None:
        for r in bars.iter_rows(named=True):
            md.append(
                f"| {r['instrument']} | {r['day']} | {format_minor(r['open'])} | {format_minor(r['high'])} | "
                f"{format_minor(r['low'])} | {format_minor(r['close'])} | {r['volume']:,} | {r['trades']} |"
            )
    md += ["", "### Cash positions (major units)", "", "| account | kind | balance | held |", "|---|---|---:|---:|"]
    for p in market["positions"]:
        if p["kind"] != "participant":
            md.append(f"| {p['id']} | {p['kind']} | {format_minor(p['balance'])} | {format_minor(p['held'])} |")
    participants = [p for p in market["positions"] if p["kind"] == "participant"]
    by_currency: dict[str, int] = {}
    for p in participants:
        by_currency[p["currency"]] = by_currency.get(p["currency"], 0) + p["balance"]
    md += [
        f"| {len([p for p in participants if p['currency'] == c])} participants | participant | {format_minor(v)} | "
        f"{format_minor(sum(p['held'] for p in participants if p['currency'] == c))} |"
        for c, v in sorted(by_currency.items())
    ]
    kinds = Counter(a[1] for a in market["alerts"])
    md += [
        "",
        f"Surveillance (surveillance.csv): {', '.join(f'{k} {v}' for k, v in sorted(kinds.items())) or 'no alerts'}. "
        f"Market check (cash conservation per currency, holds, clearing account, registry): "
        f"{'holds' if market['check_ok'] else 'FAILS'}. Exports: market/ (trades, daily_*, auction_results, "
        f"depth_snapshots).",
    ]
    markdown = "\n".join(md) + "\n"
    return markdown, markdown_section_html(markdown)
