"""Benchmark of the link: two registries as two `carbonbridge serve --jurisdiction` processes on
two PostgreSQL databases, link messages over HTTP (httpx, the serve processes' delivery threads),
the message window set to zero. Link transfers are proposed in both directions through the
service layer (as `carbonbridge link send` does, approval off) as fast as one client can, and each
is timed from its proposal to its completion (the sender's registry applying the partner's
acceptance, `link_transfers.resolved_at`, same machine clock).

Reports transfers completed per second (first proposal to last completion) and p50/p99 of
send-to-completion, in a Rich table.

`--rate R` paces the proposals (R per second) to see the latency without a queue; unpaced, the
proposer outruns delivery and the latency is mostly queueing.

Run: `.venv/bin/python benchmarks/link.py [--transfers 300] [--rate 0] [--pg URL]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import statistics
import tempfile
import time
import uuid
from importlib import resources
from pathlib import Path

PARTNER = {"BY": "CN", "CN": "BY"}
TRADERS, UNITS_EACH = 4, 100_000


def _databases(admin_url: str) -> dict[str, str]:
    import psycopg

    names = {code: f"cb_bench_link_{code.lower()}_{uuid.uuid4().hex[:8]}" for code in PARTNER}
    with psycopg.connect(admin_url, autocommit=True) as conn:
        for name in names.values():
            conn.execute(f'CREATE DATABASE "{name}"')
    base = admin_url.rsplit("/", 1)[0]
    return {code: f"{base}/{name}" for code, name in names.items()}


def _drop(admin_url: str, urls: dict[str, str]) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        for url in urls.values():
            conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def _agreement(folder: Path) -> None:
    """The shipped agreement with window_seconds = 0 (CARBONBRIDGE_CONFIG override)."""
    text = (resources.files("carbonbridge") / "data" / "link" / "BY-CN.toml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^window_seconds = .*$", "window_seconds = 0", text)
    (folder / "link-BY-CN.toml").write_text(text, encoding="utf-8")
    os.environ["CARBONBRIDGE_CONFIG"] = str(folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transfers", type=int, default=300)
    parser.add_argument("--rate", type=float, default=0.0, help="proposals per second (0: as fast as possible)")
    parser.add_argument(
        "--pg", default=os.environ.get("CARBONBRIDGE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
    )
    args = parser.parse_args()

    from rich.console import Console
    from rich.table import Table

    from carbonbridge.adapters.db.registry import sql
    from carbonbridge.domain.registry.policy import ApprovalRule, SecurityPolicy
    from carbonbridge.entrypoints.bootstrap import build_app, utcnow
    from carbonbridge.services import link_transfers
    from carbonbridge.services.registry import accounts
    from carbonbridge.testing.market import SETUP_LEAD, seed_market
    from carbonbridge_demo.link_pair import LinkPair

    def policy_for(code: str) -> SecurityPolicy:
        return SecurityPolicy(approval=ApprovalRule.NEVER, linked_origins=frozenset({PARTNER[code]}))

    folder = Path(tempfile.mkdtemp(prefix="cb-bench-link-"))
    _agreement(folder)
    urls = _databases(args.pg)
    try:
        apps, markets = {}, {}
        start = utcnow()
        for code, url in urls.items():
            apps[code] = build_app(url, upgrade=True)
            markets[code] = seed_market(
                apps[code].sessions, now=start, jurisdiction=code, traders=TRADERS, units_each=UNITS_EACH,
                policy_for=policy_for,
            )  # fmt: skip
            link = link_transfers.open_link(apps[code].sessions, code, now=start - SETUP_LEAD)
            for trader in markets[code].traders:
                accounts.change_trusted(
                    apps[code].sessions, trader, link, add=True, now=start - SETUP_LEAD, actor="bench",
                    policy_for=policy_for,
                )  # fmt: skip
        with LinkPair(urls, folder, interval_seconds=0.01) as _pair:
            sent: dict[str, tuple[str, dt.datetime]] = {}
            began = time.perf_counter()
            for i in range(args.transfers):
                own = "BY" if i % 2 == 0 else "CN"
                trader = markets[own].traders[i % TRADERS]
                at = utcnow()
                view = link_transfers.send(
                    apps[own].sessions, own, client_key=f"bench-{i}", source_account=trader,
                    partner_account=markets[PARTNER[own]].traders[i % TRADERS], unit_type=f"{own}-AL-2026",
                    quantity=1 + i % 7, initiator=markets[own].representatives(trader)[0], now=at,
                    policy_for=policy_for,
                )  # fmt: skip
                sent[view.id] = (own, at)
                if args.rate > 0:  # paced: latency without a queue built by the proposer
                    time.sleep(max(0.0, began + (i + 1) / args.rate - time.perf_counter()))
            proposing = time.perf_counter() - began
            done: dict[str, dt.datetime] = {}
            deadline = time.monotonic() + 300
            while len(done) < len(sent) and time.monotonic() < deadline:
                time.sleep(0.1)
                for app in apps.values():
                    with app.sessions() as session:
                        for tid, resolved in sql.rows(
                            session,
                            "SELECT transaction_id, resolved_at FROM link_transfers "
                            "WHERE direction = 'out' AND state = 'completed'",
                            {},
                        ):
                            done[str(tid)] = (
                                resolved
                                if isinstance(resolved, dt.datetime)
                                else dt.datetime.fromisoformat(str(resolved))
                            )
        latencies = sorted((done[t] - at).total_seconds() * 1000 for t, (_, at) in sent.items() if t in done)
        first = min(at for _, at in sent.values())
        span = (max(done.values()) - first).total_seconds() if done else float("nan")
        pace = f"{args.rate:g}/s" if args.rate > 0 else "unpaced"
        table = Table(title=f"Link transfers, two serve processes on PostgreSQL (window 0, {len(sent)} sent, {pace})")
        for column in ("measure", "value"):
            table.add_column(column)
        table.add_row("completed", f"{len(done)} of {len(sent)}")
        table.add_row("proposing (one client, both directions)", f"{len(sent) / proposing:.0f} /s")
        table.add_row("completed per second (first send to last completion)", f"{len(done) / span:.1f} /s")
        table.add_row("send to completion p50", f"{statistics.median(latencies):.0f} ms")
        table.add_row(
            "send to completion p99", f"{latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]:.0f} ms"
        )
        table.add_row("send to completion max", f"{latencies[-1]:.0f} ms")
        Console().print(table)
        for app in apps.values():
            app.engine.dispose()
    finally:
        _drop(args.pg, urls)


if __name__ == "__main__":
    main()
