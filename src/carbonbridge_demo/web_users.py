"""Demo users of the web application, one per role, on the demo's registry: created by the demo,
written with their TOTP seeds to `web-users.csv` (synthetic data: the seeds of a demo only), and
printed. `python -m carbonbridge_demo.web_users demo-output/web-users.csv USER` prints the user's
current one-time code (what an authenticator app would show for the seed)."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

import pyotp
from rich.console import Console
from rich.table import Table

from carbonbridge.adapters.db.registry.ledger import Sessions
from carbonbridge.domain.auth.principal import Grant, Role
from carbonbridge.services import auth
from carbonbridge_demo.market import account_of, reps
from carbonbridge_demo.synthetic import SyntheticInstallation

DEMO_PASSWORD = "carbonbridge-demo"
FILE_NAME = "web-users.csv"


@dataclass(frozen=True, slots=True)
class DemoUser:
    user_id: str
    role: str
    jurisdiction: str
    scope: str
    secret: str


def _wanted(installations: dict[str, list[str]]) -> list[tuple[str, Grant, str | None]]:
    """(user, grant, representative) for every role; operators are the two representatives of the
    first Belarus installation's account, so that one proposes and the other approves."""
    first = installations["BY"][0]
    operator_account = account_of(first)
    return [
        ("by-admin", Grant(Role.REGISTRY_ADMIN, "BY"), reps("BY-NHA")[0]),
        ("by-national", Grant(Role.NATIONAL_ADMIN, "BY"), None),
        ("by-operator-a", Grant(Role.OPERATOR_REPRESENTATIVE, "BY", operator_account), reps(operator_account)[0]),
        ("by-operator-b", Grant(Role.OPERATOR_REPRESENTATIVE, "BY", operator_account), reps(operator_account)[1]),
        ("by-verifier", Grant(Role.VERIFIER, "BY", first), None),
        ("by-trader", Grant(Role.TRADER, "BY", "BY-TRADER-1"), None),
        ("by-auditor", Grant(Role.AUDITOR, "BY"), None),
        ("cn-admin", Grant(Role.REGISTRY_ADMIN, "CN"), reps("CN-NHA")[0]),
        ("cn-national", Grant(Role.NATIONAL_ADMIN, "CN"), None),
    ]


def _demo_seed(user_id: str, installations: dict[str, list[str]]) -> str:
    """A TOTP seed derived from the synthetic systems: the same demo seed gives the same users file
    (a demo's users, with a published password; real users get random seeds)."""
    digest = hashlib.sha256(f"carbonbridge-demo:{user_id}:{sorted(installations.items())}".encode()).digest()
    return base64.b32encode(digest[:20]).decode()


def create(
    sessions: Sessions, installations: dict[str, list[str]], output: Path, now: dt.datetime, console: Console
) -> list[DemoUser]:
    """Create the demo users, write web-users.csv and print how to sign in as each."""
    made = []
    for user_id, grant, representative in _wanted(installations):
        enrolment = auth.create_user(
            sessions,
            user_id,
            DEMO_PASSWORD,
            [grant],
            now=now,
            representative_id=representative,
            actor="demo",
            totp_secret=_demo_seed(user_id, installations),
        )
        secret = pyotp.parse_uri(enrolment.provisioning_uri).secret
        made.append(DemoUser(user_id, grant.role.value, grant.jurisdiction, grant.scope, secret))
    with (output / FILE_NAME).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["user_id", "role", "jurisdiction", "scope", "password", "totp_secret"])
        writer.writerows([u.user_id, u.role, u.jurisdiction, u.scope, DEMO_PASSWORD, u.secret] for u in made)
    table = Table(title=f"Web application users (password {DEMO_PASSWORD!r}; seeds in {output / FILE_NAME})")
    for column in ("user", "role", "jurisdiction", "scope"):
        table.add_column(column)
    for u in made:
        table.add_row(u.user_id, u.role, u.jurisdiction, u.scope or "-")
    console.print(table)
    console.print(
        f"One-time code of a user: python -m carbonbridge_demo.web_users {output / FILE_NAME} USER "
        "(or add the seed to an authenticator app)"
    )
    return made


def create_for_demo(
    sessions: Sessions,
    systems: dict[str, list[SyntheticInstallation]],
    output: Path,
    now: dt.datetime,
    console: Console,
) -> list[DemoUser]:
    """The demo's users for its synthetic systems (called from demo/run.py)."""
    installations = {code: [str(i.plan["installation_id"]) for i in found] for code, found in systems.items()}
    return create(sessions, installations, output, now, console)


def current_code(users_file: Path, user_id: str, at: dt.datetime | None = None) -> str:
    """The one-time code of a demo user now (or at `at`), from the seeds the demo wrote."""
    with users_file.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["user_id"] == user_id:
                totp = pyotp.TOTP(row["totp_secret"])
                return totp.at(at) if at is not None else totp.now()
    raise KeyError(f"no demo user {user_id!r} in {users_file}")


if __name__ == "__main__":  # pragma: no cover - a convenience for the README's walk-through
    if len(sys.argv) != 3:
        sys.exit("usage: python -m carbonbridge_demo.web_users demo-output/web-users.csv USER")
    print(current_code(Path(sys.argv[1]), sys.argv[2]))
