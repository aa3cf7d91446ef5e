"""Money across the link over HTTP (routes_link_money.py), on two SQLite registries: the official
rates and a joint auction's result without sign-in; the BY registry administrator schedules and
runs a joint auction whose coordinator reaches the CN market's database
(CARBONBRIDGE_JOINT_AUCTION_PARTNER_DB); a BY trader bids from its own admitted account (a repeat
of its Idempotency-Key is the same bid); the CN allowances it won go out over the link; a
cross-border trade's BY leg is visible to its holder and the auditor, not to another holder."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from api_world import START, UNIT, World, fund, make_world
from carbonbridge.adapters.db.registry.ledger import SqlLedgers
from carbonbridge.client import ApiError
from carbonbridge.domain.market.fx import OfficialRate
from carbonbridge.domain.registry.commands import TransactionRequest
from carbonbridge.domain.registry.model import TransactionType
from carbonbridge.entrypoints.bootstrap import build_app
from carbonbridge.entrypoints.http.settings import Settings
from carbonbridge.services import link_transfers
from carbonbridge.services.market import cash, fx_rates
from carbonbridge.services.market.cross_border import CrossBorderTrade, settle
from carbonbridge.services.market.joint_auctions import place_bid
from carbonbridge.services.market.participants import admit, open_market
from carbonbridge.services.registry.transactions import issue
from carbonbridge.testing.market import SETUP_LEAD
from carbonbridge.testing.trading import SeededMarket, seed_trading

AUCTION = "2026-04-02"  # a Thursday: the rate is fixed on Wednesday 1 April
RATES = [
    OfficialRate(dt.date(2026, 4, 1), "CNY", "BYN", 10, Decimal("4.5"), "test"),
    OfficialRate(dt.date(2026, 4, 2), "CNY", "BYN", 10, Decimal("4.6"), "test"),
]


@pytest.fixture
def worlds(tmp_path: Path) -> Iterator[tuple[World, Any, SeededMarket]]:
    by_url, cn_url = (f"sqlite:///{tmp_path / f'{code}.db'}" for code in ("BY", "CN"))
    cn = build_app(cn_url, upgrade=True)
    market = seed_trading(cn.sessions, now=START, jurisdiction="CN", traders=2, units_each=2_000)
    national, unit = market.registry.national, market.registry.unit_type
    admin = market.registry.representatives(national)[0]
    request = TransactionRequest("more-cn", TransactionType.ISSUANCE, None, national, unit, 4_000, admin)
    issue(SqlLedgers(cn.sessions), request, now=START - SETUP_LEAD)
    by = build_app(by_url, upgrade=True)
    world = make_world(by, Settings(db_url=by_url, rate_limit_signin="1000/minute", joint_auction_partner_db=cn_url))
    fund(world)  # BY-NHA keeps 700 of 1 000; 1 000 more for the auction
    issue(SqlLedgers(by.sessions),
          TransactionRequest("more-by", TransactionType.ISSUANCE, None, "BY-NHA", UNIT, 1_000, "admin-a"),
          now=START)  # fmt: skip
    open_market(by.sessions, "BY", now=START - SETUP_LEAD, national_account="BY-NHA")
    for account_id in ("BY-T1", "BY-T2"):
        admit(by.sessions, f"P-{account_id}", "BY", f"holder of {account_id}", account_id, now=START - SETUP_LEAD)
        cash.deposit(by.sessions, f"P-{account_id}", "BY", "BYN", 10_000_000, f"dep-{account_id}", START)
    for app, code in ((by, "BY"), (cn, "CN")):
        link_transfers.open_link(app.sessions, code, now=START - SETUP_LEAD)
        fx_rates.import_rates(app.sessions, RATES, now=START)
    yield world, cn, market
    cn.engine.dispose()
    by.engine.dispose()


def test_joint_auction_over_http_and_the_public_rate_and_result(worlds: tuple[World, Any, SeededMarket]) -> None:
    world, cn, market = worlds
    public = world.anonymous()
    assert [(r["date"], r["rate"], r["per_unit"]) for r in public.link_rates("BY")] == [
        ("2026-04-01", "4.5", "0.45"),
        ("2026-04-02", "4.6", "0.46"),
    ]
    assert [r["date"] for r in public.link_rates("BY", for_auction=AUCTION)] == ["2026-04-01"]
    with pytest.raises(ApiError) as missing:
        public.link_rates("BY", for_auction="2026-04-06")  # Friday 3 April's rate is not stored
    assert missing.value.status == 404

    admin, trader = world.as_user("admin"), world.as_user("trader")
    body = {
        "joint_id": "JA-H", "auction_date": AUCTION, "by_volume": 1_000, "cn_volume": 3_000, "by_unit_type": UNIT,
        "cn_unit_type": market.registry.unit_type, "by_national_account": "BY-NHA",
        "cn_national_account": market.registry.national, "clearing_currency": "CNY",
    }  # fmt: skip
    with pytest.raises(ApiError) as unsigned:
        admin.joint_auction_schedule("BY", body)
    assert unsigned.value.status == 403  # moves units: a fresh one-time code
    shares = admin.joint_auction_schedule("BY", body, code=world.code("admin"))["shares"]
    assert {c: (v["volume"], v["currency"], v["state"]) for c, v in shares.items()} == {
        "BY": (1_000, "BYN", "scheduled"),
        "CN": (3_000, "CNY", "scheduled"),
    }
    with pytest.raises(ApiError) as denied:
        world.as_user("other").joint_auction_bid("BY", "JA-H", "BY-T1", 3_650, 2_000, "steal")
    assert denied.value.status == 404  # not its account
    first = trader.joint_auction_bid("BY", "JA-H", "BY-T1", 3_650, 2_000, "b1")  # 36.50 BYN -> 81.11 CNY
    assert trader.joint_auction_bid("BY", "JA-H", "BY-T1", 3_650, 2_000, "b1") == first
    cn1, cn2 = market.participants
    place_bid(cn.sessions, "JA-H", "CN", cn1, 8_000, 1_000, "c1", now=world.clock.now)
    place_bid(cn.sessions, "JA-H", "CN", cn2, 7_800, 1_000, "c2", now=world.clock.now)

    done = admin.joint_auction_run("BY", "JA-H", code=world.code("admin"))
    assert (done["status"], done["clearing_currency"], done["clearing_price"]) == ("cleared", "CNY", 7_800)
    assert {s["jurisdiction"]: s["price"] for s in done["sides"]} == {"BY": 3_510, "CN": 7_800}
    [crossing] = done["cross_border_deliveries"]  # the 1 000 CN allowances BY-T1 won
    assert (crossing["origin"], crossing["bidder"], crossing["units"], crossing["link_state"]) == (
        "CN", first["bidder"], 1_000, "delayed"
    )  # fmt: skip
    shown = public.joint_auction("BY", "JA-H")
    assert (shown["state"], shown["fixing_date"], shown["result"]["clearing_price"]) == ("cleared", "2026-04-01", 7_800)
    assert "bids" not in shown
    paid = {a.id: a.balance for a in cash.accounts(world.core.sessions)}
    assert paid["P-BY-T1:BYN"] == 10_000_000 - 2_000 * 3_510


def test_a_cross_border_legs_state_is_seen_by_its_holder_and_the_auditor(
    worlds: tuple[World, Any, SeededMarket],
) -> None:
    world, cn, market = worlds
    seller = market.participants[0]
    trade = CrossBorderTrade("x1", "CN", seller, "BY", "P-BY-T1", market.registry.unit_type, 300, 8_000,
                             dt.date(2026, 4, 2))  # fmt: skip
    settle({"BY": world.core.sessions, "CN": cn.sessions}, trade, now=world.clock.now)
    leg = world.as_user("trader").cross_border_trade("BY", "x1")
    assert (leg["role"], leg["state"], leg["currency"], leg["amount"], leg["rate"]) == (
        "buyer", "held", "BYN", 1_080_000, "4.5/10"
    )  # fmt: skip
    assert world.as_user("auditor").cross_border_trade("BY", "x1") == leg
    for user, status in (("other", 404), ("verifier", 403)):
        with pytest.raises(ApiError) as refused:
            world.as_user(user).cross_border_trade("BY", "x1")
        assert refused.value.status == status
    with pytest.raises(ApiError) as unknown:
        world.as_user("auditor").cross_border_trade("BY", "x-none")
    assert unknown.value.status == 404
