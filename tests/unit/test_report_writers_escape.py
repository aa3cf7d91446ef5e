"""The report writers (adapters/reports) render Jinja2 templates with autoescaping: a hostile name
in the data is text on the page, never markup; the Plotly fragments go in as given."""

from pathlib import Path

from carbonbridge.adapters.reports.compliance_html import render_compliance_report
from carbonbridge.adapters.reports.mrv_html import render_mrv_report
from carbonbridge.adapters.reports.sections import (
    PAGE_END,
    append_to_report,
    blocks_of_markdown,
    markdown_section_html,
    render_link_section,
)

HOSTILE = "<script>alert('x')</script>"
ESCAPED = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
CHART = '<div id="chart-0" class="plotly-graph-div"></div><script>Plotly.newPlot("chart-0")</script>'


def _summary(jurisdiction: str) -> dict[str, object]:
    statuses = {"compliant": 40, "late": 1, "under_surrendered": 2, "missing_emissions": 1}
    return {"jurisdiction": jurisdiction, "installations": 44, "allocation_t": 12_345_678, "verified_t": 9_876_543,
            "statuses": statuses, "penalties": "1234567.50", "currency": "BYN"}  # fmt: skip


def test_a_hostile_installation_kind_in_the_mrv_report_is_escaped() -> None:
    rows = [{"jurisdiction": "BY", "kind": HOSTILE, "installations": 3, "co2e_t": 1234567.6, "verified_t": 1234568,
             "corrected": 1}]  # fmt: skip
    page = render_mrv_report(rows, CHART, title=f"report {HOSTILE}", heading="Verified emissions 2025")
    assert HOSTILE not in page
    assert page.count(ESCAPED) == 2  # the title and the table cell
    assert "<td>1,234,568</td><td>1,234,568</td><td>1</td>" in page  # CO2e to the tonne, verified as is
    assert CHART in page  # the trusted Plotly fragment, unescaped
    assert page.startswith("<!doctype html>") and page.endswith(PAGE_END)


def test_a_hostile_name_in_the_compliance_report_is_escaped() -> None:
    page = render_compliance_report(
        [_summary("CN"), _summary(HOSTILE)], ledger_ok=True, log_ok=False, charts_html=CHART, title="t", heading="h"
    )
    assert HOSTILE not in page and ESCAPED in page
    counts = "<td>12,345,678</td><td>9,876,543</td><td>40</td><td>1</td><td>2</td><td>1</td>"
    assert f"<td>CN</td><td>44</td>{counts}" in page
    assert "<td>1,234,567.50 BYN</td>" in page
    assert "Registry conservation holds; transaction log FAILS." in page
    assert CHART in page and page.endswith(PAGE_END)


def test_a_hostile_account_in_the_link_section_is_escaped() -> None:
    fragment = render_link_section(
        [(f"bought by {HOSTILE}", 5), ("compliance status", "A")],
        [{"id": 1, "quantity": 5, "price": "80.00"}],
        ("CNY", 5, "400.40"),
        [("BY", {"unit_type": HOSTILE, "out": 0, "acquired": 5, "net": 5})],
    )
    assert HOSTILE not in fragment and fragment.count(ESCAPED) == 2
    trades = "<tr><td>1</td><td>5</td><td>80.00</td></tr><tr><td>paid (CNY)</td><td>5</td><td>400.40</td></tr>"
    assert trades in fragment


def test_a_markdown_section_becomes_escaped_headings_paragraphs_and_tables() -> None:
    markdown = "\n## Market\n\n| account | balance |\n|---|---:|\n| " + HOSTILE + " | 1.00 |\n\nChecks hold.\n"
    assert [b.kind for b in blocks_of_markdown(markdown)] == ["h2", "table", "p"]
    fragment = markdown_section_html(markdown)
    assert HOSTILE not in fragment
    assert "<h2>Market</h2>" in fragment and "<p>Checks hold.</p>" in fragment
    assert f"<table><tr><th>account</th><th>balance</th></tr><tr><td>{ESCAPED}</td><td>1.00</td></tr></table>" in (
        fragment
    )


def test_a_section_is_appended_to_the_markdown_and_before_the_end_of_the_page(tmp_path: Path) -> None:
    (tmp_path / "report.md").write_text("# Report\n", encoding="utf-8")
    page = render_mrv_report([], CHART, title="t", heading="h")
    (tmp_path / "report.html").write_text(page, encoding="utf-8")
    append_to_report(tmp_path, "\n## Link\n", "<h2>Link</h2>")
    assert (tmp_path / "report.md").read_text(encoding="utf-8") == "# Report\n\n## Link\n"
    assert (tmp_path / "report.html").read_text(encoding="utf-8").endswith(f"<h2>Link</h2>{PAGE_END}")
