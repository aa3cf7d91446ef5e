"""The CEMS data-quality report: availability heat map (stack x month) and substituted hours, as
one self-contained Plotly HTML page (plotly.js inlined, so it opens offline)."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any


def write_quality_report(path: Path, result: Any) -> Path:
    import plotly.graph_objects as go

    availability = result.availability()
    stacks = sorted({a[0] for a in availability})
    months = list(range(1, 13))
    share = {(s, m): v for s, m, v, _ in availability}
    z = [[share.get((s, m)) for m in months] for s in stacks]
    heat = go.Figure(
        go.Heatmap(
            z=z,
            x=[f"{m:02d}" for m in months],
            y=stacks,
            zmin=0,
            zmax=1,
            colorscale="RdYlGn",
            colorbar={"title": "valid share"},
        )
    )
    heat.update_layout(
        title=f"Availability per stack and month, {result.jurisdiction} {result.year} "
        "(hours with CO2 and flow both valid / operating hours)",
        height=max(300, 18 * len(stacks) + 120),
        xaxis_title="month",
        yaxis_title="stack",
    )
    substituted = [0] * 12
    for _, month, _, hours in availability:
        substituted[month - 1] += hours
    label = "substituted" if result.rules.substitutes else "missing (no substitution rule configured)"
    bars = go.Figure(go.Bar(x=[f"{m:02d}" for m in months], y=substituted))
    bars.update_layout(title=f"Hours {label} per month, all stacks", yaxis_title="stack-hours", height=320)
    rows = "".join(
        f"<tr><td>{html.escape(inst)}</td><td>{html.escape(s.stack_id)}</td>"
        f"<td>{'' if s.emissions_t is None else f'{s.emissions_t:,.1f}'}</td>"
        f"<td>{'' if s.uncertainty_t is None else f'{s.uncertainty_t:,.1f}'}</td><td>{s.hours_valid}</td>"
        f"<td>{s.hours_substituted_co2}</td><td>{s.hours_substituted_flow}</td>"
        f"<td>{s.hours_missing_unsubstituted}</td></tr>"
        for inst, s in result.stacks
    )
    findings = "".join(
        f"<tr><td>{html.escape(str(f[0]))}</td><td>{html.escape(str(f[1]))}</td>"
        + "".join(f"<td>{v}</td>" for v in f[3:])
        + "</tr>"
        for f in result.findings
        if any(f[3:])
    )
    rules = result.rules
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>CEMS data quality</title></head><body>"
        f"<h1>CEMS data quality: {html.escape(result.jurisdiction)} {result.year} ({html.escape(result.engine)})</h1>"
        f"<p>Validity: {html.escape(rules.validity_source)}. Substitution: {html.escape(rules.substitution_source)}."
        f" Uncertainty: {html.escape(rules.uncertainty_source)}.</p>"
        + heat.to_html(full_html=False, include_plotlyjs=True)
        + bars.to_html(full_html=False, include_plotlyjs=False)
        + "<h2>Stacks</h2><table border=1><tr><th>installation</th><th>stack</th><th>t CO2</th><th>&plusmn; t</th>"
        "<th>valid h</th><th>CO2 substituted h</th><th>flow substituted h</th><th>missing h</th></tr>"
        + rows
        + "</table>"
        + f"<h2>Plausibility findings</h2><p>{html.escape(rules.plausibility_source)}: negative values, the same "
        f"value {rules.stuck_hours} h running, jumps over {rules.jump_ratio:.0%} hour to hour.</p>"
        "<table border=1><tr><th>installation</th><th>stack</th><th>CO2 negative</th><th>CO2 stuck</th>"
        "<th>CO2 jumps</th><th>flow negative</th><th>flow stuck</th><th>flow jumps</th></tr>"
        + findings
        + "</table></body></html>"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
