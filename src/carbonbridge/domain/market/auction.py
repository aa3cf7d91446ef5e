"""Primary auctions: sealed single-round bids in lots, a uniform clearing price, ties broken by a
random order fixed before the auction, cancellation, carry-over, and China-style one-way bidding.

Sources (the rules, as configured in data/market/*.toml):
- Commission Delegated Regulation (EU) 2023/2830 (recast of Regulation (EU) No 1031/2010), the
  article on determining the auction clearing price (1031/2010 Art. 7(1)-(4)): bids are sorted
  by price; where the volume bid at the highest prices meets or exceeds the volume auctioned, the
  price of the bid that meets it is the clearing price; all successful bidders pay it; bids at the
  same price are ranked by a random selection whose algorithm is fixed before the auction.
- the same article on cancellation (1031/2010 Art. 7(5)-(6)): the auction is cancelled when the
  volume bid falls short of the volume auctioned, or when the clearing price is significantly under
  the prevailing secondary-market price; the volume is then spread evenly over the next scheduled
  auctions (four here, configurable).
- Shanghai Environment and Energy Exchange (SEEE), national carbon market trading rules (2021):
  one-way bidding (单向竞价) lets one party sell a large volume to many bidders within a price band.
Article numbers of the recast are given as the 1031/2010 articles they recast; check them against
the Official Journal text before relying on them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from carbonbridge.domain.errors import Problem, ValidationFailed

Ints = npt.NDArray[np.int64]


class AuctionStatus(StrEnum):
    CLEARED = "cleared"
    CANCELLED = "cancelled"


class AuctionCode(StrEnum):
    OK = "OK"
    UNDERSUBSCRIBED = "A01_UNDERSUBSCRIBED"  # bids fall short of the volume auctioned
    BELOW_RESERVE = "A02_BELOW_RESERVE"  # clearing price under the reserve price
    UNDER_SECONDARY = "A03_UNDER_SECONDARY_MARKET"  # clearing price significantly under the secondary market
    NO_VOLUME = "A04_NO_VOLUME"


@dataclass(frozen=True, slots=True)
class Bid:
    bid_id: str
    bidder: str
    price: int  # minor units per allowance
    lots: int


@dataclass(frozen=True, slots=True)
class AuctionRules:
    lot_size: int = 500
    reserve_price: int | None = None  # minor units; None: no reserve price
    max_bidder_share: Decimal | None = None  # e.g. Decimal("0.5"): no bidder wins more than half
    secondary_threshold: Decimal = Decimal("0.10")  # cancel if clearing < secondary x (1 - threshold)
    carry_over_auctions: int = 4

    def validate(self) -> None:
        problems = []
        if self.lot_size <= 0:
            problems.append(Problem("must be a positive number of allowances", field="lot_size"))
        if self.max_bidder_share is not None and not Decimal(0) < self.max_bidder_share <= 1:
            problems.append(Problem("must be in (0, 1]", field="max_bidder_share"))
        if not Decimal(0) <= self.secondary_threshold < 1:
            problems.append(Problem("must be in [0, 1)", field="secondary_threshold"))
        if self.carry_over_auctions <= 0:
            problems.append(Problem("must be positive", field="carry_over_auctions"))
        if problems:
            raise ValidationFailed(problems)


class Award(NamedTuple):
    """Immutable like the other records; a named tuple because an auction may make 10^5 of them."""

    bid_id: str
    bidder: str
    lots: int
    units: int


@dataclass(frozen=True, slots=True)
class AuctionResult:
    status: AuctionStatus
    code: AuctionCode
    volume_offered: int  # allowances
    volume_sold: int
    clearing_price: int | None
    bid_volume: int  # allowances bid (after the per-bidder maximum)
    bidders: int
    winners: int
    awards: tuple[Award, ...]
    tie_seed: str
    trimmed: tuple[tuple[str, int], ...] = ()  # (bid id, lots not admitted by the bidder maximum)

    @property
    def cover_ratio(self) -> Decimal:
        """Volume bid over volume offered (the EU auction reports' 'cover ratio')."""
        if self.volume_offered == 0:
            return Decimal(0)
        return (Decimal(self.bid_volume) / Decimal(self.volume_offered)).quantize(Decimal("0.01"))


def tie_key(seed: str, bid_id: str) -> str:
    """The random order of bids at one price: SHA-256 of the seed drawn before the auction and the
    bid id. Recording the seed makes the order reproducible by anyone."""
    return hashlib.sha256(f"{seed}:{bid_id}".encode()).hexdigest()


def _trim_to_maximum(bids: Sequence[Bid], limit_lots: int | None) -> tuple[list[Bid], list[tuple[str, int]]]:
    """A bidder's lots above `limit_lots` are not admitted, its lowest-priced bids first."""
    if limit_lots is None:
        return list(bids), []
    admitted: list[Bid] = []
    trimmed: list[tuple[str, int]] = []
    used: dict[str, int] = {}
    for bid in sorted(bids, key=lambda b: (-b.price, b.bid_id)):
        room = limit_lots - used.get(bid.bidder, 0)
        take = min(bid.lots, max(room, 0))
        if take < bid.lots:
            trimmed.append((bid.bid_id, bid.lots - take))
        if take:
            admitted.append(Bid(bid.bid_id, bid.bidder, bid.price, take))
            used[bid.bidder] = used.get(bid.bidder, 0) + take
    return admitted, trimmed


def clear(
    bids: Sequence[Bid],
    volume: int,
    rules: AuctionRules,
    tie_seed: str,
    *,
    secondary_price: int | None = None,
) -> AuctionResult:
    """Clear a sealed-bid uniform-price auction of `volume` allowances (a whole number of lots)."""
    rules.validate()
    if volume % rules.lot_size:
        raise ValidationFailed([Problem(f"volume {volume} is not a whole number of lots", field="volume")])
    lots_offered = volume // rules.lot_size
    limit = None
    if rules.max_bidder_share is not None:
        limit = int(Decimal(lots_offered) * rules.max_bidder_share)
    admitted, trimmed = _trim_to_maximum([b for b in bids if b.lots > 0], limit)
    bid_lots = sum(b.lots for b in admitted)
    bidders = len({b.bidder for b in bids})

    def outcome(code: AuctionCode, price: int | None = None, awards: Sequence[Award] = ()) -> AuctionResult:
        status = AuctionStatus.CLEARED if code is AuctionCode.OK else AuctionStatus.CANCELLED
        return AuctionResult(
            status,
            code,
            volume,
            sum(a.units for a in awards),
            price,
            bid_lots * rules.lot_size,
            bidders,
            len({a.bidder for a in awards}),
            tuple(awards),
            tie_seed,
            tuple(trimmed),
        )

    if lots_offered == 0:
        return outcome(AuctionCode.NO_VOLUME)
    if bid_lots < lots_offered:
        return outcome(AuctionCode.UNDERSUBSCRIBED)
    awards, price = _allocate(admitted, lots_offered, rules.lot_size, tie_seed)
    if rules.reserve_price is not None and price < rules.reserve_price:
        return outcome(AuctionCode.BELOW_RESERVE, price)
    if secondary_price is not None and price < secondary_price * (1 - rules.secondary_threshold):
        return outcome(AuctionCode.UNDER_SECONDARY, price)
    return outcome(AuctionCode.OK, price, awards)


def clear_columns(prices: Ints, lots: Ints, lots_offered: int, ranks_at: Callable[[Ints], Ints]) -> tuple[int, Ints]:
    """The columnar core of the clearing: the clearing price and the lots awarded to each bid.
    Demand must cover supply. Every bid priced above the clearing price is filled; the bids at the
    clearing price are served in the order `ranks_at(indices)` gives them (the seeded random order,
    computed for the marginal level alone)."""
    order = np.argsort(-prices, kind="stable")
    cumulative = np.cumsum(lots[order])
    price = int(prices[order[int(np.searchsorted(cumulative, lots_offered))]])
    awarded = np.where(prices > price, lots, 0)
    left = lots_offered - int(awarded.sum())
    marginal = np.flatnonzero(prices == price)
    ranked = marginal[ranks_at(marginal)]
    before = np.cumsum(lots[ranked]) - lots[ranked]
    awarded[ranked] = np.minimum(lots[ranked], np.maximum(0, left - before))
    return price, awarded


def _allocate(bids: Sequence[Bid], lots_offered: int, lot_size: int, tie_seed: str) -> tuple[list[Award], int]:
    """Awards in order: fully filled bids by price (then input order), then the marginal level in tie order."""
    prices = np.fromiter((b.price for b in bids), dtype=np.int64, count=len(bids))
    lots = np.fromiter((b.lots for b in bids), dtype=np.int64, count=len(bids))

    def ranks_at(indices: Ints) -> Ints:
        keys = [tie_key(tie_seed, bids[int(i)].bid_id) for i in indices]
        return np.array(sorted(range(len(keys)), key=keys.__getitem__), dtype=np.int64)

    price, awarded = clear_columns(prices, lots, lots_offered, ranks_at)
    by_price = np.argsort(-prices, kind="stable")  # fully filled bids: by price, then in input order
    filled = by_price[prices[by_price] > price].tolist()
    marginal = np.flatnonzero(prices == price)
    order = [*filled, *(int(i) for i in marginal[ranks_at(marginal)] if awarded[i] > 0)]
    taken = awarded.tolist()
    return [Award(bids[i].bid_id, bids[i].bidder, taken[i], taken[i] * lot_size) for i in order], price


def spread_evenly(volume: int, upcoming: Sequence[int], lot_size: int, count: int) -> list[int]:
    """Add a cancelled `volume` to the next `count` auctions' volumes in equal whole lots; the lots
    that do not divide evenly go one each to the earliest auctions. Returns the new volumes."""
    if volume % lot_size:
        raise ValidationFailed([Problem(f"volume {volume} is not a whole number of lots", field="volume")])
    n = min(count, len(upcoming))
    if n == 0:
        raise ValidationFailed([Problem("no later auction to carry the cancelled volume over to", field="calendar")])
    share, extra = divmod(volume // lot_size, n)
    return [v + (share + (1 if i < extra else 0)) * lot_size if i < n else v for i, v in enumerate(upcoming)]


def split_volume(total: int, auctions: int, lot_size: int) -> tuple[list[int], int]:
    """An annual volume over `auctions` dates in whole lots (earliest first get the extra lots);
    the units short of a whole lot are returned separately (they stay in the national account)."""
    if auctions <= 0:
        raise ValidationFailed([Problem("the calendar has no auction date", field="calendar")])
    lots, rest = divmod(total, lot_size)
    share, extra = divmod(lots, auctions)
    return [(share + (1 if i < extra else 0)) * lot_size for i in range(auctions)], rest


class Pricing(StrEnum):
    UNIFORM = "uniform"  # every winner pays the lowest accepted price
    PAY_AS_BID = "pay_as_bid"  # every winner pays its own price


@dataclass(frozen=True, slots=True)
class OneWayRules:
    """SEEE one-way bidding for a large seller."""

    minimum_units: int = 100_000  # smallest offer the seller may put up
    minimum_bid_units: int = 1_000
    band: Decimal = Decimal("0.30")  # bids within +/- band of the previous close
    pricing: Pricing = Pricing.UNIFORM


@dataclass(frozen=True, slots=True)
class OneWayBid:
    bid_id: str
    bidder: str
    price: int
    units: int
    seq: int  # arrival order: ties at one price are served first come, first served


@dataclass(frozen=True, slots=True)
class OneWayFill:
    bid_id: str
    bidder: str
    units: int
    price: int


@dataclass(frozen=True, slots=True)
class OneWayResult:
    offered: int
    sold: int
    fills: tuple[OneWayFill, ...]
    rejected: tuple[tuple[str, str], ...]  # (bid id, reason)
    band: tuple[int, int]


def one_way(offered: int, bids: Sequence[OneWayBid], rules: OneWayRules, previous_close: int) -> OneWayResult:
    """Serve bids by price then arrival until the offer is sold; bids under the minimum size or
    outside the band are rejected; unsold units stay with the seller."""
    if offered < rules.minimum_units:
        raise ValidationFailed(
            [Problem(f"a one-way offer is at least {rules.minimum_units} units, got {offered}", field="offered")]
        )
    low = int((Decimal(previous_close) * (1 - rules.band)).to_integral_value(rounding="ROUND_CEILING"))
    high = int((Decimal(previous_close) * (1 + rules.band)).to_integral_value(rounding="ROUND_FLOOR"))
    rejected = []
    valid = []
    for b in bids:
        if b.units < rules.minimum_bid_units:
            rejected.append((b.bid_id, "below the minimum bid size"))
        elif not low <= b.price <= high:
            rejected.append((b.bid_id, "outside the price band"))
        else:
            valid.append(b)
    left = offered
    taken: list[OneWayBid] = []
    for b in sorted(valid, key=lambda b: (-b.price, b.seq)):
        if left == 0:
            break
        units = min(left, b.units)
        taken.append(OneWayBid(b.bid_id, b.bidder, b.price, units, b.seq))
        left -= units
    floor = min((b.price for b in taken), default=0)
    fills = tuple(
        OneWayFill(b.bid_id, b.bidder, b.units, floor if rules.pricing is Pricing.UNIFORM else b.price) for b in taken
    )
    return OneWayResult(offered, offered - left, fills, tuple(rejected), (low, high))
