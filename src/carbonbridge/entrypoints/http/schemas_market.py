"""Request and response bodies of the market's resources (one schema per direction,
`extra="forbid"`, bounded). Prices and amounts are integer minor units (kopeck, fen): `price_minor`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, model_validator

from carbonbridge.entrypoints.http.schemas import Id, In, Out

PriceMinor = Annotated[int, Field(ge=1, le=10**12, description="Price in minor units (kopeck, fen) per tonne")]
Quantity = Annotated[int, Field(ge=1, le=10**12, description="Whole units (tonnes)")]


class InstrumentPublic(Out):
    code: str
    jurisdiction: str
    vintage: int
    currency: str
    tick: int = Field(description="Price step in minor units")
    fee_bp: int = Field(description="Exchange fee per side, basis points of the notional")
    block_minimum: int = Field(description="From this size an order is a block trade (not on the book)")
    previous_close: int | None = Field(description="VWAP close of the last trading day before today, minor units")
    band_low: int | None
    band_high: int | None


class OrderCreate(In):
    instrument: Id
    participant: Id
    side: Literal["buy", "sell"]
    type: Literal["limit", "market", "ioc", "fok"] = "limit"
    quantity: Quantity
    price_minor: PriceMinor | None = Field(None, description="The limit; omit for a market order")


class OrderAmend(In):
    quantity: Quantity | None = Field(None, description="The new open size (smaller at the same price keeps priority)")
    price_minor: PriceMinor | None = None

    @model_validator(mode="after")
    def _something(self) -> OrderAmend:
        if self.quantity is None and self.price_minor is None:
            raise ValueError("give quantity, price_minor or both")
        return self


class FillPublic(Out):
    trade_id: str
    price_minor: int
    quantity: int


class OrderPublic(Out):
    id: str
    instrument: str
    participant: str
    side: str
    type: str
    price_minor: int | None
    quantity: int
    filled: int
    remaining: int
    state: str = Field(description="open, done (filled or the rest cancelled), cancelled, expired or refused")
    code: str = Field(description="OK, or the refusal code (M..., C...)")
    at: dt.datetime
    trades: list[FillPublic] = Field(default_factory=list)


class TradePrintPublic(Out):
    id: str
    seq: int
    instrument: str
    price_minor: int
    quantity: int
    block: bool
    at: dt.datetime


class OwnTradePublic(Out):
    id: str
    seq: int
    instrument: str
    side: str
    order_id: str | None
    price_minor: int
    quantity: int
    settled: bool
    at: dt.datetime


class LevelPublic(Out):
    price_minor: int
    quantity: int
    orders: int


class DepthPublic(Out):
    instrument: str
    last_seq: int = Field(description="The last trade sequence number when the depth was read")
    bids: list[LevelPublic]
    asks: list[LevelPublic]


class BarPublic(Out):
    day: dt.date
    open: int
    high: int
    low: int
    last: int
    close: int = Field(description="VWAP of the day's listing trades (of all trades when only blocks traded)")
    volume: int
    turnover: int = Field(description="Sum of price x quantity, minor units")
    trades: int


class AuctionPublic(Out):
    id: str
    jurisdiction: str
    unit_type: str
    currency: str
    auction_date: str
    volume: int
    state: str = Field(description="scheduled, cleared or cancelled")
    code: str | None
    clearing_price: int | None
    volume_sold: int | None
    bid_volume: int | None
    bidders: int | None
    winners: int | None
    cover_ratio: str | None
    carried_over: str | None
    msr_adjusted: int | None
    tie_seed: str | None = Field(description="The tie-breaking seed fixed before the auction; published after it")


class BidCreate(In):
    participant: Id
    price_minor: PriceMinor
    lots: Annotated[int, Field(ge=1, le=10**6)]


class BidPublic(Out):
    id: str
    auction_id: str
    participant: str
    price_minor: int
    lots: int


class MsrPublic(Out):
    jurisdiction: str
    year: int
    tnac: int
    intake: int
    release: int
    rule: str
    monthly: list[int]


class CashPublic(Out):
    id: str
    owner: str
    currency: str
    kind: str
    balance: int = Field(description="Minor units")
    held: int = Field(description="Held for open orders, bids and unsettled trades")
    available: int


class ClosedPublic(Out):
    instrument: str
    expired: int = Field(description="Open orders that expired (their holds released)")


class SettlementPublic(Out):
    id: str
    instrument: str
    trades: int
    units: int
    notional: int = Field(description="Minor units")
    fees: int = Field(description="Minor units, to the exchange's fee account")
    registry_transactions: list[str]
    repeated: bool = Field(description="True when the Idempotency-Key repeated an earlier settlement")
