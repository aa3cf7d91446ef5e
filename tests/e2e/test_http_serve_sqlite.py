"""`carbonbridge serve` on a fresh SQLite file answers with no other server: it migrates the file,
serves the OpenAPI 3.1 document and the docs, and refuses to act without sign-in."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def test_serve_answers_on_a_fresh_sqlite_file(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    db = tmp_path / "fresh.db"
    process = subprocess.Popen(
        [sys.executable, "-m", "carbonbridge.entrypoints.cli.main", "--db", str(db), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                schema = httpx.get(f"{base}/openapi.json", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.5)
        assert schema.json()["openapi"].startswith("3.1")
        assert httpx.get(f"{base}/docs").status_code == 200
        refused = httpx.get(f"{base}/api/v1/accounts")
        assert refused.status_code == 401 and refused.headers["content-type"] == "application/problem+json"
        assert "server" not in refused.headers
        assert httpx.get(f"{base}/api/v1/public/jurisdictions").json()["items"][0]["code"] == "BY"
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert db.exists()
