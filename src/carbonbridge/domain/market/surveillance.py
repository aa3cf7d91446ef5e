"""Market surveillance alerts: wash trades, orders at the band limits, order-to-trade ratios,
concentration of holdings. Thresholds come from configuration; every alert names its evidence."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class SurveillanceRules:
    order_to_trade_max: Decimal = Decimal(20)  # orders per trade above which a participant is flagged
    order_to_trade_min_orders: int = 20  # ... once it sent at least this many orders
    concentration_max: Decimal = Decimal("0.20")  # share of an instrument's holdings


@dataclass(frozen=True, slots=True)
class OrderSeen:
    order_id: str
    participant: str
    price: int | None
    band: tuple[int, int] | None


@dataclass(frozen=True, slots=True)
class TradeSeen:
    trade_id: str
    buyer: str
    seller: str
    quantity: int


@dataclass(frozen=True, slots=True)
class Alert:
    kind: str  # wash_trade | band_limit | order_to_trade | concentration
    subject: str
    detail: str


def alerts(
    orders: Sequence[OrderSeen],
    trades: Sequence[TradeSeen],
    owner_of: Mapping[str, str],
    holdings: Mapping[str, int],
    rules: SurveillanceRules,
) -> list[Alert]:
    """`owner_of` maps a participant to its beneficial owner; `holdings` one instrument's units per holder."""
    out: list[Alert] = []
    for t in trades:
        buyer, seller = owner_of.get(t.buyer, t.buyer), owner_of.get(t.seller, t.seller)
        if buyer == seller:
            out.append(
                Alert("wash_trade", t.trade_id, f"{t.buyer} bought {t.quantity} from {t.seller}; both owned by {buyer}")
            )
    for o in orders:
        if o.price is not None and o.band is not None and o.price in o.band:
            which = "lower" if o.price == o.band[0] else "upper"
            out.append(Alert("band_limit", o.order_id, f"{o.participant} priced at the {which} band limit {o.price}"))
    sent: dict[str, int] = {}
    traded: dict[str, int] = {}
    for o in orders:
        sent[o.participant] = sent.get(o.participant, 0) + 1
    for t in trades:
        traded[t.buyer] = traded.get(t.buyer, 0) + 1
        traded[t.seller] = traded.get(t.seller, 0) + 1
    for p in sorted(sent):
        n = sent[p]
        ratio = Decimal(n) / Decimal(max(traded.get(p, 0), 1))
        if n >= rules.order_to_trade_min_orders and ratio > rules.order_to_trade_max:
            out.append(Alert("order_to_trade", p, f"{n} orders, {traded.get(p, 0)} trades (ratio {ratio:.1f})"))
    total = sum(v for v in holdings.values() if v > 0)
    for holder in sorted(holdings):
        held = holdings[holder]
        if total and Decimal(held) / Decimal(total) > rules.concentration_max:
            share = Decimal(held) / Decimal(total) * 100
            out.append(Alert("concentration", holder, f"holds {held} of {total} units ({share:.1f} %)"))
    return out
