"""Operations of a jurisdiction-wide role stay in its jurisdiction: settling delayed transfers and
listing users (a BY administrator neither settles CN transfers nor sees CN users)."""

from __future__ import annotations

import datetime as dt

import pytest

from api_world import World, make_world
from carbonbridge.adapters.db.registry.ledger import SqlLedgers
from carbonbridge.domain.registry.commands import TransactionRequest
from carbonbridge.domain.registry.model import TransactionState, TransactionType
from carbonbridge.services.registry import accounts, queries
from carbonbridge.services.registry.transactions import propose
from carbonbridge.services.registry.workflow import approve


@pytest.fixture
def world(sqlite_url: str) -> World:
    from carbonbridge.entrypoints.bootstrap import build_app

    return make_world(build_app(sqlite_url, upgrade=True))


def _delayed(world: World, code: str, source: str, destination: str, reps: tuple[str, str]) -> str:
    """A transfer to an account outside the trusted list: approved, then delayed (its window ahead)."""
    sessions, now = world.core.sessions, world.clock.now
    unit = f"{code}-AL-2026"
    issued = TransactionRequest(f"i-{code}", TransactionType.ISSUANCE, None, source, unit, 10, reps[0])
    assert propose(SqlLedgers(sessions), issued, now=now).state is TransactionState.COMPLETED
    moved = TransactionRequest(f"t-{code}", TransactionType.TRANSFER, source, destination, unit, 4, reps[0])
    done = approve(SqlLedgers(sessions), propose(SqlLedgers(sessions), moved, now=now).id, reps[1], now=now)
    assert done.state is TransactionState.DELAYED and done.delay_until is not None
    return done.id


def test_an_administrator_settles_the_transfers_of_their_own_jurisdiction_only(world: World) -> None:
    from carbonbridge.domain.registry.model import AccountType

    sessions, setup = world.core.sessions, world.clock.now - dt.timedelta(days=30)
    accounts.open_account(sessions, "CN-T1", "CN", AccountType.TRADING, "CN trader", now=setup)
    accounts.add_representative(sessions, "cn-admin-b", "cn-admin-b", ["CN-NHA"], now=setup)
    by = _delayed(world, "BY", "BY-NHA", "BY-T2", ("admin-a", "admin-b"))
    cn = _delayed(world, "CN", "CN-NHA", "CN-T1", ("cn-admin", "cn-admin-b"))
    world.clock.now += dt.timedelta(days=10)
    settled = world.as_user("admin").settle()["settled"]
    assert [t["id"] for t in settled] == [by]
    assert queries.transaction(sessions, cn).state is TransactionState.DELAYED
    assert [t["id"] for t in world.as_user("cnadmin").settle()["settled"]] == [cn]


def test_the_users_list_shows_an_administrator_the_users_of_their_jurisdiction(world: World) -> None:
    by_users = {u["id"] for u in world.as_user("admin").paginate("/users", limit=3)}
    cn_users = {u["id"] for u in world.as_user("cnadmin").paginate("/users")}
    assert "cnadmin" not in by_users and {"admin", "national", "operator", "verifier"} <= by_users
    assert cn_users == {"cnadmin"}
    world.as_user("cnadmin").create_user(
        "both", "a long enough password", [{"role": "auditor", "jurisdiction": "CN", "scope": ""}]
    )
    from carbonbridge.domain.auth.principal import Grant, Role
    from carbonbridge.services import auth

    both = [Grant(Role.AUDITOR, "CN"), Grant(Role.AUDITOR, "BY")]
    auth.set_grants(world.core.sessions, "both", both, now=world.clock.now, actor="test")
    seen = {u["id"]: u for u in world.as_user("admin").paginate("/users")}
    assert [g["jurisdiction"] for g in seen["both"]["grants"]] == ["BY"]  # the CN grant is not shown
