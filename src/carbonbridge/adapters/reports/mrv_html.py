"""The MRV report page: verified emissions per jurisdiction and kind of installation, and a chart."""

from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup

from carbonbridge.adapters.reports.render import render


def render_mrv_report(by_kind: Sequence[Mapping[str, Any]], chart_html: str, *, title: str, heading: str) -> str:
    """`by_kind`: rows with jurisdiction, kind, installations, co2e_t, verified_t, corrected.
    `chart_html`: a Plotly fragment (trusted, inserted as is); every other value is escaped."""
    return render("mrv.html.j2", rows=by_kind, chart=Markup(chart_html), title=title, heading=heading)
