"""A Hypothesis state machine of both registries and the link against a reference model: link
transfers of own or foreign units in both directions, deliveries over a network that may lose
messages or answers, timers, and settling. The model keeps each trader's free units per unit type;
the registries must never show fewer (units reserved for a transfer are not free), and once the
network is healed and everything delivered they must show exactly the model's holdings with every
transfer completed, both ledgers conserved and reconciliation completed."""

from __future__ import annotations

import datetime as dt
import random
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from carbonbridge.adapters.db.registry import sql
from carbonbridge.domain.errors import RuleViolation
from carbonbridge.domain.link.reconcile import ReconciliationStatus
from carbonbridge.services import link_delivery, link_reconcile, link_transfers
from carbonbridge.services.registry import queries
from link_world import PARTNER, Network, build_templates, copy_templates, policy_for

_TEMPLATES: dict[str, Any] = {}


def _templates() -> tuple[Path, dict[str, Any]]:
    if not _TEMPLATES:
        folder = Path(tempfile.mkdtemp(prefix="cb-link-sm-"))
        _TEMPLATES.update(folder=folder, markets=build_templates(folder, traders=1, units_each=60))
    return _TEMPLATES["folder"], _TEMPLATES["markets"]


class LinkMachine(RuleBasedStateMachine):
    @initialize(seed=st.integers(0, 2**16))
    def start(self, seed: int) -> None:
        folder, self.markets = _templates()
        self.dir = Path(tempfile.mkdtemp(prefix="cb-link-sm-run-"))
        self.apps = copy_templates(folder, self.dir)
        self.net = Network(self.apps, random.Random(seed), faulty=False)
        self.trader = {code: self.markets[code].traders[0] for code in ("BY", "CN")}
        self.free = {(code, f"{code}-AL-2026"): 60 for code in ("BY", "CN")}  # the reference model
        self.in_flight: list[tuple[str, str, int]] = []  # (to registry, unit type, units)
        self.sends = 0

    def teardown(self) -> None:
        for app in getattr(self, "apps", {}).values():
            app.engine.dispose()
        if hasattr(self, "dir"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def _db_free(self, code: str, unit: str) -> int:
        with self.apps[code].sessions() as session:
            found = sql.one(
                session,
                "SELECT quantity - reserved FROM registry_holdings WHERE account_id = :a AND unit_type = :u",
                {"a": self.trader[code], "u": unit},
            )
        return int(found[0]) if found else 0

    @rule(own=st.sampled_from(["BY", "CN"]), foreign=st.booleans(), quantity=st.integers(1, 40))
    def send(self, own: str, foreign: bool, quantity: int) -> None:
        unit = f"{PARTNER[own] if foreign else own}-AL-2026"
        self.sends += 1
        self.net.now += dt.timedelta(seconds=1)
        try:
            link_transfers.send(
                self.apps[own].sessions,
                own,
                client_key=f"sm-{self.sends}",
                source_account=self.trader[own],
                partner_account=self.trader[PARTNER[own]],
                unit_type=unit,
                quantity=quantity,
                initiator=self.markets[own].representatives(self.trader[own])[0],
                now=self.net.now,
                policy_for=policy_for,
            )
        except RuleViolation as exc:
            assert quantity > self.free.get((own, unit), 0), f"refused {exc} with {self.free} free"
            return
        # units on their way here may have arrived already (the partner accepted the transfer before
        # its answer reached the sender): free here, though the model credits them only when settled
        free = self.free.get((own, unit), 0)
        arriving = sum(q for to, u, q in self.in_flight if (to, u) == (own, unit))
        assert quantity <= free + arriving, "sent more than the model holds or may have received"
        taken = min(quantity, free)
        self.free[(own, unit)] = free - taken
        self._arrived(own, unit, quantity - taken)
        self.in_flight.append((PARTNER[own], unit, quantity))

    def _arrived(self, own: str, unit: str, units: int) -> None:
        """Take `units` that arrived at `own` out of the model's in-flight transfers to it."""
        kept: list[tuple[str, str, int]] = []
        for to, u, q in self.in_flight:
            used = min(q, units) if (to, u) == (own, unit) else 0
            units -= used
            if q - used:
                kept.append((to, u, q - used))
        assert units == 0, "sent units that were never on their way here"
        self.in_flight = kept

    @rule(own=st.sampled_from(["BY", "CN"]), faulty=st.booleans())
    def deliver(self, own: str, faulty: bool) -> None:
        self.net.faulty = faulty
        self.net.step += 1
        self.net.now += dt.timedelta(seconds=1)
        self.net.release_due()
        app = self.apps[own]
        link_delivery.deliver_due(app.sessions, own, self.net.deliver, key=app.signing_key(own), now=self.net.now)

    @rule(own=st.sampled_from(["BY", "CN"]))
    def tick(self, own: str) -> None:
        link_transfers.tick(self.apps[own].sessions, own, now=self.net.now)

    @precondition(lambda self: self.in_flight)
    @rule()
    def settle(self) -> None:
        """Heal the network and deliver until quiet: each round past the longest retry backoff (60 s);
        no timer runs meanwhile, so nothing is cancelled."""
        self.net.faulty = False
        for _ in range(30):
            self.net.step += 5
            self.net.now += dt.timedelta(seconds=61)
            self.net.release_due()
            for code in ("BY", "CN"):
                app = self.apps[code]
                key = app.signing_key(code)
                link_delivery.deliver_due(app.sessions, code, self.net.deliver, key=key, now=self.net.now)
            if not self.net.delayed and not any(link_delivery.pending_messages(a.sessions) for a in self.apps.values()):
                break
        for to, unit, quantity in self.in_flight:
            self.free[(to, unit)] = self.free.get((to, unit), 0) + quantity
        self.in_flight.clear()
        for (code, unit), units in self.free.items():
            assert self._db_free(code, unit) == units, (code, unit, units)
        for code, app in self.apps.items():
            assert queries.check(app.sessions).ok, code
        snapshots = {code: link_reconcile.snapshot(app.sessions, code) for code, app in self.apps.items()}
        for code, app in self.apps.items():
            result = link_reconcile.run(app.sessions, code, snapshots[PARTNER[code]], now=self.net.now)
            assert result.status is ReconciliationStatus.COMPLETED, result

    @invariant()
    def never_fewer_free_units_than_the_model(self) -> None:
        if not hasattr(self, "apps"):
            return
        for (code, unit), units in self.free.items():
            assert self._db_free(code, unit) >= units, (code, unit, units)


LinkMachine.TestCase.settings = settings(
    max_examples=12, stateful_step_count=12, deadline=None, suppress_health_check=list(HealthCheck)
)
test_link_against_the_reference_model = pytest.mark.filterwarnings("ignore")(LinkMachine.TestCase)


def test_units_that_arrived_before_their_answer_can_be_sent_on() -> None:
    """Found by the machine: BY sends 1, CN accepts it (the answer not yet back at BY), and CN sends
    that unit back at once; the model must count it as arrived, not refuse the send as an overdraft."""
    machine = LinkMachine()
    try:
        machine.start(seed=0)
        machine.send(own="BY", foreign=False, quantity=1)
        machine.deliver(own="BY", faulty=False)
        machine.send(own="CN", foreign=True, quantity=1)
        machine.never_fewer_free_units_than_the_model()
        machine.settle()
    finally:
        machine.teardown()
