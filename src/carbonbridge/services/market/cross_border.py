"""Cross-border trade settlement: a buyer in one registry buys a seller's units in the other, each
paying or paid in its own currency. The trade is priced in the seller's currency; the buyer pays
the amount converted at the official rate fixed the business day before the trade date, rounded
half up to a whole minor unit (domain/market/fx.py). Money never crosses between the databases:
the buyer's money leaves its market to its settlement bank (BANK contra account), the seller's
arrives from its own settlement bank; the banks settle the currency exchange between them.

No database transaction spans both registries, so settlement is a saga of idempotent steps, each
one transaction in one database, driven by `settle` (run it again until final):
1. buyer side: the amount is held on the buyer's cash account (refused without the funds);
2. seller side: the units go out as a link transfer to the buyer's account (reserved until the
   partner accepts);
3. when the link transfer completed: the seller is paid (its bank -> seller), then the buyer pays
   (hold released, buyer -> its bank); when it was released: the buyer's hold is released.
Delivery versus payment holds across the border: nobody pays for units that did not arrive."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from carbonbridge.adapters.db.registry.ledger import Sessions, retrying
from carbonbridge.adapters.db.uow import audit
from carbonbridge.adapters.market_config import load_market_config
from carbonbridge.domain.errors import Conflict, NotFound, Problem, ValidationFailed
from carbonbridge.domain.market.cash import CashAccountKind, CashPosting, check_amount, check_available
from carbonbridge.domain.market.fx import Rounding, convert_minor
from carbonbridge.services.market import cash
from carbonbridge.services.market.fx_rates import fixed_for
from carbonbridge.services.market.participants import participant
from carbonbridge.services.market.registry_moves import send_across

ACTOR = "market"


@dataclass(frozen=True, slots=True)
class CrossBorderTrade:
    key: str
    seller_side: str
    seller: str  # participant in the seller's registry
    buyer_side: str
    buyer: str  # participant in the buyer's registry
    unit_type: str
    quantity: int
    price_minor: int  # per unit, in the seller's currency
    trade_date: dt.date

    def validate(self) -> None:
        if {self.seller_side, self.buyer_side} != {"BY", "CN"}:
            raise ValidationFailed([Problem("a cross-border trade has a BY side and a CN side", field="sides")])
        check_amount(self.price_minor * self.quantity)


@dataclass(frozen=True, slots=True)
class Leg:
    role: str
    participant: str
    currency: str
    amount: int
    state: str
    rate: str | None
    link_transaction: str | None


def settle(sides: Mapping[str, Sessions], trade: CrossBorderTrade, *, now: dt.datetime) -> dict[str, Leg]:
    """Advance the trade as far as it can go now; the two legs as recorded. Run it again (after the
    link delivered) until both legs are paid or released."""
    trade.validate()
    buyer_sessions, seller_sessions = sides[trade.buyer_side], sides[trade.seller_side]
    command = f"market cross-border {trade.key}"
    buyer = retrying(buyer_sessions, lambda s: _hold(s, trade, now), command=command, now=now)
    destination = _registry_account(buyer_sessions, trade.buyer, trade.buyer_side)
    seller = retrying(seller_sessions, lambda s: _send(s, trade, destination, now), command=command, now=now)
    if seller.state == "sent":
        seller = retrying(seller_sessions, lambda s: _seller_outcome(s, trade, now), command=command, now=now)
    if seller.state in ("paid", "released") and buyer.state == "held":
        outcome = seller.state
        buyer = retrying(buyer_sessions, lambda s: _buyer_outcome(s, trade, outcome, now), command=command, now=now)
    return {"buyer": buyer, "seller": seller}


def _registry_account(sessions: Sessions, participant_id: str, jurisdiction: str) -> str:
    with sessions() as session:
        who = participant(session, participant_id)
    if who is None or who.jurisdiction != jurisdiction:
        raise NotFound(f"no participant {participant_id!r} in the {jurisdiction} market")
    return who.registry_account


def _leg(session: Session, key: str, *, lock: bool = False) -> Leg | None:
    suffix = " FOR UPDATE" if lock and session.get_bind().dialect.name == "postgresql" else ""
    row = session.execute(
        text(
            "SELECT role, participant, currency, amount, state, rate, link_transaction FROM market_cross_border "
            f"WHERE client_key = :k{suffix}"
        ),
        {"k": key},
    ).first()
    if row is None:
        return None
    rate = None if row[5] is None else str(row[5])
    link = None if row[6] is None else str(row[6])
    return Leg(str(row[0]), str(row[1]), str(row[2]), int(row[3]), str(row[4]), rate, link)


def _insert(
    session: Session, trade: CrossBorderTrade, leg: Leg, counterpart: str, rate_on: str | None, now: dt.datetime
) -> None:
    session.execute(
        text(
            "INSERT INTO market_cross_border (client_key, role, participant, counterpart, unit_type, quantity, "
            "currency, amount, rate_on, rate, link_transaction, state, created_at, settled_at) "
            "VALUES (:k, :r, :p, :c, :u, :q, :cur, :a, :ro, :rate, :l, :s, :t, NULL)"
        ),
        {
            "k": trade.key, "r": leg.role, "p": leg.participant, "c": counterpart, "u": trade.unit_type,
            "q": trade.quantity, "cur": leg.currency, "a": leg.amount, "ro": rate_on, "rate": leg.rate,
            "l": leg.link_transaction, "s": leg.state, "t": now,
        },
    )  # fmt: skip
    _audit(session, trade, leg, now)


def _audit(session: Session, trade: CrossBorderTrade, leg: Leg, now: dt.datetime) -> None:
    detail: dict[str, object] = {"role": leg.role, "amount": leg.amount, "currency": leg.currency}
    audit(session, at=now, actor=ACTOR, action=f"market.cross_border.{leg.state}", subject=trade.key, detail=detail)


def _set_state(session: Session, trade: CrossBorderTrade, leg: Leg, state: str, now: dt.datetime) -> Leg:
    session.execute(
        text("UPDATE market_cross_border SET state = :s, settled_at = :t WHERE client_key = :k"),
        {"s": state, "t": now, "k": trade.key},
    )
    done = Leg(leg.role, leg.participant, leg.currency, leg.amount, state, leg.rate, leg.link_transaction)
    _audit(session, trade, done, now)
    return done


def _hold(session: Session, trade: CrossBorderTrade, now: dt.datetime) -> Leg:
    """Step 1 (buyer's registry): the converted amount held on the buyer's cash account."""
    found = _leg(session, trade.key, lock=True)
    if found is not None:
        return found
    currency = load_market_config(trade.buyer_side).currency
    seller_currency = load_market_config(trade.seller_side).currency
    rate = fixed_for(session, trade.trade_date, [trade.buyer_side, trade.seller_side])
    amount = convert_minor(trade.price_minor * trade.quantity, seller_currency, currency, rate, Rounding.HALF_UP)
    if participant(session, trade.buyer) is None:
        raise NotFound(f"no participant {trade.buyer!r} in the {trade.buyer_side} market")
    account = cash.participant_account(trade.buyer, currency)
    balance, held, _ = cash.lock_accounts(session, [account])[account]
    check_available(balance, held, amount, account)
    cash.hold(session, [(account, amount, f"cross-border {trade.key}")], now)
    leg = Leg("buyer", trade.buyer, currency, amount, "held", f"{rate.rate}/{rate.scale}", None)
    _insert(session, trade, leg, f"{trade.seller_side}/{trade.seller}", rate.on.isoformat(), now)
    return leg


def _send(session: Session, trade: CrossBorderTrade, destination: str, now: dt.datetime) -> Leg:
    """Step 2 (seller's registry): the units sent over the link to the buyer's registry account."""
    found = _leg(session, trade.key, lock=True)
    if found is not None:
        return found
    who = participant(session, trade.seller)
    if who is None or who.jurisdiction != trade.seller_side:
        raise NotFound(f"no participant {trade.seller!r} in the {trade.seller_side} market")
    currency = load_market_config(trade.seller_side).currency
    link = send_across(
        session, trade.seller_side, who.registry_account, destination, trade.unit_type, trade.quantity,
        f"cross-border:{trade.key}", now,
    )  # fmt: skip
    leg = Leg("seller", trade.seller, currency, trade.price_minor * trade.quantity, "sent", None, link)
    _insert(session, trade, leg, f"{trade.buyer_side}/{trade.buyer}", None, now)
    return leg


def _seller_outcome(session: Session, trade: CrossBorderTrade, now: dt.datetime) -> Leg:
    """Step 3 (seller's registry): paid from its settlement bank once the partner accepted."""
    leg = _leg(session, trade.key, lock=True)
    assert leg is not None
    if leg.state != "sent":
        return leg
    state = session.execute(
        text("SELECT state FROM link_transfers WHERE direction = 'out' AND registry_transaction = :t"),
        {"t": leg.link_transaction},
    ).scalar()
    if state == "released":
        return _set_state(session, trade, leg, "released", now)
    if state != "completed":
        return leg  # in flight
    _bank_to_or_from(session, trade.seller_side, trade.seller, leg, f"cross-border:{trade.key}:seller", +1, now)
    return _set_state(session, trade, leg, "paid", now)


def _buyer_outcome(session: Session, trade: CrossBorderTrade, seller_state: str, now: dt.datetime) -> Leg:
    """Step 4 (buyer's registry): the hold released; the buyer pays if the units arrived."""
    leg = _leg(session, trade.key, lock=True)
    assert leg is not None
    if leg.state != "held":
        return leg
    account = cash.participant_account(trade.buyer, leg.currency)
    cash.lock_accounts(session, [account])
    cash.hold(session, [(account, -leg.amount, f"cross-border {trade.key}")], now)
    if seller_state == "released":
        return _set_state(session, trade, leg, "released", now)
    _bank_to_or_from(session, trade.buyer_side, trade.buyer, leg, f"cross-border:{trade.key}:buyer", -1, now)
    return _set_state(session, trade, leg, "paid", now)


def _bank_to_or_from(
    session: Session, jurisdiction: str, who: str, leg: Leg, key: str, sign: int, now: dt.datetime
) -> None:
    """+1: the settlement bank pays the participant; -1: the participant pays its bank."""
    account = cash.participant_account(who, leg.currency)
    bank = cash.system_account(jurisdiction, CashAccountKind.BANK, leg.currency)
    entry_id, new = cash.entry(
        session, key, "cross_border", leg.currency, {"account": account, "amount": leg.amount}, now
    )
    if not new:
        raise Conflict(f"cross-border payment {key} was already made")
    cash.lock_accounts(session, [account, bank])
    cash.post(session, entry_id, [CashPosting(account, sign * leg.amount), CashPosting(bank, -sign * leg.amount)])


def leg_status(sessions: Sessions, key: str) -> dict[str, object]:
    """This registry's leg of the cross-border trade `key`: role, participant, counterpart, units,
    amount in its currency, the rate used (buyer) or the link transaction (seller), state."""
    with sessions() as session:
        row = session.execute(
            text(
                "SELECT client_key, role, participant, counterpart, unit_type, quantity, currency, amount, rate_on, "
                "rate, link_transaction, state, created_at, settled_at FROM market_cross_border WHERE client_key = :k"
            ),
            {"k": key},
        ).first()
    if row is None:
        raise NotFound(f"no cross-border trade {key!r} in this registry")
    names = ("key", "role", "participant", "counterpart", "unit_type", "quantity", "currency", "amount", "rate_on",
             "rate", "link_transaction", "state", "created_at", "settled_at")  # fmt: skip
    found = dict(zip(names, row, strict=True))
    for when in ("created_at", "settled_at"):
        value = found[when]
        found[when] = value.isoformat() if hasattr(value, "isoformat") else (None if value is None else str(value))
    return found
