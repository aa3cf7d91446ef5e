"""Auction clearing over columns (the path the auction service uses): bids come in as arrays, no
per-bid objects are made; the rules are those of `auction.clear` (Regulation (EU) 2023/2830,
recast of 1031/2010 Art. 7: uniform price where cumulative demand from the highest bid meets
supply; ties at the clearing price in the seeded random order; cancellation codes A01-A04; a
bidder's lots above the maximum share not admitted, its lowest-priced bids first), and the award
records are built only when asked for. Tested equal to `clear` (tests/unit/market/test_market_auction_columns.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from carbonbridge.domain.errors import Problem, ValidationFailed
from carbonbridge.domain.market.auction import (
    AuctionCode,
    AuctionRules,
    AuctionStatus,
    Award,
    Ints,
    clear_columns,
    tie_key,
)


@dataclass(frozen=True)
class ColumnarResult:
    """The outcome of `clear_bid_columns`, with the fields of `auction.AuctionResult`; `awards` is
    built on demand (in the same order: fully filled bids by price then input order, then the
    marginal level in tie order)."""

    status: AuctionStatus
    code: AuctionCode
    volume_offered: int
    volume_sold: int
    clearing_price: int | None
    bid_volume: int
    bidders: int
    winners: int
    tie_seed: str
    bid_ids: Sequence[str]
    bidder_names: Sequence[str]  # per bidder code
    bidder_codes: Ints  # per bid
    awarded_lots: Ints  # per bid, zero unless cleared
    award_order: Ints  # bid indices with an award, in award order
    lot_size: int

    @property
    def awards(self) -> tuple[Award, ...]:
        lots = self.awarded_lots
        return tuple(
            Award(self.bid_ids[i], self.bidder_names[self.bidder_codes[i]], int(lots[i]), int(lots[i]) * self.lot_size)
            for i in self.award_order.tolist()
        )

    @property
    def cover_ratio(self) -> Decimal:
        if self.volume_offered == 0:
            return Decimal(0)
        return (Decimal(self.bid_volume) / Decimal(self.volume_offered)).quantize(Decimal("0.01"))

    def units_per_bidder(self) -> dict[str, int]:
        """Allowances won per bidder (one bincount, no per-bid loop)."""
        won = np.bincount(self.bidder_codes, weights=self.awarded_lots, minlength=len(self.bidder_names))
        return {self.bidder_names[c]: int(n) * self.lot_size for c, n in enumerate(won.tolist()) if n > 0}


def _trim(prices: Ints, lots: Ints, codes: Ints, limit: int | None) -> Ints:
    """Lots admitted per bid under the per-bidder maximum: within a bidder, bids by price (then
    input order) until the limit."""
    if limit is None:
        return lots.copy()
    by_price = np.argsort(-prices, kind="stable")
    order = by_price[np.argsort(codes[by_price], kind="stable")]  # grouped by bidder, by price inside
    taken = lots[order]
    cumulative = np.cumsum(taken)
    group = codes[order]
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    base = np.repeat(cumulative[starts] - taken[starts], np.diff(np.r_[starts, len(order)]))
    before = cumulative - base - taken
    admitted = np.empty_like(lots)
    admitted[order] = np.clip(limit - before, 0, taken)
    return admitted


def clear_bid_columns(
    bid_ids: Sequence[str],
    bidder_codes: Ints,
    bidder_names: Sequence[str],
    prices: Ints,
    lots: Ints,
    volume: int,
    rules: AuctionRules,
    tie_seed: str,
    *,
    secondary_price: int | None = None,
) -> ColumnarResult:
    """Clear a sealed-bid uniform-price auction from columns. `bid_ids` must be in ascending order
    (the input order breaks equal prices among fully filled bids, as `clear` does by bid id)."""
    rules.validate()
    if volume % rules.lot_size:
        raise ValidationFailed([Problem(f"volume {volume} is not a whole number of lots", field="volume")])
    lots_offered = volume // rules.lot_size
    limit = None if rules.max_bidder_share is None else int(Decimal(lots_offered) * rules.max_bidder_share)
    admitted = _trim(prices, np.maximum(lots, 0), bidder_codes, limit)
    bid_lots = int(admitted.sum())
    none = np.zeros(0, dtype=np.int64)

    def outcome(code: AuctionCode, price: int | None = None, awarded: Ints | None = None) -> ColumnarResult:
        cleared = code is AuctionCode.OK and awarded is not None
        lots_won = awarded if cleared and awarded is not None else np.zeros_like(lots)
        order = _award_order(prices, lots_won, price, bid_ids, tie_seed) if cleared else none
        return ColumnarResult(
            AuctionStatus.CLEARED if cleared else AuctionStatus.CANCELLED,
            code,
            volume,
            int(lots_won.sum()) * rules.lot_size,
            price,
            bid_lots * rules.lot_size,
            len(np.unique(bidder_codes)),
            len(np.unique(bidder_codes[lots_won > 0])),
            tie_seed,
            bid_ids,
            bidder_names,
            bidder_codes,
            lots_won,
            order,
            rules.lot_size,
        )

    if lots_offered == 0:
        return outcome(AuctionCode.NO_VOLUME)
    if bid_lots < lots_offered:
        return outcome(AuctionCode.UNDERSUBSCRIBED)
    live = np.flatnonzero(admitted > 0)  # bids with no admitted lot take no part (as in `clear`)
    price, awarded_live = clear_columns(
        prices[live], admitted[live], lots_offered, lambda idx: _tie_ranks(live[idx], bid_ids, tie_seed)
    )
    awarded = np.zeros_like(lots)
    awarded[live] = awarded_live
    if rules.reserve_price is not None and price < rules.reserve_price:
        return outcome(AuctionCode.BELOW_RESERVE, price)
    if secondary_price is not None and price < secondary_price * (1 - rules.secondary_threshold):
        return outcome(AuctionCode.UNDER_SECONDARY, price)
    return outcome(AuctionCode.OK, price, awarded)


def _tie_ranks(indices: Ints, bid_ids: Sequence[str], seed: str) -> Ints:
    keys = [tie_key(seed, bid_ids[int(i)]) for i in indices]
    return np.array(sorted(range(len(keys)), key=keys.__getitem__), dtype=np.int64)


def _award_order(prices: Ints, awarded: Ints, price: int | None, bid_ids: Sequence[str], seed: str) -> Ints:
    by_price = np.argsort(-prices, kind="stable")
    filled = by_price[(prices[by_price] > (price or 0)) & (awarded[by_price] > 0)]
    marginal = np.flatnonzero((prices == price) & (awarded > 0))
    order: Ints = np.concatenate([filled, marginal[_tie_ranks(marginal, bid_ids, seed)]]).astype(np.int64)
    return order  # (numpy 1.26's stubs, which primap2 pins, type concatenate as Any)
