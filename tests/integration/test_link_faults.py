"""Nothing lost, nothing twice: link transfers both ways while the network drops, duplicates,
delays and reorders messages and one registry crashes (restarted from its database). Afterwards,
the network healed, every transfer is completed or released, reconciliation passes, and per
origin the units held across both registries equal those issued minus deleted.
A failing seed is reproduced with: pytest tests/integration/test_link_faults.py -k 'seed-<n>'."""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from pathlib import Path
from typing import Any

import pytest

from carbonbridge.domain.errors import RuleViolation
from carbonbridge.domain.link.agreement import link_account_id
from carbonbridge.domain.link.reconcile import ReconciliationStatus
from carbonbridge.entrypoints.bootstrap import App, build_app
from carbonbridge.services import link_delivery, link_reconcile, link_transfers
from carbonbridge.services import registry_queries as queries
from carbonbridge.services import registry_sql as sql
from link_world import PARTNER, START, Network, build_templates, copy_templates, policy_for

SEEDS = 50
STEPS = 40
STEP = 5  # seconds of simulated time per step


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


def _sources(app: App, traders: tuple[str, ...], rng: random.Random) -> tuple[str, str, int] | None:
    """A trader and a unit type it holds free units of (own or foreign), with the free quantity."""
    with app.sessions() as session:
        found = sql.rows(
            session,
            "SELECT account_id, unit_type, quantity - reserved FROM registry_holdings WHERE quantity > reserved "
            f"AND account_id IN ({', '.join(repr(t) for t in traders)}) ORDER BY account_id, unit_type",
            {},
        )
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


def run_seed(seed: int, templates: tuple[Path, dict[str, Any]], folder: Path) -> Network:
    template_folder, markets = templates
    rng = random.Random(seed)
    apps = copy_templates(template_folder, folder)
    net = Network(apps, rng)
    crash_at = rng.randrange(STEPS)
    crashed = rng.choice(["BY", "CN"])
    for step in range(STEPS):
        net.step, net.now = step, START + dt.timedelta(seconds=STEP * step)
        if rng.random() < 0.5:
            own = rng.choice(["BY", "CN"])
            picked = _sources(apps[own], markets[own].traders, rng)
            if picked is not None:
                account, unit, free = picked
                with contextlib.suppress(RuleViolation):  # e.g. a reconciliation gate; refusals are data
                    link_transfers.send(
                        apps[own].sessions,
                        own,
                        client_key=f"s{seed}-{step}",
                        source_account=account,
                        partner_account=rng.choice(markets[PARTNER[own]].traders),
                        unit_type=unit,
                        quantity=rng.randint(1, max(1, min(free, 60))),
                        initiator=markets[own].representatives(account)[0],
                        now=net.now,
                        policy_for=policy_for,
                    )
        if step == crash_at:  # the process dies: its engine and in-flight messages are gone
            apps[crashed].engine.dispose()
            net.forget(crashed)
            apps[crashed] = build_app(str(apps[crashed].url), check=False)
        net.release_due()
        for own in ("BY", "CN"):
            link_transfers.tick(apps[own].sessions, own, now=net.now)
            link_delivery.deliver_due(apps[own].sessions, own, net.deliver, now=net.now)
    net.faulty = False  # heal the network; late copies still arrive
    for _ in range(200):
        net.step += 1
        net.now += dt.timedelta(seconds=60)
        net.release_due()
        for own in ("BY", "CN"):
            link_transfers.tick(apps[own].sessions, own, now=net.now)
            link_delivery.deliver_due(apps[own].sessions, own, net.deliver, now=net.now)
        if _settled(apps) and not net.delayed:
            break
    else:
        raise AssertionError(f"seed {seed}: the link did not settle after the network healed")
    _check(seed, apps)
    for app in apps.values():
        app.engine.dispose()
    return net


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


@pytest.mark.parametrize("seed", [pytest.param(s, id=f"seed-{s}") for s in range(SEEDS)])
def test_link_loses_nothing_and_doubles_nothing_under_faults(
    seed: int, templates: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    net = run_seed(seed, templates, tmp_path)
    assert net.verdicts, f"seed {seed}: no message was exchanged"
