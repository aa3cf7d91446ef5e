"""Primary auctions: a calendar with volumes and tie seeds fixed in advance, admission of bids with
cash held, clearing, and one settlement per auction (winners pay, then units are delivered, in
one database transaction), or cancellation with the volume carried over to the next auctions."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from carbonbridge.adapters.db.registry.ledger import Sessions, retrying
from carbonbridge.adapters.db.uow import audit
from carbonbridge.adapters.market_config import load_market_config
from carbonbridge.domain.errors import Conflict, NotFound, Problem, RuleViolation, ValidationFailed
from carbonbridge.domain.market.auction import AuctionRules, AuctionStatus, split_volume, spread_evenly
from carbonbridge.domain.market.auction_columns import ColumnarResult, clear_bid_columns
from carbonbridge.domain.market.cash import CashAccountKind, CashPosting, check_available
from carbonbridge.services.market import cash
from carbonbridge.services.market.participants import auction_account, participant
from carbonbridge.services.market.registry_moves import move_units

ACTOR = "market"


@dataclass(frozen=True, slots=True)
class AuctionView:
    id: str
    jurisdiction: str
    unit_type: str
    currency: str
    auction_date: str
    volume: int
    tie_seed: str
    state: str
    code: str | None
    clearing_price: int | None
    volume_sold: int | None
    bid_volume: int | None
    bidders: int | None
    winners: int | None
    cover_ratio: str | None
    carried_over: str | None
    msr_adjusted: int | None = None  # volume taken out by the MSR intake (negative) or added by a release


_NOT_JOINT = "id NOT IN (SELECT auction_id FROM market_joint_auctions)"  # a joint share is not a calendar
_COLUMNS = (
    "id, jurisdiction, unit_type, currency, auction_date, volume, tie_seed, state, code, clearing_price, "
    "volume_sold, bid_volume, bidders, winners, cover_ratio, carried_over, msr_adjusted"
)


def _view(row: Sequence[object]) -> AuctionView:
    return AuctionView(*row)  # type: ignore[arg-type]


def schedule(
    sessions: Sessions,
    jurisdiction: str,
    unit_type: str,
    national_account: str,
    dates: Sequence[dt.date],
    total_volume: int,
    *,
    now: dt.datetime,
    seed: Callable[[int], str] | None = None,
) -> list[AuctionView]:
    """Split `total_volume` over `dates` in whole lots and move it from the national account to the
    auction delivery account; each auction's tie seed is drawn now (recorded before any bid)."""
    code = jurisdiction.upper()
    config = load_market_config(code)
    volumes, rest = split_volume(total_volume, len(dates), config.auction.lot_size)
    draw = seed or (lambda _: secrets.token_hex(16))

    def work(session: Session) -> list[AuctionView]:
        existing = session.execute(
            text(f"SELECT {_COLUMNS} FROM market_auctions WHERE unit_type = :u AND {_NOT_JOINT} ORDER BY seq"),
            {"u": unit_type},
        ).all()
        if existing:
            return [_view(r) for r in existing]  # a calendar is set once per unit type: repeat returns it
        move_units(
            session,
            code,
            national_account,
            auction_account(code),
            unit_type,
            sum(volumes),
            f"auction-volume:{unit_type}",
            now,
        )
        for n, (day, volume) in enumerate(zip(sorted(dates), volumes, strict=True), start=1):
            session.execute(
                text(
                    "INSERT INTO market_auctions (id, jurisdiction, unit_type, currency, auction_date, seq, "
                    "volume, tie_seed, state) "
                    "VALUES (:i, :j, :u, :c, :d, :s, :v, :t, 'scheduled')"
                ),
                {
                    "i": f"{unit_type}-A{n:02d}",
                    "j": code,
                    "u": unit_type,
                    "c": config.currency,
                    "d": day.isoformat(),
                    "s": n,
                    "v": volume,
                    "t": draw(n),
                },
            )
        audit(
            session,
            at=now,
            actor=ACTOR,
            action="market.auction.scheduled",
            subject=unit_type,
            detail={"auctions": len(dates), "volume": sum(volumes), "kept_in_national_account": rest},
        )
        return [
            _view(r)
            for r in session.execute(
                text(f"SELECT {_COLUMNS} FROM market_auctions WHERE unit_type = :u AND {_NOT_JOINT} ORDER BY seq"),
                {"u": unit_type},
            ).all()
        ]

    return retrying(sessions, work, command=f"market auction schedule {unit_type}", now=now)


def auction(session: Session, auction_id: str, *, lock: bool = False) -> AuctionView:
    """One auction (locked for update on PostgreSQL with `lock`); NotFound if unknown."""
    return _auction(session, auction_id, lock=lock)


def _auction(session: Session, auction_id: str, *, lock: bool = False) -> AuctionView:
    suffix = " FOR UPDATE" if lock and session.get_bind().dialect.name == "postgresql" else ""
    row = session.execute(
        text(f"SELECT {_COLUMNS} FROM market_auctions WHERE id = :i{suffix}"), {"i": auction_id}
    ).first()
    if row is None:
        raise NotFound(f"unknown auction {auction_id!r}")
    return _view(row)


def place_bid(
    sessions: Sessions, auction_id: str, bidder: str, price: int, lots: int, key: str, *, now: dt.datetime
) -> str:
    """A sealed bid: the bidder's cash for the whole bid is held until the auction clears."""
    if lots <= 0 or price <= 0:
        raise ValidationFailed([Problem("a bid has a positive price and at least one lot", field="bid")])

    def work(session: Session) -> str:
        found = session.execute(
            text("SELECT id, auction_id, bidder, price, lots FROM market_bids WHERE client_key = :k"), {"k": key}
        ).first()
        if found is not None:
            if tuple(found[1:]) != (auction_id, bidder, price, lots):
                raise Conflict(f"bid key {key!r} was used for another bid")
            return str(found[0])
        auction = _auction(session, auction_id, lock=True)
        if auction.state != "scheduled":
            raise RuleViolation("A10_AUCTION_CLOSED", f"auction {auction_id} is {auction.state}")
        who = participant(session, bidder)
        if who is None or who.jurisdiction != auction.jurisdiction:
            raise RuleViolation("A11_NOT_ADMITTED", f"{bidder} is not admitted to the {auction.jurisdiction} auctions")
        lot_size = load_market_config(auction.jurisdiction).auction.lot_size
        amount = price * lots * lot_size
        account = cash.participant_account(bidder, auction.currency)
        balance, held, _ = cash.lock_accounts(session, [account])[account]
        check_available(balance, held, amount, account)
        bid_id = cash.key_id("bid", key)
        session.execute(
            text(
                "INSERT INTO market_bids (id, client_key, auction_id, bidder, price, lots, awarded, at) "
                "VALUES (:i, :k, :a, :b, :p, :l, NULL, :t)"
            ),
            {"i": bid_id, "k": key, "a": auction_id, "b": bidder, "p": price, "l": lots, "t": now},
        )
        cash.hold(session, [(account, amount, f"bid {bid_id}")], now)
        return bid_id

    return retrying(sessions, work, command=f"market bid (client key {key!r})", now=now)


def clear_rows(
    rows: Sequence[Sequence[Any]], volume: int, rules: AuctionRules, tie_seed: str, secondary_price: int | None
) -> ColumnarResult:
    """The clearing step of `run_auction`: bid rows (id, bidder, price, lots; ascending id) straight
    into arrays and through the columnar clearing, no per-bid objects."""
    ids, bidders, prices, lots = zip(*rows, strict=True) if rows else ((), (), (), ())
    index: dict[str, int] = {}  # bidder -> code, in order of first bid (a dict beats sorting objects)
    codes = np.array([index.setdefault(b, len(index)) for b in bidders], dtype=np.int64)
    return clear_bid_columns(
        ids,
        codes,
        list(index),
        np.array(prices, dtype=np.int64),
        np.array(lots, dtype=np.int64),
        volume,
        rules,
        tie_seed,
        secondary_price=secondary_price,
    )


def run_auction(
    sessions: Sessions, auction_id: str, *, now: dt.datetime, secondary_price: int | None = None
) -> ColumnarResult:
    """Clear the auction and settle it (or cancel it and carry the volume over), in one transaction.
    Running a cleared or cancelled auction again returns its recorded result."""

    def work(session: Session) -> ColumnarResult:
        auction = _auction(session, auction_id, lock=True)
        config = load_market_config(auction.jurisdiction)
        rows = session.execute(
            text("SELECT id, bidder, price, lots FROM market_bids WHERE auction_id = :a ORDER BY id"), {"a": auction_id}
        ).all()
        result = clear_rows(rows, auction.volume, config.auction, auction.tie_seed, secondary_price)
        if auction.state != "scheduled":
            return result  # the recorded outcome: same bids, same seed, same result
        lot = config.auction.lot_size
        owed: dict[str, int] = {}
        for _, bidder, price, lots in rows:
            owed[bidder] = owed.get(bidder, 0) + int(price) * int(lots) * lot
        holds = [
            (cash.participant_account(b, auction.currency), -amount, f"auction {auction_id}")
            for b, amount in sorted(owed.items())
        ]
        cash.hold(session, holds, now)
        carried: list[tuple[str, int]] = []
        if result.status is AuctionStatus.CLEARED:
            _deliver(session, auction, result, now)
        else:
            carried = _carry_over(session, auction, config.auction.carry_over_auctions, lot)
        _record(session, auction, result, carried, now)
        return result

    return retrying(sessions, work, command=f"market auction run {auction_id}", now=now)


def _deliver(session: Session, auction: AuctionView, result: ColumnarResult, now: dt.datetime) -> None:
    """Winners pay the clearing price into the proceeds account, then units go to them."""
    assert result.clearing_price is not None
    currency, code = auction.currency, auction.jurisdiction
    units = result.units_per_bidder()
    paid = {b: u * result.clearing_price for b, u in units.items()}
    proceeds = cash.system_account(code, CashAccountKind.PROCEEDS, currency)
    accounts = {b: cash.participant_account(b, currency) for b in paid}
    entry_id, new = cash.entry(session, f"auction:{auction.id}", "auction", currency, {"auction": auction.id}, now)
    assert new, "an auction settles once"
    cash.lock_accounts(session, [*accounts.values(), proceeds])
    cash.post(
        session,
        entry_id,
        [*(CashPosting(accounts[b], -v) for b, v in paid.items()), CashPosting(proceeds, sum(paid.values()))],
    )
    moved: list[str] = []
    for bidder in sorted(units):
        who = participant(session, bidder)
        assert who is not None
        moved += move_units(
            session,
            code,
            auction_account(code),
            who.registry_account,
            auction.unit_type,
            units[bidder],
            f"{auction.id}:{bidder}",
            now,
        )
    won = np.flatnonzero(result.awarded_lots > 0)
    if len(won):
        session.execute(
            text("UPDATE market_bids SET awarded = :u WHERE id = :i"),
            [{"u": int(result.awarded_lots[i]) * result.lot_size, "i": result.bid_ids[i]} for i in won.tolist()],
        )
    session.execute(
        text(
            "INSERT INTO market_settlements (id, client_key, kind, subject, currency, trades, units, notional, fees, "
            "registry_transactions, at) VALUES (:i, :k, 'auction', :s, :c, :n, :u, :v, 0, :r, :t)"
        ),
        {
            "i": cash.key_id("settlement", f"auction:{auction.id}"),
            "k": f"auction:{auction.id}",
            "s": auction.id,
            "c": currency,
            "n": len(won),
            "u": result.volume_sold,
            "v": sum(paid.values()),
            "r": json.dumps(moved),
            "t": now,
        },
    )


def _carry_over(session: Session, auction: AuctionView, count: int, lot: int) -> list[tuple[str, int]]:
    later = session.execute(
        text(
            "SELECT id, volume FROM market_auctions WHERE unit_type = :u AND state = 'scheduled' AND seq > "
            "(SELECT seq FROM market_auctions WHERE id = :i) ORDER BY seq"
        ),
        {"u": auction.unit_type, "i": auction.id},
    ).all()
    if not later:
        return []  # the last auction of the calendar: the volume stays in the auction delivery account
    volumes = spread_evenly(auction.volume, [int(r[1]) for r in later], lot, count)
    carried = []
    for (later_id, before), after in zip(later, volumes, strict=True):
        if after != before:
            session.execute(text("UPDATE market_auctions SET volume = :v WHERE id = :i"), {"v": after, "i": later_id})
            carried.append((str(later_id), after - int(before)))
    return carried


def _record(
    session: Session, auction: AuctionView, r: ColumnarResult, carried: list[tuple[str, int]], now: dt.datetime
) -> None:
    session.execute(
        text(
            "UPDATE market_auctions SET state = :s, code = :c, clearing_price = :p, volume_sold = :v, bid_volume = :b, "
            "bidders = :n, winners = :w, cover_ratio = :r, carried_over = :o WHERE id = :i"
        ),
        {
            "s": r.status.value,
            "c": r.code.value,
            "p": r.clearing_price,
            "v": r.volume_sold,
            "b": r.bid_volume,
            "n": r.bidders,
            "w": r.winners,
            "r": str(r.cover_ratio),
            "o": json.dumps(carried),
            "i": auction.id,
        },
    )
    detail: dict[str, object] = {
        "status": r.status.value,
        "code": r.code.value,
        "clearing_price": r.clearing_price,
        "sold": r.volume_sold,
        "tie_seed": r.tie_seed,
        "carried_over": carried,
    }
    audit(session, at=now, actor=ACTOR, action=f"market.auction.{r.status.value}", subject=auction.id, detail=detail)


def results(sessions: Sessions, jurisdiction: str | None = None) -> list[AuctionView]:
    with sessions() as session:
        where = " WHERE jurisdiction = :j" if jurisdiction else ""
        rows = session.execute(
            text(f"SELECT {_COLUMNS} FROM market_auctions{where} ORDER BY unit_type, seq"), {"j": jurisdiction}
        ).all()
    return [_view(r) for r in rows]
