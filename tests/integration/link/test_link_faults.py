"""Nothing lost, nothing twice: link transfers both ways while the network drops, duplicates,
delays and reorders messages and one registry process is killed with SIGKILL and restarted from
its database. At the seed's chosen step the chosen registry's next piece of work (a proposal, the
receipt of a message, or its delivery round) runs in a forked child process on the same SQLite
file, and the parent SIGKILLs the child at a seeded point: inside the first transaction that
writes, just before its commit, before any n-th statement of the work (also between two
transactions), or after the work committed but before its answer got out (link_world.KillPoint).
Afterwards, the network healed, every transfer is completed or released, reconciliation passes,
and per origin the units held across both registries equal those issued minus deleted.
A failing seed is reproduced with: pytest tests/integration/link/test_link_faults.py -k 'seed-<n>]'."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from carbonbridge.adapters.db.registry import sql
from carbonbridge.domain.errors import RuleViolation
from carbonbridge.domain.link.agreement import link_account_id
from carbonbridge.domain.link.reconcile import ReconciliationStatus
from carbonbridge.entrypoints.bootstrap import App, build_app
from carbonbridge.services import link_delivery, link_inbox, link_reconcile, link_transfers
from carbonbridge.services.link_config import load_agreement
from carbonbridge.services.registry import queries
from link_world import (
    PARTNER,
    START,
    Kill,
    KillPoint,
    Network,
    Transport,
    build_templates,
    copy_templates,
    policy_for,
    run_killed,
)

SEEDS = 50
FIRST_SEED = int(os.environ.get("CARBONBRIDGE_FAULT_FIRST_SEED", "0"))  # a longer hunt: seeds 50.. locally
STEPS = 40
STEP = 5  # seconds of simulated time per step
WORKS = ("propose", "receive", "deliver")
MID_TRANSACTION_AT_LEAST = 20  # of the SEEDS, killed inside a transaction that had written


@dataclass(frozen=True)
class Plan:
    """The crash of a seed: drawn first, so that it is known from the seed alone."""

    step: int
    registry: str
    work: str
    point: KillPoint


def plan(rng: random.Random) -> Plan:
    # in the first three quarters of the schedule, so that a message still arrives to be received
    step, registry, work = rng.randrange(STEPS * 3 // 4), rng.choice(["BY", "CN"]), rng.choice(WORKS)
    kind = rng.choice(["inside", "inside", "commit", "anywhere", "anywhere", "done"])
    n = rng.randint(1, 8) if kind == "inside" else rng.randint(1, 30) if kind == "anywhere" else 1
    return Plan(step, registry, work, KillPoint(kind, n))


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("link-templates")
    return folder, build_templates(folder)


def _held(app: App, own: str) -> dict[str, int]:
    """Units per unit type held in this registry outside its link and issuance accounts (deletion included)."""
    link = link_account_id(own, PARTNER[own])
    with app.sessions() as session:
        found = sql.rows(
            session,
            "SELECT h.unit_type, sum(h.quantity) FROM registry_holdings h "
            "JOIN registry_accounts a ON a.id = h.account_id "
            "WHERE a.type <> 'issuance' AND a.id <> :l GROUP BY h.unit_type",
            {"l": link},
        )
    return {u: int(n) for u, n in found}


def _issued(app: App, own: str) -> dict[str, int]:
    with app.sessions() as session:
        return {
            u: int(n)
            for u, n in sql.rows(
                session, "SELECT code, issued FROM registry_unit_types WHERE jurisdiction = :j", {"j": own}
            )
        }


def _sources(
    app: App, traders: tuple[str, ...], rng: random.Random, keep: Callable[[str], bool] = lambda _: True
) -> tuple[str, str, int] | None:
    """A trader and a unit type it holds free units of (own or foreign; `keep` filters the unit
    types), with the free quantity."""
    with app.sessions() as session:
        found = sql.rows(
            session,
            "SELECT account_id, unit_type, quantity - reserved FROM registry_holdings WHERE quantity > reserved "
            f"AND account_id IN ({', '.join(repr(t) for t in traders)}) ORDER BY account_id, unit_type",
            {},
        )
    found = [row for row in found if keep(row[1])]
    return tuple(rng.choice(found)) if found else None  # type: ignore[return-value]


def _settled(apps: dict[str, App]) -> bool:
    for app in apps.values():
        with app.sessions() as session:
            open_ = sql.one(
                session,
                "SELECT count(*) FROM link_transfers WHERE direction = 'out' "
                "AND state NOT IN ('completed', 'released')",
                {},
            )
        if int(open_[0]) or link_delivery.pending_messages(app.sessions):
            return False
    return True


def _due(app: App, now: dt.datetime) -> int:
    with app.sessions() as session:
        found = sql.one(
            session,
            "SELECT count(*) FROM link_outbox WHERE delivered_at IS NULL AND next_attempt_at <= :n",
            {"n": sql.when(session, now)},
        )
    return int(found[0])


def _proposal(
    apps: dict[str, App],
    markets: dict[str, Any],
    own: str,
    rng: random.Random,
    key: str,
    now: dt.datetime,
    *,
    recognised: bool = False,
) -> Callable[[Any], object] | None:
    """A link transfer proposed by a trader of `own` (drawn now), or None when no trader holds free
    units (`recognised`: of a unit type the partner recognises, so that the proposal gets written)."""
    keep = (lambda unit: load_agreement().recognises(PARTNER[own], unit)) if recognised else (lambda _: True)
    picked = _sources(apps[own], markets[own].traders, rng, keep)
    if picked is None:
        return None
    account, unit, free = picked
    partner_account = rng.choice(markets[PARTNER[own]].traders)
    quantity = rng.randint(1, max(1, min(free, 60)))
    initiator = markets[own].representatives(account)[0]

    def work(_transport: Any) -> object:
        return link_transfers.send(
            apps[own].sessions,
            own,
            client_key=key,
            source_account=account,
            partner_account=partner_account,
            unit_type=unit,
            quantity=quantity,
            initiator=initiator,
            now=now,
            policy_for=policy_for,
        )

    return work


def run_seed(seed: int, templates: tuple[Path, dict[str, Any]], folder: Path) -> tuple[Network, Kill | None]:
    template_folder, markets = templates
    rng = random.Random(seed)
    crash = plan(rng)
    apps = copy_templates(template_folder, folder)
    net = Network(apps, rng)
    kills: list[Kill] = []

    def killed(work: str, job: Callable[[Transport], object]) -> None:
        """The crashing registry's piece of work, in a child process killed at the planned point;
        then the registry restarts from its database (a fresh engine) and messages on their way
        to it are lost with its process."""
        registry = crash.registry
        kills.append(run_killed(apps[registry], job, crash.point, net.deliver, name=f"seed {seed}: {registry} {work}"))
        apps[registry].engine.dispose()
        net.forget(registry)
        apps[registry] = build_app(str(apps[registry].url), check=False)
        with apps[registry].sessions() as session:
            integrity = sql.one(session, "PRAGMA integrity_check", {})
        assert integrity[0] == "ok", f"seed {seed}: {registry} database after the kill: {integrity}"

    def receipt(partner: str, document: dict[str, Any]) -> int | None:
        if kills or partner != crash.registry or crash.work != "receive" or net.step < crash.step:
            return None
        killed("receive", lambda _: link_inbox.receive(apps[partner].sessions, partner, document, now=net.now))
        return 0  # the sender saw no answer

    net.intercept = receipt

    def deliveries(own: str) -> None:
        planned = not kills and own == crash.registry and crash.work == "deliver" and net.step >= crash.step
        if planned and _due(apps[own], net.now):  # the next delivery round with something to deliver
            killed(
                "deliver",
                lambda transport: link_delivery.deliver_due(
                    apps[own].sessions, own, transport, key=apps[own].signing_key(own), now=net.now
                ),
            )
            return
        link_delivery.deliver_due(apps[own].sessions, own, net.deliver, key=apps[own].signing_key(own), now=net.now)

    for step in range(STEPS):
        net.step, net.now = step, START + dt.timedelta(seconds=STEP * step)
        if not kills and crash.work == "propose" and step >= crash.step:
            job = _proposal(apps, markets, crash.registry, rng, f"s{seed}-{step}", net.now, recognised=True)
            if job is not None:
                killed("propose", job)
        elif rng.random() < 0.5:
            job = _proposal(apps, markets, rng.choice(["BY", "CN"]), rng, f"s{seed}-{step}", net.now)
            if job is not None:
                with contextlib.suppress(RuleViolation):  # e.g. a reconciliation gate; refusals are data
                    job(net.deliver)
        net.release_due()
        for own in ("BY", "CN"):
            link_transfers.tick(apps[own].sessions, own, now=net.now)
            deliveries(own)
    net.faulty = False  # heal the network; late copies still arrive
    for _ in range(200):
        net.step += 1
        net.now += dt.timedelta(seconds=60)
        net.release_due()
        for own in ("BY", "CN"):
            link_transfers.tick(apps[own].sessions, own, now=net.now)
            deliveries(own)
        if _settled(apps) and not net.delayed:
            break
    else:
        raise AssertionError(f"seed {seed}: the link did not settle after the network healed")
    _check(seed, apps)
    for app in apps.values():
        app.engine.dispose()
    return net, (kills[0] if kills else None)


def _check(seed: int, apps: dict[str, App]) -> None:
    for own, app in apps.items():
        report = queries.check(app.sessions)
        assert report.ok, f"seed {seed}: {own} ledger: {report.problems[:5]}"
        with app.sessions() as session:
            states = dict(
                sql.rows(
                    session, "SELECT state, count(*) FROM link_transfers WHERE direction = 'out' GROUP BY state", {}
                )
            )
        assert set(states) <= {"completed", "released"}, f"seed {seed}: {own} transfers {states}"
    by, cn = (link_reconcile.snapshot(apps[j].sessions, j) for j in ("BY", "CN"))
    result = link_reconcile.run(apps["BY"].sessions, "BY", cn, now=START)
    assert result.status is ReconciliationStatus.COMPLETED, f"seed {seed}: reconciliation {result}"
    assert link_reconcile.run(apps["CN"].sessions, "CN", by, now=START).status is ReconciliationStatus.COMPLETED
    for origin in ("BY", "CN"):
        issued = _issued(apps[origin], origin)
        held = {u: _held(apps["BY"], "BY").get(u, 0) + _held(apps["CN"], "CN").get(u, 0) for u in issued}
        assert held == issued, f"seed {seed}: units of {origin} held {held} != issued {issued} (deletion included)"


@pytest.mark.parametrize("seed", [pytest.param(s, id=f"seed-{s}") for s in range(FIRST_SEED, FIRST_SEED + SEEDS)])
def test_link_loses_nothing_and_doubles_nothing_under_faults(
    seed: int, templates: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    net, kill = run_seed(seed, templates, tmp_path)
    assert net.verdicts, f"seed {seed}: no message was exchanged"
    crash = plan(random.Random(seed))
    assert kill is not None, f"seed {seed}: {crash} never ran its work, nothing was killed"
    if crash.point.kind != "anywhere":  # `anywhere` may land before the first write
        assert kill.writes, f"seed {seed}: the killed child wrote nothing: {kill}"
    if crash.point.mid_transaction is not None:
        assert kill.in_transaction == crash.point.mid_transaction, f"seed {seed}: planned {crash}, killed {kill}"


def test_a_good_share_of_seeds_kill_inside_a_transaction() -> None:
    """The per-seed test asserts that a planned mid-transaction kill landed inside a transaction
    that had written; this asserts that enough seeds plan one (the test is not vacuous)."""
    planned = [plan(random.Random(seed)) for seed in range(FIRST_SEED, FIRST_SEED + SEEDS)]
    inside = sum(p.point.mid_transaction is True for p in planned)
    assert inside >= MID_TRANSACTION_AT_LEAST, f"{inside} of {SEEDS} seeds kill inside a transaction"
    assert {p.work for p in planned if p.point.mid_transaction} == set(WORKS), planned
