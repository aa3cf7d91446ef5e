"""Money across the border on two registries (two SQLite files, or two PostgreSQL databases): NBRB
rates imported from a file in the NBRB shape, a joint auction cleared in CNY at the rate of the
business day before, each side settling its own winners in its own currency, the CN units a BY
winner bought crossing the link (and refunded when the BY registry refuses them), a cancelled
joint auction's volume carried over, cross-border trades paid only for units that arrived;
figures by hand (as in tests/unit/market/test_market_fx_and_joint_auction.py)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from carbonbridge.adapters.db.registry.ledger import SqlLedgers
from carbonbridge.adapters.link_money import read_nbrb_file
from carbonbridge.domain.errors import Conflict, RuleViolation
from carbonbridge.domain.market.auction import AuctionStatus
from carbonbridge.domain.registry.commands import TransactionRequest
from carbonbridge.domain.registry.model import TransactionType
from carbonbridge.entrypoints.bootstrap import App, build_app
from carbonbridge.services import link_delivery, link_inbox, link_transfers
from carbonbridge.services.market import cash, fx_rates, joint_auctions
from carbonbridge.services.market.check import check as market_check
from carbonbridge.services.market.participants import auction_account
from carbonbridge.services.registry import queries
from carbonbridge.services.registry.accounts import change_trusted
from carbonbridge.services.registry.transactions import issue
from carbonbridge.testing.market import SETUP_LEAD
from carbonbridge.testing.trading import SeededMarket, seed_trading
from link_world import ACKED, registry_urls

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
RUN = dt.datetime(2026, 3, 5, 10, 0, tzinfo=dt.UTC)  # auction day; the rate is fixed on 4 March
NBRB = [
    {"Date": "2026-03-04T00:00:00", "Cur_Abbreviation": "CNY", "Cur_Scale": 10, "Cur_OfficialRate": 4.5},
    {"Date": "2026-03-04T00:00:00", "Cur_Abbreviation": "USD", "Cur_Scale": 1, "Cur_OfficialRate": 2.9},
    {"Date": "2026-03-05T00:00:00", "Cur_Abbreviation": "CNY", "Cur_Scale": 10, "Cur_OfficialRate": 4.6},
]
World = tuple[dict[str, App], dict[str, SeededMarket]]
KINDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=KINDS)
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """Two registries, one database each: two SQLite files, or two fresh PostgreSQL databases."""
    if request.param == "postgresql":
        request.getfixturevalue("pg_server")  # skipped (or failed under CARBONBRIDGE_REQUIRE_PG) without a server
    with registry_urls(request.param, tmp_path) as urls:
        yield from _world(urls)


def _world(urls: dict[str, str]) -> Iterator[World]:
    apps, markets = {}, {}
    for code in ("BY", "CN"):
        app = build_app(urls[code], upgrade=True)
        markets[code] = seed_trading(app.sessions, now=START, jurisdiction=code, traders=2, units_each=2_000)
        link = link_transfers.open_link(app.sessions, code, now=START - SETUP_LEAD)
        for account in (auction_account(code), *markets[code].registry.traders):
            change_trusted(app.sessions, account, link, add=True, now=START - SETUP_LEAD, actor="seed")
        national = markets[code].registry.national
        unit = markets[code].registry.unit_type
        admin = markets[code].registry.representatives(national)[0]
        request = TransactionRequest(f"more-{unit}", TransactionType.ISSUANCE, None, national, unit, 4_000, admin)
        issue(SqlLedgers(app.sessions), request, now=START - SETUP_LEAD)
        apps[code] = app
    yield apps, markets
    for app in apps.values():
        app.engine.dispose()


def _rates_file(tmp_path: Path) -> Path:
    path = tmp_path / "nbrb.json"
    path.write_text(json.dumps(NBRB), encoding="utf-8")
    return path


def _pump(apps: dict[str, App], now: dt.datetime) -> None:
    def transport(partner: str, document: dict[str, Any]) -> int:
        return 200 if link_inbox.receive(apps[partner].sessions, partner, document, now=now) in ACKED else 409

    for _ in range(3):
        for own in ("BY", "CN"):
            link_delivery.deliver_due(apps[own].sessions, own, transport, key=apps[own].signing_key(own), now=now)


def _balances(app: App) -> dict[str, tuple[int, int]]:
    return {a.id: (a.balance, a.held) for a in cash.accounts(app.sessions)}


def _held(app: App, account: str, unit: str) -> int:
    found = {(h.account_id, h.unit_type): h.quantity for h in queries.holdings(app.sessions, account)}
    return found.get((account, unit), 0)


def test_rates_import_once_and_a_different_rate_for_a_stored_date_is_refused(world: World, tmp_path: Path) -> None:
    apps, _ = world
    rates = read_nbrb_file(_rates_file(tmp_path))
    assert [(r.on.isoformat(), str(r.rate), r.scale) for r in rates] == [
        ("2026-03-04", "4.5", 10),
        ("2026-03-05", "4.6", 10),
    ]
    first = fx_rates.import_rates(apps["BY"].sessions, rates, now=START)
    again = fx_rates.import_rates(apps["BY"].sessions, rates, now=START)
    assert (first.added, first.repeated, again.added, again.repeated) == (2, 0, 0, 2)
    per_one = [r for r in read_nbrb_file(_rates_file(tmp_path))]
    assert fx_rates.import_rates(apps["BY"].sessions, per_one, now=START).repeated == 2
    changed = [*NBRB[:2], {**NBRB[2], "Cur_OfficialRate": 4.61}]
    (tmp_path / "changed.json").write_text(json.dumps(changed), encoding="utf-8")
    with pytest.raises(Conflict):
        fx_rates.import_rates(apps["BY"].sessions, read_nbrb_file(tmp_path / "changed.json"), now=START)
    assert [str(r.rate) for r in fx_rates.rates(apps["BY"].sessions)] == ["4.5", "4.6"]


def test_joint_auction_settles_each_side_in_its_currency_and_the_cn_units_cross_the_link(
    world: World, tmp_path: Path
) -> None:
    apps, markets = world
    sides = {code: app.sessions for code, app in apps.items()}
    for app in apps.values():
        fx_rates.import_rates(app.sessions, read_nbrb_file(_rates_file(tmp_path)), now=START)
    units = {code: markets[code].registry.unit_type for code in apps}
    shares = joint_auctions.schedule(
        sides,
        "JA-2026-03",
        dt.date(2026, 3, 5),
        {"BY": 1_000, "CN": 4_000},
        units,
        {code: markets[code].registry.national for code in apps},
        "CNY",
        now=START,
        seed=lambda: "seed",
    )
    assert {c: (v.volume, v.currency, v.state) for c, v in shares.items()} == {
        "BY": (1_000, "BYN", "scheduled"),
        "CN": (4_000, "CNY", "scheduled"),
    }
    by1, by2 = markets["BY"].participants
    cn1, cn2 = markets["CN"].participants
    for code, bidder, price, count, key in (
        ("BY", by1, 3_650, 2_000, "b1"),
        ("BY", by2, 3_500, 1_000, "b2"),
        ("CN", cn1, 8_000, 2_000, "c1"),
        ("CN", cn2, 7_778, 1_000, "c2"),
    ):
        joint_auctions.place_bid(sides[code], "JA-2026-03", code, bidder, price, count, key, now=RUN)
    before = {code: _balances(app) for code, app in apps.items()}
    assert before["BY"][f"{by1}:BYN"][1] == 3_650 * 2_000  # held in roubles at the bidder's own price

    result = joint_auctions.run(sides, "JA-2026-03", now=RUN)
    assert result.result.status is AuctionStatus.CLEARED
    assert result.rate.on == dt.date(2026, 3, 4)  # the business day before, not the auction day's 4.6
    assert result.result.clearing_price == 7_778  # b2 (35.00 BYN -> 77.77 CNY) loses to c2 by one fen
    by, cn = _balances(apps["BY"]), _balances(apps["CN"])
    assert by[f"{by1}:BYN"] == (before["BY"][f"{by1}:BYN"][0] - 2_000 * 3_500, 0)  # 35.00 BYN each
    assert by[f"{by2}:BYN"] == (before["BY"][f"{by2}:BYN"][0], 0)  # hold released
    assert by["BY-PROCEEDS:BYN"][0] == 3_500_000  # its own 1 000 units
    assert by["BY-PARTNER-CN:BYN"][0] == 3_500_000  # owed to CN for the 1 000 CN units
    assert cn[f"{cn1}:CNY"][0] == before["CN"][f"{cn1}:CNY"][0] - 2_000 * 7_778
    assert cn[f"{cn2}:CNY"][0] == before["CN"][f"{cn2}:CNY"][0] - 1_000 * 7_778
    assert cn["CN-PROCEEDS:CNY"][0] == 3_000 * 7_778

    by_account = markets["BY"].registry.traders[0]
    assert _held(apps["BY"], by_account, units["BY"]) == 2_000 + 1_000
    assert _held(apps["CN"], markets["CN"].registry.traders[0], units["CN"]) == 2_000 + 2_000
    assert _held(apps["CN"], markets["CN"].registry.traders[1], units["CN"]) == 2_000 + 1_000
    assert _held(apps["BY"], by_account, units["CN"]) == 0  # in flight over the link
    _pump(apps, RUN)
    assert _held(apps["BY"], by_account, units["CN"]) == 1_000

    again = joint_auctions.run(sides, "JA-2026-03", now=RUN + dt.timedelta(hours=1))
    assert again.result == result.result
    assert _balances(apps["BY"]) == by
    with pytest.raises(RuleViolation) as closed:
        joint_auctions.place_bid(sides["BY"], "JA-2026-03", "BY", by2, 4_000, 1_000, "late", now=RUN)
    assert closed.value.code == "A10_AUCTION_CLOSED"
    recorded = joint_auctions.joint_result(sides["CN"], "JA-2026-03")
    assert recorded["state"] == "cleared" and recorded["result"]["clearing_price"] == 7_778
    for app in apps.values():
        report = market_check(app.sessions)
        assert report.ok, report.problems


def test_joint_auction_without_the_fixing_days_rate_is_refused(world: World) -> None:
    apps, markets = world
    sides = {code: app.sessions for code, app in apps.items()}
    joint_auctions.schedule(
        sides,
        "JA-X",
        dt.date(2026, 3, 9),
        {"BY": 1_000, "CN": 1_000},
        {code: markets[code].registry.unit_type for code in apps},
        {code: markets[code].registry.national for code in apps},
        "BYN",
        now=START,
    )
    from carbonbridge.domain.errors import NotFound

    with pytest.raises(NotFound, match="2026-03-06"):  # Monday's auction: Friday's rate
        joint_auctions.run(sides, "JA-X", now=RUN)


def test_cli_imports_rates_and_runs_a_joint_auction_in_roubles(world: World, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from carbonbridge.entrypoints.cli.main import app

    apps, markets = world
    runner = CliRunner()
    dbs = {code: a.engine.url.render_as_string(hide_password=False) for code, a in apps.items()}

    def cli(*args: str) -> Any:
        result = runner.invoke(app, list(args))
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    rates_file = str(_rates_file(tmp_path))
    for code in apps:
        assert cli("--db", dbs[code], "link", "rates", "import", rates_file)["added"] == 2
    assert cli("--db", dbs["BY"], "link", "rates", "import", rates_file)["already_stored"] == 2
    fixed = cli("--db", dbs["BY"], "link", "rates", "show", "--for-auction", "2026-03-05")
    assert [(f["date"], f["rate"], f["scale"], f["per_unit"]) for f in fixed] == [("2026-03-04", "4.5", 10, "0.45")]
    national = {code: markets[code].registry.national for code in apps}
    unit = {code: markets[code].registry.unit_type for code in apps}
    cli(
        "market", "joint-auction", "schedule", "JA-CLI", "--date", "2026-03-05", "--by-db", dbs["BY"],
        "--cn-db", dbs["CN"], "--by-volume", "1000", "--cn-volume", "1000", "--by-unit-type", unit["BY"],
        "--cn-unit-type", unit["CN"], "--by-national", national["BY"], "--cn-national", national["CN"],
        "--currency", "BYN",
    )  # fmt: skip
    # c1 80.00 CNY -> 36.00 BYN; b1 35.01 BYN: the clearing price is b1's, CN pays 35.01 x 10 / 4.5 = 77.80 CNY
    cli("--db", dbs["CN"], "market", "joint-auction", "bid", "JA-CLI", "-j", "CN", "--bidder",
        markets["CN"].participants[0], "--price", "80.00", "--units", "1000", "--key", "c1")  # fmt: skip
    cli("--db", dbs["BY"], "market", "joint-auction", "bid", "JA-CLI", "-j", "BY", "--bidder",
        markets["BY"].participants[0], "--price", "35.01", "--units", "1000", "--key", "b1")  # fmt: skip
    done = cli("market", "joint-auction", "run", "JA-CLI", "--by-db", dbs["BY"], "--cn-db", dbs["CN"])
    assert (done["status"], done["clearing_currency"], done["clearing_price"]) == ("cleared", "BYN", 3_501)
    assert {s["jurisdiction"]: s["price"] for s in done["sides"]} == {"BY": 3_501, "CN": 7_780}
    shown = cli("--db", dbs["CN"], "market", "joint-auction", "show", "JA-CLI")
    assert shown["state"] == "cleared" and shown["fixing_date"] == "2026-03-04"


def test_cross_border_trade_buyer_pays_roubles_seller_gets_yuan_only_when_the_units_arrived(
    world: World, tmp_path: Path
) -> None:
    from carbonbridge.services.market.cross_border import CrossBorderTrade, settle

    apps, markets = world
    sides = {code: app.sessions for code, app in apps.items()}
    for app in apps.values():
        fx_rates.import_rates(app.sessions, read_nbrb_file(_rates_file(tmp_path)), now=START)
    buyer, seller = markets["BY"].participants[0], markets["CN"].participants[0]
    unit = markets["CN"].registry.unit_type
    # 300 t at 80.00 CNY = 24 000.00 CNY; at 4.5 BYN per 10 CNY (fixed 4 March) = 10 800.00 BYN
    trade = CrossBorderTrade("x1", "CN", seller, "BY", buyer, unit, 300, 8_000, dt.date(2026, 3, 5))
    before = {code: _balances(app) for code, app in apps.items()}
    legs = settle(sides, trade, now=RUN)
    assert (legs["buyer"].state, legs["buyer"].amount, legs["buyer"].currency) == ("held", 1_080_000, "BYN")
    assert legs["seller"].state == "sent"
    assert _balances(apps["BY"])[f"{buyer}:BYN"] == (before["BY"][f"{buyer}:BYN"][0], 1_080_000)
    assert settle(sides, trade, now=RUN)["seller"].state == "sent"  # nothing arrived yet: nobody paid
    _pump(apps, RUN)
    legs = settle(sides, trade, now=RUN)
    assert (legs["buyer"].state, legs["seller"].state) == ("paid", "paid")
    assert _balances(apps["BY"])[f"{buyer}:BYN"] == (before["BY"][f"{buyer}:BYN"][0] - 1_080_000, 0)
    assert _balances(apps["CN"])[f"{seller}:CNY"][0] == before["CN"][f"{seller}:CNY"][0] + 2_400_000
    assert _balances(apps["BY"])["BY-BANK:BYN"][0] == before["BY"]["BY-BANK:BYN"][0] + 1_080_000
    assert _held(apps["BY"], markets["BY"].registry.traders[0], unit) == 300
    assert settle(sides, trade, now=RUN) == legs  # final: a rerun changes nothing
    rich = CrossBorderTrade("x2", "CN", seller, "BY", buyer, unit, 300, 8_000_000, dt.date(2026, 3, 5))
    with pytest.raises(RuleViolation, match="C11"):
        settle(sides, rich, now=RUN)
    for app in apps.values():
        assert market_check(app.sessions).ok


def _joint_world(world: World, tmp_path: Path) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    apps, markets = world
    for app in apps.values():
        fx_rates.import_rates(app.sessions, read_nbrb_file(_rates_file(tmp_path)), now=START)
    sides = {code: app.sessions for code, app in apps.items()}
    units = {code: markets[code].registry.unit_type for code in apps}
    national = {code: markets[code].registry.national for code in apps}
    return sides, units, national


def test_a_cancelled_joint_auction_carries_each_sides_volume_over_to_its_next_auctions(
    world: World, tmp_path: Path
) -> None:
    apps, markets = world
    sides, units, national = _joint_world(world, tmp_path)
    calendar = (("JA-A", 5, {"BY": 2_000, "CN": 2_000}), ("JA-B", 12, {"BY": 1_000, "CN": 1_000}),
                ("JA-C", 19, {"BY": 1_000, "CN": 1_000}))  # fmt: skip
    for joint_id, day, volumes in calendar:
        joint_auctions.schedule(
            sides, joint_id, dt.date(2026, 3, day), volumes, units, national, "CNY", now=START, seed=lambda: "s"
        )
    by1 = markets["BY"].participants[0]
    joint_auctions.place_bid(sides["BY"], "JA-A", "BY", by1, 3_600, 1_000, "only", now=RUN)  # 1 000 of 4 000
    before = _balances(apps["BY"])[f"{by1}:BYN"]
    assert before[1] == 3_600_000

    result = joint_auctions.run(sides, "JA-A", now=RUN)
    assert result.result.status is AuctionStatus.CANCELLED and result.result.code.value == "A01_UNDERSUBSCRIBED"
    assert _balances(apps["BY"])[f"{by1}:BYN"] == (before[0], 0)  # hold released, nothing paid
    shares = {
        code: {a.id: (a.state, a.volume, json.loads(a.carried_over or "[]")) for a in auctions_of(apps[code])}
        for code in apps
    }
    # each side: its 2 joint lots over its two later auctions (fewer than carry_over_auctions = 4), one each
    assert shares["BY"] == {
        "JA-A-BY": ("cancelled", 2_000, [["JA-B-BY", 1_000], ["JA-C-BY", 1_000]]),
        "JA-B-BY": ("scheduled", 2_000, []),
        "JA-C-BY": ("scheduled", 2_000, []),
    }
    assert shares["CN"] == {
        "JA-A-CN": ("cancelled", 2_000, [["JA-B-CN", 1_000], ["JA-C-CN", 1_000]]),
        "JA-B-CN": ("scheduled", 2_000, []),
        "JA-C-CN": ("scheduled", 2_000, []),
    }
    for code in apps:  # the units never left the auction delivery account: the calendar now offers them
        assert _held(apps[code], auction_account(code), units[code]) == sum(
            v for _, v, _ in list(shares[code].values())[1:]
        )
        assert market_check(apps[code].sessions).ok
    joint_auctions.run(sides, "JA-A", now=RUN + dt.timedelta(hours=1))  # a rerun carries nothing again
    assert [a.volume for a in auctions_of(apps["CN"])] == [2_000, 2_000, 2_000]
    with apps["CN"].sessions() as s:
        audited = (
            s.execute(text("SELECT detail FROM audit_events WHERE action = 'market.joint_auction.cancelled'"))
            .scalars()
            .all()
        )
    assert len(audited) == 1


def auctions_of(app: App) -> list[Any]:
    from carbonbridge.services.market import auctions

    return auctions.results(app.sessions)


def test_a_cross_border_delivery_the_winners_registry_refuses_is_refunded_once(world: World, tmp_path: Path) -> None:
    from carbonbridge.domain.registry.model import AccountState
    from carbonbridge.services.registry.accounts import set_account_state

    apps, markets = world
    sides, units, national = _joint_world(world, tmp_path)
    volumes = {"BY": 1_000, "CN": 3_000}
    joint_auctions.schedule(sides, "JA-R", dt.date(2026, 3, 5), volumes, units, national, "CNY", now=START)
    by1 = markets["BY"].participants[0]
    cn1, cn2 = markets["CN"].participants
    for code, bidder, price, count, key in (
        ("BY", by1, 3_650, 2_000, "b1"),  # 81.11 CNY: wins 2 000, BY's 1 000 and 1 000 CN allowances
        ("CN", cn1, 8_000, 1_000, "c1"),
        ("CN", cn2, 7_800, 1_000, "c2"),
    ):
        joint_auctions.place_bid(sides[code], "JA-R", code, bidder, price, count, key, now=RUN)
    before = _balances(apps["BY"])[f"{by1}:BYN"][0]
    result = joint_auctions.run(sides, "JA-R", now=RUN)
    assert result.result.clearing_price == 7_800  # c2's price: BY pays 78.00 x 0.45 = 35.10 BYN
    assert _balances(apps["BY"])[f"{by1}:BYN"] == (before - 2_000 * 3_510, 0)
    assert _balances(apps["BY"])["BY-PARTNER-CN:BYN"][0] == 1_000 * 3_510
    [pending] = joint_auctions.deliveries(sides, "JA-R", now=RUN)
    assert (pending.origin, pending.winner_side, pending.units, pending.link_state, pending.refunded) == (
        "CN", "BY", 1_000, "sent", 0
    )  # fmt: skip

    account = markets["BY"].registry.traders[0]  # the winner's account is suspended before the units arrive
    set_account_state(apps["BY"].sessions, account, AccountState.SUSPENDED, now=RUN, reason="test: suspended")
    _pump(apps, RUN)
    [refused] = joint_auctions.deliveries(sides, "JA-R", now=RUN)
    assert (refused.link_state, refused.refunded, refused.currency) == ("released", 1_000 * 3_510, "BYN")
    by = _balances(apps["BY"])
    assert by[f"{by1}:BYN"] == (before - 1_000 * 3_510, 0)  # pays only for BY's 1 000 that arrived
    assert by["BY-PARTNER-CN:BYN"][0] == 0  # nothing owed to CN any more
    assert _held(apps["CN"], auction_account("CN"), units["CN"]) == 1_000  # the units came back to CN
    assert _held(apps["BY"], account, units["CN"]) == 0
    with apps["BY"].sessions() as s:
        awarded = s.execute(text("SELECT awarded FROM market_bids WHERE client_key = 'b1'")).scalar_one()
        assert awarded == 1_000  # units: 2 000 won, 1 000 refused
        refunds = s.execute(
            text("SELECT count(*) FROM audit_events WHERE action = 'market.joint_auction.refunded'")
        ).scalar_one()
    assert refunds == 1
    assert joint_auctions.deliveries(sides, "JA-R", now=RUN) == [refused]  # once: repeats change nothing
    joint_auctions.run(sides, "JA-R", now=RUN + dt.timedelta(hours=1))
    assert _balances(apps["BY"]) == by
    for app in apps.values():
        report = market_check(app.sessions)
        assert report.ok, report.problems


def test_a_cross_border_trade_the_buyers_registry_refuses_releases_the_buyers_hold(
    world: World, tmp_path: Path
) -> None:
    from carbonbridge.domain.registry.model import AccountState
    from carbonbridge.services.market.cross_border import CrossBorderTrade, settle
    from carbonbridge.services.registry.accounts import set_account_state

    apps, markets = world
    sides, _, _ = _joint_world(world, tmp_path)
    buyer, seller = markets["BY"].participants[0], markets["CN"].participants[0]
    unit = markets["CN"].registry.unit_type
    trade = CrossBorderTrade("x-refused", "CN", seller, "BY", buyer, unit, 300, 8_000, dt.date(2026, 3, 5))
    before = {code: _balances(app) for code, app in apps.items()}
    assert settle(sides, trade, now=RUN)["buyer"].state == "held"
    account = markets["BY"].registry.traders[0]
    set_account_state(apps["BY"].sessions, account, AccountState.SUSPENDED, now=RUN, reason="test: suspended")
    _pump(apps, RUN)
    legs = settle(sides, trade, now=RUN)
    assert (legs["buyer"].state, legs["seller"].state) == ("released", "released")
    assert _balances(apps["BY"]) == before["BY"]  # nobody paid, the hold is gone
    assert _balances(apps["CN"]) == before["CN"]
    assert _held(apps["CN"], markets["CN"].registry.traders[0], unit) == 2_000  # the units came back
    assert settle(sides, trade, now=RUN) == legs
