"""Charts of an inventory as PNG (matplotlib, Agg) and self-contained HTML (plotly with its
JavaScript inlined, so the file opens offline): emissions by sector over time, the key
category Pareto chart, and uncertainty intervals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from carbonbridge.domain.inventory.kca import Assessment
from carbonbridge.domain.inventory.records import SECTORS, EmissionRecord, aggregate


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def sector_series(records: Sequence[EmissionRecord], gwp_set: str) -> dict[str, list[tuple[int, float]]]:
    """Mt CO2e by sector per year, with LULUCF (3.B, 3.D.1) drawn apart from the rest of sector 3."""
    values = aggregate(records, gwp_set)
    years = sorted({r.year for r in records})

    def get(code: str, year: int) -> float:
        return values.get((code, "CO2e", year), 0.0)

    out: dict[str, list[tuple[int, float]]] = {}
    for code, name in SECTORS.items():
        if not any((code, "CO2e", y) in values for y in years):
            continue
        if code == "3":
            out["3 Agriculture (AFOLU without LULUCF)"] = [
                (y, (get("3", y) - get("3.B", y) - get("3.D.1", y)) / 1e6) for y in years
            ]
            if any((c, "CO2e", y) in values for c in ("3.B", "3.D.1") for y in years):
                out["LULUCF (3.B, 3.D.1)"] = [(y, (get("3.B", y) + get("3.D.1", y)) / 1e6) for y in years]
        else:
            out[f"{code} {name}"] = [(y, get(code, y) / 1e6) for y in years]
    return out


def emissions_by_sector(records: Sequence[EmissionRecord], gwp_set: str, stem: Path) -> list[Path]:
    series = sector_series(records, gwp_set)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 5))
    for name, points in series.items():
        ax.plot([y for y, _ in points], [v for _, v in points], label=name)
    ax.axhline(0, color="grey", linewidth=0.5)
    ax.set_ylabel(f"Mt CO2e ({gwp_set})")
    ax.set_title("Emissions and removals by sector")
    ax.legend(fontsize=8)
    png = stem.with_suffix(".png")
    fig.savefig(png, dpi=110, bbox_inches="tight")
    plt.close(fig)
    import plotly.graph_objects as go

    figure = go.Figure([go.Scatter(x=[y for y, _ in p], y=[v for _, v in p], name=n) for n, p in series.items()])
    figure.update_layout(title="Emissions and removals by sector", yaxis_title=f"Mt CO2e ({gwp_set})")
    return [png, _html(figure, stem)]


def kca_pareto(rows: Sequence[Assessment], stem: Path, *, limit: int = 25) -> list[Path]:
    shown = list(rows[:limit])
    labels = [f"{r.category} {r.gas}" for r in shown]
    shares = [r.share * 100 for r in shown]
    cumulative = [r.cumulative * 100 for r in shown]
    colours = ["#c0392b" if r.key else "#95a5a6" for r in shown]
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(11, 5))
    ax.bar(labels, shares, color=colours)
    ax.set_ylabel("share (%)")
    ax.tick_params(axis="x", rotation=70, labelsize=7)
    twin = ax.twinx()
    twin.plot(labels, cumulative, color="black", marker=".")
    twin.set_ylim(0, 105)
    twin.set_ylabel("cumulative (%)")
    ax.set_title(f"Key categories ({shown[0].assessment if shown else 'level'}; red = key)")
    png = stem.with_suffix(".png")
    fig.savefig(png, dpi=110, bbox_inches="tight")
    plt.close(fig)
    import plotly.graph_objects as go

    figure = go.Figure(
        [
            go.Bar(x=labels, y=shares, marker_color=colours, name="share (%)"),
            go.Scatter(x=labels, y=cumulative, name="cumulative (%)", yaxis="y2"),
        ]
    )
    figure.update_layout(title="Key category analysis", yaxis2={"overlaying": "y", "side": "right", "range": [0, 105]})
    return [png, _html(figure, stem)]


def uncertainty_intervals(intervals: Mapping[str, tuple[float, float, float]], stem: Path) -> list[Path]:
    """`intervals`: label -> (mean, 2.5th percentile, 97.5th percentile), in t CO2e."""
    labels = list(intervals)
    mean = [intervals[k][0] / 1e6 for k in labels]
    low = [(intervals[k][0] - intervals[k][1]) / 1e6 for k in labels]
    high = [(intervals[k][2] - intervals[k][0]) / 1e6 for k in labels]
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.errorbar(labels, mean, yerr=[low, high], fmt="o", capsize=4)
    ax.set_ylabel("Mt CO2e (mean and 95 % interval)")
    ax.set_title("Uncertainty (Approach 2, Monte Carlo)")
    ax.tick_params(axis="x", rotation=30, labelsize=8)
    png = stem.with_suffix(".png")
    fig.savefig(png, dpi=110, bbox_inches="tight")
    plt.close(fig)
    import plotly.graph_objects as go

    figure = go.Figure(
        go.Scatter(
            x=labels,
            y=mean,
            mode="markers",
            error_y={"type": "data", "symmetric": False, "array": high, "arrayminus": low},
        )
    )
    figure.update_layout(title="Uncertainty (Approach 2, Monte Carlo)", yaxis_title="Mt CO2e")
    return [png, _html(figure, stem)]


def _html(figure: object, stem: Path) -> Path:
    path = stem.with_suffix(".html")
    figure.write_html(str(path), include_plotlyjs=True, full_html=True)  # type: ignore[attr-defined]
    return path
