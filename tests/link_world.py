"""Two linked registries (BY and CN) on two SQLite files, and an in-process network that can drop,
duplicate, delay and reorder messages: the fixtures of the link tests."""

from __future__ import annotations

import datetime as dt
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from carbonbridge.domain.link.protocol import LinkCode
from carbonbridge.domain.registry.policy import ApprovalRule, SecurityPolicy
from carbonbridge.entrypoints.bootstrap import App, build_app
from carbonbridge.services import link_inbox, link_transfers
from carbonbridge.services import registry_accounts as accounts
from carbonbridge.services.registry_seed import SETUP_LEAD, Market, seed_market

PARTNER = {"BY": "CN", "CN": "BY"}
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
ACKED = {LinkCode.ACCEPTED, LinkCode.DUPLICATE, LinkCode.FINAL_TRANSACTION, LinkCode.UNKNOWN_TRANSACTION}


def policy_for(jurisdiction: str) -> SecurityPolicy:
    return SecurityPolicy(approval=ApprovalRule.NEVER, linked_origins=frozenset({PARTNER[jurisdiction]}))


def build_templates(folder: Path, traders: int = 3, units_each: int = 200) -> dict[str, Market]:
    """Migrated, seeded databases BY.db and CN.db, each with its link account trusted by every trader."""
    markets = {}
    for code in ("BY", "CN"):
        app = build_app(f"sqlite:///{folder / f'{code}.db'}", upgrade=True)
        market = seed_market(
            app.sessions, now=START, jurisdiction=code, traders=traders, units_each=units_each, policy_for=policy_for
        )
        link = link_transfers.open_link(app.sessions, code, now=START - SETUP_LEAD)
        for trader in market.traders:
            accounts.change_trusted(
                app.sessions, trader, link, add=True, now=START - SETUP_LEAD, actor="seed", policy_for=policy_for
            )
        markets[code] = market
        app.engine.dispose()
    return markets


@dataclass
class Network:
    """Messages in flight between the registries. `faulty` decides each delivery's fate."""

    apps: dict[str, App]
    rng: random.Random
    faulty: bool = True
    now: dt.datetime = START
    delayed: list[tuple[int, int, str, dict[str, Any]]] = field(default_factory=list)
    step: int = 0
    sequence: int = 0
    verdicts: list[LinkCode] = field(default_factory=list)

    def deliver(self, partner: str, document: dict[str, Any]) -> int:
        """The transport: an HTTP-like status (0: the sender saw no answer)."""
        if self.faulty:
            roll = self.rng.random()
            if roll < 0.15:
                return 0  # dropped
            if roll < 0.30:
                self._later(partner, document)
                return 0  # delayed: the sender times out and will retry
            if roll < 0.40:
                self._later(partner, document)  # duplicated: a copy arrives later too
        status = self._receive(partner, document)
        if self.faulty and self.rng.random() < 0.1:
            return 0  # processed, but the answer was lost
        return status

    def _later(self, partner: str, document: dict[str, Any]) -> None:
        self.sequence += 1
        self.delayed.append((self.step + self.rng.randint(1, 4), self.sequence, partner, dict(document)))

    def _receive(self, partner: str, document: dict[str, Any]) -> int:
        verdict = link_inbox.receive(self.apps[partner].sessions, partner, document, now=self.now)
        self.verdicts.append(verdict)
        return 200 if verdict in ACKED else 409

    def release_due(self) -> None:
        """Delayed messages whose time came arrive, in a shuffled order (reordering)."""
        due = [m for m in self.delayed if m[0] <= self.step]
        self.delayed = [m for m in self.delayed if m[0] > self.step]
        self.rng.shuffle(due)
        for _, _, partner, document in due:
            self._receive(partner, document)

    def forget(self, registry: str) -> None:
        """A registry crashed: messages on their way to it are lost with its process."""
        self.delayed = [m for m in self.delayed if m[2] != registry]


def copy_templates(templates: Path, into: Path) -> dict[str, App]:
    apps = {}
    for code in ("BY", "CN"):
        for suffix in ("", "-wal", "-shm"):
            if (templates / f"{code}.db{suffix}").exists():
                shutil.copy(templates / f"{code}.db{suffix}", into / f"{code}.db{suffix}")
        apps[code] = build_app(f"sqlite:///{into / f'{code}.db'}", check=False)
    return apps
