"""The compliance report page: per jurisdiction the allocation, verified emissions, the statuses
of its installation-years and the penalties; the registry's conservation check; charts."""

from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup

from carbonbridge.adapters.reports.render import render


def render_compliance_report(
    summaries: Sequence[Mapping[str, Any]],
    *,
    ledger_ok: bool,
    log_ok: bool,
    charts_html: str,
    title: str,
    heading: str,
) -> str:
    """`summaries`: per jurisdiction (jurisdiction, installations, allocation_t, verified_t,
    statuses{compliant, late, under_surrendered, missing_emissions}, penalties, currency).
    `charts_html`: Plotly fragments (trusted, inserted as is); every other value is escaped."""
    return render(
        "compliance.html.j2",
        summaries=summaries,
        ledger_ok=ledger_ok,
        log_ok=log_ok,
        charts=Markup(charts_html),
        title=title,
        heading=heading,
    )
