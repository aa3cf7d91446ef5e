"""Joint auctions of the BY and CN volumes (docs/market.md, "Joint auctions"). Each registry keeps
its share in its own database: a market auction of its own volume (moved to its auction delivery
account when scheduled), the bids placed with it (cash held in its currency) and a joint auction
row. The coordinator of a run talks to each registry's database in turn, never to both in one
transaction: (1) each side closes its share to new bids and hands over its bids; (2) the bids are
cleared together (domain/market/joint_auction.py) at the rate fixed the business day before;
(3) each side settles its own winners and its own volume in one transaction of its own database.
Every step is idempotent: a run that stops between the sides is simply run again (the closed
shares give the same bids, the stored rate and the recorded seed the same result)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from carbonbridge.adapters.db.registry.ledger import Sessions, retrying
from carbonbridge.adapters.db.uow import audit
from carbonbridge.adapters.link_money import load_money_config
from carbonbridge.adapters.market_config import load_market_config
from carbonbridge.domain.errors import Conflict, NotFound, Problem, ValidationFailed
from carbonbridge.domain.market.auction import AuctionStatus, Bid, spread_evenly
from carbonbridge.domain.market.cash import CashAccountKind, CashPosting
from carbonbridge.domain.market.fx import OfficialRate
from carbonbridge.domain.market.joint_auction import JointResult, JointSide, SideBid, clear_joint
from carbonbridge.services.market import auctions, cash
from carbonbridge.services.market.fx_rates import fixed_for
from carbonbridge.services.market.participants import auction_account, participant
from carbonbridge.services.market.registry_moves import move_units, send_across
from carbonbridge.services.registry.accounts import change_trusted

ACTOR = "market"
PARTNER_KIND = CashAccountKind.PARTNER


def share_id(joint_id: str, jurisdiction: str) -> str:
    return f"{joint_id}-{jurisdiction}"


def partner_account(jurisdiction: str, partner: str, currency: str) -> str:
    """Proceeds this registry owes the partner for units the partner delivered to its winners."""
    return f"{jurisdiction}-PARTNER-{partner}:{currency}"


@dataclass(frozen=True, slots=True)
class Share:
    joint_id: str
    jurisdiction: str
    partner: str
    auction: auctions.AuctionView
    clearing_currency: str
    lot_size: int
    fixing_date: str
    state: str
    bids: tuple[SideBid, ...]
    accounts: dict[str, str]  # bidder -> its registry account
    rate: OfficialRate | None


def schedule(
    sides: Mapping[str, Sessions],
    joint_id: str,
    auction_date: dt.date,
    volumes: Mapping[str, int],
    unit_types: Mapping[str, str],
    national_accounts: Mapping[str, str],
    clearing_currency: str,
    *,
    now: dt.datetime,
    seed: Callable[[], str] | None = None,
) -> dict[str, auctions.AuctionView]:
    """Each side moves its volume to its auction delivery account and records its share; one tie
    seed (drawn now, before any bid) for both. Repeating it returns the recorded shares."""
    from carbonbridge.adapters.link_money import calendar_of
    from carbonbridge.domain.market.fx import fixing_date

    codes = sorted(sides)
    config = load_money_config()
    if len(codes) != 2 or set(codes) != set(volumes) or set(codes) != set(unit_types):
        raise ValidationFailed([Problem("a joint auction has two sides, each with a volume and a unit type")])
    fixing = fixing_date(auction_date, [calendar_of(c) for c in codes]).isoformat()
    tie_seed = (seed or (lambda: secrets.token_hex(16)))()
    found = {}
    for code in codes:
        partner = next(c for c in codes if c != code)
        lot = config.joint_rules.lot_size
        if volumes[code] % lot or lot % load_market_config(code).auction.lot_size:
            raise ValidationFailed(
                [Problem(f"{code}: the volume must be whole joint lots of {lot}, a whole number of own lots")]
            )
        found[code] = _schedule_side(
            sides[code], joint_id, code, partner, auction_date, volumes[code], unit_types[code],
            national_accounts[code], clearing_currency, fixing, tie_seed, now,
        )  # fmt: skip
    return found


def _schedule_side(
    sessions: Sessions,
    joint_id: str,
    code: str,
    partner: str,
    auction_date: dt.date,
    volume: int,
    unit_type: str,
    national: str,
    clearing_currency: str,
    fixing: str,
    tie_seed: str,
    now: dt.datetime,
) -> auctions.AuctionView:
    from carbonbridge.domain.link.agreement import link_account_id

    lot = load_money_config().joint_rules.lot_size
    currency = load_market_config(code).currency
    auction_id = share_id(joint_id, code)

    def work(session: Session) -> auctions.AuctionView:
        existing = session.execute(text("SELECT auction_id FROM market_joint_auctions WHERE id = :i"), {"i": joint_id})
        if existing.first() is not None:
            return auctions.auction(session, auction_id)
        move_units(session, code, national, auction_account(code), unit_type, volume, f"joint-volume:{joint_id}", now)
        session.execute(
            text(
                "INSERT INTO market_auctions (id, jurisdiction, unit_type, currency, auction_date, seq, volume, "
                "tie_seed, state) VALUES (:i, :j, :u, :c, :d, 0, :v, :t, 'scheduled')"
            ),
            {"i": auction_id, "j": code, "u": unit_type, "c": currency, "d": auction_date.isoformat(), "v": volume,
             "t": tie_seed},
        )  # fmt: skip
        session.execute(
            text(
                "INSERT INTO market_joint_auctions (id, auction_id, partner, clearing_currency, lot_size, "
                "fixing_date, state, result, created_at, settled_at) "
                "VALUES (:i, :a, :p, :c, :l, :f, 'scheduled', NULL, :t, NULL)"
            ),
            {"i": joint_id, "a": auction_id, "p": partner, "c": clearing_currency, "l": lot, "f": fixing, "t": now},
        )
        audit(
            session,
            at=now,
            actor=ACTOR,
            action="market.joint_auction.scheduled",
            subject=joint_id,
            detail={"volume": volume, "unit_type": unit_type, "partner": partner, "fixing_date": fixing},
        )
        return auctions.auction(session, auction_id)

    view = retrying(sessions, work, command=f"market joint-auction schedule {joint_id}", now=now)
    # units the partner's winners buy from this side leave through the link account: trusted, so
    # the link transfer is not delayed (effective after the registry's activation period)
    change_trusted(sessions, auction_account(code), link_account_id(code, partner), add=True, now=now, actor=ACTOR)
    return view


def place_bid(
    sessions: Sessions,
    joint_id: str,
    jurisdiction: str,
    bidder: str,
    price: int,
    units: int,
    key: str,
    *,
    now: dt.datetime,
) -> str:
    """A sealed bid with the bidder's own registry, in its own currency (cash held there): `units`
    a whole number of joint lots."""
    code = jurisdiction.upper()
    joint_lot = load_money_config().joint_rules.lot_size
    own_lot = load_market_config(code).auction.lot_size
    if units <= 0 or units % joint_lot:
        raise ValidationFailed([Problem(f"a joint bid is whole lots of {joint_lot} allowances", field="units")])
    return auctions.place_bid(sessions, share_id(joint_id, code), bidder, price, units // own_lot, key, now=now)


def _share(session: Session, joint_id: str, code: str, *, close: bool, now: dt.datetime) -> Share:
    row = session.execute(
        text(
            "SELECT partner, clearing_currency, lot_size, fixing_date, state FROM market_joint_auctions WHERE id = :i"
        ),
        {"i": joint_id},
    ).first()
    if row is None:
        raise NotFound(f"no joint auction {joint_id!r} in the {code} registry")
    view = auctions.auction(session, share_id(joint_id, code), lock=True)
    state = str(row[4])
    if close and state == "scheduled":
        session.execute(text("UPDATE market_auctions SET state = 'closed' WHERE id = :i"), {"i": view.id})
        session.execute(text("UPDATE market_joint_auctions SET state = 'closed' WHERE id = :i"), {"i": joint_id})
        audit(session, at=now, actor=ACTOR, action="market.joint_auction.closed", subject=joint_id, detail={})
        state = "closed"
    own_lot = load_market_config(code).auction.lot_size
    lot = int(row[2])
    bids = session.execute(
        text("SELECT id, bidder, price, lots FROM market_bids WHERE auction_id = :a ORDER BY id"), {"a": view.id}
    ).all()
    side_bids = tuple(SideBid(code, Bid(b[0], b[1], int(b[2]), int(b[3]) * own_lot // lot)) for b in bids)
    accounts = {}
    for b in {str(b[1]) for b in bids}:
        who = participant(session, b)
        assert who is not None, "a bid is placed by an admitted participant"
        accounts[b] = who.registry_account
    rate = fixed_for(session, dt.date.fromisoformat(view.auction_date), [code, str(row[0])])
    return Share(joint_id, code, str(row[0]), view, str(row[1]), lot, str(row[3]), state, side_bids, accounts, rate)


def run(sides: Mapping[str, Sessions], joint_id: str, *, now: dt.datetime) -> JointResult:
    """Close both shares, clear them together, settle each side. Idempotent."""
    codes = sorted(sides)
    shares = {code: _close(sides[code], joint_id, code, now) for code in codes}
    result = _clear(shares)
    for code in codes:
        _settle_side(sides[code], shares[code], shares[shares[code].partner], result, now)
    deliveries(sides, joint_id, now=now)  # refunds for deliveries already refused (again later: run again)
    return result


def _close(sessions: Sessions, joint_id: str, code: str, now: dt.datetime) -> Share:
    def work(session: Session) -> Share:
        return _share(session, joint_id, code, close=True, now=now)

    return retrying(sessions, work, command=f"market joint-auction close {joint_id} ({code})", now=now)


def _settle_side(sessions: Sessions, share: Share, partner: Share, result: JointResult, now: dt.datetime) -> None:
    def work(session: Session) -> None:
        _settle(session, share, partner, result, now)

    retrying(sessions, work, command=f"market joint-auction settle {share.joint_id} ({share.jurisdiction})", now=now)


def _clear(shares: Mapping[str, Share]) -> JointResult:
    a, b = (shares[c] for c in sorted(shares))
    same = (a.clearing_currency, a.lot_size, a.fixing_date, a.auction.tie_seed)
    if (a.partner, b.partner) != (b.jurisdiction, a.jurisdiction) or same != (
        b.clearing_currency, b.lot_size, b.fixing_date, b.auction.tie_seed
    ):  # fmt: skip
        raise Conflict("the two registries' shares of the joint auction disagree (partner, currency, lot, date, seed)")
    assert a.rate is not None and b.rate is not None
    if a.rate.per_unit != b.rate.per_unit:
        raise Conflict(f"the registries hold different official rates for {a.fixing_date}: {a.rate} / {b.rate}")
    rules = load_money_config().joint_rules
    sides = [JointSide(s.jurisdiction, s.auction.currency, s.auction.volume) for s in (a, b)]
    return clear_joint(sides, [*a.bids, *b.bids], rules, a.auction.tie_seed, a.rate, a.clearing_currency)


def _settle(session: Session, share: Share, partner: Share, result: JointResult, now: dt.datetime) -> None:
    """This side's part of the result in one transaction: bid holds released, winners pay the
    proceeds account (the partner's part set aside as owed to it), own volume delivered: to own
    winners in the registry, to the partner's winners through the link."""
    code, view = share.jurisdiction, share.auction
    state = session.execute(
        text("SELECT state FROM market_joint_auctions WHERE id = :i"), {"i": share.joint_id}
    ).scalar_one()
    if state in ("cleared", "cancelled"):
        return  # settled by an earlier run
    own_lot = load_market_config(code).auction.lot_size
    lot = share.lot_size
    holds = [
        (cash.participant_account(b.bid.bidder, view.currency), -b.bid.price * b.bid.lots * lot, f"auction {view.id}")
        for b in share.bids
    ]
    assert all(b.bid.lots * lot % own_lot == 0 for b in share.bids)
    cash.hold(session, holds, now)
    r = result.result
    carried: list[tuple[str, int]] = []
    if r.status is AuctionStatus.CLEARED:
        _pay(session, share, result, now)
        _deliver(session, share, partner, result, now)
    else:
        carried = _carry_over(session, share)
    _record(session, share, result, carried, now)


def _carry_over(session: Session, share: Share) -> list[tuple[str, int]]:
    """A cancelled share's volume, already in the auction delivery account, spread in whole joint
    lots over this registry's next `carry_over_auctions` scheduled auctions of the unit type (joint
    shares or national auctions, by date), as a cancelled national auction's is. None later: it
    stays in the auction delivery account (recorded as carried over to nothing)."""
    view = share.auction
    later = session.execute(
        text(
            "SELECT id, volume FROM market_auctions WHERE unit_type = :u AND state = 'scheduled' AND id <> :i "
            "AND auction_date > :d ORDER BY auction_date, seq, id"
        ),
        {"u": view.unit_type, "i": view.id, "d": view.auction_date},
    ).all()
    if not later:
        return []
    count = load_market_config(share.jurisdiction).auction.carry_over_auctions
    volumes = spread_evenly(view.volume, [int(r[1]) for r in later], share.lot_size, count)
    carried = []
    for (later_id, before), after in zip(later, volumes, strict=True):
        if after != int(before):
            session.execute(text("UPDATE market_auctions SET volume = :v WHERE id = :i"), {"v": after, "i": later_id})
            carried.append((str(later_id), after - int(before)))
    return carried


def _pay(session: Session, share: Share, result: JointResult, now: dt.datetime) -> None:
    code, currency = share.jurisdiction, share.auction.currency
    outcome = result.side(code)
    proceeds = cash.system_account(code, CashAccountKind.PROCEEDS, currency)
    owed = partner_account(code, share.partner, currency)
    cash.ensure_account(session, owed, code, currency, PARTNER_KIND)
    payers = {b: cash.participant_account(b, currency) for b, _ in outcome.payments}
    total = sum(v for _, v in outcome.payments)
    entry_id, new = cash.entry(
        session, f"joint-auction:{share.auction.id}", "auction", currency, {"auction": share.auction.id}, now
    )
    assert new, "a joint auction share settles once"
    cash.lock_accounts(session, [*payers.values(), proceeds, owed])
    cash.post(
        session,
        entry_id,
        [
            *(CashPosting(payers[b], -v) for b, v in outcome.payments),
            CashPosting(proceeds, total - outcome.owed_to_partner_minor),
            CashPosting(owed, outcome.owed_to_partner_minor),
        ],
    )


def _deliver(session: Session, share: Share, partner: Share, result: JointResult, now: dt.datetime) -> None:
    code, view = share.jurisdiction, share.auction
    moved: list[str] = []
    awarded: dict[str, int] = {}
    for d in result.deliveries:
        bidder = d.bidder.split("/", 1)[1]
        if d.winner_side == code:
            awarded[d.bid_id] = awarded.get(d.bid_id, 0) + d.units
        if d.origin != code:
            continue
        key = f"{view.id}:{d.bid_id}"
        if d.winner_side == code:
            moved += move_units(
                session, code, auction_account(code), share.accounts[bidder], view.unit_type, d.units, key, now
            )
        else:
            moved.append(
                send_across(
                    session, code, auction_account(code), partner.accounts[bidder], view.unit_type, d.units, key, now
                )
            )
    for bid_id, units in awarded.items():
        session.execute(text("UPDATE market_bids SET awarded = :u WHERE id = :i"), {"u": units, "i": bid_id})
    outcome = result.side(code)
    session.execute(
        text(
            "INSERT INTO market_settlements (id, client_key, kind, subject, currency, trades, units, notional, fees, "
            "registry_transactions, at) VALUES (:i, :k, 'auction', :s, :c, :n, :u, :v, 0, :r, :t)"
        ),
        {
            "i": cash.key_id("settlement", f"joint-auction:{view.id}"),
            "k": f"joint-auction:{view.id}",
            "s": view.id,
            "c": view.currency,
            "n": len(awarded),
            "u": view.volume,
            "v": sum(v for _, v in outcome.payments),
            "r": json.dumps(moved),
            "t": now,
        },
    )


def result_document(result: JointResult) -> dict[str, Any]:
    r = result.result
    return {
        "status": r.status.value,
        "code": r.code.value,
        "clearing_currency": result.clearing_currency,
        "clearing_price": r.clearing_price,
        "rate": {
            "on": result.rate.on.isoformat(),
            "rate": str(result.rate.rate),
            "base": result.rate.base,
            "per": f"{result.rate.scale} {result.rate.currency}",
            "source": result.rate.source,
        },
        "sides": [
            {
                "jurisdiction": s.jurisdiction,
                "currency": s.currency,
                "price": s.price_minor,
                "payments": dict(s.payments),
                "received_units": s.received_units,
                "owed_to_partner": s.owed_to_partner_minor,
            }
            for s in result.sides
        ],
        "deliveries": [dataclasses.asdict(d) for d in result.deliveries],
        "converted_bids": dict(result.converted),
        "tie_seed": r.tie_seed,
        "volume": r.volume_offered,
        "sold": r.volume_sold,
        "bidders": r.bidders,
        "winners": r.winners,
    }


def _record(
    session: Session, share: Share, result: JointResult, carried: list[tuple[str, int]], now: dt.datetime
) -> None:
    r = result.result
    own = result.side(share.jurisdiction)
    session.execute(
        text(
            "UPDATE market_auctions SET state = :s, code = :c, clearing_price = :p, volume_sold = :v, "
            "bid_volume = :b, bidders = :n, winners = :w, cover_ratio = :r, carried_over = :o WHERE id = :i"
        ),
        {
            "s": r.status.value,
            "c": r.code.value,
            "p": own.price_minor if r.clearing_price is not None else None,
            "v": share.auction.volume if r.status is AuctionStatus.CLEARED else 0,
            "b": r.bid_volume,
            "n": r.bidders,
            "w": r.winners,
            "r": str(r.cover_ratio),
            "o": json.dumps(carried),
            "i": share.auction.id,
        },
    )
    document = result_document(result)
    session.execute(
        text("UPDATE market_joint_auctions SET state = :s, result = :r, settled_at = :t WHERE id = :i"),
        {"s": r.status.value, "r": json.dumps(document), "t": now, "i": share.joint_id},
    )
    audit(
        session,
        at=now,
        actor=ACTOR,
        action=f"market.joint_auction.{r.status.value}",
        subject=share.joint_id,
        detail={
            "clearing_price": r.clearing_price,
            "currency": result.clearing_currency,
            "side": own.jurisdiction,
            "carried_over": carried,
        },
    )


def joint_result(sessions: Sessions, joint_id: str) -> dict[str, Any]:
    """The recorded joint auction as this registry knows it."""
    with sessions() as session:
        row = session.execute(
            text(
                "SELECT auction_id, partner, clearing_currency, lot_size, fixing_date, state, result "
                "FROM market_joint_auctions WHERE id = :i"
            ),
            {"i": joint_id},
        ).first()
    if row is None:
        raise NotFound(f"no joint auction {joint_id!r}")
    keys = ("auction_id", "partner", "clearing_currency", "lot_size", "fixing_date", "state")
    found: dict[str, Any] = dict(zip(keys, row[:6], strict=True))
    found["result"] = json.loads(row[6]) if row[6] else None
    return found


@dataclass(frozen=True, slots=True)
class CrossDelivery:
    """A winner's units delivered from the partner's volume: the link transfer's state in the
    origin registry and what the winner's registry refunded when it did not arrive."""

    origin: str
    winner_side: str
    bidder: str
    bid_id: str
    units: int
    link_transaction: str | None
    link_state: str  # sent | completed | released | cancelling | manual; before it is sent the registry
    # transaction's state (delayed: the auction account's trust of the link account not yet effective)
    currency: str  # the winner side's
    refunded: int  # minor units of `currency`: the price paid for the units, once released


def deliveries(sides: Mapping[str, Sessions], joint_id: str, *, now: dt.datetime) -> list[CrossDelivery]:
    """The cross-border deliveries of a cleared joint auction. One whose link transfer ended
    `released` (the partner refused it, or an administrator released it unanswered: the units are
    back in the origin's auction delivery account) is refunded in the winner's registry: the price
    it paid for them goes from the account owed to the origin back to the winner, its award is
    reduced, audited; once per delivery (cash entry key `joint-refund:<joint id>:<bid id>`).
    Each registry's database in turn, never both in one transaction; run() calls it, and running
    it again finishes what was still in flight."""
    found = []
    for origin in sorted(sides):
        with sides[origin]() as session:
            row = session.execute(
                text("SELECT result FROM market_joint_auctions WHERE id = :i AND state = 'cleared'"), {"i": joint_id}
            ).first()
            if row is None:
                continue
            document = json.loads(row[0])
            crossing = [d for d in document["deliveries"] if d["origin"] == origin and d["winner_side"] != origin]
            states = {}
            for d in crossing:
                states[d["bid_id"]] = session.execute(
                    text(
                        "SELECT t.id, coalesce(l.state, t.state) FROM registry_transactions t "
                        "LEFT JOIN link_transfers l ON l.registry_transaction = t.id AND l.direction = 'out' "
                        "WHERE t.client_key = :k"
                    ),
                    {"k": f"{share_id(joint_id, origin)}:{d['bid_id']}:link"},
                ).first()
        for d in crossing:
            link = states[d["bid_id"]]
            winner = next(s for s in document["sides"] if s["jurisdiction"] == d["winner_side"])
            state = "missing" if link is None else str(link[1] or "missing")
            refunded = 0
            if state == "released":
                refunded = _refund_delivery(sides[d["winner_side"]], joint_id, origin, d, winner, now)
            found.append(
                CrossDelivery(
                    origin, d["winner_side"], d["bidder"].split("/", 1)[1], d["bid_id"], int(d["units"]),
                    None if link is None else str(link[0]), state, str(winner["currency"]), refunded,
                )
            )  # fmt: skip
    return found


def _refund_delivery(
    sessions: Sessions, joint_id: str, origin: str, d: Mapping[str, Any], winner: Mapping[str, Any], now: dt.datetime
) -> int:
    code, currency = str(d["winner_side"]), str(winner["currency"])
    bidder = str(d["bidder"]).split("/", 1)[1]
    amount = int(d["units"]) * int(winner["price"])
    key = f"joint-refund:{joint_id}:{d['bid_id']}"

    def work(session: Session) -> int:
        account = cash.participant_account(bidder, currency)
        owed = partner_account(code, origin, currency)
        body = {"bid": d["bid_id"], "units": int(d["units"]), "amount": amount, "account": account}
        entry_id, new = cash.entry(session, key, "refund", currency, body, now)
        if not new:
            return amount  # refunded by an earlier run
        cash.lock_accounts(session, [account, owed])
        cash.post(session, entry_id, [CashPosting(owed, -amount), CashPosting(account, amount)])
        units = int(d["units"])
        reduce = text("UPDATE market_bids SET awarded = awarded - :u WHERE id = :i")
        session.execute(reduce, {"u": units, "i": d["bid_id"]})
        audit(
            session,
            at=now,
            actor=ACTOR,
            action="market.joint_auction.refunded",
            subject=joint_id,
            detail={"bidder": bidder, "bid": d["bid_id"], "origin": origin, "units": int(d["units"]), "amount": amount,
                    "currency": currency, "reason": "the origin's link transfer was released"},
            key=key,
        )  # fmt: skip
        return amount

    return retrying(sessions, work, command=f"market joint-auction refund {joint_id} {d['bid_id']}", now=now)
