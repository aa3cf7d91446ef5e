"""Which operator accounts are blocked after the emissions deadline (domain/compliance/blocking.py)."""

from __future__ import annotations

import datetime as dt

from carbonbridge.domain.compliance.blocking import accounts_to_block

DEADLINE = dt.date(2026, 6, 30)
OPEN = {"CN-A": "ACC-A", "CN-B": "ACC-B", "CN-C": "ACC-C", "CN-D": "ACC-D"}


def test_accounts_without_verified_emissions_by_the_deadline_are_blocked_in_installation_order() -> None:
    entered = {
        "CN-A": dt.date(2026, 6, 1),  # in time
        "CN-B": DEADLINE,  # on the day: in time
        "CN-D": dt.date(2026, 7, 1),  # a day late
    }  # CN-C: never entered
    assert accounts_to_block(OPEN, entered, DEADLINE) == ["ACC-C", "ACC-D"]


def test_an_entry_for_an_installation_without_an_open_account_blocks_nothing() -> None:
    assert accounts_to_block({}, {"CN-A": dt.date(2027, 1, 1)}, DEADLINE) == []


def test_everyone_in_time_blocks_no_one() -> None:
    assert accounts_to_block(OPEN, dict.fromkeys(OPEN, DEADLINE), DEADLINE) == []
