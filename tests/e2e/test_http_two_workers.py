"""End to end: `carbonbridge serve --workers 2` on PostgreSQL in a real subprocess on a free port,
a compliance year driven through HTTP only (after the first administrator is made with the CLI),
then `registry check` and `registry verify-log` hold.

MRV has no HTTP resources yet: the installation and its verified report are written as the MRV
chain leaves them (the `add_verified_report` fixture), and everything after goes through the API.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pyotp
import pytest

from carbonbridge.client import ApiError, Client
from serve_process import CLI, serving

PASSWORD = "a long enough password"
pytestmark = pytest.mark.postgres


class Codes:
    """Real-time TOTP codes, each step used once per user (the server refuses a step twice)."""

    def __init__(self) -> None:
        self.last: dict[str, int] = {}

    def __call__(self, secret: str) -> str:
        totp = pyotp.TOTP(secret)
        for _ in range(100):
            now = int(time.time()) // 30
            step = max(now, self.last.get(secret, -1) + 1)
            if step <= now + 1:  # inside the server's window of one step of drift
                self.last[secret] = step
                return totp.generate_otp(step)
            time.sleep(1)
        raise AssertionError("no fresh TOTP step")


@pytest.fixture
def server(pg_url: str, tmp_path: Path) -> Iterator[str]:
    with serving(pg_url, tmp_path, probe="/api/v1/public/jurisdictions") as base:
        yield base
    assert PASSWORD not in (tmp_path / "server.log").read_text()


def _cli(db: str, *args: str, stdin: str = "") -> str:
    result = subprocess.run([*CLI, "--db", db, *args], input=stdin, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _secret(uri_text: str) -> str:
    found = re.search(r"otpauth://\S+", uri_text)
    assert found, uri_text
    return str(pyotp.parse_uri(found.group(0)).secret)


def test_a_compliance_year_over_http_with_two_workers_on_postgresql(
    server: str, pg_url: str, add_verified_report: Callable[..., None]
) -> None:
    from carbonbridge.adapters.db.models import InstallationRow
    from carbonbridge.adapters.db.uow import unit_of_work
    from carbonbridge.entrypoints.bootstrap import build_app

    codes = Codes()
    secrets = {
        "admin": _secret(
            _cli(
                pg_url,
                "users",
                "create-admin",
                "admin",
                "-j",
                "BY",
                "--representative",
                "admin-a",
                stdin=f"{PASSWORD}\n{PASSWORD}\n",
            )
        )
    }
    core = build_app(pg_url)
    now = dt.datetime.now(dt.UTC)
    with unit_of_work(core.sessions) as session:  # what MRV registers (no HTTP resource for it yet)
        session.add(
            InstallationRow(id="INST-1", jurisdiction="BY", name="Plant", operator="Op", sector="power", created_at=now)
        )
    add_verified_report(core.sessions, "INST-1", 60, now)

    def signed_in(user: str) -> Client:
        client = Client(server)
        client.sign_in(user, PASSWORD, codes(secrets[user]))
        return client

    admin = signed_in("admin")
    admin.create_unit_type("BY", 2026, 100_000)
    admin.open_account("BY-NHA", "BY", "national_holding", "Ministry")
    admin.open_account("BY-OP1", "BY", "operator_holding", "Operator", installation_id="INST-1")
    admin.open_account("BY-T1", "BY", "trading", "Trader")
    admin.add_representative("admin-a", "Admin A", ["BY-NHA"])
    admin.add_representative("admin-b", "Admin B", ["BY-NHA"])
    admin.add_representative("op-a", "Op A", ["BY-OP1"])
    admin.add_representative("op-b", "Op B", ["BY-OP1"])
    for user, grant, rep in (
        ("admin2", {"role": "registry_admin", "jurisdiction": "BY", "scope": ""}, "admin-b"),
        ("op", {"role": "operator_representative", "jurisdiction": "BY", "scope": "BY-OP1"}, "op-a"),
        ("op2", {"role": "operator_representative", "jurisdiction": "BY", "scope": "BY-OP1"}, "op-b"),
        ("national", {"role": "national_admin", "jurisdiction": "BY", "scope": ""}, None),
        ("auditor", {"role": "auditor", "jurisdiction": "BY", "scope": ""}, None),
    ):
        secrets[user] = _secret(admin.create_user(user, PASSWORD, [grant], rep)["provisioning_uri"])

    issued = admin.propose(
        "issuance",
        key="issue",
        code=codes(secrets["admin"]),
        unit_type="BY-AL-2026",
        quantity=1000,
        destination_account="BY-NHA",
    )
    admin2 = signed_in("admin2")
    allocated = admin2.propose(
        "allocation",
        key="alloc",
        code=codes(secrets["admin2"]),
        unit_type="BY-AL-2026",
        quantity=100,
        source_account="BY-NHA",
        destination_account="BY-OP1",
    )
    assert issued["state"] == allocated["state"] == "completed"

    op, op2 = signed_in("op"), signed_in("op2")
    pending = op.propose(
        "transfer",
        key="sell",
        code=codes(secrets["op"]),
        unit_type="BY-AL-2026",
        quantity=10,
        source_account="BY-OP1",
        destination_account="BY-T1",
    )
    assert pending["state"] == "proposed"
    with pytest.raises(ApiError) as self_approval:
        op.approve(pending["id"], codes(secrets["op"]))
    assert self_approval.value.response_code == "R08_SELF_APPROVAL"
    approved = op2.approve(pending["id"], codes(secrets["op2"]))
    assert approved["state"] == "delayed"  # off the trusted list: waits for its window
    assert op.cancel(pending["id"])["response_code"] == "T01_CANCELLED"

    surrendered = op.propose(
        "surrender",
        key="surrender",
        code=codes(secrets["op"]),
        unit_type="BY-AL-2026",
        quantity=60,
        source_account="BY-OP1",
        installation_id="INST-1",
        compliance_year=2025,
    )
    assert surrendered["state"] == "completed"
    national = signed_in("national")
    assert national.enter_verified_emissions("INST-1", 2025)["status"] == "A"
    holdings = op.holdings("BY-OP1")[0]
    assert (holdings["quantity"], holdings["reserved"]) == (40, 0)

    public = Client(server).public_installation_year("INST-1", 2025)
    assert (public["verified_emissions_t"], public["surrendered_t"], public["status"]) == (60, 60, "A")
    auditor = signed_in("auditor")
    assert auditor.check()["ok"] and auditor.verify_log()["ok"]
    token = op.token
    op.sign_out()
    op.token = token
    for _ in range(4):  # revoked on every worker
        with pytest.raises(ApiError):
            op.me()
    core.engine.dispose()
    _cli(pg_url, "registry", "check")
    assert "OK" in _cli(pg_url, "registry", "verify-log")
