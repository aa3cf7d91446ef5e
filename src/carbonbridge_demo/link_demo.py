"""The link in the demo: a Belarus installation covers part of its shortfall with Chinese
allowances bought on the CN exchange and sent across the link, within the agreed share of its
obligation.

Two registries, two databases (output/link/BY.db and CN.db), two `carbonbridge serve
--jurisdiction` processes; the link messages travel over HTTP on localhost. In the CN registry's
own database a Belarusian company's CN trading account (admitted to the CN market, CNY paid in
through a settlement-bank statement) buys the allowances on the CN exchange
(services/market/exchange.py) on the last CN trading day; the day is settled in CNY by the
exchange's settlement (delivery versus payment); the account then sends them across the link to
the installation's account in Belarus. The installation and its verified report are set up
directly (the MRV chain is shown in the main demo). Synthetic, clearly fictitious figures."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from rich.console import Console

from carbonbridge.adapters.db.models import EmissionReportRow, InstallationRow, VerificationRow
from carbonbridge.adapters.db.registry.ledger import SqlLedgers
from carbonbridge.adapters.db.uow import unit_of_work
from carbonbridge.adapters.link_http import HttpLink
from carbonbridge.adapters.market_config import load_market_config
from carbonbridge.adapters.reports.sections import append_to_report, render_link_section
from carbonbridge.domain.errors import RuleViolation
from carbonbridge.domain.link.agreement import foreign_surrender_allowed, link_account_id
from carbonbridge.domain.market.book import OrderType, Side
from carbonbridge.domain.market.money import format_minor
from carbonbridge.domain.registry.commands import TransactionRequest
from carbonbridge.domain.registry.model import AccountType, TransactionType
from carbonbridge.domain.registry.policy import ApprovalRule, SecurityPolicy
from carbonbridge.services import link_queries, link_reconcile, link_transfers
from carbonbridge.services.compliance import compliance, enter_verified_emissions
from carbonbridge.services.link_config import load_agreement
from carbonbridge.services.market import cash
from carbonbridge.services.market.check import check as market_check
from carbonbridge.services.market.exchange import TradingDay
from carbonbridge.services.market.participants import admit, open_market
from carbonbridge.services.market.statement import import_statement
from carbonbridge.services.registry import accounts, queries
from carbonbridge.services.registry.transactions import issue, propose
from carbonbridge.testing.market import SETUP_LEAD, seed_market
from carbonbridge_demo.link_pair import PARTNER, LinkPair

if TYPE_CHECKING:
    from carbonbridge.entrypoints.bootstrap import App
    from carbonbridge.entrypoints.cli.plugins import Host

INSTALLATION, ACCOUNT = "BY-KILN-LINK", "BY-OHA-KILN"
VERIFIED_T, ALLOCATED = 1003, 800  # shortfall 203 t; 1/5 of 1 003 t = 200.6: 200 CN allowances at most
# the Belarusian company's trading account in the CN registry, and its CN market participant
BUYER_ACCOUNT, BUYER = "CN-BYCEM-T1", "P-BYCEM-CN"
BUYER_NAME = "Belarusian cement company (fictitious): its CN trading account"
OPENING_PRICE = 7000  # CNY minor units per tonne: the reference price of the demo's first CN trading day
ASKS = ((150, 7040), (150, 7060))  # the CN holder's sell orders: (tonnes, limit)
BID_LIMIT = 7100
DEPOSIT_CNY_MINOR = 2_000_000  # 20 000.00 CNY paid into the buyer's CN market cash account


def _policy(code: str) -> SecurityPolicy:
    return SecurityPolicy(approval=ApprovalRule.NEVER, linked_origins=frozenset({PARTNER[code]}))


def _installation(app: App, year: int, now: dt.datetime) -> None:
    """The kiln, its account and its verified report as the MRV chain leaves them."""
    with unit_of_work(app.sessions) as session:
        session.add(
            InstallationRow(id=INSTALLATION, jurisdiction="BY", name="Cement kiln (fictitious)", operator="Demo",
                            sector="cement", created_at=now)
        )  # fmt: skip
        session.flush()
        report = EmissionReportRow(
            installation_id=INSTALLATION, year=year, version=1, dataset_id=None, gwp_set="AR5GWP100",
            method_pack="ipcc2006", co2_t=float(VERIFIED_T), ch4_t=0.0, n2o_t=0.0, co2e_t=float(VERIFIED_T),
            category="B", by_source_stream={}, reason="", submitted_at=now,
        )  # fmt: skip
        session.add(report)
        session.flush()
        session.add(
            VerificationRow(report_id=report.id, verifier="Demo verifier", opinion="satisfactory", misstatement_t=0.0,
                            materiality_pct=5.0, material=False, verified=True, verified_emissions_t=VERIFIED_T,
                            comments="", verified_at=now)
        )  # fmt: skip
    enter_verified_emissions(app.sessions, INSTALLATION, year, now=now, actor="demo")
    setup = now - SETUP_LEAD
    accounts.open_account(
        app.sessions, ACCOUNT, "BY", AccountType.OPERATOR_HOLDING, "Demo", now=setup, installation_id=INSTALLATION
    )
    accounts.add_representative(app.sessions, "kiln-a", "kiln-a", [ACCOUNT], now=setup)


def _setup(host: Host, urls: dict[str, str], year: int, now: dt.datetime) -> tuple[dict[str, App], dict[str, Any]]:
    apps, markets = {}, {}
    for code, url in urls.items():
        apps[code] = host.build_app(url, upgrade=True)
        markets[code] = seed_market(
            apps[code].sessions, now=now, jurisdiction=code, traders=1, units_each=1000, vintage=year,
            policy_for=_policy,
        )  # fmt: skip
        link = link_transfers.open_link(apps[code].sessions, code, now=now - SETUP_LEAD)
        accounts.change_trusted(
            apps[code].sessions, markets[code].traders[0], link, add=True, now=now - SETUP_LEAD, actor="demo",
            policy_for=_policy,
        )  # fmt: skip
    by, market = apps["BY"], markets["BY"]
    _installation(by, year, now)
    for source in (market.national, market.traders[0]):
        accounts.change_trusted(by.sessions, source, ACCOUNT, add=True, now=now - SETUP_LEAD, actor="demo",
                                policy_for=_policy)  # fmt: skip
    admin = market.representatives(market.national)[0]
    unit = f"BY-AL-{year}"
    issuance = TransactionRequest("link-demo-issue", TransactionType.ISSUANCE, None, market.national, unit,
                                  ALLOCATED, admin)  # fmt: skip
    issue(SqlLedgers(by.sessions), issuance, now=now)
    request = TransactionRequest("link-demo-alloc", TransactionType.ALLOCATION, market.national, ACCOUNT, unit,
                                 ALLOCATED, admin)  # fmt: skip
    propose(SqlLedgers(by.sessions), request, now=now, policy_for=_policy)
    return apps, markets


def _last_cn_trading_day(now: dt.datetime) -> dt.date:
    """The last CN trading day before today in Shanghai (its sessions are over)."""
    config = load_market_config("CN")
    day = now.astimezone(ZoneInfo(config.timezone)).date() - dt.timedelta(days=1)
    while not config.exchange.is_trading_day(day):
        day -= dt.timedelta(days=1)
    return day


def _buy_on_cn_exchange(
    app: App, unit: str, seller_account: str, quantity: int, day: dt.date, setup: dt.datetime, folder: Path
) -> dict[str, Any]:
    """In the CN registry's database: the CN market opened, the CN holder and the Belarusian
    company's CN trading account admitted, CNY paid in by a settlement-bank statement; on `day`
    the holder offers, the company buys `quantity` at the offers' prices, the day closes and is
    settled (units and CNY in one transaction). The purchase as the ledgers record it."""
    config = load_market_config("CN")
    zone, currency = ZoneInfo(config.timezone), config.currency
    s = app.sessions
    open_market(s, "CN", now=setup)
    accounts.open_account(s, BUYER_ACCOUNT, "CN", AccountType.TRADING, BUYER_NAME, now=setup)
    for rep in (f"{BUYER_ACCOUNT}-rep-a", f"{BUYER_ACCOUNT}-rep-b"):
        accounts.add_representative(s, rep, rep, [BUYER_ACCOUNT], now=setup)
    accounts.change_trusted(s, BUYER_ACCOUNT, link_account_id("CN", "BY"), add=True, now=setup, actor="demo",
                            policy_for=_policy)  # fmt: skip
    seller = f"P-{seller_account}"
    admit(s, seller, "CN", f"holder of {seller_account} (fictitious)", seller_account, now=setup)
    admit(s, BUYER, "CN", BUYER_NAME, BUYER_ACCOUNT, now=setup, beneficial_owner="Belarusian cement company")
    statement = folder / f"CN_bank_statement_{setup:%Y%m%d}.csv"
    statement.write_text(
        "value_date,bank_reference,participant,currency,direction,amount\n"
        f"{setup.date()},CN-LINK-DEMO-{setup:%Y%m%d}-0001,{BUYER},{currency},credit,{format_minor(DEPOSIT_CNY_MINOR)}\n",
        encoding="utf-8",
    )
    import_statement(s, statement, "CN", now=setup)

    def at(hour: int, minute: int) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone).astimezone(dt.UTC)

    exchange = TradingDay(s, unit, day, opening_price=OPENING_PRICE)
    orders = []
    for n, (size, price) in enumerate(ASKS):
        exchange.place(f"link-demo-ask-{n}", seller, Side.SELL, OrderType.LIMIT, size, price, at(10, n))
        orders.append({"id": f"link-demo-ask-{n}", "participant": seller, "side": "sell", "quantity": size,
                       "limit": format_minor(price)})  # fmt: skip
    bought = exchange.place("link-demo-bid", BUYER, Side.BUY, OrderType.LIMIT, quantity, BID_LIMIT, at(10, 5))
    orders.append({"id": "link-demo-bid", "participant": BUYER, "side": "buy", "quantity": quantity,
                   "limit": format_minor(BID_LIMIT)})  # fmt: skip
    exchange.close(at(15, 0))
    settled = exchange.settle(f"link-demo:{unit}:{day}", at(15, 30))
    balance = next(a for a in cash.accounts(s, BUYER) if a.currency == currency)
    return {
        "day": day.isoformat(),
        "unit_type": unit,
        "seller": seller,
        "buyer": BUYER,
        "buyer_account": BUYER_ACCOUNT,
        "orders": orders,
        "trades": [{"id": t.trade_id, "quantity": t.quantity, "price": format_minor(t.price)} for t in bought.trades],
        "bought": sum(t.quantity for t in bought.trades),
        "currency": currency,
        "settlement": settled.id,
        "notional": format_minor(settled.notional),
        "fees": format_minor(settled.fees),  # both sides' fees (0.07 % each)
        "paid_by_buyer": format_minor(DEPOSIT_CNY_MINOR - balance.balance),
        "registry_transfers": len(settled.registry_transactions),  # seller -> clearing -> buyer
        "market_check": market_check(s).ok,
    }


def _surrender(app: App, key: str, unit: str, quantity: int, year: int, now: dt.datetime) -> str:
    request = TransactionRequest(key, TransactionType.SURRENDER, ACCOUNT, "BY-DELETION", unit, quantity, "kiln-a",
                                 installation_id=INSTALLATION, compliance_year=year)  # fmt: skip
    try:
        return propose(SqlLedgers(app.sessions), request, now=now, policy_for=_policy).state.value
    except RuleViolation as exc:
        return str(exc.code)


def run_link_demo(output: Path, host: Host, *, year: int, publish: bool = True) -> dict[str, Any]:
    """Run the cross-border surrender; writes output/link/link.json and (`publish`) the report: see
    `publish_link_demo` (the main demo runs this in a thread and publishes when its report exists)."""
    folder = output / "link"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    urls = {code: f"sqlite:///{folder / f'{code}.db'}" for code in ("BY", "CN")}
    trade_day = _last_cn_trading_day(host.utcnow())
    # the registries are set up an hour before the CN trading day opens (accounts 30 days before)
    start = dt.datetime.combine(trade_day, dt.time(8, 30), tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(dt.UTC)
    apps, markets = _setup(host, urls, year, start)
    share = load_agreement().foreign_surrender_limit["BY"]
    limit = next(q for q in range(VERIFIED_T, -1, -1) if foreign_surrender_allowed(VERIFIED_T, 0, q, share))
    shortfall = VERIFIED_T - ALLOCATED
    foreign = min(limit, shortfall)
    cn_unit, by_unit = f"CN-AL-{year}", f"BY-AL-{year}"
    purchase = _buy_on_cn_exchange(
        apps["CN"], cn_unit, markets["CN"].traders[0], foreign + 1, trade_day, start - SETUP_LEAD, folder
    )
    with LinkPair(urls, folder) as pair:
        sent = link_transfers.send(
            apps["CN"].sessions, "CN", client_key="link-demo-send", source_account=BUYER_ACCOUNT,
            partner_account=ACCOUNT, unit_type=cn_unit, quantity=purchase["bought"],
            initiator=f"{BUYER_ACCOUNT}-rep-a", now=host.utcnow(), policy_for=_policy,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while link_transfers.local_status(apps["CN"].sessions, "CN", sent.id).get("state") != "completed":
            if time.monotonic() > deadline:
                health = link_transfers.health(apps["CN"].sessions, "CN", now=host.utcnow())
                raise RuntimeError(f"the link transfer did not complete: {health}")
            time.sleep(0.1)
        beyond = foreign + 1  # one beyond the limit
        refused = _surrender(apps["BY"], "link-demo-s0", cn_unit, beyond, year, host.utcnow())
        bought = shortfall - foreign  # the rest: BY allowances bought from a BY holder
        seller = markets["BY"].traders[0]
        domestic = TransactionRequest("link-demo-buy", TransactionType.TRANSFER, seller, ACCOUNT, by_unit, bought,
                                      markets["BY"].representatives(seller)[0])  # fmt: skip
        propose(SqlLedgers(apps["BY"].sessions), domestic, now=host.utcnow(), policy_for=_policy)
        surrenders = {
            "allocated BY": _surrender(apps["BY"], "link-demo-s1", by_unit, ALLOCATED + bought, year, host.utcnow()),
            "CN across the link": _surrender(apps["BY"], "link-demo-s2", cn_unit, foreign, year, host.utcnow()),
        }
        reconciliations = {
            own: link_queries.reconcile_with_partner(
                apps[own].sessions,
                own,
                HttpLink(pair.base(PARTNER[own])).query,
                key=apps[own].signing_key(own),
                now=host.utcnow(),
            ).status.value
            for own in ("BY", "CN")
        }
    record = compliance(apps["BY"].sessions, INSTALLATION, year)
    flow_year = host.utcnow().year
    flows = {
        code: [
            {"unit_type": f.unit_type, "out": f.transferred_out, "acquired": f.acquired, "net": f.net_acquired}
            for f in link_reconcile.yearly_flows(app.sessions, flow_year)
        ]
        for code, app in apps.items()
    }
    summary = {
        "installation": INSTALLATION,
        "verified_t": VERIFIED_T,
        "allocated": ALLOCATED,
        "shortfall_before": shortfall,
        "foreign_limit": limit,
        "purchase": purchase,
        "sent_across": purchase["bought"],
        "covered_foreign": foreign,
        "refused_beyond_limit": refused,
        "bought_domestic": bought,
        "surrenders": surrenders,
        "surrendered": record.surrendered,
        "shortfall_after": record.shortfall,
        "status": record.status.value,
        "reconciliation": reconciliations,
        "conserved": {code: queries.check(app.sessions).ok for code, app in apps.items()},
        "flows_year": flow_year,
        "flows": flows,
    }
    (folder / "link.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    for app in apps.values():
        app.engine.dispose()
    if publish:
        publish_link_demo(output, summary)
    return summary


def publish_link_demo(output: Path, s: dict[str, Any]) -> None:
    """output/link/report.md, the Link section of the compliance report (if written), one console line."""
    folder = output / "link"
    p = s["purchase"]
    markdown, fragment = _section(s)
    (folder / "report.md").write_text(markdown, encoding="utf-8")
    if (output / "compliance" / "report.md").exists():
        append_to_report(output / "compliance", markdown, fragment)
    Console().print(
        f"Link BY-CN: {s['installation']} covered {s['covered_foreign']} t of its {s['shortfall_before']} t "
        f"shortfall with CN allowances bought on the CN exchange ({p['bought']} t for {p['paid_by_buyer']} "
        f"{p['currency']}) and sent across the link (limit "
        f"{s['foreign_limit']}; {s['sent_across']} refused: {s['refused_beyond_limit']}); status {s['status']}; "
        f"reconciliation BY {s['reconciliation']['BY']}, CN {s['reconciliation']['CN']} - {folder / 'report.md'}"
    )


def _section(s: dict[str, Any]) -> tuple[str, str]:
    p = s["purchase"]
    rows = [
        ("verified emissions (t)", s["verified_t"]),
        ("allocated BY allowances", s["allocated"]),
        ("shortfall before the link", s["shortfall_before"]),
        ("foreign-unit limit (1/5 of the obligation, rounded down)", s["foreign_limit"]),
        (f"CN allowances bought on the CN exchange on {p['day']} by {p['buyer_account']}", p["bought"]),
        (f"paid in {p['currency']} (notional + fee), settled by {p['settlement']}", p["paid_by_buyer"]),
        ("CN allowances sent across the link", s["sent_across"]),
        (f"surrender of {s['foreign_limit'] + 1} CN allowances", s["refused_beyond_limit"]),
        ("BY allowances bought in Belarus for the rest", s["bought_domestic"]),
        ("surrendered in all", s["surrendered"]),
        ("shortfall after", s["shortfall_after"]),
        ("compliance status", s["status"]),
        ("reconciliation BY / CN", f"{s['reconciliation']['BY']} / {s['reconciliation']['CN']}"),
    ]
    flows = [(code, f) for code, items in s["flows"].items() for f in items]
    md = ["", "## Link BY-CN: a cross-border surrender", "", f"Installation {s['installation']} (fictitious).", "",
          "| | |", "|---|---:|", *(f"| {k} | {v} |" for k, v in rows), "",
          f"The purchase on the CN exchange ({p['unit_type']}, {p['day']}; {p['buyer_account']} is the CN trading "
          f"account of a Belarusian company, market participant {p['buyer']}), settled delivery versus payment in "
          f"{p['currency']} by settlement {p['settlement']} ({p['registry_transfers']} registry transfers: seller to "
          f"the exchange's clearing account to buyer, with the CNY in the same database transaction); then one link "
          f"transfer CN -> BY of {s['sent_across']} from {p['buyer_account']} to {s['installation']}'s account:",
          "", "| trade | quantity | price |", "|---|---:|---:|",
          *(f"| {t['id']} | {t['quantity']} | {t['price']} |" for t in p["trades"]),
          f"| notional / fees (both sides) / paid by the buyer | | {p['notional']} / {p['fees']} / "
          f"{p['paid_by_buyer']} {p['currency']} |", "",
          f"Net flows across the link in {s['flows_year']} (Article 6.2 figures):", "",
          "| registry | unit type | transferred out | acquired | net acquired |", "|---|---|---:|---:|---:|",
          *(f"| {c} | {f['unit_type']} | {f['out']} | {f['acquired']} | {f['net']} |" for c, f in flows),
          ""]  # fmt: skip
    html = render_link_section(rows, p["trades"], (p["currency"], p["bought"], p["paid_by_buyer"]), flows)
    return "\n".join(md), html
