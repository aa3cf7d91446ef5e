"""Sections appended to a written report (market, link): a report's Markdown pipe tables as HTML,
and the appending of a section to both the Markdown and the HTML page of a report folder."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from carbonbridge.adapters.reports.render import render

PAGE_END = "</body></html>"  # every page template ends so; sections go in front of it


@dataclass(frozen=True, slots=True)
class Block:
    """One block of a section: a heading (h2, h3), a paragraph (p) or a table (rows of cells, the
    first row the header)."""

    kind: str
    text: str = ""
    rows: tuple[tuple[str, ...], ...] = ()


def blocks_of_markdown(markdown: str) -> list[Block]:
    """The blocks of the small Markdown the report sections write: `##`/`###` headings, pipe tables
    (the `|---` rule dropped), other non-blank lines as paragraphs."""
    blocks: list[Block] = []
    rows: list[tuple[str, ...]] = []
    for line in markdown.splitlines():
        if line.startswith("|---"):
            continue
        if line.startswith("|"):
            rows.append(tuple(c.strip() for c in line.strip("|").split("|")))
            continue
        if rows:
            blocks.append(Block("table", rows=tuple(rows)))
            rows = []
        if line.startswith("### "):
            blocks.append(Block("h3", line[4:]))
        elif line.startswith("## "):
            blocks.append(Block("h2", line[3:]))
        elif line.strip():
            blocks.append(Block("p", line))
    if rows:
        blocks.append(Block("table", rows=tuple(rows)))
    return blocks


def markdown_section_html(markdown: str) -> str:
    """The section's headings, paragraphs and tables as HTML, every text escaped."""
    return render("section.html.j2", blocks=blocks_of_markdown(markdown))


def render_link_section(
    rows: Sequence[tuple[str, Any]],
    trades: Sequence[Mapping[str, Any]],
    paid: tuple[str, Any, Any],
    flows: Sequence[tuple[str, Mapping[str, Any]]],
) -> str:
    """The link section: the surrender's figures (label, value), the exchange trades (id, quantity,
    price), the paid line (currency, bought, paid by the buyer) and the flows per registry."""
    return render("link_section.html.j2", rows=rows, trades=trades, paid=paid, flows=flows)


def append_to_report(report_folder: Path, markdown: str, fragment: str) -> None:
    """Append a section to `report.md` and, before the end of the page, to `report.html`."""
    md = report_folder / "report.md"
    md.write_text(md.read_text(encoding="utf-8") + markdown, encoding="utf-8")
    page = report_folder / "report.html"
    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace(PAGE_END, fragment + PAGE_END), encoding="utf-8")
