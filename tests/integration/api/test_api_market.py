"""The market over HTTP (SQLite): order entry signed with a one-time code and idempotent by key, the
book in depth and in the event stream, trades in public and own views, amendments, IOC and FOK,
cancellation releasing the held units in the registry's holdings, bids, cash and MSR figures."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from typing import Any

import httpx
import pytest
import uvicorn

from api_world import UNIT, World, fund, make_world
from carbonbridge.client import ApiError, Client
from carbonbridge.services.market.check import check
from market_world import CASH_MINOR, MARKET_OPEN, seed_market_api

FEE_BP = 5  # data/market/BY.toml


@pytest.fixture
def world(sqlite_url: str) -> World:
    from carbonbridge.entrypoints.bootstrap import build_app

    w = make_world(build_app(sqlite_url, upgrade=True))
    w.clock.now = MARKET_OPEN  # no code has been used yet: the clock may start at the session's open
    fund(w)  # BY-T1 holds 200 units
    w.objects = seed_market_api(w)
    return w


def order(w: World, user: str, key: str, **fields: Any) -> Any:
    body = {"instrument": UNIT, "type": "limit", **fields}
    return w.as_user(user).place_order(key=key, code=w.code(user), **body)


def market_held(w: World, account: str) -> int:
    found = [h for h in w.as_user("admin").holdings(account) if h["unit_type"] == UNIT]
    return int(found[0]["market_held"]) if found else 0


def test_an_order_rests_in_depth_and_the_stream_and_its_cancel_releases_the_units(world: World) -> None:
    placed = order(world, "trader", "s-1", participant="P-BY-T1", side="sell", quantity=50, price_minor=1000)
    assert (placed["state"], placed["remaining"], placed["filled"]) == ("open", 50, 0)
    public = world.anonymous()
    assert public.depth(UNIT)["asks"] == [{"price_minor": 1000, "quantity": 50, "orders": 1}]
    assert market_held(world, "BY-T1") == 50
    events = list(public.events(UNIT, max_events=1))
    assert [e.kind for e in events] == ["depth"]
    assert events[0].data["asks"] == [{"price_minor": 1000, "quantity": 50, "orders": 1}]

    cancelled = world.as_user("trader").cancel_order(placed["id"])
    assert (cancelled["state"], cancelled["remaining"]) == ("cancelled", 0)
    assert market_held(world, "BY-T1") == 0
    assert public.depth(UNIT)["asks"] == []
    assert world.as_user("trader").cancel_order(placed["id"])["state"] == "cancelled"  # a repeat changes nothing
    assert check(world.core.sessions).ok


def test_crossing_orders_trade_once_and_show_in_trades_own_trades_bars_and_resumed_events(world: World) -> None:
    sell = order(world, "trader", "s-1", participant="P-BY-T1", side="sell", quantity=20, price_minor=1000)
    buy = order(world, "other", "b-1", participant="P-BY-T2", side="buy", quantity=30, price_minor=1010)
    assert (buy["filled"], buy["remaining"], buy["state"]) == (20, 10, "open")
    assert [(t["price_minor"], t["quantity"]) for t in buy["trades"]] == [(1000, 20)]
    assert world.as_user("trader").order(sell["id"])["state"] == "done"

    public = world.anonymous()
    trades = public.market_trades(UNIT)
    assert [(t["price_minor"], t["quantity"]) for t in trades] == [(1000, 20)]
    assert "buyer" not in trades[0] and "seller" not in trades[0]
    own = world.as_user("trader").participant_trades("P-BY-T1")
    assert [(t["side"], t["order_id"], t["settled"]) for t in own] == [("sell", sell["id"], False)]
    bars = public.ohlcv(UNIT)
    assert [(b["open"], b["close"], b["volume"], b["trades"]) for b in bars] == [(1000, 1000, 20, 1)]

    seq = trades[0]["seq"]
    replayed = list(public.events(UNIT, last_event_id=seq - 1, max_events=2))
    assert [(e.kind, e.id) for e in replayed] == [("trade", seq), ("depth", seq)]
    assert replayed[0].data["quantity"] == 20
    assert replayed[1].data["bids"] == [{"price_minor": 1010, "quantity": 10, "orders": 1}]
    resumed = list(public.events(UNIT, last_event_id=seq, max_events=1))
    assert [(e.kind, e.id) for e in resumed] == [("depth", seq)]  # nothing replayed twice

    buyer = {c["currency"]: c for c in world.as_user("other").participant_cash("P-BY-T2")}["BYN"]
    paid = 20 * 1000 + round(20 * 1000 * FEE_BP / 10_000)
    rest = 10 * (1010 + -(-1010 * FEE_BP // 10_000))
    assert (buyer["balance"], buyer["held"]) == (CASH_MINOR, paid + rest)  # held until settlement
    assert market_held(world, "BY-T1") == 20
    assert check(world.core.sessions).ok


def test_an_order_needs_a_fresh_code_and_a_key_repeats_the_first_result(world: World) -> None:
    trader = world.as_user("trader")
    body = {"instrument": UNIT, "participant": "P-BY-T1", "side": "sell", "quantity": 5, "price_minor": 1200}
    with pytest.raises(ApiError) as unsigned:
        trader.place_order(key="k-1", **body)
    assert (unsigned.value.status, unsigned.value.problem["type"].rsplit(":", 1)[1]) == (403, "second-factor-required")
    assert market_held(world, "BY-T1") == 0

    first = trader.place_order(key="k-1", code=world.code("trader"), **body)
    again = trader.place_order(key="k-1", code=world.code("trader"), **body)
    assert again["id"] == first["id"] and len(trader.orders(state="open")) == 1
    assert market_held(world, "BY-T1") == 5
    with pytest.raises(ApiError) as conflict:
        trader.place_order(key="k-1", code=world.code("trader"), **{**body, "quantity": 6})
    assert conflict.value.status == 409 and conflict.value.problem["differing_fields"] == ["quantity"]


def test_a_refused_order_is_recorded_and_refused_again_on_repeat(world: World) -> None:
    trader = world.as_user("trader")
    body = {"instrument": UNIT, "participant": "P-BY-T1", "side": "buy", "type": "market", "quantity": 5}
    for _ in range(2):
        with pytest.raises(ApiError) as refused:
            trader.place_order(key="m-1", code=world.code("trader"), **body)
        assert refused.value.response_code == "M08_NO_REFERENCE_PRICE"  # no previous close yet
    with pytest.raises(ApiError) as naked:
        order(world, "trader", "s-big", participant="P-BY-T1", side="sell", quantity=201, price_minor=1000)
    assert naked.value.response_code == "M10_INSUFFICIENT_UNITS"  # BY-T1 holds 200: no naked selling
    states = sorted((o["type"], o["state"], o["code"]) for o in trader.orders())
    assert states == [("limit", "refused", "M10_INSUFFICIENT_UNITS"), ("market", "refused", "M08_NO_REFERENCE_PRICE")]


def test_a_size_reduction_keeps_priority_and_a_new_price_loses_it(world: World) -> None:
    first = order(world, "other", "b-1", participant="P-BY-T2", side="buy", quantity=10, price_minor=1000)
    second = order(world, "other", "b-2", participant="P-BY-T2", side="buy", quantity=10, price_minor=1000)
    other = world.as_user("other")
    reduced = other.amend_order(first["id"], key="a-1", code=world.code("other"), quantity=4)
    assert (reduced["remaining"], reduced["quantity"]) == (4, 4)
    hit = order(world, "trader", "s-1", participant="P-BY-T1", side="sell", quantity=4, price_minor=1000)
    assert [t["quantity"] for t in hit["trades"]] == [4] and other.order(first["id"])["state"] == "done"

    moved = other.amend_order(second["id"], key="a-2", code=world.code("other"), price_minor=990)
    third = order(world, "other", "b-3", participant="P-BY-T2", side="buy", quantity=5, price_minor=990)
    again = other.amend_order(second["id"], key="a-2", code=world.code("other"), price_minor=990)
    assert again["remaining"] == moved["remaining"] == 10
    other.amend_order(second["id"], key="a-3", code=world.code("other"), price_minor=1000)  # back up: behind nobody
    other.amend_order(second["id"], key="a-4", code=world.code("other"), price_minor=990)  # now behind `third`
    hit = order(world, "trader", "s-2", participant="P-BY-T1", side="sell", quantity=5, price_minor=990)
    assert [t["trade_id"] for t in hit["trades"]] and other.order(third["id"])["state"] == "done"
    assert other.order(second["id"])["remaining"] == 10
    assert check(world.core.sessions).ok


def test_ioc_and_fok_never_rest(world: World) -> None:
    order(world, "trader", "s-1", participant="P-BY-T1", side="sell", quantity=10, price_minor=1000)
    fok = order(world, "other", "f-1", participant="P-BY-T2", side="buy", type="fok", quantity=11, price_minor=1000)
    assert (fok["state"], fok["filled"], fok["remaining"]) == ("done", 0, 0)
    ioc = order(world, "other", "i-1", participant="P-BY-T2", side="buy", type="ioc", quantity=15, price_minor=1000)
    assert (ioc["state"], ioc["filled"], ioc["remaining"]) == ("done", 10, 0)
    assert world.anonymous().depth(UNIT) == {"instrument": UNIT, "last_seq": 1, "bids": [], "asks": []}
    cash = {c["owner"]: c for c in world.as_user("admin").cash(currency="BYN")}
    paid = 10 * 1000 + round(10 * 1000 * FEE_BP / 10_000)
    assert cash["P-BY-T2"]["held"] == paid  # only the trade's cash stays held, until settlement
    assert check(world.core.sessions).ok


def test_cash_is_own_for_a_trader_and_whole_for_the_administrator(world: World) -> None:
    own = world.as_user("trader").cash()
    assert [(c["owner"], c["currency"], c["available"]) for c in own] == [("P-BY-T1", "BYN", CASH_MINOR)]
    every = {c["id"] for c in world.as_user("admin").cash()}
    assert {"P-BY-T1:BYN", "P-BY-T2:BYN", "P-BY-OP1:BYN", "BY-BANK:BYN"} <= every
    assert not any(c.endswith(":CNY") for c in every)  # the CN participant is another jurisdiction's
    with pytest.raises(ApiError) as foreign:
        world.as_user("trader").participant_cash("P-BY-T2")
    assert foreign.value.status == 404


def test_a_bid_holds_cash_and_the_calendar_and_msr_figures_are_public(world: World) -> None:
    auction = world.objects["auction"]
    operator = world.as_user("operator")
    bid = operator.place_bid(
        auction, key="bid-1", code=world.code("operator"), participant="P-BY-OP1", price_minor=1500, lots=1
    )
    assert bid["auction_id"] == auction
    held = operator.participant_cash("P-BY-OP1")[0]["held"]
    assert held == 1500 * 500  # price x lots x lot size (500 in BY)
    public = world.anonymous()
    calendar = public.auctions(jurisdiction="BY")
    assert [(a["id"], a["state"], a["volume"], a["tie_seed"]) for a in calendar] == [(auction, "scheduled", 500, None)]
    figures = public.msr("BY", 2023, tnac=1_134_794_738)
    assert (figures["intake"], len(figures["monthly"])) == (272_350_737, 12)  # Commission, 15 May 2023


def test_lists_page_with_a_cursor(world: World) -> None:
    for n in range(3):
        order(world, "other", f"b-{n}", participant="P-BY-T2", side="buy", quantity=1, price_minor=1000 + n)
    client = world.as_user("other")
    first = client.get("/market/orders", limit=2)
    rest = client.get("/market/orders", limit=2, cursor=first["next_cursor"])
    ids = [o["id"] for o in first["items"] + rest["items"]]
    assert len(ids) == len(set(ids)) == 3 and rest["next_cursor"] is None
    assert len(client.orders(instrument=UNIT, state="open")) == 3


def test_an_instrument_lists_its_reference_and_an_unknown_one_is_not_found(world: World) -> None:
    public: Client = world.anonymous()
    found = {i["code"]: i for i in public.instruments(jurisdiction="BY")}
    assert found[UNIT]["currency"] == "BYN" and found[UNIT]["previous_close"] is None
    with pytest.raises(ApiError) as unknown:
        public.depth("BY-AL-1999")
    assert unknown.value.status == 404


def test_a_live_event_stream_over_a_real_server_delivers_a_trade_made_while_it_is_open(world: World) -> None:
    """Uvicorn in a thread, an httpx stream read line by line: the first depth arrives, then an order
    crosses, and the trade and the new depth follow on the open stream."""
    order(world, "trader", "s-live", participant="P-BY-T1", side="sell", quantity=10, price_minor=1000)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(world.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(100):
            if server.started:
                break
            time.sleep(0.05)
        live = Client(http=httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30))
        events = live.events(UNIT, max_events=3)
        first = next(events)
        assert first.kind == "depth" and first.data["asks"][0]["quantity"] == 10
        order(world, "other", "b-live", participant="P-BY-T2", side="buy", quantity=4, price_minor=1000)
        rest = list(events)
        assert [(e.kind, e.id) for e in rest] == [("trade", 1), ("depth", 1)]
        assert rest[1].data["asks"] == [{"price_minor": 1000, "quantity": 6, "orders": 1}]
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_the_close_expires_open_orders_and_the_settlement_delivers_against_payment(world: World) -> None:
    order(world, "trader", "s-1", participant="P-BY-T1", side="sell", quantity=30, price_minor=1000)
    order(world, "other", "b-1", participant="P-BY-T2", side="buy", quantity=20, price_minor=1000)
    admin = world.as_user("admin")
    assert admin.close_session(UNIT) == {"instrument": UNIT, "expired": 1}
    assert admin.close_session(UNIT)["expired"] == 0  # closing again changes nothing
    assert market_held(world, "BY-T1") == 20  # the expired rest is free again; the trade's units stay held
    assert world.anonymous().depth(UNIT)["asks"] == []

    done = admin.settle_trades(UNIT, key="set-1", code=world.code("admin"))
    assert (done["trades"], done["units"], done["notional"], done["repeated"]) == (1, 20, 20_000, False)
    again = admin.settle_trades(UNIT, key="set-1", code=world.code("admin"))
    assert (again["id"], again["repeated"]) == (done["id"], True)
    held = {h["unit_type"]: h for h in admin.holdings("BY-T2")}[UNIT]
    assert (held["quantity"], held["market_held"]) == (20, 0)
    assert market_held(world, "BY-T1") == 0
    fee = round(20_000 * FEE_BP / 10_000)
    buyer = world.as_user("other").participant_cash("P-BY-T2")[0]
    assert (buyer["balance"], buyer["held"]) == (CASH_MINOR - 20_000 - fee, 0)
    assert [t["settled"] for t in world.as_user("trader").participant_trades("P-BY-T1")] == [True]
    report = check(world.core.sessions)
    assert report.ok, report.problems


def test_the_next_day_has_the_vwap_close_as_reference_its_band_and_protected_market_orders(world: World) -> None:
    order(world, "trader", "s-1", participant="P-BY-T1", side="sell", quantity=30, price_minor=1000)
    order(world, "other", "b-1", participant="P-BY-T2", side="buy", quantity=10, price_minor=1000)
    order(world, "other", "b-2", participant="P-BY-T2", side="buy", quantity=10, price_minor=1000)
    world.as_user("admin").close_session(UNIT)
    world.clock.now = MARKET_OPEN + dt.timedelta(days=1)  # Wednesday, 10:00 in Minsk
    world.clients.clear()  # yesterday's sessions have expired: sign in again
    found = {i["code"]: i for i in world.anonymous().instruments(jurisdiction="BY")}[UNIT]
    assert (found["previous_close"], found["band_low"], found["band_high"]) == (1000, 900, 1100)
    with pytest.raises(ApiError) as outside:
        order(world, "trader", "s-2", participant="P-BY-T1", side="sell", quantity=5, price_minor=1101)
    assert outside.value.response_code == "M04_OUTSIDE_BAND"
    order(world, "trader", "s-3", participant="P-BY-T1", side="sell", quantity=5, price_minor=1050)
    bought = order(world, "other", "m-1", participant="P-BY-T2", side="buy", type="market", quantity=8)
    assert (bought["filled"], bought["remaining"], bought["state"]) == (5, 0, "done")  # the rest is cancelled
    assert [(t["price_minor"], t["quantity"]) for t in bought["trades"]] == [(1050, 5)]
    assert check(world.core.sessions).ok
