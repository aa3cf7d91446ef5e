"""Primary auctions against hand calculations: the uniform clearing price, ties at the margin in
the seeded random order, the last bidder's partial fill, cancellations and the carry-over."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carbonbridge.domain.errors import ValidationFailed
from carbonbridge.domain.market.auction import (
    AuctionCode,
    AuctionRules,
    AuctionStatus,
    Bid,
    OneWayBid,
    OneWayRules,
    Pricing,
    clear,
    one_way,
    split_volume,
    spread_evenly,
)

# 10 lots of 500 on offer. Sorted by price: A 3 lots @ 80.00 (cum. 3), B 4 @ 79.50 (cum. 7),
# C 2 and D 3 @ 79.00 (cum. 12 >= 10: the clearing price is 79.00), E 5 @ 78.00 (out).
# Bid volume 17 lots = 8,500 allowances: cover ratio 8,500 / 5,000 = 1.70.
BIDS = [
    Bid("A", "alpha", 8000, 3),
    Bid("B", "beta", 7950, 4),
    Bid("C", "gamma", 7900, 2),
    Bid("D", "delta", 7900, 3),
    Bid("E", "eps", 7800, 5),
]
RULES = AuctionRules(lot_size=500)


def _awards(result):
    return [(a.bid_id, a.units) for a in result.awards]


def test_ties_at_the_clearing_price_follow_the_seeded_order_and_the_last_bid_fills_partly() -> None:
    # sha256("s1:D") starts 0629cbc6 < sha256("s1:C") 5e2086a6: D ranks before C. The 3 lots left
    # at 79.00 go to D in full (3 lots); C gets nothing.
    assert hashlib.sha256(b"s1:D").hexdigest() < hashlib.sha256(b"s1:C").hexdigest()
    result = clear(BIDS, 5000, RULES, "s1")
    assert result.status is AuctionStatus.CLEARED and result.clearing_price == 7900
    assert _awards(result) == [("A", 1500), ("B", 2000), ("D", 1500)]
    assert result.volume_sold == 5000 and result.winners == 3 and result.bidders == 5
    assert result.cover_ratio == Decimal("1.70")
    # with seed s2: sha256("s2:C") 5f3d5172 < sha256("s2:D") b9485771: C takes its 2 lots, D the last 1
    assert _awards(clear(BIDS, 5000, RULES, "s2")) == [("A", 1500), ("B", 2000), ("C", 1000), ("D", 500)]


def test_cancelled_when_the_bids_fall_short_of_the_volume() -> None:
    result = clear(BIDS[:3], 5000, RULES, "s1")  # 3 + 4 + 2 = 9 lots < 10
    assert result.status is AuctionStatus.CANCELLED and result.code is AuctionCode.UNDERSUBSCRIBED
    assert result.awards == () and result.volume_sold == 0 and result.cover_ratio == Decimal("0.90")


def test_cancelled_when_the_clearing_price_is_significantly_under_the_secondary_market() -> None:
    # threshold 10 %: secondary 90.00 -> floor 81.00 > 79.00: cancelled; secondary 87.00 -> 78.30 <= 79.00
    rules = AuctionRules(lot_size=500, secondary_threshold=Decimal("0.10"))
    assert clear(BIDS, 5000, rules, "s1", secondary_price=9000).code is AuctionCode.UNDER_SECONDARY
    assert clear(BIDS, 5000, rules, "s1", secondary_price=8700).status is AuctionStatus.CLEARED


def test_reserve_price_cancels_an_auction_clearing_below_it() -> None:
    rules = AuctionRules(lot_size=500, reserve_price=7950)
    result = clear(BIDS, 5000, rules, "s1")
    assert result.code is AuctionCode.BELOW_RESERVE and result.clearing_price == 7900


def test_a_bidder_above_the_maximum_share_has_its_lowest_lots_trimmed() -> None:
    # max 30 % of 10 lots = 3 lots per bidder: B 4 -> 3, E 5 -> 3. Cumulative: A 3, B 3 (6),
    # then C 2 and D 3 at 79.00 (11 >= 10). Bid volume 3+3+2+3+3 = 14 lots.
    rules = AuctionRules(lot_size=500, max_bidder_share=Decimal("0.3"))
    result = clear(BIDS, 5000, rules, "s1")
    assert dict(result.trimmed) == {"B": 1, "E": 2}
    assert result.clearing_price == 7900 and result.bid_volume == 7000
    assert _awards(result) == [("A", 1500), ("B", 1500), ("D", 1500), ("C", 500)]


def test_a_cancelled_volume_is_spread_evenly_over_the_next_four_auctions() -> None:
    # 5,000 = 10 lots over 4 auctions: 2 lots each and 2 left over, one each to the first two.
    assert spread_evenly(5000, [5000] * 6, 500, 4) == [6500, 6500, 6000, 6000, 5000, 5000]
    with pytest.raises(ValidationFailed):
        spread_evenly(5000, [], 500, 4)


def test_an_annual_volume_splits_into_whole_lots_per_auction() -> None:
    # 1,234,567 = 2,469 lots + 67; 2,469 over 12 = 205 each, 9 left: the first 9 get 206 lots
    volumes, rest = split_volume(1_234_567, 12, 500)
    assert rest == 67 and volumes[:9] == [103_000] * 9 and volumes[9:] == [102_500] * 3
    assert sum(volumes) + rest == 1_234_567


def test_one_way_bidding_serves_price_then_arrival_inside_the_band() -> None:
    # previous close 60.00, band 30 %: 42.00-78.00. Z (80.00) is outside, W is under the minimum.
    bids = [
        OneWayBid("X", "x", 6500, 120_000, 1),
        OneWayBid("Y", "y", 6400, 100_000, 2),
        OneWayBid("Z", "z", 8000, 50_000, 3),
        OneWayBid("W", "w", 7000, 500, 4),
    ]
    uniform = one_way(200_000, bids, OneWayRules(), 6000)
    assert uniform.band == (4200, 7800) and uniform.sold == 200_000
    assert [(f.bid_id, f.units, f.price) for f in uniform.fills] == [("X", 120_000, 6400), ("Y", 80_000, 6400)]
    assert dict(uniform.rejected) == {"Z": "outside the price band", "W": "below the minimum bid size"}
    paid = one_way(200_000, bids, OneWayRules(pricing=Pricing.PAY_AS_BID), 6000)
    assert [f.price for f in paid.fills] == [6500, 6400]
    with pytest.raises(ValidationFailed):
        one_way(99_999, bids, OneWayRules(), 6000)


@given(
    st.lists(st.tuples(st.integers(95, 100), st.integers(1, 6), st.sampled_from("pqrs")), min_size=1, max_size=30),
    st.integers(1, 40),
    st.text("abc", min_size=1, max_size=4),
)
def test_clearing_agrees_with_a_naive_full_ranking(raw: list[tuple[int, int, str]], lots: int, seed: str) -> None:
    """The clearing ranks only the marginal price level by tie key; a naive ranking of every bid by
    (price, tie key) must give the same price and the same award per bid."""
    bids = [Bid(f"b{i}", who, price, n) for i, (price, n, who) in enumerate(raw)]
    result = clear(bids, lots * 500, RULES, seed)
    if sum(b.lots for b in bids) < lots:
        assert result.code is AuctionCode.UNDERSUBSCRIBED
        return
    left, naive, price = lots, {}, None
    for b in sorted(bids, key=lambda b: (-b.price, hashlib.sha256(f"{seed}:{b.bid_id}".encode()).hexdigest())):
        if left == 0:
            break
        take = min(left, b.lots)
        naive[b.bid_id], left, price = take * 500, left - take, b.price
    assert result.clearing_price == price
    assert {a.bid_id: a.units for a in result.awards} == naive
