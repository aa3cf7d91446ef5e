"""A deliberately plain order book: a list of resting orders sorted on every match. It is the
reference the real book is tested against (identical fills) and the baseline of the benchmark."""

from __future__ import annotations

from dataclasses import dataclass

from carbonbridge.domain.market.book import Fill, OrderType, Side, StpMode


@dataclass
class _Entry:
    id: str
    owner: str | None
    side: Side
    price: int
    remaining: int
    seq: int


class ReferenceBook:
    def __init__(self, *, stp: StpMode = StpMode.NONE) -> None:
        self.stp = stp
        self.entries: list[_Entry] = []
        self._seq = 0

    def _opposite(self, side: Side, limit: int | None) -> list[_Entry]:
        def crosses(e: _Entry) -> bool:
            if e.side is side:
                return False
            if limit is None:
                return True
            return e.price <= limit if side is Side.BUY else e.price >= limit

        found = [e for e in self.entries if crosses(e)]
        found.sort(key=lambda e: (e.price if side is Side.BUY else -e.price, e.seq))
        return found

    def submit(
        self,
        order_id: str,
        side: Side,
        order_type: OrderType,
        quantity: int,
        price: int | None,
        owner: str | None = None,
    ) -> list[Fill]:
        candidates = self._opposite(side, price)
        stp_on = self.stp is not StpMode.NONE and owner is not None
        if order_type is OrderType.FOK:
            available = sum(e.remaining for e in candidates if not (stp_on and e.owner == owner))
            if available < quantity:
                return []
        fills: list[Fill] = []
        remaining = quantity
        for e in candidates:
            if remaining == 0:
                break
            if stp_on and e.owner == owner:
                if self.stp is StpMode.CANCEL_INCOMING:
                    remaining = 0
                    break
                self.entries.remove(e)
                continue
            traded = min(remaining, e.remaining)
            fills.append(Fill(order_id, e.id, e.price, traded, side, owner, e.owner))
            remaining -= traded
            e.remaining -= traded
            if e.remaining == 0:
                self.entries.remove(e)
        if remaining and order_type is OrderType.LIMIT:
            assert price is not None
            self._seq += 1
            self.entries.append(_Entry(order_id, owner, side, price, remaining, self._seq))
        return fills

    def cancel(self, order_id: str) -> int:
        for e in self.entries:
            if e.id == order_id:
                self.entries.remove(e)
                return e.remaining
        return 0

    def amend(self, order_id: str, quantity: int) -> None:
        """Size reduction only (keeps priority)."""
        for e in self.entries:
            if e.id == order_id:
                e.remaining = quantity
