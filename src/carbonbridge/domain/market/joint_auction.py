"""A joint auction of two jurisdictions' volumes (the California-Quebec model): one clearing
currency, bids in either currency converted at the rate fixed the business day before, one
uniform clearing price (domain/market/auction.clear), each winner paying in its own currency.

Delivery: each registry can only move its own jurisdiction's units, so each side's volume serves
its own winners first (in award order) and what is left of it goes across the link to the other
side's winners still short. As the cleared volume equals the volume offered, at most one side
sends. A winner pays its own registry's proceeds account for every unit it won; the part paid for
units the partner delivered is owed to the partner (WCI: proceeds go to the jurisdiction whose
allowances were sold)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from carbonbridge.domain.errors import Problem, ValidationFailed
from carbonbridge.domain.market.auction import AuctionResult, AuctionRules, AuctionStatus, Bid, clear
from carbonbridge.domain.market.fx import OfficialRate, Rounding, convert_minor


@dataclass(frozen=True, slots=True)
class JointSide:
    jurisdiction: str
    currency: str
    volume: int  # units of this jurisdiction's allowances offered


@dataclass(frozen=True, slots=True)
class SideBid:
    jurisdiction: str  # where the bid was placed (and its cash held)
    bid: Bid  # price in that side's currency, lots in joint lots


@dataclass(frozen=True, slots=True)
class Delivery:
    origin: str  # whose registry delivers (whose allowances)
    winner_side: str
    bidder: str
    bid_id: str
    units: int


@dataclass(frozen=True, slots=True)
class SideOutcome:
    jurisdiction: str
    currency: str
    price_minor: int  # per allowance, in this side's currency
    payments: tuple[tuple[str, int], ...]  # (bidder, minor units) of this side's winners
    received_units: int  # units this side's winners receive from the partner's volume
    owed_to_partner_minor: int  # this side's currency: the payments for the partner's units


@dataclass(frozen=True, slots=True)
class JointResult:
    result: AuctionResult  # in the clearing currency; bidders named "<side>/<bidder>"
    clearing_currency: str
    rate: OfficialRate
    converted: tuple[tuple[str, int], ...]  # (bid id, price in the clearing currency)
    deliveries: tuple[Delivery, ...]
    sides: tuple[SideOutcome, ...]

    def side(self, jurisdiction: str) -> SideOutcome:
        return next(s for s in self.sides if s.jurisdiction == jurisdiction)


def _qualified(side: str, bidder: str) -> str:
    return f"{side}/{bidder}"


def clear_joint(
    sides: Sequence[JointSide],
    bids: Sequence[SideBid],
    rules: AuctionRules,
    tie_seed: str,
    rate: OfficialRate,
    clearing_currency: str,
) -> JointResult:
    """Convert every bid to the clearing currency (rounded down to a whole minor unit), clear the
    combined volume at one price, and work out each side's price, payments and deliveries."""
    if len(sides) != 2 or len({s.jurisdiction for s in sides}) != 2:
        raise ValidationFailed([Problem("a joint auction has exactly two sides", field="sides")])
    currency = {s.jurisdiction: s.currency for s in sides}
    if clearing_currency not in currency.values():
        raise ValidationFailed([Problem(f"{clearing_currency} is neither side's currency", field="clearing_currency")])
    converted = [
        Bid(
            b.bid.bid_id,
            _qualified(b.jurisdiction, b.bid.bidder),
            convert_minor(b.bid.price, currency[b.jurisdiction], clearing_currency, rate, Rounding.DOWN),
            b.bid.lots,
        )
        for b in bids
    ]
    result = clear(converted, sum(s.volume for s in sides), rules, tie_seed)
    deliveries: tuple[Delivery, ...] = ()
    outcomes = []
    for s in sides:
        price = None
        if result.clearing_price is not None:
            price = convert_minor(result.clearing_price, clearing_currency, s.currency, rate, Rounding.HALF_UP)
        outcomes.append((s, price))
    if result.status is AuctionStatus.CLEARED:
        deliveries = _deliveries(sides, result, {b.bid.bid_id: b.jurisdiction for b in bids})
    return JointResult(
        result,
        clearing_currency,
        rate,
        tuple((b.bid_id, b.price) for b in converted),
        deliveries,
        tuple(_outcome(s, price or 0, deliveries) for s, price in outcomes),
    )


def _deliveries(sides: Sequence[JointSide], result: AuctionResult, side_of: Mapping[str, str]) -> tuple[Delivery, ...]:
    left = {s.jurisdiction: s.volume for s in sides}
    short: list[tuple[str, str, str, int]] = []  # (winner side, bidder, bid id, units) still owed
    out: list[Delivery] = []
    for award in result.awards:
        side = side_of[award.bid_id]
        local = min(award.units, left[side])
        left[side] -= local
        if local:
            out.append(Delivery(side, side, award.bidder, award.bid_id, local))
        if award.units > local:
            short.append((side, award.bidder, award.bid_id, award.units - local))
    for side, bidder, bid_id, units in short:
        origin = next(s.jurisdiction for s in sides if s.jurisdiction != side)
        assert left[origin] >= units, "cleared volume equals the volume offered"
        left[origin] -= units
        out.append(Delivery(origin, side, bidder, bid_id, units))
    assert not any(left.values()), f"volume left undelivered: {left}"
    return tuple(out)


def _outcome(side: JointSide, price: int, deliveries: Sequence[Delivery]) -> SideOutcome:
    won: dict[str, int] = {}
    received = 0
    for d in deliveries:
        if d.winner_side == side.jurisdiction:
            bidder = d.bidder.split("/", 1)[1]
            won[bidder] = won.get(bidder, 0) + d.units
            if d.origin != side.jurisdiction:
                received += d.units
    return SideOutcome(
        side.jurisdiction,
        side.currency,
        price,
        tuple((b, u * price) for b, u in sorted(won.items())),
        received,
        received * price,
    )
