"""The MSR intake spread over an auction calendar in whole lots, against a hand calculation."""

from __future__ import annotations

import datetime as dt

from carbonbridge.domain.market.msr import MsrPolicy, apply_to_calendar, figures
from carbonbridge.services.market.msr_apply import month_index


def test_intake_comes_out_of_each_months_auctions_in_whole_lots_and_the_rest_is_carried() -> None:
    # TNAC 833,012,345 in 2026: inside the band, intake = TNAC - 833 M = 12,345; monthly parts
    # 12,345 = 12 x 1,028 + 9: months 0-8 take 1,029, months 9-11 take 1,028.
    found = figures(2026, 833_012_345, MsrPolicy())
    assert found.intake == 12_345 and found.monthly == (1029,) * 9 + (1028,) * 3
    auctions = [("A1", 0, 4000), ("A2", 0, 4000), ("A3", 2, 4000), ("A4", 4, 4000), ("A5", 9, 4000), ("A6", 11, 4000)]
    change = apply_to_calendar(found.monthly, auctions, 500, release=False)
    # m0: 1,029 -> 2 lots, one each, 29 carried; m1 none: 1,058; m2: 2,087 -> 4 lots, 87 carried;
    # m3: 1,116; m4: 2,145 -> 4 lots, 145; m5-m8: 4,261; m9: 5,289 -> 10 lots wanted, A5 has 8:
    # 4,000 taken, 1,289 carried; m10: 2,317; m11: 3,345 -> 6 lots, 345 not applied.
    assert change.changes == (("A1", -500), ("A2", -500), ("A3", -2000), ("A4", -2000), ("A5", -4000), ("A6", -3000))
    assert (change.applied, change.not_applied) == (12_000, 345)


def test_a_release_adds_to_the_auctions_and_what_finds_no_auction_stays_in_the_reserve() -> None:
    change = apply_to_calendar((1000,) * 12, [("A7", 0, 4000)], 500, release=True)
    assert change.changes == (("A7", 1000),) and (change.applied, change.not_applied) == (1000, 11_000)


def test_months_are_counted_from_the_first_day_of_the_period() -> None:
    start = dt.date(2026, 9, 1)
    assert [month_index(start, dt.date(*d)) for d in ((2026, 9, 30), (2026, 10, 1), (2027, 8, 31), (2027, 9, 1))] == [
        0,
        1,
        11,
        12,
    ]
