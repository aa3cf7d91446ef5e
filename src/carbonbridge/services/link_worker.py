"""The link's timers and delivery as one loop: `carbonbridge link deliver`, and a background thread
of `carbonbridge serve --jurisdiction J --link-partner URL`. Each round: timeouts (tick), the due
outbox messages (at least once), and a reconciliation when one is due (daily, and again soon after
a run that could not compare or found transfers in flight)."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from carbonbridge.adapters.db.registry.ledger import Sessions, SqlLedgers
from carbonbridge.domain.link.reconcile import ReconciliationStatus
from carbonbridge.domain.registry.model import TransactionType
from carbonbridge.services import link_delivery, link_queries, link_transfers
from carbonbridge.services.link_delivery import Transport
from carbonbridge.services.link_queries import PartnerUnavailable, Query
from carbonbridge.services.registry import workflow

log = logging.getLogger("carbonbridge.link")
RETRY_RECONCILIATION_SECONDS = 30.0


@dataclass
class Worker:
    sessions: Sessions
    own: str
    transport: Transport
    query: Query
    clock: Callable[[], dt.datetime]
    key: Ed25519PrivateKey  # this registry's signing key (App.signing_key)
    reconcile_every_seconds: float = 86_400.0  # daily; 0: never from the loop
    next_reconciliation: dt.datetime | None = None

    def round(self) -> dict[str, int]:
        """One round; returns what it did (for the CLI and the tests)."""
        now = self.clock()
        timers = link_transfers.tick(self.sessions, self.own, now=now)
        # link transfers past their delay, or held by the reconciliation gate, go out once it opens
        workflow.settle_due(SqlLedgers(self.sessions), now=now, only=TransactionType.LINK_TRANSFER)
        sent = link_delivery.deliver_due(self.sessions, self.own, self.transport, key=self.key, now=now)
        done = {**timers, "delivered": sent.delivered, "failed": sent.failed, "reconciled": 0}
        if self.reconcile_every_seconds > 0:
            if self.next_reconciliation is None:
                self.next_reconciliation = now + dt.timedelta(seconds=self.reconcile_every_seconds)
            elif now >= self.next_reconciliation:
                done["reconciled"] = 1
                self.next_reconciliation = now + dt.timedelta(seconds=self._reconcile(now))
        return done

    def _reconcile(self, now: dt.datetime) -> float:
        """Reconcile; the seconds until the next run (soon again if this one could not finish)."""
        try:
            result = link_queries.reconcile_with_partner(self.sessions, self.own, self.query, key=self.key, now=now)
        except PartnerUnavailable as exc:
            log.warning("link reconciliation with the partner failed: %s", exc)
            return min(RETRY_RECONCILIATION_SECONDS, self.reconcile_every_seconds)
        log.info("link reconciliation: %s (phase %d)", result.status.value, result.phase)
        if result.status is ReconciliationStatus.PENDING:
            return min(RETRY_RECONCILIATION_SECONDS, self.reconcile_every_seconds)
        return self.reconcile_every_seconds

    def run(self, stop: threading.Event, interval_seconds: float) -> None:
        """Rounds until `stop` is set; a failing round is logged and the loop goes on."""
        while not stop.is_set():
            try:
                busy = self.round()
            except Exception:  # the loop must outlive a database restart or a bad message
                log.exception("link round failed")
                busy = {}
            if not busy.get("delivered"):
                stop.wait(interval_seconds)
