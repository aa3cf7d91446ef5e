"""The columnar clearing the auction service uses gives the same outcome as `clear`, award for
award, on random auctions (ties at the margin, bidder maximum, reserve price, cancellations)."""

from __future__ import annotations

import random
from decimal import Decimal

import numpy as np
import pytest

from carbonbridge.domain.market.auction import AuctionRules, Bid, clear
from carbonbridge.domain.market.auction_columns import clear_bid_columns


@pytest.mark.parametrize("seed", range(40))
def test_columnar_clearing_equals_the_object_path(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(1, 60)
    bids = sorted(
        (
            Bid(f"b{i:03d}", f"p{rng.randint(0, 6)}", rng.choice([2300, 2400, 2400, 2500, 2600]), rng.randint(0, 5))
            for i in range(n)
        ),
        key=lambda b: b.bid_id,
    )
    share = rng.choice([None, "0.5", "0.25"])
    rules = AuctionRules(
        lot_size=500,
        max_bidder_share=None if share is None else Decimal(share),
        reserve_price=rng.choice([None, 2350]),
    )
    volume = rng.randint(0, 40) * 500
    secondary = rng.choice([None, 2500, 2900])
    expected = clear(bids, volume, rules, f"seed-{seed}", secondary_price=secondary)
    names = sorted({b.bidder for b in bids})
    codes = np.array([names.index(b.bidder) for b in bids], dtype=np.int64)
    found = clear_bid_columns(
        [b.bid_id for b in bids],
        codes,
        names,
        np.array([b.price for b in bids], dtype=np.int64),
        np.array([b.lots for b in bids], dtype=np.int64),
        volume,
        rules,
        f"seed-{seed}",
        secondary_price=secondary,
    )
    assert (found.status, found.code, found.clearing_price) == (expected.status, expected.code, expected.clearing_price)
    assert (found.volume_sold, found.bid_volume, found.bidders, found.winners) == (
        expected.volume_sold,
        expected.bid_volume,
        expected.bidders,
        expected.winners,
    )
    assert found.awards == expected.awards
    assert found.cover_ratio == expected.cover_ratio
