"""Market resources: instruments and public market data (trades, depth, daily bars with the VWAP
close, a server-sent event stream, auctions, MSR figures), order entry for traders, auction bids,
own orders, trades and cash. Order entry runs over the database (services/market/order_entry.py),
so any worker may take any order."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import anyio
from fastapi import APIRouter, Header, Path, Query

from carbonbridge.adapters.market_config import load_market_config
from carbonbridge.domain.auth.policy import Action, Target
from carbonbridge.domain.errors import NotFound
from carbonbridge.domain.market.book import OrderType, Side
from carbonbridge.entrypoints.http import schemas as s
from carbonbridge.entrypoints.http import schemas_market as m
from carbonbridge.entrypoints.http.access import Caller, Ctx, OneTimeCode, authorize, scope_of, sign
from carbonbridge.entrypoints.http.context import Context
from carbonbridge.entrypoints.http.market_events import EventStream, depth_public, events
from carbonbridge.services.market import auctions, data, order_entry, order_reads, views
from carbonbridge.services.market.msr import msr_figures
from carbonbridge.services.market.settlement import settle

router = APIRouter(prefix="/market", tags=["market"], responses=s.PROBLEMS)
IdempotencyKey = Annotated[
    str, Header(alias="Idempotency-Key", min_length=1, max_length=128, description="Repeat -> the first result")
]
Instrument = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
OrderId = Annotated[str, Path(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9._-]+$")]
SeqCursor = Annotated[int, Query(ge=0, le=10**15, description="Return trades after this sequence number")]


def _served(ctx: Context, jurisdiction: str, what: str) -> None:
    if ctx.settings.jurisdiction and jurisdiction != ctx.settings.jurisdiction:
        raise NotFound(f"unknown {what}")


def _instrument(ctx: Context, instrument: str) -> None:
    _served(ctx, views.require_instrument(ctx.sessions, instrument), "instrument")


def _participant(ctx: Context, who: Caller, action: Action, participant_id: str) -> None:
    target = views.participant_target(ctx.sessions, participant_id)
    authorize(ctx, who, action, target, "participant")
    if target is None:
        raise NotFound("unknown participant")


def _order_allowed(ctx: Context, who: Caller, action: Action, order_id: str) -> None:
    target = views.order_target(ctx.sessions, order_id)
    authorize(ctx, who, action, target, "order")
    if target is None:
        raise NotFound("unknown order")


def _order(o: order_reads.OrderView) -> m.OrderPublic:
    fills = [m.FillPublic(trade_id=t.trade_id, price_minor=t.price, quantity=t.quantity) for t in o.trades]
    return m.OrderPublic(
        id=o.id,
        instrument=o.instrument,
        participant=o.participant,
        side=o.side,
        type=o.type,
        price_minor=o.price,
        quantity=o.quantity,
        filled=o.filled,
        remaining=o.remaining,
        state=o.state,
        code=o.code,
        at=o.at,
        trades=fills,
    )


# -- public market data ----------------------------------------------------------------------------


@router.get("/instruments", response_model=s.Page[m.InstrumentPublic])
def list_instruments(
    ctx: Ctx, cursor: s.Cursor = None, limit: s.Limit = 50, jurisdiction: s.Jurisdiction | None = None
) -> dict[str, object]:
    """Allowances traded on the exchange, with today's reference price (previous close) and band."""
    codes: list[str] = [c for c in ("BY", "CN") if c == (jurisdiction or c) and c == (ctx.settings.jurisdiction or c)]
    found = views.instruments(ctx.sessions, codes, now=ctx.now(), after=s.decode_cursor(cursor), limit=limit)
    return s.page([m.InstrumentPublic.model_validate(i) for i in found], [i.code for i in found], limit)


@router.get("/instruments/{instrument}", response_model=m.InstrumentPublic)
def get_instrument(instrument: Instrument, ctx: Ctx) -> m.InstrumentPublic:
    _instrument(ctx, instrument)
    return m.InstrumentPublic.model_validate(views.instrument(ctx.sessions, instrument, now=ctx.now()))


@router.get("/instruments/{instrument}/trades", response_model=s.Page[m.TradePrintPublic])
def instrument_trades(
    instrument: Instrument, ctx: Ctx, cursor: s.Cursor = None, limit: s.Limit = 50
) -> dict[str, object]:
    """The instrument's trades in sequence (no participants); `cursor` continues after the last."""
    _instrument(ctx, instrument)
    after = s.decode_cursor(cursor)
    found = views.trades_after(
        ctx.sessions, instrument, after_seq=int(after) if after and after.isdigit() else 0, limit=limit
    )
    items = [m.TradePrintPublic.model_validate(t) for t in found]
    return s.page(items, [str(t.seq) for t in found], limit)


@router.get("/instruments/{instrument}/depth", response_model=m.DepthPublic)
def instrument_depth(instrument: Instrument, ctx: Ctx, levels: Annotated[int, Query(ge=1, le=50)] = 5) -> m.DepthPublic:
    """The best price levels of each side of the open book: price, quantity and number of orders."""
    _instrument(ctx, instrument)
    return depth_public(views.depth(ctx.sessions, instrument, levels))


@router.get("/instruments/{instrument}/ohlcv", response_model=s.Page[m.BarPublic])
def instrument_ohlcv(
    instrument: Instrument,
    ctx: Ctx,
    cursor: s.Cursor = None,
    limit: s.Limit = 50,
    since: Annotated[dt.date | None, Query(alias="from", description="First day (local)")] = None,
    until: Annotated[dt.date | None, Query(alias="to", description="Last day (local)")] = None,
) -> dict[str, object]:
    """Daily open, high, low, last, VWAP close, volume and turnover, by trading day (local date)."""
    _instrument(ctx, instrument)
    after = s.decode_cursor(cursor)
    bars = [
        b
        for b in data.bars(ctx.sessions, instrument)
        if (since is None or b.day >= since)
        and (until is None or b.day <= until)
        and (after is None or b.day.isoformat() > after)
    ][:limit]
    return s.page([m.BarPublic.model_validate(b) for b in bars], [b.day.isoformat() for b in bars], limit)


@router.get(
    "/instruments/{instrument}/events",
    response_class=EventStream,
    responses={
        200: {
            "description": "text/event-stream: `trade` and `depth` events",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        }
    },
)
async def instrument_events(
    instrument: Instrument,
    ctx: Ctx,
    last_event_id: Annotated[
        str | None, Header(alias="Last-Event-ID", max_length=64, description="Resume after this trade sequence")
    ] = None,
    max_events: Annotated[int, Query(ge=1, le=10_000, description="End the stream after this many events")] = 10_000,
) -> EventStream:
    """Server-sent events of the instrument: `trade` (id = the trade's sequence number) and `depth`
    (the best five levels when they change; id = the last trade sequence). With `Last-Event-ID` the
    trades after it are sent first; without it the stream starts with the current depth. The stream
    ends after `max_events` events or the server's stream time (CARBONBRIDGE_STREAM_SECONDS); resume
    with `Last-Event-ID` (an id that is not a sequence number is ignored, as if absent)."""
    await anyio.to_thread.run_sync(_instrument, ctx, instrument)
    if last_event_id is not None and last_event_id.isdigit() and len(last_event_id) <= 15:
        start = int(last_event_id)
    else:
        start = (await anyio.to_thread.run_sync(views.depth, ctx.sessions, instrument, 1)).last_seq
    return EventStream(events(ctx, instrument, start, max_events), headers={"X-Accel-Buffering": "no"})


@router.get("/auctions", response_model=s.Page[m.AuctionPublic])
def list_auctions(
    ctx: Ctx,
    cursor: s.Cursor = None,
    limit: s.Limit = 50,
    jurisdiction: s.Jurisdiction | None = None,
    state: Annotated[str | None, Query(pattern=r"^(scheduled|cleared|cancelled)$")] = None,
    unit_type: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, object]:
    """The auction calendar and the published results (clearing price, volumes, bidders, cover)."""
    after = s.decode_cursor(cursor)
    found = [
        a
        for a in auctions.results(ctx.sessions, jurisdiction or ctx.settings.jurisdiction)
        if (state is None or a.state == state)
        and (unit_type is None or a.unit_type == unit_type)
        and (after is None or a.id > after)
        and (not ctx.settings.jurisdiction or a.jurisdiction == ctx.settings.jurisdiction)
    ]
    found = sorted(found, key=lambda a: a.id)[:limit]
    return s.page([_auction(a) for a in found], [a.id for a in found], limit)


def _auction(a: auctions.AuctionView) -> m.AuctionPublic:
    fields = {k: getattr(a, k) for k in m.AuctionPublic.model_fields if k != "tie_seed"}
    return m.AuctionPublic(**fields, tie_seed=None if a.state == "scheduled" else a.tie_seed)


@router.get("/auctions/{auction_id}", response_model=m.AuctionPublic)
def get_auction(auction_id: s.Id, ctx: Ctx) -> m.AuctionPublic:
    _served(ctx, views.auction_target(ctx.sessions, auction_id), "auction")
    return _auction(next(a for a in auctions.results(ctx.sessions) if a.id == auction_id))


@router.get("/msr/{jurisdiction}/{year}", response_model=m.MsrPublic)
def msr(
    jurisdiction: Annotated[s.Jurisdiction, Path()],
    year: Annotated[int, Path(ge=2019, le=2100)],
    ctx: Ctx,
    tnac: Annotated[int | None, Query(ge=0, le=10**13, description="Omit: computed from the registry")] = None,
) -> m.MsrPublic:
    """Market stability reserve: the intake or release for the TNAC published in `year`."""
    _served(ctx, jurisdiction, "jurisdiction")
    found = msr_figures(ctx.sessions, jurisdiction, year, load_market_config(jurisdiction).msr, tnac)
    return m.MsrPublic(
        jurisdiction=jurisdiction,
        year=found.year,
        tnac=found.tnac,
        intake=found.intake,
        release=found.release,
        rule=found.rule,
        monthly=list(found.monthly),
    )


# -- order entry and own data ----------------------------------------------------------------------


@router.post("/orders", response_model=m.OrderPublic)
def place_order(
    body: m.OrderCreate, key: IdempotencyKey, who: Caller, ctx: Ctx, code: OneTimeCode = None
) -> m.OrderPublic:
    """Place an order for the caller's participant, signed with a fresh one-time code (it reserves
    cash or units). Repeating the Idempotency-Key with the same body returns the order as it is."""
    _participant(ctx, who, Action.MARKET_ORDER_PLACE, body.participant)
    sign(ctx, who, code)
    request = order_entry.OrderRequest(
        body.instrument, body.participant, Side(body.side), OrderType(body.type), body.quantity, body.price_minor
    )
    placed = order_entry.place(ctx.sessions, request, f"api:{who.user_id}:{key}", now=ctx.now(), actor=who.id)
    return _order(placed)


@router.get("/orders", response_model=s.Page[m.OrderPublic])
def list_orders(
    who: Caller,
    ctx: Ctx,
    cursor: s.Cursor = None,
    limit: s.Limit = 50,
    instrument: Annotated[str | None, Query(max_length=64)] = None,
    state: Annotated[str | None, Query(pattern=r"^(open|done|cancelled|expired|refused)$")] = None,
    participant: s.Id | None = None,
) -> dict[str, object]:
    """Orders of the caller's participant (all of the jurisdiction for its administrators)."""
    authorize(ctx, who, Action.MARKET_ORDER_READ, None)
    found = views.orders_page(
        ctx.sessions,
        scope_of(ctx, who, Action.MARKET_ORDER_READ),
        after=s.decode_cursor(cursor),
        limit=limit,
        instrument=instrument,
        state=state,
        participant=participant,
    )
    return s.page([_order(o) for o in found], [o.id for o in found], limit)


@router.get("/orders/{order_id}", response_model=m.OrderPublic)
def get_order(order_id: OrderId, who: Caller, ctx: Ctx) -> m.OrderPublic:
    _order_allowed(ctx, who, Action.MARKET_ORDER_READ, order_id)
    return _order(order_reads.get_order(ctx.sessions, order_id))


@router.post("/orders/{order_id}/amend", response_model=m.OrderPublic)
def amend_order(
    order_id: OrderId, body: m.OrderAmend, key: IdempotencyKey, who: Caller, ctx: Ctx, code: OneTimeCode = None
) -> m.OrderPublic:
    """A smaller size at the same price keeps priority; a new price or a larger size re-enters the
    order (checked and reserved again; it may trade). Signed, idempotent by Idempotency-Key."""
    _order_allowed(ctx, who, Action.MARKET_ORDER_PLACE, order_id)
    sign(ctx, who, code)
    done = order_entry.amend(
        ctx.sessions,
        order_id,
        f"api:{who.user_id}:{key}",
        quantity=body.quantity,
        price=body.price_minor,
        now=ctx.now(),
        actor=who.id,
    )
    return _order(done)


@router.post("/orders/{order_id}/cancel", response_model=m.OrderPublic)
def cancel_order(order_id: OrderId, who: Caller, ctx: Ctx) -> m.OrderPublic:
    """Cancel an open order: its hold is released. Cancelling a closed order changes nothing."""
    _order_allowed(ctx, who, Action.MARKET_ORDER_CANCEL, order_id)
    return _order(order_entry.cancel(ctx.sessions, order_id, now=ctx.now(), actor=who.id))


@router.get("/participants/{participant_id}/trades", response_model=s.Page[m.OwnTradePublic])
def participant_trades(
    participant_id: s.Id,
    who: Caller,
    ctx: Ctx,
    cursor: s.Cursor = None,
    limit: s.Limit = 50,
    instrument: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, object]:
    """The participant's trades, its side of each (the counterparty is not shown)."""
    _participant(ctx, who, Action.MARKET_ORDER_READ, participant_id)
    after = s.decode_cursor(cursor)
    found = views.own_trades_page(
        ctx.sessions,
        participant_id,
        after_seq=int(after) if after and after.isdigit() else 0,
        limit=limit,
        instrument=instrument,
    )
    items = [m.OwnTradePublic.model_validate(t) for t in found]
    return s.page(items, [str(t.seq) for t in found], limit)


@router.post("/auctions/{auction_id}/bids", response_model=m.BidPublic)
def place_bid(
    auction_id: s.Id, body: m.BidCreate, key: IdempotencyKey, who: Caller, ctx: Ctx, code: OneTimeCode = None
) -> m.BidPublic:
    """A sealed bid of an admitted bidder (its cash is held until the auction clears), signed."""
    _participant(ctx, who, Action.MARKET_BID, body.participant)
    _served(ctx, views.auction_target(ctx.sessions, auction_id), "auction")
    sign(ctx, who, code)
    bid_id = auctions.place_bid(
        ctx.sessions,
        auction_id,
        body.participant,
        body.price_minor,
        body.lots,
        f"api:{who.user_id}:{key}",
        now=ctx.now(),
    )
    return m.BidPublic(
        id=bid_id, auction_id=auction_id, participant=body.participant, price_minor=body.price_minor, lots=body.lots
    )


@router.get("/cash", response_model=s.Page[m.CashPublic])
def list_cash(
    who: Caller,
    ctx: Ctx,
    cursor: s.Cursor = None,
    limit: s.Limit = 50,
    participant: s.Id | None = None,
    currency: Annotated[str | None, Query(pattern=r"^(BYN|CNY)$")] = None,
) -> dict[str, object]:
    """Cash balances per currency: the caller's participant's; all of the jurisdiction (system
    accounts too) for its administrators and auditors."""
    authorize(ctx, who, Action.MARKET_CASH_READ, None)
    found = views.cash_page(
        ctx.sessions,
        scope_of(ctx, who, Action.MARKET_CASH_READ),
        after=s.decode_cursor(cursor),
        limit=limit,
        participant=participant,
        currency=currency,
    )
    return s.page([m.CashPublic.model_validate(c) for c in found], [c.id for c in found], limit)


@router.get("/participants/{participant_id}/cash", response_model=s.Page[m.CashPublic])
def participant_cash(
    participant_id: s.Id, who: Caller, ctx: Ctx, cursor: s.Cursor = None, limit: s.Limit = 50
) -> dict[str, object]:
    """One participant's cash accounts (per currency); another participant's id is not found."""
    _participant(ctx, who, Action.MARKET_CASH_READ, participant_id)
    found = views.cash_page(
        ctx.sessions,
        scope_of(ctx, who, Action.MARKET_CASH_READ),
        after=s.decode_cursor(cursor),
        limit=limit,
        participant=participant_id,
    )
    return s.page([m.CashPublic.model_validate(c) for c in found], [c.id for c in found], limit)


def _operated(ctx: Context, who: Caller, action: Action, instrument: str) -> None:
    code = views.require_instrument(ctx.sessions, instrument)
    authorize(ctx, who, action, Target(code), "instrument")


@router.post("/instruments/{instrument}/close", response_model=m.ClosedPublic)
def close_session(instrument: Instrument, who: Caller, ctx: Ctx) -> m.ClosedPublic:
    """End the instrument's trading session: open orders expire (day orders), holds are released."""
    _operated(ctx, who, Action.MARKET_CLOSE, instrument)
    expired = order_entry.close_session(ctx.sessions, instrument, now=ctx.now(), actor=who.id)
    return m.ClosedPublic(instrument=instrument, expired=expired)


@router.post("/instruments/{instrument}/settlements", response_model=m.SettlementPublic)
def settle_trades(
    instrument: Instrument, key: IdempotencyKey, who: Caller, ctx: Ctx, code: OneTimeCode = None
) -> m.SettlementPublic:
    """Delivery versus payment of the instrument's unsettled trades, netted per participant, in one
    database transaction; signed; a repeat of the Idempotency-Key returns the first settlement."""
    _operated(ctx, who, Action.MARKET_SETTLE, instrument)
    sign(ctx, who, code)
    done = settle(ctx.sessions, instrument, f"api:{who.user_id}:{key}", now=ctx.now())
    return m.SettlementPublic(
        id=done.id,
        instrument=done.subject,
        trades=done.trades,
        units=done.units,
        notional=done.notional,
        fees=done.fees,
        registry_transactions=list(done.registry_transactions),
        repeated=done.repeated,
    )
