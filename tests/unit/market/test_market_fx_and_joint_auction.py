"""Money across the border, by hand: the NBRB rate per 10 CNY, the business day before an auction,
conversion to whole minor units (bids down, prices half up) and a joint auction cleared in CNY."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from carbonbridge.domain.errors import NotFound, ValidationFailed
from carbonbridge.domain.market.auction import AuctionRules, AuctionStatus, Bid
from carbonbridge.domain.market.fx import (
    Calendar,
    OfficialRate,
    Rounding,
    convert_minor,
    fixing_date,
    orthodox_easter,
    parse_nbrb,
    radunitsa,
    rate_on,
)
from carbonbridge.domain.market.joint_auction import Delivery, JointSide, SideBid, clear_joint

RATE = OfficialRate(dt.date(2026, 3, 5), "CNY", "BYN", 10, Decimal("4.4734"), "test")
HALF = OfficialRate(dt.date(2026, 3, 5), "CNY", "BYN", 10, Decimal("4.5"), "test")


def test_rate_is_per_ten_yuan_so_one_hundred_yuan_is_forty_four_roubles_seventy_three() -> None:
    # 100.00 CNY = 10 000 fen; 10 000 x 4.4734 / 10 = 4 473.4 kopecks (not 44 734: the scale is 10)
    assert convert_minor(10_000, "CNY", "BYN", RATE, Rounding.DOWN) == 4_473
    assert convert_minor(10_000, "CNY", "BYN", RATE, Rounding.HALF_UP) == 4_473
    assert RATE.per_unit == Decimal("0.44734")


def test_roubles_to_yuan_multiplies_by_the_scale_and_divides_by_the_rate() -> None:
    # 100.00 BYN = 10 000 kopecks x 10 / 4.4734 = 22 354.36... fen
    assert convert_minor(10_000, "BYN", "CNY", RATE, Rounding.DOWN) == 22_354
    assert convert_minor(10_000, "BYN", "CNY", RATE, Rounding.HALF_UP) == 22_354


def test_rounding_at_the_margin_bids_go_down_prices_go_half_up() -> None:
    # 0.45 BYN per CNY: 10 fen = 4.5 kopecks exactly; 1 fen = 0.45
    assert convert_minor(10, "CNY", "BYN", HALF, Rounding.DOWN) == 4
    assert convert_minor(10, "CNY", "BYN", HALF, Rounding.HALF_UP) == 5
    assert convert_minor(1, "CNY", "BYN", HALF, Rounding.HALF_UP) == 0
    assert convert_minor(3, "CNY", "BYN", HALF, Rounding.HALF_UP) == 1  # 1.35
    assert convert_minor(7_778, "CNY", "BYN", HALF, Rounding.HALF_UP) == 3_500  # 3 500.1
    assert convert_minor(500, "BYN", "BYN", HALF, Rounding.DOWN) == 500


def test_a_rate_converts_only_its_own_pair() -> None:
    with pytest.raises(ValidationFailed):
        convert_minor(100, "USD", "BYN", RATE, Rounding.DOWN)


def test_fixing_date_is_the_business_day_before_in_both_jurisdictions() -> None:
    by = Calendar("BY", frozenset({dt.date(2026, 4, 21)}))  # Radunitsa, Tuesday
    cn = Calendar("CN", frozenset({dt.date(2026, 4, 6)}))  # Qingming, Monday
    assert fixing_date(dt.date(2026, 3, 11), [by, cn]) == dt.date(2026, 3, 10)  # Wednesday -> Tuesday
    assert fixing_date(dt.date(2026, 3, 9), [by, cn]) == dt.date(2026, 3, 6)  # Monday -> Friday
    assert fixing_date(dt.date(2026, 4, 22), [by, cn]) == dt.date(2026, 4, 20)  # over a BY holiday
    assert fixing_date(dt.date(2026, 4, 7), [by, cn]) == dt.date(2026, 4, 3)  # over a CN holiday and a weekend
    assert fixing_date(dt.date(2026, 4, 7), [by]) == dt.date(2026, 4, 6)


def test_radunitsa_is_computed_from_orthodox_easter() -> None:
    easter = {2023: (4, 16), 2024: (5, 5), 2025: (4, 20), 2026: (4, 12), 2027: (5, 2)}  # published dates
    assert {y: (orthodox_easter(y).month, orthodox_easter(y).day) for y in easter} == easter
    assert radunitsa(2025) == dt.date(2025, 4, 29) and radunitsa(2026) == dt.date(2026, 4, 21)
    assert {radunitsa(y).weekday() for y in range(1990, 2100)} == {1}  # always a Tuesday


def test_shipped_calendars_hold_the_2026_holidays_and_transfers() -> None:
    from carbonbridge.adapters.link_money import calendar_of

    by, cn = calendar_of("BY"), calendar_of("CN")
    # Radunitsa (computed) and the Monday before it (Council of Ministers resolution No. 397)
    assert [by.is_business_day(dt.date(2026, 4, d)) for d in (17, 20, 21, 22)] == [True, False, False, True]
    assert not by.is_business_day(dt.date(2025, 4, 29)) and not by.is_business_day(dt.date(2025, 12, 26))
    # the State Council's 2026 notice: the Spring Festival weekdays, then National Day
    assert [cn.is_business_day(dt.date(2026, 2, d)) for d in (13, 16, 20, 23, 24)] == [True, False, False, False, True]
    assert fixing_date(dt.date(2026, 10, 8), [by, cn]) == dt.date(2026, 9, 30)
    assert fixing_date(dt.date(2026, 4, 22), [by, cn]) == dt.date(2026, 4, 17)


def test_nbrb_records_are_read_with_their_scale_and_other_currencies_skipped() -> None:
    records = [
        {"Date": "2026-03-05T00:00:00", "Cur_Abbreviation": "USD", "Cur_Scale": 1, "Cur_OfficialRate": Decimal("2.9")},
        {
            "Date": "2026-03-05T00:00:00",
            "Cur_Abbreviation": "CNY",
            "Cur_Scale": 10,
            "Cur_OfficialRate": Decimal("4.4734"),
        },
        {"Date": "2026-03-05", "Cur_Abbreviation": "CNY", "Cur_Scale": 1, "Cur_OfficialRate": Decimal("0.44734")},
    ]
    rates = parse_nbrb(records, "rates.json")
    assert rates == [OfficialRate(dt.date(2026, 3, 5), "CNY", "BYN", 10, Decimal("4.4734"), rates[0].source)]
    assert rate_on(rates, dt.date(2026, 3, 5), "CNY").rate == Decimal("4.4734")
    with pytest.raises(NotFound):
        rate_on(rates, dt.date(2026, 3, 4), "CNY")


def test_nbrb_problems_are_collected_with_record_and_field() -> None:
    records = [
        {"Date": "05.03.2026", "Cur_Abbreviation": "CNY", "Cur_Scale": 0, "Cur_OfficialRate": "-1"},
        {"Date": "2026-03-06", "Cur_Abbreviation": "CNY", "Cur_Scale": 10, "Cur_OfficialRate": Decimal("4.4")},
        {"Date": "2026-03-06", "Cur_Abbreviation": "CNY", "Cur_Scale": 10, "Cur_OfficialRate": Decimal("4.5")},
    ]
    with pytest.raises(ValidationFailed) as failed:
        parse_nbrb(records, "rates.json")
    where = {(p.line, p.field) for p in failed.value.problems}
    assert where == {(1, "Date"), (1, "Cur_Scale"), (1, "Cur_OfficialRate"), (3, "Cur_OfficialRate")}


def test_joint_auction_clears_in_yuan_and_the_margin_follows_the_rounding() -> None:
    # clearing in CNY at 4.5 BYN per 10 CNY; lots of 1 000; BY offers 1 000, CN 4 000: 5 lots.
    # b1 36.50 BYN -> 3 650 x 10 / 4.5 = 8 111.1 -> 8 111 fen; b2 35.00 BYN -> 7 777.7 -> 7 777 fen.
    # By price: b1 2 lots (8 111), c1 2 lots (8 000), c2 1 lot (7 778) fill the 5 lots; b2 (7 777)
    # loses by one fen to c2 although 35.00 BYN is what the winners pay: 7 778 x 0.45 = 3 500.1.
    bids = [
        SideBid("BY", Bid("b1", "P-BY-1", 3_650, 2)),
        SideBid("BY", Bid("b2", "P-BY-2", 3_500, 1)),
        SideBid("CN", Bid("c1", "P-CN-1", 8_000, 2)),
        SideBid("CN", Bid("c2", "P-CN-2", 7_778, 1)),
    ]
    sides = [JointSide("BY", "BYN", 1_000), JointSide("CN", "CNY", 4_000)]
    joint = clear_joint(sides, bids, AuctionRules(lot_size=1_000), "seed", HALF, "CNY")
    assert joint.result.status is AuctionStatus.CLEARED
    assert joint.result.clearing_price == 7_778
    assert dict(joint.converted) == {"b1": 8_111, "b2": 7_777, "c1": 8_000, "c2": 7_778}
    by, cn = joint.side("BY"), joint.side("CN")
    assert (by.price_minor, cn.price_minor) == (3_500, 7_778)
    assert by.payments == (("P-BY-1", 2_000 * 3_500),)
    assert cn.payments == (("P-CN-1", 2_000 * 7_778), ("P-CN-2", 1_000 * 7_778))
    # BY's 1 000 go to b1; b1's second 1 000 come from the CN volume across the link
    assert joint.deliveries == (
        Delivery("BY", "BY", "BY/P-BY-1", "b1", 1_000),
        Delivery("CN", "CN", "CN/P-CN-1", "c1", 2_000),
        Delivery("CN", "CN", "CN/P-CN-2", "c2", 1_000),
        Delivery("CN", "BY", "BY/P-BY-1", "b1", 1_000),
    )
    assert (by.received_units, by.owed_to_partner_minor) == (1_000, 3_500_000)
    assert (cn.received_units, cn.owed_to_partner_minor) == (0, 0)


def test_joint_auction_short_of_bids_is_cancelled_and_delivers_nothing() -> None:
    bids = [SideBid("BY", Bid("b1", "P-BY-1", 3_650, 1))]
    sides = [JointSide("BY", "BYN", 1_000), JointSide("CN", "CNY", 1_000)]
    joint = clear_joint(sides, bids, AuctionRules(lot_size=1_000), "seed", HALF, "BYN")
    assert joint.result.status is AuctionStatus.CANCELLED
    assert joint.deliveries == ()
    assert all(s.payments == () for s in joint.sides)


def test_joint_auction_clearing_in_roubles_converts_yuan_bids_down() -> None:
    # c1 80.00 CNY -> 8 000 x 4.5 / 10 = 3 600 kopecks exactly; c2 77.79 CNY -> 3 500.55 -> 3 500
    bids = [
        SideBid("CN", Bid("c1", "P-CN-1", 8_000, 1)),
        SideBid("CN", Bid("c2", "P-CN-2", 7_779, 1)),
        SideBid("BY", Bid("b1", "P-BY-1", 3_501, 1)),
    ]
    sides = [JointSide("BY", "BYN", 1_000), JointSide("CN", "CNY", 1_000)]
    joint = clear_joint(sides, bids, AuctionRules(lot_size=1_000), "seed", HALF, "BYN")
    assert joint.result.clearing_price == 3_501  # b1 beats c2 (3 500 after rounding down)
    assert joint.side("CN").price_minor == 7_780  # 3 501 x 10 / 4.5 = 7 780.0
    assert joint.deliveries == (
        Delivery("CN", "CN", "CN/P-CN-1", "c1", 1_000),
        Delivery("BY", "BY", "BY/P-BY-1", "b1", 1_000),
    )
