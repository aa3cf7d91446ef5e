"""Delivery versus payment, the pure part: what each participant delivers and pays for a set of
trades, per trade or netted per participant, with fees to the exchange's fee account."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from carbonbridge.domain.market.money import amount_minor, fee_minor


@dataclass(frozen=True, slots=True)
class Trade:
    trade_id: str
    instrument: str
    buyer: str  # participant ids
    seller: str
    price: int  # minor units per unit
    quantity: int


@dataclass(frozen=True, slots=True)
class Obligation:
    """Net for one participant: units received (negative: delivered) and cash received (negative: paid)."""

    participant: str
    units: int
    cash: int
    fees: int


@dataclass(frozen=True, slots=True)
class NetSettlement:
    obligations: tuple[Obligation, ...]
    fees_total: int
    trades: int
    units_traded: int
    notional: int

    def check(self) -> None:
        """Conservation: units sum to zero; cash paid equals cash received plus fees."""
        assert sum(o.units for o in self.obligations) == 0, "units not conserved"
        assert sum(o.cash for o in self.obligations) + self.fees_total == 0, "cash not conserved"


def net(trades: Sequence[Trade], fee_bp: int) -> NetSettlement:
    """Net the trades per participant (a buyer pays notional + fee, a seller receives notional - fee,
    the fee per side is rounded half up to a whole minor unit, per trade)."""
    units: dict[str, int] = {}
    cash: dict[str, int] = {}
    fees: dict[str, int] = {}
    total_fees = notional_sum = volume = 0
    for t in trades:
        notional = amount_minor(t.price, t.quantity)
        fee = fee_minor(notional, fee_bp)
        units[t.buyer] = units.get(t.buyer, 0) + t.quantity
        units[t.seller] = units.get(t.seller, 0) - t.quantity
        cash[t.buyer] = cash.get(t.buyer, 0) - notional - fee
        cash[t.seller] = cash.get(t.seller, 0) + notional - fee
        fees[t.buyer] = fees.get(t.buyer, 0) + fee
        fees[t.seller] = fees.get(t.seller, 0) + fee
        total_fees += 2 * fee
        notional_sum += notional
        volume += t.quantity
    obligations = tuple(Obligation(p, units[p], cash[p], fees[p]) for p in sorted(units))
    result = NetSettlement(obligations, total_fees, len(trades), volume, notional_sum)
    result.check()
    return result
