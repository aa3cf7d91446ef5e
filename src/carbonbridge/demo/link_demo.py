"""The link in the demo: a Belarus installation covers part of its shortfall with Chinese
allowances sent across the link, within the agreed share of its obligation.

Two registries, two databases (output/link/BY.db and CN.db), two `carbonbridge serve
--jurisdiction` processes; the link messages travel over HTTP on localhost. The installation,
its verified report and the CN holder are set up directly (the MRV chain and the CN exchange are
shown in the main demo, on its own database). Synthetic, clearly fictitious figures."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from carbonbridge.adapters.db.models import EmissionReportRow, InstallationRow, VerificationRow
from carbonbridge.adapters.db.uow import unit_of_work
from carbonbridge.adapters.link_http import HttpLink
from carbonbridge.demo.link_pair import PARTNER, LinkPair
from carbonbridge.demo.market_report import append_to_report
from carbonbridge.domain.errors import RuleViolation
from carbonbridge.domain.link.agreement import foreign_surrender_allowed
from carbonbridge.domain.registry.commands import TransactionRequest
from carbonbridge.domain.registry.model import AccountType, TransactionType
from carbonbridge.domain.registry.policy import ApprovalRule, SecurityPolicy
from carbonbridge.entrypoints.bootstrap import App, build_app, utcnow
from carbonbridge.services import link_queries, link_reconcile, link_transfers
from carbonbridge.services import registry_accounts as accounts
from carbonbridge.services import registry_queries as queries
from carbonbridge.services.link_config import load_agreement
from carbonbridge.services.registry_compliance import compliance, enter_verified_emissions
from carbonbridge.services.registry_seed import SETUP_LEAD, seed_market
from carbonbridge.services.registry_transactions import issue, propose

INSTALLATION, ACCOUNT = "BY-KILN-LINK", "BY-OHA-KILN"
VERIFIED_T, ALLOCATED = 1003, 800  # shortfall 203 t; 1/5 of 1 003 t = 200.6: 200 CN allowances at most


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


def _setup(urls: dict[str, str], year: int, now: dt.datetime) -> tuple[dict[str, App], dict[str, Any]]:
    apps, markets = {}, {}
    for code, url in urls.items():
        apps[code] = build_app(url, upgrade=True)
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
    issue(by.sessions, TransactionRequest("link-demo-issue", TransactionType.ISSUANCE, None, market.national, unit,
                                          ALLOCATED, admin), now=now)  # fmt: skip
    request = TransactionRequest("link-demo-alloc", TransactionType.ALLOCATION, market.national, ACCOUNT, unit,
                                 ALLOCATED, admin)  # fmt: skip
    propose(by.sessions, request, now=now, policy_for=_policy)
    return apps, markets


def _surrender(app: App, key: str, unit: str, quantity: int, year: int) -> str:
    request = TransactionRequest(key, TransactionType.SURRENDER, ACCOUNT, "BY-DELETION", unit, quantity, "kiln-a",
                                 installation_id=INSTALLATION, compliance_year=year)  # fmt: skip
    try:
        return propose(app.sessions, request, now=utcnow(), policy_for=_policy).state.value
    except RuleViolation as exc:
        return str(exc.code)


def run_link_demo(output: Path, *, year: int, publish: bool = True) -> dict[str, Any]:
    """Run the cross-border surrender; writes output/link/link.json and (`publish`) the report: see
    `publish_link_demo` (the main demo runs this in a thread and publishes when its report exists)."""
    folder = output / "link"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    urls = {code: f"sqlite:///{folder / f'{code}.db'}" for code in ("BY", "CN")}
    now = utcnow()
    apps, markets = _setup(urls, year, now)
    share = load_agreement().foreign_surrender_limit["BY"]
    limit = next(q for q in range(VERIFIED_T, -1, -1) if foreign_surrender_allowed(VERIFIED_T, 0, q, share))
    shortfall = VERIFIED_T - ALLOCATED
    foreign = min(limit, shortfall)
    with LinkPair(urls, folder) as pair:
        cn_unit, by_unit = f"CN-AL-{year}", f"BY-AL-{year}"
        trader = markets["CN"].traders[0]
        sent = link_transfers.send(
            apps["CN"].sessions, "CN", client_key="link-demo-send", source_account=trader, partner_account=ACCOUNT,
            unit_type=cn_unit, quantity=foreign + 1, initiator=markets["CN"].representatives(trader)[0],
            now=utcnow(), policy_for=_policy,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while link_transfers.local_status(apps["CN"].sessions, "CN", sent.id).get("state") != "completed":
            if time.monotonic() > deadline:
                health = link_transfers.health(apps["CN"].sessions, "CN", now=utcnow())
                raise RuntimeError(f"the link transfer did not complete: {health}")
            time.sleep(0.1)
        refused = _surrender(apps["BY"], "link-demo-s0", cn_unit, foreign + 1, year)  # one beyond the limit
        bought = shortfall - foreign  # the rest: BY allowances bought from a BY holder
        seller = markets["BY"].traders[0]
        domestic = TransactionRequest("link-demo-buy", TransactionType.TRANSFER, seller, ACCOUNT, by_unit, bought,
                                      markets["BY"].representatives(seller)[0])  # fmt: skip
        propose(apps["BY"].sessions, domestic, now=utcnow(), policy_for=_policy)
        surrenders = {
            "allocated BY": _surrender(apps["BY"], "link-demo-s1", by_unit, ALLOCATED + bought, year),
            "CN across the link": _surrender(apps["BY"], "link-demo-s2", cn_unit, foreign, year),
        }
        reconciliations = {
            own: link_queries.reconcile_with_partner(
                apps[own].sessions, own, HttpLink(pair.base(PARTNER[own])).query, now=utcnow()
            ).status.value
            for own in ("BY", "CN")
        }
    record = compliance(apps["BY"].sessions, INSTALLATION, year)
    flow_year = utcnow().year
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
        "sent_across": foreign + 1,
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
    markdown, fragment = _section(s)
    (folder / "report.md").write_text(markdown, encoding="utf-8")
    if (output / "compliance" / "report.md").exists():
        append_to_report(output / "compliance", markdown, fragment)
    Console().print(
        f"Link BY-CN: {s['installation']} covered {s['covered_foreign']} t "
        f"of its {s['shortfall_before']} t shortfall with CN allowances sent across the link (limit "
        f"{s['foreign_limit']}; {s['sent_across']} refused: {s['refused_beyond_limit']}); status {s['status']}; "
        f"reconciliation BY {s['reconciliation']['BY']}, CN {s['reconciliation']['CN']} - {folder / 'report.md'}"
    )


def _section(s: dict[str, Any]) -> tuple[str, str]:
    rows = [
        ("verified emissions (t)", s["verified_t"]),
        ("allocated BY allowances", s["allocated"]),
        ("shortfall before the link", s["shortfall_before"]),
        ("foreign-unit limit (1/5 of the obligation, rounded down)", s["foreign_limit"]),
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
          f"Net flows across the link in {s['flows_year']} (Article 6.2 figures):", "",
          "| registry | unit type | transferred out | acquired | net acquired |", "|---|---|---:|---:|---:|",
          *(f"| {c} | {f['unit_type']} | {f['out']} | {f['acquired']} | {f['net']} |" for c, f in flows),
          ""]  # fmt: skip
    html = (
        "<h2>Link BY-CN: a cross-border surrender</h2><table>"
        + "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in rows)
        + "</table><table><tr><th>registry</th><th>unit type</th><th>out</th><th>acquired</th><th>net</th></tr>"
        + "".join(
            f"<tr><td>{c}</td><td>{f['unit_type']}</td><td>{f['out']}</td><td>{f['acquired']}</td><td>{f['net']}</td></tr>"
            for c, f in flows
        )
        + "</table>"
    )
    return "\n".join(md), html
