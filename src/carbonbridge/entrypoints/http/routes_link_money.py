"""Money across the link over HTTP (docs/market.md, "Joint auctions and cross-border trades"): the
official BYN/CNY rates and a joint auction's result (public, no session, like the public reports),
joint auctions scheduled and run by the registry administrator, sealed bids from a holder's own
admitted account, and this registry's leg of a cross-border trade with its settlement state.

Schedule and run coordinate both registries' markets, each database in turn (as `carbonbridge market
joint-auction` does): the serve process needs the partner registry's database for that
(CARBONBRIDGE_JOINT_AUCTION_PARTNER_DB); without it they answer 409."""

from __future__ import annotations

import dataclasses
import datetime as dt
from functools import cache
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Path, Query
from pydantic import BaseModel, Field

from carbonbridge.adapters.db.registry.ledger import Sessions
from carbonbridge.domain.auth.policy import Action, Target
from carbonbridge.domain.errors import Conflict, NotFound, Problem, RuleViolation, ValidationFailed
from carbonbridge.entrypoints.http import schemas as s
from carbonbridge.entrypoints.http.access import Caller, Ctx, OneTimeCode, authorize, sign
from carbonbridge.entrypoints.http.context import Context
from carbonbridge.services import api_queries as q
from carbonbridge.services.market import cross_border, fx_rates, joint_auctions
from carbonbridge.services.market.participants import participant, participant_of_account

router = APIRouter(tags=["link money"], responses=s.PROBLEMS)
Jurisdiction = Annotated[str, Path(pattern="^[A-Z]{2}$")]
JointId = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9._-]+$")]
TradeKey = Annotated[str, Path(min_length=1, max_length=200)]
IdempotencyKey = Annotated[
    str, Header(alias="Idempotency-Key", min_length=1, max_length=128, description="Repeat -> the first result")
]
FIRST, LAST = dt.date(2000, 1, 1), dt.date(2100, 12, 31)  # dates outside: no rate, no auction
Volume = Annotated[int, Field(ge=1, le=10**12, description="Allowances: whole joint lots (1 000)")]
Name = Annotated[str, Field(min_length=1, max_length=64)]


class JointSchedule(BaseModel):
    joint_id: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9._-]+$")
    auction_date: dt.date
    by_volume: Volume
    cn_volume: Volume
    by_unit_type: Name
    cn_unit_type: Name
    by_national_account: Name
    cn_national_account: Name
    clearing_currency: Literal["BYN", "CNY"]


class JointBid(BaseModel):
    account: str = Field(min_length=1, max_length=64, description="The bidder's own registry account, admitted")
    price: int = Field(ge=1, le=10**9, description="Per allowance, minor units of this registry's currency")
    units: int = Field(ge=1, le=10**9, description="Allowances: whole joint lots (1 000)")


def _served(ctx: Context, jurisdiction: str) -> None:
    if ctx.settings.jurisdiction and jurisdiction != ctx.settings.jurisdiction:
        raise NotFound(f"this registry serves {ctx.settings.jurisdiction}, not {jurisdiction}")


@cache
def _partner_sessions(url: str) -> Sessions:
    from carbonbridge.entrypoints.bootstrap import build_app

    return build_app(url).sessions


def _sides(ctx: Context, jurisdiction: str) -> dict[str, Sessions]:
    """This registry's market and the partner's: the joint auction coordinator's two databases."""
    if not ctx.settings.joint_auction_partner_db:
        raise Conflict("the joint auction coordinator is not configured (CARBONBRIDGE_JOINT_AUCTION_PARTNER_DB)")
    partner = "CN" if jurisdiction == "BY" else "BY"
    return {jurisdiction: ctx.sessions, partner: _partner_sessions(ctx.settings.joint_auction_partner_db)}


@router.get("/link/{jurisdiction}/rates")
def rates(
    jurisdiction: Jurisdiction,
    ctx: Ctx,
    start: Annotated[dt.date | None, Query(alias="from")] = None,
    end: Annotated[dt.date | None, Query(alias="to")] = None,
    for_auction: Annotated[dt.date | None, Query(description="Only the rate fixed for an auction on this date")] = None,
) -> list[dict[str, Any]]:
    """The official BYN/CNY rates stored here (NBRB: BYN per `scale` CNY), public; with
    `for_auction`, the one fixed the business day before that date in both jurisdictions (404 if
    that day's rate is not stored)."""
    _served(ctx, jurisdiction)
    if for_auction is not None:
        if not FIRST <= for_auction <= LAST:
            raise NotFound(f"no rate is fixed for an auction on {for_auction}")
        with ctx.sessions() as session:
            found = [fx_rates.fixed_for(session, for_auction, ["BY", "CN"])]
    else:
        found = fx_rates.rates(ctx.sessions, None, start, end)
    return [
        {"date": r.on.isoformat(), "currency": r.currency, "base": r.base, "scale": r.scale, "rate": str(r.rate),
         "per_unit": str(r.per_unit), "source": r.source}
        for r in found
    ]  # fmt: skip


@router.post("/link/{jurisdiction}/joint-auctions")
def schedule(
    jurisdiction: Jurisdiction, body: JointSchedule, who: Caller, ctx: Ctx, code: OneTimeCode = None
) -> dict[str, Any]:
    """Schedule a joint auction (registry administrator, one-time code: it moves each side's volume
    to its auction delivery account). Repeating it returns the recorded shares."""
    authorize(ctx, who, Action.JOINT_AUCTION_MANAGE, Target(jurisdiction))
    _served(ctx, jurisdiction)
    sides = _sides(ctx, jurisdiction)
    if not FIRST <= body.auction_date <= LAST:
        raise ValidationFailed([Problem(f"an auction date from {FIRST} to {LAST}", field="auction_date")])
    sign(ctx, who, code)
    shares = joint_auctions.schedule(
        sides,
        body.joint_id,
        body.auction_date,
        {"BY": body.by_volume, "CN": body.cn_volume},
        {"BY": body.by_unit_type, "CN": body.cn_unit_type},
        {"BY": body.by_national_account, "CN": body.cn_national_account},
        body.clearing_currency,
        now=ctx.now(),
    )
    return {
        "joint_id": body.joint_id,
        "shares": {
            c: {"auction_id": v.id, "volume": v.volume, "currency": v.currency, "state": v.state}
            for c, v in shares.items()
        },
    }


@router.post("/link/{jurisdiction}/joint-auctions/{joint_id}/run")
def run(
    jurisdiction: Jurisdiction, joint_id: JointId, who: Caller, ctx: Ctx, code: OneTimeCode = None
) -> dict[str, Any]:
    """Close both shares, clear them together at the fixed rate, settle each side; then the
    cross-border deliveries as far as the link has answered (a refused one refunded). Idempotent:
    run it again after the link answered."""
    authorize(ctx, who, Action.JOINT_AUCTION_MANAGE, Target(jurisdiction))
    _served(ctx, jurisdiction)
    sides = _sides(ctx, jurisdiction)
    sign(ctx, who, code)
    result = joint_auctions.run(sides, joint_id, now=ctx.now())
    found = joint_auctions.result_document(result)
    found["cross_border_deliveries"] = [
        dataclasses.asdict(d) for d in joint_auctions.deliveries(sides, joint_id, now=ctx.now())
    ]
    return found


@router.post("/link/{jurisdiction}/joint-auctions/{joint_id}/bids")
def bid(
    jurisdiction: Jurisdiction, joint_id: JointId, body: JointBid, key: IdempotencyKey, who: Caller, ctx: Ctx
) -> dict[str, str]:
    """A sealed bid from the caller's own admitted account, in this registry's currency (the cash
    held here until the auction runs); a repeat of the Idempotency-Key returns the same bid."""
    authorize(ctx, who, Action.JOINT_AUCTION_BID, None)
    _served(ctx, jurisdiction)
    target = q.account_target(ctx.sessions, body.account)
    authorize(ctx, who, Action.JOINT_AUCTION_BID, target, "account")
    if target.jurisdiction != jurisdiction:
        raise NotFound("unknown account")
    with ctx.sessions() as session:
        bidder = participant_of_account(session, jurisdiction, body.account)
    if bidder is None:
        raise RuleViolation("A11_NOT_ADMITTED", f"account {body.account} is not admitted to the {jurisdiction} market")
    bid_id = joint_auctions.place_bid(
        ctx.sessions, joint_id, jurisdiction, bidder.id, body.price, body.units, f"api-joint:{who.id}:{key}",
        now=ctx.now(),
    )  # fmt: skip
    return {"bid_id": bid_id, "joint_id": joint_id, "bidder": bidder.id}


@router.get("/link/{jurisdiction}/joint-auctions/{joint_id}")
def result(jurisdiction: Jurisdiction, joint_id: JointId, ctx: Ctx) -> dict[str, Any]:
    """A joint auction as this registry recorded it (public, like the auction results): its share,
    partner, clearing currency, fixing date, state and, once run, the result (no bids)."""
    _served(ctx, jurisdiction)
    return joint_auctions.joint_result(ctx.sessions, joint_id)


@router.get("/link/{jurisdiction}/cross-border/{key}")
def cross_border_status(jurisdiction: Jurisdiction, key: TradeKey, who: Caller, ctx: Ctx) -> dict[str, Any]:
    """This registry's leg of a cross-border trade (buyer: the amount held or paid at the fixed
    rate; seller: the link transfer, then paid) and its settlement state (held, sent, paid,
    released). Administrators, auditors, and the holders of the participant's account."""
    authorize(ctx, who, Action.CROSS_BORDER_READ, None)
    _served(ctx, jurisdiction)
    leg = cross_border.leg_status(ctx.sessions, key)
    with ctx.sessions() as session:
        trader = participant(session, str(leg["participant"]))
    if trader is None or trader.jurisdiction != jurisdiction:
        raise NotFound(f"no cross-border trade {key!r} in the {jurisdiction} registry")
    authorize(ctx, who, Action.CROSS_BORDER_READ, Target(jurisdiction, (trader.registry_account,)), "trade")
    return leg
