"""Trader pages: order entry, the depth of the book (refreshed by HTMX, or by reloading), own
orders and trades, cash balances per currency and the auctions of the jurisdiction."""

from __future__ import annotations

import secrets
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import RedirectResponse

from carbonbridge.adapters.market_config import load_market_config
from carbonbridge.domain.auth.policy import Action, Target
from carbonbridge.domain.auth.principal import Principal, Role
from carbonbridge.domain.errors import NotFound, RuleViolation
from carbonbridge.domain.market.book import OrderType, Side
from carbonbridge.entrypoints.http.access import authorize
from carbonbridge.entrypoints.web.i18n import N_
from carbonbridge.entrypoints.web.render import Ctx, SignedIn, page
from carbonbridge.entrypoints.web.security import field, posted
from carbonbridge.services import api_queries as q
from carbonbridge.services import registry_queries
from carbonbridge.services.market import auctions, cash, queries
from carbonbridge.services.market.desk import Desk
from carbonbridge.services.market.participants import Participant

router = APIRouter()
OrderId = Annotated[str, Path(min_length=1, max_length=80)]
SIDES = {"buy": N_("buy"), "sell": N_("sell")}
ORDER_TYPES = {"limit": N_("limit"), "market": N_("market"), "ioc": N_("immediate or cancel")}
ORDER_STATES = {
    "open": N_("open"),
    "done": N_("done"),
    "filled": N_("filled"),
    "cancelled": N_("cancelled"),
    "expired": N_("expired"),
    "refused": N_("refused"),
}


def desk(ctx: Ctx, request: Request) -> Desk:
    """The process's trading days (created with the app's clock on first use)."""
    found: Desk | None = getattr(request.app.state, "market_desk", None)
    if found is None:
        found = request.app.state.market_desk = Desk(ctx.sessions, ctx.clock)
    return found


def _trading_account(ctx: Ctx, who: Principal) -> tuple[str, Participant]:
    """The trader's account (the first of their grants) and the market participant trading through it."""
    for account_id in sorted(who.scopes(Role.TRADER, ctx.settings.jurisdiction)):
        authorize(ctx, who, Action.ACCOUNT_READ, q.account_target(ctx.sessions, account_id), "account")
        found = queries.participant_of_account(ctx.sessions, account_id)
        if found is not None:
            return account_id, found
    authorize(ctx, who, Action.MARKET_ORDER_PLACE, None)
    raise NotFound("no market participant trades through your account")


def _desk_page(request: Request, who: SignedIn, ctx: Ctx, *, status: int = 200, **values: Any) -> Response:
    account_id, participant = _trading_account(ctx, who)
    currency = load_market_config(participant.jurisdiction).currency
    holdings = registry_queries.holdings(ctx.sessions, account_id)
    listed = q.unit_types_page(ctx.sessions, [participant.jurisdiction], after=None, limit=q.MAX_PAGE)
    instruments = [u.code for u in listed]
    market = desk(ctx, request)
    books = {i: market.depth(i) for i in instruments}
    return page(
        request,
        "market.html",
        who,
        status=status,
        jurisdiction=participant.jurisdiction,
        account_id=account_id,
        participant=participant,
        currency=currency,
        holdings=holdings,
        instruments=instruments,
        books=books,
        cash_accounts=cash.accounts(ctx.sessions, owner=participant.id),
        orders=queries.orders_of(ctx.sessions, participant.id),
        trades=queries.trades_of(ctx.sessions, participant.id),
        auctions=auctions.results(ctx.sessions, participant.jurisdiction),
        lot_size=load_market_config(participant.jurisdiction).auction.lot_size,
        nonce=secrets.token_hex(12),
        sides=SIDES,
        order_types=ORDER_TYPES,
        order_states=ORDER_STATES,
        errors=values.pop("errors", {}),
        values=values.pop("values", {}),
        **values,
    )


@router.get("/market")
def market_desk(request: Request, who: SignedIn, ctx: Ctx) -> Response:
    authorize(ctx, who, Action.MARKET_ORDER_PLACE, None)
    return _desk_page(request, who, ctx)


@router.get("/market/depth")
def depth(request: Request, who: SignedIn, ctx: Ctx, instrument: Annotated[str, Query(max_length=64)]) -> Response:
    """The book's best prices (an HTMX fragment every few seconds on the trader's page)."""
    authorize(ctx, who, Action.MARKET_ORDER_PLACE, None)
    _, participant = _trading_account(ctx, who)
    if not instrument.startswith(participant.jurisdiction + "-"):
        raise NotFound(f"unknown instrument {instrument!r}")
    currency = load_market_config(participant.jurisdiction).currency
    bids, offers = desk(ctx, request).depth(instrument)
    return page(request, "_depth.html", who, instrument=instrument, bids=bids, offers=offers, currency=currency)


def _minor(price: str) -> int | None:
    """A price in currency units ("45.20") as integer minor units; None if not a positive amount."""
    try:
        value = Decimal(price.replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        return None
    minor = value * 100
    return int(minor) if minor > 0 and minor == minor.to_integral_value() else None


@router.post("/market/orders")
async def place(request: Request, who: SignedIn, ctx: Ctx) -> Response:
    form = await posted(request)
    account_id, participant = _trading_account(ctx, who)
    authorize(ctx, who, Action.MARKET_ORDER_PLACE, Target(participant.jurisdiction, (account_id,)), "account")
    values = {k: field(form, k, 64) for k in ("instrument", "side", "type", "quantity", "price")}
    errors: dict[str, str] = {}
    if values["side"] not in SIDES:
        errors["side"] = N_("Choose buy or sell.")
    if values["type"] not in ORDER_TYPES:
        errors["type"] = N_("Choose the order type.")
    if not (values["quantity"].isdigit() and 0 < int(values["quantity"]) <= 10**9):
        errors["quantity"] = N_("Enter a whole number of units greater than zero.")
    price = _minor(values["price"]) if values["type"] != "market" else None
    if values["type"] != "market" and price is None:
        errors["price"] = N_("Enter a price greater than zero, in steps of 0.01.")
    if not values["instrument"].startswith(participant.jurisdiction + "-"):
        errors["instrument"] = N_("Choose the instrument.")
    if not errors:
        order_id = f"web-{participant.id}-{secrets.token_hex(6)}"
        try:
            desk(ctx, request).place(
                order_id,
                participant.id,
                values["instrument"],
                Side(values["side"]),
                OrderType(values["type"]),
                int(values["quantity"]),
                price,
            )
        except RuleViolation as exc:
            errors["quantity"] = str(exc)
    if errors:
        return _desk_page(request, who, ctx, status=422, errors=errors, values=values)
    return RedirectResponse("/web/market#orders", status_code=303)


@router.post("/market/orders/{order_id}/cancel")
async def cancel(order_id: OrderId, request: Request, who: SignedIn, ctx: Ctx) -> Response:
    await posted(request)
    account_id, participant = _trading_account(ctx, who)
    authorize(ctx, who, Action.MARKET_ORDER_PLACE, Target(participant.jurisdiction, (account_id,)), "account")
    mine = {o.id: o for o in queries.orders_of(ctx.sessions, participant.id) if o.state == "open"}
    if order_id not in mine:
        raise NotFound(f"no open order {order_id!r} of yours")
    desk(ctx, request).cancel(order_id, participant.id, mine[order_id].instrument)
    return RedirectResponse("/web/market#orders", status_code=303)


@router.post("/market/auctions/{auction_id}/bids")
async def bid(auction_id: OrderId, request: Request, who: SignedIn, ctx: Ctx) -> Response:
    """A sealed bid: its cash is held until the auction clears; idempotent by the page's nonce."""
    form = await posted(request)
    account_id, participant = _trading_account(ctx, who)
    authorize(ctx, who, Action.MARKET_ORDER_PLACE, Target(participant.jurisdiction, (account_id,)), "account")
    values = {k: field(form, k, 64) for k in ("bid_price", "bid_lots", "nonce")}
    errors: dict[str, str] = {}
    price = _minor(values["bid_price"])
    if price is None:
        errors["bid_price"] = N_("Enter a price greater than zero, in steps of 0.01.")
    if not (values["bid_lots"].isdigit() and 0 < int(values["bid_lots"]) <= 10**6):
        errors["bid_lots"] = N_("Enter a whole number of lots greater than zero.")
    if not errors and price is not None:
        key = f"web:{participant.id}:{values['nonce'] or secrets.token_hex(12)}"
        try:
            auctions.place_bid(
                ctx.sessions, auction_id, participant.id, price, int(values["bid_lots"]), key, now=ctx.now()
            )
        except RuleViolation as exc:
            errors["bid_lots"] = str(exc)
    if errors:
        return _desk_page(request, who, ctx, status=422, errors=errors, values=values)
    return RedirectResponse("/web/market#auctions", status_code=303)
