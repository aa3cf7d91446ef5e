"""Two registries as two real processes: `carbonbridge serve --jurisdiction BY|CN` on free local
ports, each on its own database and pointed at the other (--link-partner), so that link messages
travel over HTTP. Used by the two-process link test, benchmarks/link.py and the demo."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO

import httpx

CLI = [sys.executable, "-m", "carbonbridge.entrypoints.cli.main"]
PARTNER = {"BY": "CN", "CN": "BY"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LinkPair:
    """`urls`: jurisdiction -> database URL. Start with `with LinkPair(...) as pair:`; `kill(code)`
    sends SIGKILL, `start(code)` starts it again on the same port and database."""

    urls: dict[str, str]
    folder: Path
    interval_seconds: float = 0.05
    reconcile_every_seconds: float = 0.0
    ports: dict[str, int] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    logs: dict[str, IO[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.ports = {code: free_port() for code in self.urls}

    def base(self, code: str) -> str:
        return f"http://127.0.0.1:{self.ports[code]}"

    def start(self, code: str) -> None:
        log = self.logs.get(code) or (self.folder / f"serve-{code}.log").open("a", encoding="utf-8")
        self.logs[code] = log
        self.processes[code] = subprocess.Popen(
            [
                *CLI,
                "--db",
                self.urls[code],
                "serve",
                "--jurisdiction",
                code,
                "--port",
                str(self.ports[code]),
                "--link-partner",
                self.base(PARTNER[code]),
                "--link-interval",
                str(self.interval_seconds),
                "--reconcile-every",
                str(self.reconcile_every_seconds),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "CARBONBRIDGE_RATE_LIMIT_ADDRESS": "1000000/minute"},
        )

    def wait_ready(self, code: str, timeout_seconds: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            if self.processes[code].poll() is not None:
                break
            try:
                if httpx.get(f"{self.base(code)}/api/v1/public/jurisdictions", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.logs[code].flush()
        raise RuntimeError(f"registry {code} did not start: {(self.folder / f'serve-{code}.log').read_text()[-2000:]}")

    def kill(self, code: str) -> None:
        """SIGKILL: no shutdown, no flush - whatever the process was doing is lost."""
        self.processes[code].send_signal(signal.SIGKILL)
        self.processes[code].wait(timeout=10)

    def __enter__(self) -> LinkPair:
        for code in self.urls:
            self.start(code)
        for code in self.urls:
            self.wait_ready(code)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in self.logs.values():
            log.close()
