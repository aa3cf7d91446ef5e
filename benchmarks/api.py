"""Benchmark of registry transfers through the HTTP API against the same transfers through the
service layer directly, on PostgreSQL, in one run; and GET holdings latency through the API.

Both paths run `services.registry.transactions.propose` with every rule on (see registry_transfers.py), on
the same seeded market (50 trading accounts, full trusted lists, approval only for untrusted
destinations, so one command completes one transfer). The API path adds what a request costs:
HTTP parsing (Uvicorn), bearer-token authentication against the database (an API key made for
moving units: a machine client, which signs by possession instead of a TOTP code per command),
the access policy, the per-principal and per-address rate limits, the problem-document layer,
and the request id and principal in the command's audit record. Each client is a separate process with
its own connection / HTTP client. Targets: API >= 60 % of the direct rate at 8 clients; GET
holdings p99 < 20 ms at 8 clients.

Fairness: the same transfers (the same random streams per client and round) on the same database;
the client processes start once and keep their connections (the API ones are opened anew before
each of their phases, outside the clock, because Uvicorn closes a connection idle for 5 s), and
the phases are short and interleaved round by round (direct, API transfers with each client, API
reads; 12 rounds of 2 s by default), so that the machine's speed, which on the development
machine drifts by up to 2x within minutes, hits every path alike. The server is started once, the
way users start it (`carbonbridge serve --workers N`), and sits idle during the direct phases. The
table shows the CPU per operation of the client processes, of the server and of PostgreSQL, and
the machine's idle share, because on a small machine they share the cores. The API's clients are
a lean keep-alive HTTP/1.1 client on a bare socket (what wrk does; in production the clients' CPU
is not the server's) and, in a row of their own, the standard library's http.client, at about
twice its CPU per request.

The server runs as README deploys it on PostgreSQL: `--workers 4`, two a core on the 2-core
development machine. A worker's requests share one interpreter lock between its event loop and the
threads running their commands; with one worker a core, the machine stood 7-11 % idle in the API
phases against 3-4 % in the direct phases (final code, docs/api.md: 2 workers 60 % of the direct
rate, 4 workers 66-67 %). `--workers` sets another count.

Run: `.venv/bin/python benchmarks/api.py [--seconds 2] [--clients 8] [--workers 4] [--rounds 12] [--pg URL]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import os
import queue
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

TRADERS, UNITS_EACH, UNIT = 50, 1_000_000, "BY-AL-2026"
NOW = dt.datetime(2026, 3, 31, 12, 0, tzinfo=dt.UTC)
OVERRIDE = '\n[registry]\napproval = "untrusted"\ntransfer_limit_units = 10000\n'


def _accounts() -> list[str]:
    return [f"BY-T{i:03d}" for i in range(TRADERS)]


def _config_folder() -> str:
    """Jurisdiction files whose [registry] asks a second representative only off the trusted list."""
    folder = tempfile.mkdtemp(prefix="cb-bench-config-")
    shipped = Path(str(resources.files("carbonbridge") / "data" / "jurisdictions"))
    for name in ("BY.toml", "CN.toml"):
        shutil.copy(shipped / name, Path(folder) / name)
    with (Path(folder) / "BY.toml").open("a", encoding="utf-8") as handle:
        handle.write(OVERRIDE)
    return folder


def seed(url: str, clients: int) -> list[str]:
    """The market, one desk representative per client on every account, and an API key per desk."""
    from carbonbridge.domain.auth.principal import Grant, Role
    from carbonbridge.domain.registry.policy import ApprovalRule, SecurityPolicy
    from carbonbridge.entrypoints.bootstrap import build_app
    from carbonbridge.services import auth
    from carbonbridge.services.registry.accounts import add_representative
    from carbonbridge.testing.market import seed_market

    app = build_app(url, upgrade=True)
    setup = SecurityPolicy(approval=ApprovalRule.UNTRUSTED)  # the hand-out exceeds the per-transfer limit
    seed_market(
        app.sessions,
        now=NOW - dt.timedelta(days=30),
        traders=TRADERS,
        units_each=UNITS_EACH,
        policy_for=lambda _: setup,
    )
    grants = [Grant(Role.TRADER, "BY", a) for a in _accounts()]
    keys = []
    for c in range(clients):
        desk = f"desk-{c}"
        add_representative(app.sessions, desk, desk, _accounts(), now=NOW)
        auth.create_user(app.sessions, desk, "benchmark password", grants, now=NOW, representative_id=desk)
        keys.append(
            auth.create_api_key(app.sessions, desk, "bench", grants, now=NOW, moves_units=True, actor="bench").secret
        )
    app.engine.dispose()
    return keys


def _direct_slice(app: Any, client: int, seed: int, end_at: float) -> tuple[list[float], int]:
    """Transfers through the service layer until `end_at`: (latencies of those done, attempts)."""
    from carbonbridge.adapters.db.registry.ledger import SqlLedgers
    from carbonbridge.domain.errors import RuleViolation
    from carbonbridge.domain.registry.commands import TransactionRequest
    from carbonbridge.domain.registry.model import TransactionType
    from carbonbridge.entrypoints.bootstrap import utcnow
    from carbonbridge.services.registry.transactions import propose

    rng, latencies, n = random.Random(seed), [], 0
    while time.time() < end_at:
        source, destination = rng.sample(_accounts(), 2)
        request = TransactionRequest(
            f"direct-{seed}-{n}",
            TransactionType.TRANSFER,
            source,
            destination,
            UNIT,
            rng.randint(1, 100),
            f"desk-{client}",
        )
        n += 1
        began = time.perf_counter()
        try:
            propose(SqlLedgers(app.sessions), request, now=utcnow())
            latencies.append(time.perf_counter() - began)
        except RuleViolation:
            pass
    return latencies, n


class _LeanConnection:
    """A keep-alive HTTP/1.1 connection on a bare socket: the request written in one send, the
    answer read by its Content-Length (the server never chunks these answers). It does what a load
    generator such as wrk does, at about a tenth of http.client's CPU per request: on two cores the
    load generator shares the CPU with the server, which in production it does not."""

    def __init__(self, host: str, port: int) -> None:
        self._socket = socket.create_connection((host, port), timeout=30)
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._host = f"Host: {host}:{port}\r\n"
        self._buffer = b""

    def request(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, bytes]:
        lines = [f"{method} {path} HTTP/1.1\r\n", self._host, *(f"{k}: {v}\r\n" for k, v in headers.items())]
        if body is not None:
            lines.append(f"Content-Length: {len(body)}\r\n")
        self._socket.sendall("".join(lines).encode() + b"\r\n" + (body or b""))
        while b"\r\n\r\n" not in self._buffer:
            self._buffer += self._receive()
        head, _, rest = self._buffer.partition(b"\r\n\r\n")
        fields = dict(line.split(b":", 1) for line in head.split(b"\r\n")[1:])
        named = {k.strip().lower(): v.strip() for k, v in fields.items()}
        if b"transfer-encoding" in named:
            raise RuntimeError("a chunked answer: not expected from this server")
        length = int(named[b"content-length"])
        while len(rest) < length:
            rest += self._receive()
        self._buffer = rest[length:]
        return int(head[9:12]), rest[:length]

    def _receive(self) -> bytes:
        data = self._socket.recv(65536)
        if not data:
            raise RuntimeError("the server closed the connection")
        return data

    def close(self) -> None:
        self._socket.close()


class _StdlibConnection:
    """The standard library's keep-alive HTTP/1.1 connection (http.client)."""

    def __init__(self, host: str, port: int) -> None:
        import http.client

        self._connection = http.client.HTTPConnection(host, port, timeout=30)

    def request(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, bytes]:
        self._connection.request(method, path, body=body, headers=headers)
        response = self._connection.getresponse()
        return response.status, response.read()

    def close(self) -> None:
        self._connection.close()


def _api_slice(
    opened: _LeanConnection | _StdlibConnection, key: str, kind: str, seed: int, end_at: float
) -> tuple[list[float], int]:
    """Transfers or holdings reads through the API until `end_at`: (latencies of 200s, requests)."""
    import json

    auth = {"Authorization": f"Bearer {key}"}
    rng, latencies, n = random.Random(seed), [], 0
    while time.time() < end_at:
        source, destination = rng.sample(_accounts(), 2)
        began = time.perf_counter()
        if kind == "holdings":
            status = _call(opened, "GET", f"/api/v1/accounts/{source}/holdings", None, auth)
        else:
            body = {
                "type": "transfer",
                "unit_type": UNIT,
                "quantity": rng.randint(1, 100),
                "source_account": source,
                "destination_account": destination,
            }
            headers = {**auth, "Content-Type": "application/json", "Idempotency-Key": f"{kind}-{seed}-{n}"}
            status = _call(opened, "POST", "/api/v1/transactions", json.dumps(body).encode(), headers)
        n += 1
        if status == 200:
            latencies.append(time.perf_counter() - began)
    return latencies, n


def _call(
    opened: _LeanConnection | _StdlibConnection, method: str, path: str, body: bytes | None, headers: dict[str, str]
) -> int:
    status, text = opened.request(method, path, body, headers)
    if status >= 500 or status in (401, 403, 404, 429):
        raise RuntimeError(f"{status}: {text.decode(errors='replace')}")
    return status


def _client(url: str, base: str, key: str, client: int, inbox: mp.Queue, outbox: mp.Queue) -> None:  # type: ignore[type-arg]
    """One client process for the whole run: its own service-layer application (direct), a lean
    and an http.client keep-alive connection to the API (opened anew before each of their slices);
    it runs the slice the parent names and reports (latencies, its CPU seconds, operations). The same seed in a slice
    gives the direct and the API paths the same transfers."""
    from urllib.parse import urlsplit

    from carbonbridge.entrypoints.bootstrap import build_app
    from carbonbridge.services.registry.queries import holdings

    app = build_app(url, check=False)
    where = urlsplit(base)
    host, port = where.hostname or "127.0.0.1", where.port or 80
    kinds: dict[str, type[_LeanConnection] | type[_StdlibConnection]] = {
        "transfer": _LeanConnection,
        "stdlib": _StdlibConnection,
        "holdings": _LeanConnection,
    }
    connections: dict[str, _LeanConnection | _StdlibConnection] = {k: opened(host, port) for k, opened in kinds.items()}
    for account in _accounts()[:3]:  # connect, and let the workers build their state, before any clock
        holdings(app.sessions, account)
        for opened in connections.values():
            _call(opened, "GET", f"/api/v1/accounts/{account}/holdings", None, {"Authorization": f"Bearer {key}"})
    outbox.put("ready")
    while (job := inbox.get()) is not None:
        kind, round_number, start_at, seconds = job
        seed = client * 10_000 + round_number
        if kind in connections:  # Uvicorn closes a connection idle for 5 s: a new one before the clock
            connections[kind].close()
            connections[kind] = kinds[kind](host, port)
        time.sleep(max(0.0, start_at - time.time()))
        cpu = time.process_time()
        if kind == "direct":
            latencies, n = _direct_slice(app, client, seed, start_at + seconds)
        else:
            latencies, n = _api_slice(connections[kind], key, kind, seed, start_at + seconds)
        outbox.put((latencies, time.process_time() - cpu, n))
    for opened in connections.values():
        opened.close()
    app.engine.dispose()


@dataclass(frozen=True)
class Phase:
    """One timed phase: completed operations' latencies, and CPU seconds spent by the client
    processes and by the server (every Uvicorn process) over `requests` operations."""

    latencies: list[float]
    requests: int
    client_cpu: float
    server_cpu: float
    database_cpu: float
    idle: float  # share of the machine's CPU time left idle during the phase


def _processes() -> dict[int, tuple[int, str, float]]:
    """pid -> (parent pid, command name, CPU seconds of user + system, its own and that of its
    children that ended: a PostgreSQL backend's, once its client disconnects, counts to the
    postmaster), from /proc (Linux)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            head, tail = (entry / "stat").read_text().rsplit(")", 1)
        except OSError:
            continue
        fields = tail.split()
        cpu = sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")
        found[int(entry.name)] = (int(fields[1]), head.split("(", 1)[1], cpu)
    return found


def _machine() -> tuple[float, float]:
    """(idle, total) CPU time of the whole machine so far, in clock ticks (/proc/stat)."""
    values = [float(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return values[3] + values[4], sum(values[:8])


def _tree_cpu(processes: dict[int, tuple[int, str, float]], pid: int | None) -> float:
    """CPU seconds of a process and all its descendants."""
    if pid is None:
        return 0.0
    wanted = {pid}
    for _ in range(8):  # Uvicorn's supervisor -> workers (and their helpers): a shallow tree
        wanted |= {child for child, (parent, _, _) in processes.items() if parent in wanted}
    return sum(processes[p][2] for p in wanted if p in processes)


def _database_cpu(processes: dict[int, tuple[int, str, float]]) -> float:
    """CPU seconds of the PostgreSQL server's processes (its backends and background writers)."""
    return sum(cpu for _, name, cpu in processes.values() if name == "postgres")


class _Clients:
    """The client processes, started once; `slice` runs one kind of operation on all of them."""

    def __init__(self, url: str, base: str, keys: list[str]) -> None:
        self._inboxes: list[mp.Queue] = [mp.Queue() for _ in keys]  # type: ignore[type-arg]
        self._outbox: mp.Queue = mp.Queue()  # type: ignore[type-arg]
        self._processes = [
            mp.Process(target=_client, args=(url, base, key, c, self._inboxes[c], self._outbox))
            for c, key in enumerate(keys)
        ]
        for process in self._processes:
            process.start()
        for _ in keys:
            if self._outbox.get(timeout=120) != "ready":
                raise RuntimeError("a client did not start")

    def slice(self, kind: str, round_number: int, seconds: float, server: int) -> Phase:
        start_at = time.time() + 0.2
        for inbox in self._inboxes:
            inbox.put((kind, round_number, start_at, seconds))
        time.sleep(max(0.0, start_at - time.time()))
        before = _processes()
        idle_before, total_before = _machine()
        results: list[tuple[list[float], float, int]] = []
        deadline = time.time() + seconds + 120
        while len(results) < len(self._inboxes):
            try:
                results.append(self._outbox.get(timeout=1.0))
            except queue.Empty:
                failed = [p.exitcode for p in self._processes if p.exitcode is not None]
                if failed or time.time() > deadline:
                    raise RuntimeError(f"a client failed (exit codes {failed}) or timed out") from None
        after = _processes()
        idle_after, total_after = _machine()
        return Phase(
            [x for latencies, _, _ in results for x in latencies],
            sum(n for _, _, n in results),
            sum(cpu for _, cpu, _ in results),
            _tree_cpu(after, server) - _tree_cpu(before, server),
            _database_cpu(after) - _database_cpu(before),
            (idle_after - idle_before) / max(total_after - total_before, 1.0),
        )

    def close(self) -> None:
        for inbox in self._inboxes:
            inbox.put(None)
        for process in self._processes:
            process.join(timeout=30)


def _stats(latencies: list[float], seconds: float) -> tuple[float, float, float]:
    if not latencies:
        return 0.0, float("nan"), float("nan")
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return len(ordered) / seconds, statistics.median(ordered) * 1000, p99 * 1000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(url: str, workers: int, config: str) -> tuple[subprocess.Popen[bytes], str]:
    import httpx

    port = _free_port()
    env = {
        **os.environ,
        "CARBONBRIDGE_CONFIG": config,
        "CARBONBRIDGE_RATE_LIMIT": "1000000/minute",
        "CARBONBRIDGE_RATE_LIMIT_ADDRESS": "1000000/minute",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "carbonbridge.entrypoints.cli.main",
            "--db",
            url,
            "serve",
            "--workers",
            str(workers),
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            if httpx.get(f"{base}/api/v1/public/jurisdictions", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError("the API server did not start")


def _scratch(pg: str, name: str) -> str:
    import psycopg

    with psycopg.connect(pg, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{pg.rsplit('/', 1)[0]}/{name}"


def _row(name: str, operation: str, phases: list[Phase], seconds: float, versus: str) -> list[str]:
    rates = [_stats(p.latencies, seconds)[0] for p in phases]
    _, p50, p99 = _stats([x for p in phases for x in p.latencies], seconds)
    requests = sum(p.requests for p in phases) or 1
    client = sum(p.client_cpu for p in phases) / requests * 1000
    server = sum(p.server_cpu for p in phases) / requests * 1000
    database = sum(p.database_cpu for p in phases) / requests * 1000
    idle = sum(p.idle for p in phases) / len(phases)
    shown = f"{statistics.mean(rates):.0f} ({min(rates):.0f}-{max(rates):.0f})"
    server_shown = f"{server:.2f}" if server else "-"
    return [
        name,
        operation,
        shown,
        f"{p50:.1f}",
        f"{p99:.1f}",
        f"{client:.2f}",
        server_shown,
        f"{database:.2f}",
        f"{idle:.0%}",
        versus,
    ]


def main() -> None:
    from rich.console import Console
    from rich.table import Table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="per phase")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4, help="Uvicorn worker processes (README: two a core)")
    parser.add_argument("--rounds", type=int, default=12, help="direct / API / GET rounds, interleaved")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test", help="admin URL")
    args = parser.parse_args()
    config = _config_folder()
    os.environ["CARBONBRIDGE_CONFIG"] = config  # the direct path reads the same policy
    url = _scratch(args.pg, "cb_bench_api")
    keys = seed(url, args.clients)
    server, base = _serve(url, args.workers, config)  # idle (no CPU) while the direct path runs
    phases: dict[str, list[Phase]] = {kind: [] for kind in ("direct", "transfer", "stdlib", "holdings")}
    try:
        clients = _Clients(url, base, keys)
        try:
            for round_number in range(args.rounds):  # short and interleaved: the machine's drift hits all
                for kind, found in phases.items():
                    found.append(clients.slice(kind, round_number, args.seconds, server.pid))
        finally:
            clients.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    direct, reads = phases["direct"], phases["holdings"]
    api = {True: phases["transfer"], False: phases["stdlib"]}
    done_direct = sum(len(d.latencies) for d in direct)

    def ratios(found: list[Phase]) -> tuple[list[float], float]:
        """Per round, and over all rounds."""
        each = [len(a.latencies) / len(d.latencies) if d.latencies else 0.0 for d, a in zip(direct, found, strict=True)]
        return each, (sum(len(a.latencies) for a in found) / done_direct if done_direct else 0.0)

    table = Table(
        title=f"PostgreSQL, {args.clients} clients, {args.seconds:.0f} s per phase, {args.rounds} interleaved "
        f"round(s), API on {args.workers} Uvicorn workers"
    )
    for column in (
        "path",
        "operation",
        "per second",
        "p50 ms",
        "p99 ms",
        "client CPU ms/op",
        "server CPU ms/op",
        "database CPU ms/op",
        "idle",
    ):
        table.add_column(column, justify="right" if column not in ("path", "operation") else "left")
    table.add_column("vs direct", justify="right")
    table.add_row(*_row("service layer", "transfer", direct, args.seconds, "100 %"))
    for lean, name in ((True, "HTTP API"), (False, "HTTP API, http.client")):
        each = ratios(api[lean])[0]
        shown = f"{min(each):.0%}-{max(each):.0%}"
        table.add_row(*_row(name, "transfer", api[lean], args.seconds, shown))
    table.add_row(*_row("HTTP API", "GET holdings", reads, args.seconds, "-"))
    Console(width=190).print(table)
    print(
        "per second: the mean of the rounds (their range); vs direct: the range of the rounds' ratios; p50/p99 over "
        "all rounds; CPU: the client processes' and the "
        "server's (all Uvicorn processes) and PostgreSQL's per operation (the service layer's client CPU is the "
        "command itself); idle: the machine's CPU time left unused during the phases"
    )
    p99 = _stats([x for p in reads for x in p.latencies], args.seconds)[2]
    ratio, stdlib = ratios(api[True])[1], ratios(api[False])[1]
    print(
        f"API transfers >= 60 % of direct (all rounds together {ratio:.1%}; with http.client as the load generator "
        f"{stdlib:.1%}): {'PASS' if ratio >= 0.6 else 'FAIL'}; "
        f"GET holdings p99 < 20 ms: {'PASS' if p99 < 20 else 'FAIL'}"
    )
    import psycopg

    with psycopg.connect(args.pg, autocommit=True) as connection:
        connection.execute('DROP DATABASE IF EXISTS "cb_bench_api" WITH (FORCE)')
    shutil.rmtree(config, ignore_errors=True)


if __name__ == "__main__":
    main()
