"""The registry's conservation rule (domain/registry/conservation.py) on hand-made ledger snapshots."""

from __future__ import annotations

import dataclasses

from carbonbridge.domain.registry.blocks import SerialBlock
from carbonbridge.domain.registry.conservation import LedgerSnapshot, UnitTotals, conservation_problems, unit_totals

U = "BY-AL-2026"
KINDS = {"BY-ISSUANCE": "issuance", "BY-DELETION": "deletion", "BY-NHA": "national_holding", "BY-T1": "trading"}


def _balanced() -> LedgerSnapshot:
    """100 issued to the national account; 60 moved to BY-T1 (10 of them reserved); 5 deleted."""
    return LedgerSnapshot(
        issued={U: 100},
        kinds=KINDS,
        held={("BY-NHA", U): (35, 0, 0), ("BY-T1", U): (60, 10, 20), ("BY-DELETION", U): (5, 0, 0)},
        posted={("BY-ISSUANCE", U): -100, ("BY-NHA", U): 35, ("BY-T1", U): 60, ("BY-DELETION", U): 5},
        in_blocks={("BY-NHA", U): 35, ("BY-T1", U): 60, ("BY-DELETION", U): 5},
        reserved={("BY-T1", U): 10},
        unbalanced=[],
        blocks=[SerialBlock(U, 1, 35), SerialBlock(U, 36, 95), SerialBlock(U, 96, 100)],
    )


def test_a_balanced_ledger_has_no_problems_and_counts_issued_deleted_and_held() -> None:
    assert conservation_problems(_balanced()) == []
    assert unit_totals(_balanced()) == {U: UnitTotals(issued=100, deleted=5, held=95)}


def test_units_held_beyond_what_was_issued_less_deleted_break_conservation() -> None:
    snapshot = dataclasses.replace(_balanced(), held={**_balanced().held, ("BY-NHA", U): (36, 0, 0)})
    problems = conservation_problems(snapshot)
    assert f"{U}: held 96 != issued 100 - deleted 5" in problems
    assert f"BY-NHA {U}: holding 36 != postings 35" in problems
    assert f"BY-NHA {U}: holding 36/0 != serial blocks" in problems


def test_issuance_postings_must_mirror_the_units_issued() -> None:
    snapshot = dataclasses.replace(_balanced(), posted={**_balanced().posted, ("BY-ISSUANCE", U): -90})
    assert conservation_problems(snapshot) == [f"{U}: issuance postings 90 != issued 100"]


def test_a_serial_beyond_the_issued_count_and_overlapping_blocks_are_found() -> None:
    blocks = [SerialBlock(U, 1, 35), SerialBlock(U, 30, 95), SerialBlock(U, 96, 101)]
    problems = conservation_problems(dataclasses.replace(_balanced(), blocks=blocks))
    assert problems == [f"{U}: serials 1-35 and 30-95 overlap", f"{U}: a serial beyond the 100 issued exists"]


def test_negative_or_over_reserved_holdings_and_market_holds_beyond_the_quantity_are_found() -> None:
    held = {**_balanced().held, ("BY-T1", U): (60, 61, 0), ("BY-NHA", U): (35, 0, 36)}
    problems = conservation_problems(dataclasses.replace(_balanced(), held=held))
    assert f"BY-T1 {U}: negative holding 60 (reserved 61)" in problems
    assert f"BY-T1 {U}: the market holds 0 of 60 (61 reserved)" in problems
    assert f"BY-NHA {U}: the market holds 36 of 35 (0 reserved)" in problems
    assert f"BY-T1 {U}: holding 60/61 != serial blocks" in problems


def test_a_transaction_whose_postings_do_not_sum_to_zero_is_named() -> None:
    snapshot = dataclasses.replace(_balanced(), unbalanced=["tx-1"])
    assert conservation_problems(snapshot) == ["transaction tx-1: postings do not sum to zero"]
