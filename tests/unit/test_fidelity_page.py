"""docs/fidelity.md is generated from the configuration and lists nothing as checked without a
citation (issue 15)."""

from __future__ import annotations

from pathlib import Path

from carbonbridge.adapters.fidelity import provenance, render

PAGE = Path(__file__).resolve().parents[2] / "docs" / "fidelity.md"


def test_the_committed_fidelity_page_is_what_the_generator_produces() -> None:
    assert PAGE.read_text(encoding="utf-8") == render(), "run: python scripts/generate_fidelity.py"


def test_no_value_is_checked_without_a_citation_and_every_value_has_a_source() -> None:
    entries = provenance()
    assert entries
    assert [e.name for e in entries if e.checked and not e.checked_in.strip()] == []
    assert [e.name for e in entries if not e.source.strip()] == []
    assert [e.name for e in entries if not e.value and not e.note] == []  # left out, and says why


def test_on_the_page_every_checked_line_names_where_it_was_read() -> None:
    rows = [line for line in render().splitlines() if line.startswith("| ") and "checked in:" in line]
    assert rows
    for row in rows:
        status = row.rstrip(" |").rsplit("| ", 1)[-1]
        assert status.startswith("checked in: ") and len(status) > len("checked in: ") + 10, row


def test_the_page_covers_every_rule_and_factor_family() -> None:
    families = {e.family for e in provenance()}
    assert {
        "BY allocation",
        "CN allocation (power)",
        "CN allocation (steel, cement, aluminium)",
        "BY compliance",
        "CN compliance",
        "Method pack cn-mee-power-2022",
        "Method pack eu-mrr-2018",
        "Method pack ipcc2006",
        "Inventory factors (IPCC 2006 Tier 1)",
    } <= families
