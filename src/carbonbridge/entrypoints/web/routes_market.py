"""Trader pages: order entry, the depth of the book (refreshed by HTMX, or by reloading), own
orders and trades, cash balances per currency and the auctions of the jurisdiction. Orders, cancels
and bids go through the API's service functions (services/market/order_entry.py, auctions.py),
one sequencer over the database for every worker; placing an order or a bid is signed with a fresh
one-time code, as the API's."""

from __future__ import annotations

import secrets
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import RedirectResponse

from carbonbridge.adapters.market_config import load_market_config
from carbonbridge.domain.auth.errors import SecondFactorRequired
from carbonbridge.domain.auth.policy import Action
from carbonbridge.domain.auth.principal import Principal, Role
from carbonbridge.domain.errors import Conflict, NotFound, RuleViolation
from carbonbridge.domain.market.book import OrderType, Side
from carbonbridge.entrypoints.http.access import authorize, scope_of, sign
from carbonbridge.entrypoints.web.i18n import N_
from carbonbridge.entrypoints.web.render import HOLDING_BLOCKS_SHOWN, Ctx, SignedIn, page
from carbonbridge.entrypoints.web.security import field, posted
from carbonbridge.services import api_queries as q
from carbonbridge.services.market import auctions, cash, order_entry, queries, views
from carbonbridge.services.market.participants import Participant
from carbonbridge.services.registry import queries as registry_queries

router = APIRouter()
OrderId = Annotated[str, Path(min_length=1, max_length=80)]
SIDES = {"buy": N_("buy"), "sell": N_("sell")}
ORDER_TYPES = {"limit": N_("limit"), "market": N_("market"), "ioc": N_("immediate or cancel")}
DEPTH_LEVELS = 5
LATEST_ORDERS = 100
CODE_REFUSED = N_("The one-time code is wrong or was already used; enter the current code.")
ORDER_STATES = {
    "open": N_("open"),
    "done": N_("done"),
    "filled": N_("filled"),
    "cancelled": N_("cancelled"),
    "expired": N_("expired"),
    "refused": N_("refused"),
}


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
    holdings = registry_queries.holdings_preview(ctx.sessions, account_id, HOLDING_BLOCKS_SHOWN + 1)
    listed = q.unit_types_page(ctx.sessions, [participant.jurisdiction], after=None, limit=q.MAX_PAGE)
    instruments = [u.code for u in listed]
    books = {i: views.depth(ctx.sessions, i, DEPTH_LEVELS) for i in instruments}
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
        orders=views.latest_orders(
            ctx.sessions, scope_of(ctx, who, Action.MARKET_ORDER_READ), participant.id, limit=LATEST_ORDERS
        ),
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
    book = views.depth(ctx.sessions, instrument, DEPTH_LEVELS)
    return page(request, "_depth.html", who, instrument=instrument, book=book, currency=currency)


def _minor(price: str) -> int | None:
    """A price in currency units ("45.20") as integer minor units; None if not a positive amount."""
    try:
        value = Decimal(price.replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        return None
    minor = value * 100
    return int(minor) if minor > 0 and minor == minor.to_integral_value() else None


def _form_values(form: Any) -> tuple[dict[str, str], dict[str, str], int | None]:
    """The order form's fields, the problems found in them (field -> message) and the price."""
    values = {k: field(form, k, 64) for k in ("instrument", "side", "type", "quantity", "price", "nonce")}
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
    if not values["nonce"]:
        errors["code"] = CODE_REFUSED
    return values, errors, price


def _participant(ctx: Ctx, who: SignedIn, action: Action) -> Participant:
    """The trader's participant, authorized for `action` on it as the API authorizes it."""
    _, participant = _trading_account(ctx, who)
    authorize(ctx, who, action, views.participant_target(ctx.sessions, participant.id), "participant")
    return participant


@router.post("/market/orders")
async def place(request: Request, who: SignedIn, ctx: Ctx) -> Response:
    """Place an order, signed with a fresh one-time code; idempotent by the page's nonce."""
    form = await posted(request)
    participant = _participant(ctx, who, Action.MARKET_ORDER_PLACE)
    values, errors, price = _form_values(form)
    if not values["instrument"].startswith(participant.jurisdiction + "-"):
        errors["instrument"] = N_("Choose the instrument.")
    if not errors:
        order = order_entry.OrderRequest(
            values["instrument"],
            participant.id,
            Side(values["side"]),
            OrderType(values["type"]),
            int(values["quantity"]),
            price,
        )
        try:
            sign(ctx, who, field(form, "code", 6))
            key = f"web:{who.user_id}:order:{values['nonce']}"
            order_entry.place(ctx.sessions, order, key, now=ctx.now(), actor=who.id)
        except SecondFactorRequired:
            errors["code"] = CODE_REFUSED
        except (RuleViolation, Conflict) as exc:
            errors["quantity"] = str(exc)
    if errors:
        return _desk_page(request, who, ctx, status=422, errors=errors, values=values)
    return RedirectResponse("/web/market#orders", status_code=303)


@router.post("/market/orders/{order_id}/cancel")
async def cancel(order_id: OrderId, request: Request, who: SignedIn, ctx: Ctx) -> Response:
    """Cancel an open order of the trader's (another's is not found); its hold is released."""
    await posted(request)
    target = views.order_target(ctx.sessions, order_id)
    authorize(ctx, who, Action.MARKET_ORDER_CANCEL, target, "order")
    if target is None:
        raise NotFound(f"no order {order_id!r}")
    order_entry.cancel(ctx.sessions, order_id, now=ctx.now(), actor=who.id)
    return RedirectResponse("/web/market#orders", status_code=303)


@router.post("/market/auctions/{auction_id}/bids")
async def bid(auction_id: OrderId, request: Request, who: SignedIn, ctx: Ctx) -> Response:
    """A sealed bid signed with a fresh one-time code: its cash is held until the auction clears;
    idempotent by the page's nonce."""
    form = await posted(request)
    participant = _participant(ctx, who, Action.MARKET_BID)
    if views.auction_target(ctx.sessions, auction_id) != participant.jurisdiction:
        raise NotFound(f"unknown auction {auction_id!r}")
    values = {k: field(form, k, 64) for k in ("bid_price", "bid_lots", "nonce")}
    errors: dict[str, str] = {}
    price = _minor(values["bid_price"])
    if price is None:
        errors["bid_price"] = N_("Enter a price greater than zero, in steps of 0.01.")
    if not (values["bid_lots"].isdigit() and 0 < int(values["bid_lots"]) <= 10**6):
        errors["bid_lots"] = N_("Enter a whole number of lots greater than zero.")
    if not values["nonce"]:
        errors["bid_code"] = CODE_REFUSED
    if not errors and price is not None:
        key = f"web:{who.user_id}:bid:{values['nonce']}"
        try:
            sign(ctx, who, field(form, "bid_code", 6))
            auctions.place_bid(
                ctx.sessions, auction_id, participant.id, price, int(values["bid_lots"]), key, now=ctx.now()
            )
        except SecondFactorRequired:
            errors["bid_code"] = CODE_REFUSED
        except (RuleViolation, Conflict) as exc:
            errors["bid_lots"] = str(exc)
    if errors:
        return _desk_page(request, who, ctx, status=422, errors=errors, values=values)
    return RedirectResponse("/web/market#auctions", status_code=303)
