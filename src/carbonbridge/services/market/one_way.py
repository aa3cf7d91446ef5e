"""China-style one-way bidding: a large seller offers units, admitted buyers bid within the band
around the previous close, and the sale settles delivery versus payment in one transaction
(the seller's units to the clearing account and on to the buyers, the buyers' cash to the seller,
fees to the exchange)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from carbonbridge.adapters.db.registry.ledger import Sessions, retrying
from carbonbridge.adapters.db.uow import audit
from carbonbridge.adapters.market_config import load_market_config
from carbonbridge.domain.errors import RuleViolation
from carbonbridge.domain.market.auction import OneWayBid, OneWayResult, one_way
from carbonbridge.domain.market.cash import CashAccountKind, CashPosting, check_available
from carbonbridge.domain.market.settlement import Trade, net
from carbonbridge.services.market import cash
from carbonbridge.services.market.participants import clearing_account, participants
from carbonbridge.services.market.registry_moves import move_units
from carbonbridge.services.market.settlement import jurisdiction_of

ACTOR = "market"


@dataclass(frozen=True, slots=True)
class OneWaySale:
    result: OneWayResult
    settlement_id: str
    repeated: bool


def sell_one_way(
    sessions: Sessions,
    seller: str,
    instrument: str,
    offered: int,
    bids: Sequence[OneWayBid],
    previous_close: int,
    key: str,
    *,
    now: dt.datetime,
) -> OneWaySale:
    """Allocate `offered` units to the bids (domain.market.auction.one_way) and settle the fills."""
    code = jurisdiction_of(instrument)
    config = load_market_config(code)
    result = one_way(offered, bids, config.one_way, previous_close)

    def work(session: Session) -> OneWaySale:
        settlement_id = cash.key_id("settlement", key)
        found = session.execute(text("SELECT id FROM market_settlements WHERE client_key = :k"), {"k": key}).first()
        if found is not None:
            return OneWaySale(result, str(found[0]), True)
        people = participants(session, code)
        if seller not in people or any(b.bidder not in people for b in bids):
            raise RuleViolation("A11_NOT_ADMITTED", f"seller and bidders must be admitted to the {code} market")
        trades = [Trade(f"{key}:{f.bid_id}", instrument, f.bidder, seller, f.price, f.units) for f in result.fills]
        netted = net(trades, config.exchange.fee_bp)
        currency = config.currency
        accounts = {o.participant: cash.participant_account(o.participant, currency) for o in netted.obligations}
        fees = cash.system_account(code, CashAccountKind.FEES, currency)
        locked = cash.lock_accounts(session, [*accounts.values(), fees]) if accounts else {}
        for o in netted.obligations:
            if o.cash < 0:
                balance, held, _ = locked[accounts[o.participant]]
                check_available(balance, held, -o.cash, accounts[o.participant])
        lock = " FOR UPDATE" if session.get_bind().dialect.name == "postgresql" else ""
        free = session.execute(
            text(
                "SELECT quantity - reserved - market_held FROM registry_holdings WHERE account_id = :a "
                f"AND unit_type = :u{lock}"
            ),
            {"a": people[seller].registry_account, "u": instrument},
        ).scalar()
        free = int(free or 0)
        if result.sold > int(free):
            raise RuleViolation("M10_INSUFFICIENT_UNITS", f"{seller} has {free} units free, sells {result.sold}")
        moved: list[str] = []
        if result.sold:
            registry = people[seller].registry_account
            moved += move_units(
                session, code, registry, clearing_account(code), instrument, result.sold, f"{key}:out", now
            )
            for f in result.fills:
                moved += move_units(
                    session,
                    code,
                    clearing_account(code),
                    people[f.bidder].registry_account,
                    instrument,
                    f.units,
                    f"{key}:in:{f.bid_id}",
                    now,
                )
        entry_id, _ = cash.entry(session, key, "one_way", currency, {"instrument": instrument, "offered": offered}, now)
        cash.post(
            session,
            entry_id,
            [
                *(CashPosting(accounts[o.participant], o.cash) for o in netted.obligations),
                CashPosting(fees, netted.fees_total),
            ],
        )
        session.execute(
            text(
                "INSERT INTO market_settlements (id, client_key, kind, subject, currency, trades, units, "
                "notional, fees, "
                "registry_transactions, at) VALUES (:i, :k, 'one_way', :s, :c, :n, :u, :v, :f, :r, :t)"
            ),
            {
                "i": settlement_id,
                "k": key,
                "s": instrument,
                "c": currency,
                "n": len(trades),
                "u": result.sold,
                "v": netted.notional,
                "f": netted.fees_total,
                "r": json.dumps(moved),
                "t": now,
            },
        )
        audit(
            session,
            at=now,
            actor=ACTOR,
            action="market.one_way.settled",
            subject=settlement_id,
            detail={"offered": offered, "sold": result.sold, "rejected": len(result.rejected)},
        )
        return OneWaySale(result, settlement_id, False)

    return retrying(sessions, work, command=f"market one-way sale (client key {key!r})", now=now)
