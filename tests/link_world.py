"""Two linked registries (BY and CN) on two SQLite files, and an in-process network that can drop,
duplicate, delay and reorder messages: the fixtures of the link tests."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import random
import shutil
import signal
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import event

from carbonbridge.domain.errors import RuleViolation
from carbonbridge.domain.link.protocol import LinkCode
from carbonbridge.domain.registry.policy import ApprovalRule, SecurityPolicy
from carbonbridge.entrypoints.bootstrap import App, build_app
from carbonbridge.services import link_inbox, link_transfers
from carbonbridge.services.registry import accounts
from carbonbridge.testing.market import SETUP_LEAD, Market, seed_market

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
    intercept: Callable[[str, dict[str, Any]], int | None] | None = None
    """Sees each arriving message first; a status it returns stands for the receiver's (the fault
    test runs the crashing registry's receipt in a child process it kills)."""

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
        if self.intercept is not None and (status := self.intercept(partner, document)) is not None:
            return status
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


Transport = Callable[[str, dict[str, Any]], int]
WRITES = ("INSERT", "UPDATE", "DELETE")


@dataclass(frozen=True)
class KillPoint:
    """Where the parent SIGKILLs the child doing one registry's piece of work.
    `inside`: in the first transaction that writes, just before its `n`-th statement after the first
    write, or just before its commit if it has fewer; `commit`: just before the commit of the first
    transaction that writes (the journal written, nothing committed); `anywhere`: just before the
    `n`-th statement of the work (BEGIN and COMMIT included, so also between two transactions, or
    outside any), or after the work if it has fewer; `done`: after the work has committed, before
    its answer reaches anyone."""

    kind: str
    n: int = 1

    @property
    def mid_transaction(self) -> bool | None:
        """Whether the kill lands inside a transaction that wrote (None: it depends on the work)."""
        return None if self.kind == "anywhere" else self.kind in ("inside", "commit")


@dataclass(frozen=True)
class Kill:
    """What the SIGKILL interrupted."""

    work: str
    point: KillPoint
    in_transaction: bool  # a transaction had begun and written (INSERT/UPDATE/DELETE) and not ended
    statements: int  # statements the child ran inside transactions
    writes: int  # of which writes, committed or not


def run_killed(
    app: App, work: Callable[[Transport], object], point: KillPoint, transport: Transport, *, name: str
) -> Kill:
    """Run `work` (one registry's piece of work on `app`'s database) in a forked child process and
    SIGKILL it at `point`, watched by hooks on the child's engine. The child's messages to the
    partner go through the parent (`transport`): the partner lives on. No open transaction of the
    parent may be on `app`'s database."""
    ctx = multiprocessing.get_context("fork")
    ours, theirs = ctx.Pipe()
    child = ctx.Process(target=_child, args=(app, work, point, theirs), daemon=True)
    child.start()
    theirs.close()
    try:
        while True:
            if not ours.poll(60):
                raise AssertionError(f"{name}: the child went silent")
            message = ours.recv()
            if message[0] == "deliver":
                ours.send(transport(message[1], message[2]))
            elif message[0] == "error":
                raise AssertionError(f"{name}: the child failed: {message[1]}")
            else:
                _, in_transaction, statements, writes = message
                os.kill(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
                child.join(10)
                assert child.exitcode == -signal.SIGKILL, f"{name}: the child exited with {child.exitcode}"
                return Kill(name, point, in_transaction, statements, writes)
    finally:
        if child.is_alive():
            os.kill(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
            child.join(10)
        ours.close()


def _child(app: App, work: Callable[[Transport], object], point: KillPoint, pipe: Any) -> None:
    app.engine.dispose(close=False)  # the parent's pooled connections stay the parent's
    state = {"open": False, "wrote": False, "after_write": 0, "statements": 0, "writes": 0, "traced": 0}

    def stop() -> None:
        pipe.send(("stopped", state["open"] and state["wrote"], state["statements"], state["writes"]))
        pipe.recv()  # never answered: the parent kills this process while it waits

    def traced(statement: str) -> None:
        """SQLite's trace callback: called as each statement (BEGIN and COMMIT included) starts to
        run, so a kill here lands before it. The registry runs most SQL on the DBAPI connection,
        below SQLAlchemy's statement events."""
        head = statement.lstrip().upper()
        state["traced"] += 1
        if point.kind == "anywhere" and state["traced"] == point.n:
            stop()
        if head.startswith("BEGIN"):
            state.update(open=True, wrote=False, after_write=0)
        elif head.startswith(("COMMIT", "END")):
            if state["open"] and state["wrote"] and point.kind in ("inside", "commit"):
                stop()
            state["open"] = False
        elif head.startswith("ROLLBACK") and "TO" not in head:
            state["open"] = False
        elif state["open"]:
            state["statements"] += 1
            if state["wrote"]:
                state["after_write"] += 1
                if point.kind == "inside" and state["after_write"] == point.n:
                    stop()
            if head.startswith(WRITES):
                state["wrote"] = True
                state["writes"] += 1

    @event.listens_for(app.engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.set_trace_callback(traced)

    def transport(partner: str, document: dict[str, Any]) -> int:
        pipe.send(("deliver", partner, document))
        return int(pipe.recv())

    try:
        work(transport)
    except RuleViolation:
        pass  # a refusal is an answer too
    except Exception:
        pipe.send(("error", traceback.format_exc()))
    stop()


def copy_templates(templates: Path, into: Path) -> dict[str, App]:
    apps = {}
    for code in ("BY", "CN"):
        for suffix in ("", "-wal", "-shm"):
            if (templates / f"{code}.db{suffix}").exists():
                shutil.copy(templates / f"{code}.db{suffix}", into / f"{code}.db{suffix}")
        apps[code] = build_app(f"sqlite:///{into / f'{code}.db'}", check=False)
    return apps


@contextmanager
def registry_urls(kind: str, folder: Path) -> Iterator[dict[str, str]]:
    """One database per registry: two SQLite files, or two fresh PostgreSQL databases (dropped after)."""
    if kind == "sqlite":
        yield {code: f"sqlite:///{folder / f'{code}.db'}" for code in ("BY", "CN")}
        return
    import psycopg

    from conftest import PG_ADMIN_URL

    names = {code: f"cb_link_{code.lower()}_{uuid.uuid4().hex[:10]}" for code in ("BY", "CN")}
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        for name in names.values():
            conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield {code: f"{base}/{name}" for code, name in names.items()}
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            for name in names.values():
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed_registries(
    urls: dict[str, str], *, traders: int = 1, units_each: int = 100, now: dt.datetime = START
) -> tuple[dict[str, App], dict[str, Market]]:
    """Migrated, seeded registries at `urls`, the link open, each trader trusting its link account."""
    apps, markets = {}, {}
    for code, url in urls.items():
        app = build_app(url, upgrade=True)
        markets[code] = seed_market(
            app.sessions, now=now, jurisdiction=code, traders=traders, units_each=units_each, policy_for=policy_for
        )
        link = link_transfers.open_link(app.sessions, code, now=now - SETUP_LEAD)
        for trader in markets[code].traders:
            accounts.change_trusted(
                app.sessions, trader, link, add=True, now=now - SETUP_LEAD, actor="seed", policy_for=policy_for
            )
        apps[code] = app
    return apps, markets


@contextmanager
def agreement_with(folder: Path, **messages: int) -> Iterator[None]:
    """The shipped agreement with other [messages] values (CARBONBRIDGE_CONFIG override), e.g. a
    short reply timeout for a deterministic timeout test."""
    import os
    import re
    from importlib import resources

    from carbonbridge.services.link_config import load_agreement

    text = (resources.files("carbonbridge") / "data" / "link" / "BY-CN.toml").read_text(encoding="utf-8")
    for key, value in messages.items():
        text, found = re.subn(rf"(?m)^{key} = .*$", f"{key} = {value}", text)
        assert found == 1, key
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "link-BY-CN.toml").write_text(text, encoding="utf-8")
    before = os.environ.get("CARBONBRIDGE_CONFIG")
    os.environ["CARBONBRIDGE_CONFIG"] = str(folder)
    load_agreement.cache_clear()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("CARBONBRIDGE_CONFIG", None)
        else:
            os.environ["CARBONBRIDGE_CONFIG"] = before
        load_agreement.cache_clear()
