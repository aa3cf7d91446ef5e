"""A trading day of one instrument: the pre-trade layer and book of domain.market.exchange, with
every order, hold change and trade written in one database transaction per command.

At open the participants' free cash (balance - held) and free units (registry holding's available
units - the market's unit holds) are read; the day's holds are then kept in step: the domain's
held maps before and after a command give the hold changes written with it. An order left open by
a crash is expired when the next trading day of the instrument opens (its holds released).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

from carbonbridge.adapters.db.registry.ledger import Sessions
from carbonbridge.adapters.db.uow import audit, unit_of_work
from carbonbridge.adapters.market_config import load_market_config
from carbonbridge.domain.errors import RuleViolation
from carbonbridge.domain.market.book import OrderType, Side
from carbonbridge.domain.market.exchange import Exchange, Placed, cash_need, trade_cash
from carbonbridge.domain.market.rules import vwap
from carbonbridge.domain.market.settlement import Trade
from carbonbridge.services.market import cash
from carbonbridge.services.market.participants import Participant, participants
from carbonbridge.services.market.settlement import SettlementView, change_unit_holds, jurisdiction_of, settle

ACTOR = "market"
Before = tuple[dict[str, int], dict[str, int], set[str], int]


def previous_close(session: Session, instrument: str, before: dt.date, tz: ZoneInfo) -> int | None:
    """VWAP of the listing trades of the last day with trades before `before` (SEEE closing price)."""
    rows = session.execute(
        text("SELECT at, price, quantity, block FROM market_trades WHERE instrument = :i ORDER BY seq"),
        {"i": instrument},
    ).all()
    days: dict[dt.date, list[tuple[int, int, int]]] = {}
    for at, price, quantity, block in rows:
        when = at if isinstance(at, dt.datetime) else dt.datetime.fromisoformat(str(at))
        day = (when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when).astimezone(tz).date()
        if day < before:
            days.setdefault(day, []).append((int(price), int(quantity), int(block)))
    if not days:
        return None
    last = days[max(days)]
    listing = [(p, q) for p, q, b in last if not b] or [(p, q) for p, q, _ in last]
    return vwap(listing)


@dataclass
class TradingDay:
    sessions: Sessions
    instrument: str
    day: dt.date
    opening_price: int | None = None  # the reference price when the instrument has no trades yet
    x: Exchange = field(init=False)
    tz: ZoneInfo = field(init=False)

    def __post_init__(self) -> None:
        code = jurisdiction_of(self.instrument)
        config = load_market_config(code)
        self.tz = ZoneInfo(config.timezone)
        self.currency = config.currency
        with unit_of_work(self.sessions) as session:
            self._expire_stale(session)
            people = participants(session, code)
            close = previous_close(session, self.instrument, self.day, self.tz) or self.opening_price
            cash_free, units_free = self._free(session, people)
            seq = session.execute(text("SELECT coalesce(max(seq), 0) FROM market_trades")).scalar_one()
        self.people = people
        self.x = Exchange(self.instrument, config.exchange, close, cash_free, units_free)
        self.x.trade_seq = int(seq)

    def _free(self, session: Session, people: dict[str, Participant]) -> tuple[dict[str, int], dict[str, int]]:
        rows = session.execute(
            text("SELECT owner, balance - held FROM market_cash_accounts WHERE kind = 'participant' AND currency = :c"),
            {"c": self.currency},
        ).all()
        cash_free = {r[0]: int(r[1]) for r in rows}
        holdings = session.execute(
            text("SELECT account_id, quantity - reserved - market_held FROM registry_holdings WHERE unit_type = :u"),
            {"u": self.instrument},
        ).all()
        by_account = {r[0]: int(r[1]) for r in holdings}
        units_free = {p: by_account.get(v.registry_account, 0) for p, v in people.items()}
        return cash_free, units_free

    def _expire_stale(self, session: Session) -> None:
        """Orders a crashed day left open: expired, holds released (recomputed from their rows)."""
        stale = session.execute(
            text("SELECT id FROM market_orders WHERE instrument = :i AND state = 'open'"), {"i": self.instrument}
        ).all()
        if stale:
            raise RuleViolation(
                "M12_OPEN_ORDERS_LEFT",
                f"{len(stale)} orders of {self.instrument} are still open from an interrupted day: run 'market "
                f"recover'",
            )

    def local(self, at: dt.datetime) -> dt.datetime:
        return at.astimezone(self.tz).replace(tzinfo=None)

    def _command(
        self,
        at: dt.datetime,
        act: Callable[[], object],
        record: Callable[[Session, object], None],
        sellers: tuple[str, ...] = (),
    ) -> object:
        """Run `act` on the in-memory exchange and write its effects in one transaction; if the write
        fails the in-memory state is rebuilt by reopening (the day must then be reopened). The
        sellers' registry holdings are locked and their free units re-read first, so a registry
        transfer committed since the open is seen, and none can take the units before the hold is
        written (a refusal by `act` rolls back and leaves the in-memory exchange as it was)."""
        before = (dict(self.x.held_cash), dict(self.x.held_units), set(self.x.orders), len(self.x.trades))
        with unit_of_work(self.sessions) as session:
            self._refresh_units(session, sellers)
            result = act()
            record(session, result)
            self._write_effects(session, before, at)
        return result

    def _refresh_units(self, session: Session, sellers: tuple[str, ...]) -> None:
        """Lock the sellers' holdings of the instrument and set their free units to the registry's
        (quantity - reserved - market_held, where market_held already includes this day's holds)."""
        lock = " FOR UPDATE" if session.get_bind().dialect.name == "postgresql" else ""
        for p in sorted(set(sellers)):
            account = self.people[p].registry_account if p in self.people else None
            free = session.execute(
                text(
                    "SELECT quantity - reserved - market_held FROM registry_holdings WHERE account_id = :a "
                    f"AND unit_type = :u{lock}"
                ),
                {"a": account, "u": self.instrument},
            ).scalar()
            self.x.units_available[p] = int(free or 0) + self.x.held_units.get(p, 0)

    def _write_effects(self, session: Session, before: Before, at: dt.datetime) -> None:
        held_cash, held_units, open_before, trades_before = before
        changes = []
        for p in sorted(set(held_cash) | set(self.x.held_cash)):
            delta = self.x.held_cash.get(p, 0) - held_cash.get(p, 0)
            changes.append(
                (cash.participant_account(p, self.currency), delta, f"exchange {self.instrument} {self.day}")
            )
        cash.hold(session, changes, at)
        unit_changes = [
            (p, self.instrument, self.x.held_units.get(p, 0) - held_units.get(p, 0), f"exchange {self.day}")
            for p in sorted(set(held_units) | set(self.x.held_units))
        ]
        change_unit_holds(session, unit_changes, at)
        new_trades = self.x.trades[trades_before:]
        if new_trades:
            session.execute(
                text(
                    "INSERT INTO market_trades (id, seq, instrument, buyer, seller, price, quantity, block, at, "
                    "settlement_id) "
                    "VALUES (:i, :s, :n, :b, :e, :p, :q, :k, :t, NULL)"
                ),
                [
                    {
                        "i": t.trade_id,
                        "s": int(t.trade_id.rsplit("T", 1)[1]),
                        "n": self.instrument,
                        "b": t.buyer,
                        "e": t.seller,
                        "p": t.price,
                        "q": t.quantity,
                        "k": int(t.quantity >= self.x.rules.block_minimum),
                        "t": at,
                    }
                    for t in new_trades
                ],
            )
        closed = sorted(open_before - set(self.x.orders))
        if closed:
            session.execute(
                text("UPDATE market_orders SET state = 'done' WHERE id = :i AND state = 'open'"),
                [{"i": i} for i in closed],
            )

    def place(
        self,
        order_id: str,
        participant: str,
        side: Side,
        kind: OrderType,
        quantity: int,
        price: int | None,
        at: dt.datetime,
    ) -> Placed:
        band: tuple[int | None, int | None] = (None, None)
        if self.x.previous_close is not None:
            band = self.x.rules.band(self.x.previous_close)

        def act() -> Placed:
            return self.x.place(order_id, participant, side, kind, quantity, price, self.local(at))

        def record(session: Session, placed: object) -> None:
            assert isinstance(placed, Placed)
            state = "open" if placed.rested else "done"
            session.execute(
                text(
                    "INSERT INTO market_orders (id, instrument, participant, side, type, price, band_low, "
                    "band_high, quantity, "
                    "state, code, at) VALUES (:i, :n, :p, :s, :k, :pr, :bl, :bh, :q, :st, 'OK', :t)"
                ),
                {
                    "i": order_id,
                    "n": self.instrument,
                    "p": participant,
                    "s": side.value,
                    "k": kind.value,
                    "pr": price,
                    "bl": band[0],
                    "bh": band[1],
                    "q": quantity,
                    "st": state,
                    "t": at,
                },
            )

        try:
            found = self._command(at, act, record, (participant,) if side is Side.SELL else ())
        except RuleViolation as exc:
            self._refused(order_id, participant, side, kind, quantity, price, band, exc.code, at)
            raise
        assert isinstance(found, Placed)
        return found

    def _refused(
        self,
        order_id: str,
        participant: str,
        side: Side,
        kind: OrderType,
        quantity: int,
        price: int | None,
        band: tuple[int | None, int | None],
        code: str,
        at: dt.datetime,
    ) -> None:
        with unit_of_work(self.sessions) as session:
            session.execute(
                text(
                    "INSERT INTO market_orders (id, instrument, participant, side, type, price, band_low, "
                    "band_high, quantity, "
                    "state, code, at) VALUES (:i, :n, :p, :s, :k, :pr, :bl, :bh, :q, 'refused', :c, :t)"
                ),
                {
                    "i": order_id,
                    "n": self.instrument,
                    "p": participant,
                    "s": side.value,
                    "k": kind.value,
                    "pr": price,
                    "bl": band[0],
                    "bh": band[1],
                    "q": quantity,
                    "c": code,
                    "t": at,
                },
            )

    def cancel(self, order_id: str, participant: str, at: dt.datetime) -> int:
        def record(session: Session, _: object) -> None:
            session.execute(text("UPDATE market_orders SET state = 'cancelled' WHERE id = :i"), {"i": order_id})

        left = self._command(at, lambda: self.x.cancel(order_id, participant), record)
        assert isinstance(left, int)
        return left

    def block_trade(self, buyer: str, seller: str, quantity: int, price: int, at: dt.datetime) -> Trade:
        trade = self._command(
            at, lambda: self.x.block_trade(buyer, seller, quantity, price, self.local(at)), lambda s, r: None, (seller,)
        )
        assert isinstance(trade, Trade)
        return trade

    def close(self, at: dt.datetime) -> int:
        """End of the day: open orders expire, their holds are released."""

        def record(session: Session, _: object) -> None:
            session.execute(
                text("UPDATE market_orders SET state = 'expired' WHERE instrument = :i AND state = 'open'"),
                {"i": self.instrument},
            )
            audit(
                session,
                at=at,
                actor=ACTOR,
                action="market.exchange.closed",
                subject=f"{self.instrument} {self.day}",
                detail={},
            )

        expired = self._command(at, self.x.close_session, record)
        assert isinstance(expired, int)
        return expired

    def settle(self, key: str, at: dt.datetime) -> SettlementView:
        """Batch settlement of the day's trades (after close), then the in-memory view follows."""
        pending = list(self.x.trades)
        view = settle(self.sessions, self.instrument, key, now=at, trade_ids=[t.trade_id for t in pending])
        self.x.settled(pending)
        return view


def recover(sessions: Sessions, instrument: str, *, now: dt.datetime) -> int:
    """After a crash during a trading day: the instrument's open orders expire and every participant's
    cash holds of the currency are set back to what is still owed (unsettled trades of the
    jurisdiction's instruments, open auction bids, open HTTP buy orders of its other instruments),
    its unit holds of the instrument to its unsettled sales. Runs under the instrument's order-entry
    lock and writes the expiries with a new book version, so the server's cached books drop them."""
    from carbonbridge.services.market.book_store import lock_instrument

    code = jurisdiction_of(instrument)
    config = load_market_config(code)
    fee, lot = config.exchange.fee_bp, config.auction.lot_size
    with unit_of_work(sessions) as session:
        lock_instrument(session, instrument)
        version = session.execute(
            text("SELECT coalesce(max(book_version), 0) + 1 FROM market_orders WHERE instrument = :i"),
            {"i": instrument},
        ).scalar_one()
        expired = session.execute(
            text(
                "UPDATE market_orders SET state = 'expired', remaining = 0, book_version = :v WHERE instrument = :i "
                "AND state = 'open'"
            ),
            {"i": instrument, "v": int(version)},
        ).rowcount  # type: ignore[attr-defined]
        owed: dict[str, int] = {}
        units: dict[str, int] = {}
        for traded, buyer, seller, price, quantity in session.execute(
            text(
                "SELECT t.instrument, t.buyer, t.seller, t.price, t.quantity FROM market_trades t JOIN "
                "registry_unit_types u ON u.code = t.instrument WHERE u.jurisdiction = :j AND t.settlement_id IS NULL"
            ),
            {"j": code},
        ).all():
            owed[buyer] = owed.get(buyer, 0) + trade_cash(int(price), int(quantity), fee)
            if traded == instrument:
                units[seller] = units.get(seller, 0) + int(quantity)
        for buyer, hold_price, remaining in session.execute(
            text(
                "SELECT o.participant, o.hold_price, o.remaining FROM market_orders o JOIN registry_unit_types u ON "
                "u.code = o.instrument WHERE u.jurisdiction = :j AND o.state = 'open' AND o.side = 'buy' AND "
                "o.priority IS NOT NULL"
            ),
            {"j": code},
        ).all():
            owed[buyer] = owed.get(buyer, 0) + cash_need(int(hold_price), int(remaining), fee)
        for bidder, price, lots in session.execute(
            text(
                "SELECT b.bidder, b.price, b.lots FROM market_bids b JOIN market_auctions a ON a.id = b.auction_id "
                "WHERE a.state = 'scheduled' AND a.currency = :c"
            ),
            {"c": config.currency},
        ).all():
            owed[bidder] = owed.get(bidder, 0) + int(price) * int(lots) * lot
        accounts = session.execute(
            text("SELECT owner, id, held FROM market_cash_accounts WHERE kind = 'participant' AND currency = :c"),
            {"c": config.currency},
        ).all()
        cash.hold(session, [(a, owed.get(o, 0) - int(h), f"recover {instrument}") for o, a, h in accounts], now)
        held = session.execute(
            text("SELECT participant, held FROM market_unit_holds WHERE unit_type = :u"), {"u": instrument}
        ).all()
        change_unit_holds(session, [(p, instrument, units.get(p, 0) - int(h), "recover") for p, h in held], now)
        audit(
            session,
            at=now,
            actor=ACTOR,
            action="market.exchange.recovered",
            subject=instrument,
            detail={"expired": expired},
        )
    return int(expired)
