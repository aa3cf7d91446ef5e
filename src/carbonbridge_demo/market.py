"""The demo's compliance year, through the real registry, allocation and compliance services.

Belarus: absolute cap with benchmark allocation ex ante; the rest of the cap is auction volume,
sold at auctions in BYN (demo/market_demo.py) to installations short of allowances and traders.
China: intensity allocation, 70 % pre-allocated from the previous year's output, trued up
against verified output; CCER offsets up to 5 %; shortfalls deducted from next year's
allocation. Installations trade their surplus to those short of allowances, surrender, and a
few fail on purpose (named in `FAILURES`): under-surrender, late surrender, verified emissions
entered after the deadline, offsets beyond the limit.

Every transfer goes through the full security controls: a second representative approves and
the units wait for the delay window (noon of the next working day) before they settle.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from carbonbridge.adapters.db.registry.ledger import SqlLedgers
from carbonbridge.domain.registry.commands import TransactionRequest
from carbonbridge.domain.registry.model import AccountState, AccountType, TransactionType, UnitKind
from carbonbridge.services import compliance
from carbonbridge.services.allocation import EX_ANTE, post_allocation
from carbonbridge.services.compliance import enter_verified_emissions
from carbonbridge.services.registry import accounts, queries, transactions, workflow
from carbonbridge.services.registry.log import verify_log
from carbonbridge_demo.synthetic import SyntheticInstallation

if TYPE_CHECKING:
    from carbonbridge.entrypoints.bootstrap import App

ACTOR = "demo"
UTC = dt.UTC
GAS_GJ_PER_10K_M3 = 389.31  # cn-mee-power-2022 default NCV of natural gas, GJ per 10^4 Nm3
GAS_EFFICIENCY = 0.55  # synthetic net efficiency of a gas unit
COAL_GJ_PER_MWH = 0.300 * 29.3076  # the synthetic coal units' supply rate: 300 gce/kWh
CCER = "CCER"

# Installations that fail on purpose, and how (the rest comply).
FAILURES: dict[str, dict[str, str]] = {
    "BY": {"BY-0005": "under", "BY-0031": "under", "BY-0012": "late", "BY-0040": "late", "BY-0049": "missing"},
    "CN": {
        "CN-0013": "under",
        "CN-0140": "under",
        "CN-0021": "offsets_over_limit",
        "CN-0033": "late",
        "CN-0099": "late",
        "CN-0170": "late",
        "CN-0077": "missing",
        "CN-0150": "missing",
    },
}

# Benchmark products of the Belarus installations: (product, carbon leakage exposed).
_BY_PRODUCTS = {
    "clinker": ("grey_cement_clinker", True),
    "lime": ("lime", True),
    "ammonia": ("ammonia", True),
    "nitric_acid": ("nitric_acid", True),
}


@dataclass
class Ledger:
    """What the demo expects each account to hold (the registry is the authority; `check` compares)."""

    held: dict[tuple[str, str], int] = field(default_factory=dict)

    def add(self, account: str, unit: str, quantity: int) -> None:
        self.held[(account, unit)] = self.held.get((account, unit), 0) + quantity

    def of(self, account: str, unit: str) -> int:
        return self.held.get((account, unit), 0)


def account_of(inst: str) -> str:
    return f"{inst}-OHA"


def reps(account: str) -> tuple[str, str]:
    return f"{account}-rep-a", f"{account}-rep-b"


def _gas_tj(inst: SyntheticInstallation) -> float:
    total = 0.0
    for r in inst.records:
        if r["activity"] != "natural_gas":
            continue
        mm3 = r["quantity"] / 1000 if r["unit"] == "thousand m3" else r["quantity"]
        total += mm3 * r.get("ncv", 33.9)
    return total


def benchmark_activity(installations: list[SyntheticInstallation], rng: np.random.Generator) -> pl.DataFrame:
    """Historical activity levels of the BY sub-installations (this year's production x a
    seeded 0.92-1.08 history factor): product benchmarks, the refineries' CO2-weighted tonnes
    (synthetic: 2,300 CWT per TJ of fuel) and measurable heat (CHPs 40 %, boilers 85 % of gas)."""
    rows: list[tuple[str, str, float, bool]] = []
    for inst in installations:
        inst_id, kind = inst.plan["installation_id"], inst.kind
        history = float(rng.uniform(0.92, 1.08))
        produced: dict[str, float] = {}
        for r in inst.records:
            if r["activity"] in _BY_PRODUCTS:
                produced[r["activity"]] = produced.get(r["activity"], 0.0) + r["quantity"] * 1000  # kt -> t
        for activity, tonnes in sorted(produced.items()):
            product, exposed = _BY_PRODUCTS[activity]
            rows.append((inst_id, product, round(tonnes * history), exposed))
        if kind == "refining":
            fuel_tj = _gas_tj(inst) + sum(
                r["quantity"] * {"residual_fuel_oil": 40.4, "lpg": 47.3, "petroleum_coke": 32.5}[r["activity"]]
                for r in inst.records
                if r["activity"] in ("residual_fuel_oil", "lpg", "petroleum_coke")
            )
            rows.append((inst_id, "refinery_products", round(fuel_tj * 2300 * history), True))
        elif kind in ("power_heat", "boiler"):
            share = 0.40 if kind == "power_heat" else 0.85
            rows.append((inst_id, "heat", round(_gas_tj(inst) * share * history, 1), False))
    return pl.DataFrame(
        rows,
        schema=["installation_id", "product", "historical_activity_level", "carbon_leakage_exposed"],
        orient="row",
    )


def unit_outputs(installations: list[SyntheticInstallation], rng: np.random.Generator) -> tuple[pl.DataFrame, ...]:
    """CN units' output for the year (from their fuel, at the synthetic supply rates) and for the
    previous year (x a seeded 0.90-1.10 factor), with unit type, cooling and load rate."""
    now_rows, before_rows = [], []
    for index, inst in enumerate(installations):
        inst_id = inst.plan["installation_id"]
        if inst.kind == "gas_power":
            gj = sum(r["quantity"] for r in inst.records) * GAS_GJ_PER_10K_M3
            mwh, unit_type = gj * GAS_EFFICIENCY / 3.6, "gas"
        else:
            mwh = sum(r["quantity"] * r["ncv"] for r in inst.records) / COAL_GJ_PER_MWH
            found = re.search(r"\((\d+) MW\)", inst.plan["name"])
            capacity = int(found.group(1)) if found else 600
            unit_type = "coal_above_300mw" if capacity > 300 else "coal_300mw_and_below"
            if index % 13 == 6:
                unit_type = "coal_unconventional"
        cooling = "air" if index % 5 == 2 else "water"
        load = round(float(rng.uniform(0.72, 0.95)), 3)
        now_rows.append((inst_id, unit_type, round(mwh), 0, cooling, 0, load))
        before_rows.append((inst_id, unit_type, round(mwh * float(rng.uniform(0.9, 1.1))), 0, cooling, 0, load))
    schema = ["unit_id", "unit_type", "electricity_mwh", "heat_gj", "cooling", "heat_supply_ratio", "load_rate"]
    return (
        pl.DataFrame(now_rows, schema=schema, orient="row"),
        pl.DataFrame(before_rows, schema=schema, orient="row"),
    )


@dataclass
class MarketYear:
    app: App
    code: str
    year: int
    installations: list[str]
    ledger: Ledger = field(default_factory=Ledger)
    pending: list[str] = field(default_factory=list)
    transfers: int = 0

    @property
    def national(self) -> str:
        return f"{self.code}-NHA"

    @property
    def allowance(self) -> str:
        return f"{self.code}-AL-{self.year}"

    def open(self, at: dt.datetime) -> None:
        s = self.app.sessions
        accounts.open_account(s, self.national, self.code, AccountType.NATIONAL_HOLDING, "competent authority", now=at)
        accounts.add_representative(s, reps(self.national)[0], "Registry administrator A", [self.national], now=at)
        accounts.add_representative(s, reps(self.national)[1], "Registry administrator B", [self.national], now=at)
        for inst in self.installations:
            account = account_of(inst)
            accounts.open_account(
                s, account, self.code, AccountType.OPERATOR_HOLDING, f"operator of {inst}", now=at, installation_id=inst
            )
            for rep in reps(account):
                accounts.add_representative(s, rep, f"{rep} (synthetic)", [account], now=at)

    def allocate(self, path: Path, phase: str, at: dt.datetime) -> dict[str, int]:
        run = post_allocation(
            self.app.sessions,
            self.app.jurisdiction(self.code),
            self.year,
            path,
            phase,
            now=at,
            initiator=reps(self.national)[0],
        )
        for p in run.postings:
            self.ledger.add(account_of(p.installation_id), self.allowance, p.delivered_t)
            self.ledger.add(self.national, self.allowance, -p.delivered_t)
        self.ledger.add(
            self.national, self.allowance, max(0, sum(p.delivered_t for p in run.postings if p.delivered_t > 0))
        )
        return {p.installation_id: p.allocation_t for p in run.postings}

    def issue(self, unit: str, quantity: int, key: str, at: dt.datetime) -> None:
        request = TransactionRequest(
            key, TransactionType.ISSUANCE, None, self.national, unit, quantity, reps(self.national)[0]
        )
        transactions.issue(SqlLedgers(self.app.sessions), request, now=at)
        self.ledger.add(self.national, unit, quantity)

    def transfer(self, source: str, destination: str, unit: str, quantity: int, at: dt.datetime) -> None:
        """Proposed by one representative, approved by the other; settles after the delay window."""
        self.transfers += 1
        rep_a, rep_b = reps(source)
        key = f"demo:{self.code}:{self.year}:transfer:{self.transfers}"
        request = TransactionRequest(key, TransactionType.TRANSFER, source, destination, unit, quantity, rep_a)
        proposed = transactions.propose(SqlLedgers(self.app.sessions), request, now=at)
        workflow.approve(SqlLedgers(self.app.sessions), proposed.id, rep_b, now=at)
        self.ledger.add(source, unit, -quantity)
        self.ledger.add(destination, unit, quantity)

    def settle(self, at: dt.datetime) -> None:
        while workflow.settle_due(SqlLedgers(self.app.sessions), now=at):
            pass

    def surrender(self, inst: str, unit: str, quantity: int, at: dt.datetime, tag: str) -> None:
        if quantity <= 0:
            return
        account = account_of(inst)
        request = TransactionRequest(
            f"demo:{self.code}:{self.year}:surrender:{inst}:{tag}:{unit}",
            TransactionType.SURRENDER,
            account,
            f"{self.code}-DELETION",
            unit,
            quantity,
            reps(account)[0],
            installation_id=inst,
            compliance_year=self.year,
        )
        transactions.propose(SqlLedgers(self.app.sessions), request, now=at)
        self.ledger.add(account, unit, -quantity)


def _at(year: int, month: int, day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(year, month, day, hour, 0, tzinfo=UTC)


def open_market(app: App, code: str, year: int, installations: list[str]) -> MarketYear:
    market = MarketYear(app, code, year, installations)
    market.open(_at(year, 1, 5))
    return market


def allocate_ex_ante(market: MarketYear, table: pl.DataFrame, folder: Path, name: str) -> dict[str, int]:
    path = folder / name
    table.write_csv(path)
    return market.allocate(path, EX_ANTE, _at(market.year, 2, 27))


def run_compliance_year(
    market: MarketYear,
    verified: dict[str, int],
    allocation: dict[str, int],
    basis: dict[str, str],
    progress: Callable[[str], None],
    before_trade: Callable[[dict[str, int]], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Verified emissions in, blocking, trading, offsets, surrenders and the assessment.
    `before_trade` gets each installation's gap (what it owes less what it holds and its offsets)
    before installations trade with each other: the BY auctions sell the auction volume there."""
    code, year, s = market.code, market.year, market.app.sessions
    rules = market.app.jurisdiction(code).compliance_rules(year)
    failures = FAILURES[code]
    emissions_deadline = rules.emissions_deadline.for_year(year)
    surrender_deadline = rules.surrender_deadline.for_year(year)
    entry_day = dt.datetime.combine(emissions_deadline, dt.time(13), tzinfo=UTC)
    progress(f"{code}: verified emissions in, accounts without them blocked")
    for inst in market.installations:
        if failures.get(inst) != "missing":
            enter_verified_emissions(s, inst, year, now=entry_day, actor=ACTOR)
    after_deadline = entry_day + dt.timedelta(days=1, hours=3)
    blocked = compliance.block_missing(s, market.app.jurisdiction(code), year, now=after_deadline, actor=ACTOR)
    late_entry = entry_day + dt.timedelta(days=20)
    for inst in sorted(i for i, how in failures.items() if how == "missing"):
        enter_verified_emissions(s, inst, year, now=late_entry, actor=ACTOR)  # verified late: unblocked
        accounts.set_account_state(
            s, account_of(inst), AccountState.OPEN, now=late_entry, reason="verified emissions entered", actor=ACTOR
        )
    obligations = {
        i: compliance.obligation_of(market.app.jurisdiction(code), t, allocation.get(i, 0), basis.get(i, ""), year) or 0
        for i, t in verified.items()
    }
    trade_day = dt.datetime.combine(surrender_deadline - dt.timedelta(days=45), dt.time(9), tzinfo=UTC)
    progress(f"{code}: trading surplus to installations short of allowances")
    offsets = _buy_offsets(market, obligations, trade_day) if code == "CN" else {}
    sold: dict[str, Any] = {}
    if before_trade is not None:
        progress(f"{code}: auctions of the auction volume")
        held = market.ledger.of
        sold = before_trade(
            {i: obligations[i] - held(account_of(i), market.allowance) - offsets.get(i, 0) for i in obligations}
        )
    _trade(market, obligations, offsets, trade_day)
    market.settle(trade_day + dt.timedelta(days=7))
    progress(f"{code}: surrenders")
    _surrender_all(market, obligations, offsets, surrender_deadline)
    assessed_at = dt.datetime.combine(surrender_deadline + dt.timedelta(days=15), dt.time(9), tzinfo=UTC)
    views = compliance.assess_year(s, market.app.jurisdiction(code), year, now=assessed_at, actor=ACTOR)
    return {
        "blocked": blocked,
        "obligations": obligations,
        "auctions": sold,
        "offsets_bought": offsets,
        "assessments": views,
        "assessed_at": assessed_at,
        "transfers": market.transfers,
        "reference_price": rules.reference_price,
        "currency": rules.penalties.currency,
    }


def _buy_offsets(market: MarketYear, obligations: dict[str, int], at: dt.datetime) -> dict[str, int]:
    """CCER credits for every fifth unit short of allowances (up to the 5 % limit), and 8 % of its
    obligation for the unit set to exceed the limit."""
    rules = market.app.jurisdiction(market.code).compliance_rules(market.year)
    wanted: dict[str, int] = {}
    for n, inst in enumerate(market.installations):
        gap = obligations[inst] - market.ledger.of(account_of(inst), market.allowance)
        if FAILURES[market.code].get(inst) == "offsets_over_limit":
            wanted[inst] = int(obligations[inst] * Decimal("0.08"))
        elif gap > 0 and n % 5 == 0:
            wanted[inst] = min(int(obligations[inst] * rules.offsets.limit_share), gap)
    wanted = {i: q for i, q in wanted.items() if q > 0}
    unit = accounts.create_unit_type(
        market.app.sessions, market.code, UnitKind.OFFSET, market.year - 2, 50_000_000, now=at, origin=CCER
    ).code
    market.issue(unit, sum(wanted.values()), f"demo:{market.code}:{market.year}:ccer-issue", at)
    for inst in sorted(wanted):
        market.transfer(market.national, account_of(inst), unit, wanted[inst], at)
    return wanted


def _trade(market: MarketYear, obligations: dict[str, int], offsets: dict[str, int], at: dt.datetime) -> None:
    """Sellers: installations holding more than they owe, then the national account (auction
    volume, as far as it holds). Buyers: the others, for what their allowances and offsets do not
    cover (the unit over the offset limit buys as if every credit counted). Greedy in id order."""
    unit, ledger = market.allowance, market.ledger
    need = {i: obligations[i] - ledger.of(account_of(i), unit) - offsets.get(i, 0) for i in market.installations}
    spare = {account_of(i): -n for i, n in need.items() if n < 0 and i not in offsets}
    spare[market.national] = ledger.of(market.national, unit)  # auction volume last, as far as it holds
    for inst in sorted(i for i, n in need.items() if n > 0):
        missing = need[inst]
        for seller, left in spare.items():
            take = min(missing, left)
            if take > 0:
                market.transfer(seller, account_of(inst), unit, take, at)
                spare[seller] = left - take
                missing -= take
            if missing == 0:
                break


def _surrender_all(market: MarketYear, obligations: dict[str, int], offsets: dict[str, int], deadline: dt.date) -> None:
    on_time = dt.datetime.combine(deadline - dt.timedelta(days=20), dt.time(9), tzinfo=UTC)
    late = dt.datetime.combine(deadline + dt.timedelta(days=8), dt.time(9), tzinfo=UTC)
    unit, ledger = market.allowance, market.ledger
    offset_unit = f"{market.code}-OF-{market.year - 2}-{CCER}"
    for inst in market.installations:
        how = FAILURES[market.code].get(inst)
        owed = obligations[inst]
        credits = offsets.get(inst, 0)
        market.surrender(inst, offset_unit, credits, on_time, "offsets")
        allowances = min(ledger.of(account_of(inst), unit), max(0, owed - credits))
        if how == "late":
            early = int(allowances * 0.96)
            market.surrender(inst, unit, early, on_time, "on-time")
            market.surrender(inst, unit, allowances - early, late, "late")
        elif how == "under":  # 10 % short, the rest stays banked
            market.surrender(inst, unit, int(allowances * 0.9), on_time, "on-time")
        else:
            market.surrender(inst, unit, allowances, on_time, "on-time")


def conservation(app: App) -> dict[str, Any]:
    report = queries.check(app.sessions)
    log = verify_log(app.sessions)
    return {"ledger_ok": report.ok, "log_ok": log.ok, "problems": list(report.problems) + list(log.problems)}
