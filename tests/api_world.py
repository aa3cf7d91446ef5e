"""A small registry served over HTTP for the API tests: users of every role, one object of each
kind per role, a clock the test moves, and a client signed in as each user.

Set up with the services directly (what an administrator does with the CLI), then driven only
through the HTTP API with `carbonbridge.client.Client` on Starlette's in-process test client.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pyotp
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from carbonbridge.adapters.db.models import InstallationRow
from carbonbridge.adapters.db.uow import unit_of_work
from carbonbridge.client import Client
from carbonbridge.domain.auth.principal import Grant, Role
from carbonbridge.domain.registry.model import AccountType, UnitKind
from carbonbridge.entrypoints.http.app import create_app
from carbonbridge.entrypoints.http.settings import Settings
from carbonbridge.services import auth
from carbonbridge.services.registry import accounts

# Argon2id still, with cheap parameters: the suite hashes dozens of passwords on shared CPUs
auth.use_password_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
START = dt.datetime(2026, 3, 31, 12, 0, 7, tzinfo=dt.UTC)  # a Tuesday; 7 s into a TOTP step
PASSWORD = "correct horse battery staple"
UNIT = "BY-AL-2026"

# user -> (grants, representative id)
USERS: dict[str, tuple[list[Grant], str | None]] = {
    "admin": ([Grant(Role.REGISTRY_ADMIN, "BY")], "admin-a"),
    "admin2": ([Grant(Role.REGISTRY_ADMIN, "BY")], "admin-b"),
    "national": ([Grant(Role.NATIONAL_ADMIN, "BY")], None),
    "operator": ([Grant(Role.OPERATOR_REPRESENTATIVE, "BY", "BY-OP1")], "op1-a"),
    "operator2": ([Grant(Role.OPERATOR_REPRESENTATIVE, "BY", "BY-OP1")], "op1-b"),
    "trader": ([Grant(Role.TRADER, "BY", "BY-T1")], "t1-a"),
    "trader1b": ([Grant(Role.TRADER, "BY", "BY-T1")], "t1-b"),
    "other": ([Grant(Role.TRADER, "BY", "BY-T2")], "t2-a"),
    "verifier": ([Grant(Role.VERIFIER, "BY", "INST-1")], None),
    "auditor": ([Grant(Role.AUDITOR, "BY")], None),
    "cnadmin": ([Grant(Role.REGISTRY_ADMIN, "CN")], "cn-admin"),
    "spare": ([Grant(Role.TRADER, "BY", "BY-T2")], None),
}


SESSION_REUSE = dt.timedelta(minutes=10)


@dataclass
class Clock:
    now: dt.datetime = START

    def __call__(self) -> dt.datetime:
        return self.now

    def tick(self, seconds: int = 30) -> None:
        self.now += dt.timedelta(seconds=seconds)


@dataclass
class World:
    core: Any
    app: Any
    clock: Clock
    secrets: dict[str, str] = field(default_factory=dict)
    objects: dict[str, Any] = field(default_factory=dict)
    clients: dict[str, Client] = field(default_factory=dict)
    signed_at: dict[str, dt.datetime] = field(default_factory=dict)

    def code(self, user: str) -> str:
        """A fresh one-time code: moves the clock to the next TOTP step first (each code counts once)."""
        self.clock.tick(30)
        return pyotp.TOTP(self.secrets[user]).at(self.clock.now)

    def anonymous(self) -> Client:
        return Client(http=TestClient(self.app, raise_server_exceptions=False))

    def as_user(self, user: str) -> Client:
        """The user's signed-in client; signed in again once its session is 10 minutes old on the
        world's clock (every one-time code moves the clock 30 s, and sessions last 15 minutes)."""
        if user not in self.clients or self.clock.now - self.signed_at[user] > SESSION_REUSE:
            client = self.anonymous()
            client.sign_in(user, PASSWORD, self.code(user))
            self.clients[user] = client
            self.signed_at[user] = self.clock.now
        return self.clients[user]


def _installation(sessions: Any, installation_id: str, code: str) -> None:
    with unit_of_work(sessions) as session:
        session.add(
            InstallationRow(
                id=installation_id,
                jurisdiction=code,
                name=f"Plant {installation_id}",
                operator="Operator LLC",
                sector="power",
                created_at=START,
            )
        )


def seed_registry(sessions: Any, now: dt.datetime) -> None:
    """Unit type, accounts of every kind, two representatives per account, units where needed."""
    setup = now - dt.timedelta(days=30)
    _installation(sessions, "INST-1", "BY")
    _installation(sessions, "INST-2", "BY")
    _installation(sessions, "CN-INST-1", "CN")
    accounts.create_unit_type(sessions, "BY", UnitKind.ALLOWANCE, 2026, 1_000_000, now=setup)
    opened = [
        ("BY-NHA", AccountType.NATIONAL_HOLDING, None),
        ("BY-OP1", AccountType.OPERATOR_HOLDING, "INST-1"),
        ("BY-OP2", AccountType.OPERATOR_HOLDING, "INST-2"),
        ("BY-T1", AccountType.TRADING, None),
        ("BY-T2", AccountType.TRADING, None),
    ]
    for account_id, kind, installation in opened:
        accounts.open_account(
            sessions, account_id, "BY", kind, f"holder of {account_id}", now=setup, installation_id=installation
        )
    reps = {
        "BY-NHA": ["admin-a", "admin-b"],
        "BY-OP1": ["op1-a", "op1-b"],
        "BY-OP2": ["op2-a"],
        "BY-T1": ["t1-a", "t1-b"],
        "BY-T2": ["t2-a", "t2-b"],
    }
    for account_id, ids in reps.items():
        for rep in ids:
            accounts.add_representative(sessions, rep, rep, [account_id], now=setup)
    accounts.create_unit_type(sessions, "CN", UnitKind.ALLOWANCE, 2026, 1000, now=setup)
    accounts.open_account(sessions, "CN-NHA", "CN", AccountType.NATIONAL_HOLDING, "CN authority", now=setup)
    accounts.add_representative(sessions, "cn-admin", "cn-admin", ["CN-NHA"], now=setup)
    for source, destination in (("BY-T1", "BY-T2"), ("BY-OP1", "BY-T1"), ("BY-T2", "BY-T1")):
        accounts.change_trusted(sessions, source, destination, add=True, now=setup, actor="setup")


def seed_users(sessions: Any, now: dt.datetime) -> dict[str, str]:
    found = {}
    for user, (grants, rep) in USERS.items():
        enrolment = auth.create_user(sessions, user, PASSWORD, grants, now=now, representative_id=rep)
        found[user] = pyotp.parse_uri(enrolment.provisioning_uri).secret
    return found


def make_world(core: Any, settings: Settings | None = None) -> World:
    clock = Clock()
    seed_registry(core.sessions, clock.now)
    secrets = seed_users(core.sessions, clock.now)
    app = create_app(settings or Settings(db_url=core.url, rate_limit_signin="1000/minute"), clock=clock)
    return World(core, app, clock, secrets)


def fund(world: World) -> dict[str, Any]:
    """Issue 1000 units to the national account and allocate 300 to BY-OP1; 200 to BY-T1 by a trusted
    transfer approved by the second operator representative. Returns the transactions by name."""
    admin = world.as_user("admin")
    issued = admin.propose(
        "issuance", key="issue-1", code=world.code("admin"), unit_type=UNIT, quantity=1000, destination_account="BY-NHA"
    )
    allocated = admin.propose(
        "allocation",
        key="alloc-1",
        code=world.code("admin"),
        unit_type=UNIT,
        quantity=300,
        source_account="BY-NHA",
        destination_account="BY-OP1",
    )
    operator = world.as_user("operator")
    moved = operator.propose(
        "transfer",
        key="op-t1",
        code=world.code("operator"),
        unit_type=UNIT,
        quantity=200,
        source_account="BY-OP1",
        destination_account="BY-T1",
    )
    moved = world.as_user("operator2").approve(moved["id"], world.code("operator2"))
    return {"issued": issued, "allocated": allocated, "moved": moved}


def add_report(sessions: Any, installation_id: str, tonnes: float, year: int, at: dt.datetime) -> None:
    """An unverified annual report, as `mrv report` leaves it (MRV has no upload resource yet)."""
    from carbonbridge.adapters.db.models import EmissionReportRow

    with unit_of_work(sessions) as session:
        session.add(
            EmissionReportRow(
                installation_id=installation_id,
                year=year,
                version=1,
                dataset_id=None,
                gwp_set="AR5GWP100",
                method_pack="ipcc2006",
                co2_t=tonnes,
                ch4_t=0.0,
                n2o_t=0.0,
                co2e_t=tonnes,
                category="A",
                by_source_stream={},
                reason="",
                submitted_at=at,
            )
        )


# --- MRV, inventory and allocation (the reporting resources) ---------------------------------

GAS_PLAN = {
    "sector": "manufacturing",
    "category": "A",
    "source_streams": [{"name": "gas", "activity": "natural_gas", "tier_ncv": "2b"}],
}
ACTIVITY_HEADER = "record_id,installation_id,source_stream,activity,quantity,unit,year,sector,ncv,ncv_unit\n"


def activity_row(installation_id: str, quantity: float = 1000, record: str = "gas-1") -> str:
    """Natural gas burnt, with its measured NCV (tier 2b): 1000 thousand m3 at 34 TJ/million m3."""
    return (
        f"{record},{installation_id},gas,natural_gas,{quantity},thousand m3,2025,energy_industries,34.0,TJ/million m3\n"
    )


def add_plan(core: Any, installation_id: str, code: str, at: dt.datetime) -> int:
    """A monitoring plan with one natural gas source stream, as `mrv plan` registers it (`core`:
    the application, for its database and configuration)."""
    from carbonbridge.adapters.monitoring_plan_file import parse_plan
    from carbonbridge.services.mrv.plans import register_plan

    data = {**GAS_PLAN, "installation_id": installation_id, "jurisdiction": code}
    data |= {"name": f"Plant {installation_id}", "operator": "Operator LLC"}
    return register_plan(core.sessions, parse_plan(data), config=core.config, now=at)


def add_inventory(sessions: Any, folder: Any, at: dt.datetime) -> int:
    """A small BY inventory submission (energy, clinker, a LULUCF sink over 2019-2020), as `inventory compile`."""
    from carbonbridge.services.inventory import compile_submission

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "energy_balance.csv").write_text(
        "year,category,fuel,amount,unit\n2019,1.A.1,natural_gas,1000,TJ\n2020,1.A.1,natural_gas,1100,TJ\n"
        "2020,1.A.3.b,gas_diesel_oil,10000,t\n",
        encoding="utf-8",
    )
    (folder / "production.csv").write_text(
        "year,product,technology,quantity_t\n2019,clinker,,900000\n2020,clinker,,1000000\n", encoding="utf-8"
    )
    (folder / "emissions.csv").write_text(
        "year,category,gas,mass_t,method\n2019,3.B.1.a,CO2,-20000,synthetic\n2020,3.B.1.a,CO2,-21000,synthetic\n",
        encoding="utf-8",
    )
    return compile_submission(sessions, "BY", folder, now=at).version
