"""`carbonbridge serve` as a real process for end-to-end tests: a free port, the server's log in
the test's folder, ready when `probe` answers 200, stopped afterwards; several workers must each
have started."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

CLI = [sys.executable, "-m", "carbonbridge.entrypoints.cli.main"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(db: str, folder: Path, *, probe: str, workers: int = 2, env: dict[str, str] | None = None) -> Iterator[str]:
    """Yields the base URL; the log is `folder/server.log`, checked for every worker's start."""
    port, path = free_port(), folder / "server.log"
    log = path.open("w")
    process = subprocess.Popen(
        [*CLI, "--db", db, "serve", "--workers", str(workers), "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "CARBONBRIDGE_RATE_LIMIT": "100000/minute", **(env or {})},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if httpx.get(f"{base}{probe}", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            raise AssertionError(path.read_text())
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
        assert path.read_text().count("Started server process") >= workers, path.read_text()
