"""POST /transactions decides a proposal on an API key's principal as the worker read it before
(services/auth.recall_key) and commits only if the command's own first read finds the key still
standing (adapters/db/guard.py). Whatever changed in between - the key revoked, its user disabled,
a grant withdrawn, the representative changed - must count from the next request exactly as a
fresh lookup would: 401 for a credential that no longer stands, a decision on the principal as it
is now otherwise, and nothing committed on the stale one. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import text

from api_world import UNIT, World, fund, make_world
from carbonbridge.adapters.db.guard import Guard, GuardFailed
from carbonbridge.adapters.db.registry.ledger import SqlLedgers
from carbonbridge.client import ApiError, Client
from carbonbridge.domain.auth.principal import Grant, Role
from carbonbridge.services import auth


@pytest.fixture
def world(db_url: str) -> Any:
    from carbonbridge.entrypoints.bootstrap import build_app

    core = build_app(db_url, upgrade=True)
    yield make_world(core)
    core.engine.dispose()


def _machine(world: World) -> tuple[Client, str]:
    """A key of the trader (BY-T1, representative t1-a) made for moving units, already recalled by the
    worker: its first transfer read it."""
    fund(world)
    secret = auth.create_api_key(
        world.core.sessions,
        "trader",
        "bot",
        [Grant(Role.TRADER, "BY", "BY-T1")],
        now=world.clock.now,
        moves_units=True,
        actor="t",
    ).secret
    machine = Client(http=world.anonymous().http, token=secret)
    _send(machine, "warm-1")
    assert auth._sha256(secret) in auth._RECALLED  # the next request decides on the recalled principal
    return machine, secret


def _send(client: Client, key: str, source: str = "BY-T1") -> Any:
    return client.propose(
        "transfer", key=key, code=None, unit_type=UNIT, quantity=1, source_account=source, destination_account="BY-T2"
    )


def _moved(world: World, key: str) -> int:
    with world.core.engine.connect() as connection:
        return int(
            connection.execute(
                text("SELECT count(*) FROM registry_transactions WHERE client_key LIKE :k"), {"k": f"%:{key}"}
            ).scalar_one()
        )


def _refused(client: Client, key: str, source: str = "BY-T1") -> int:
    with pytest.raises(ApiError) as refused:
        _send(client, key, source)
    return refused.value.status


def test_a_recalled_key_moves_units_like_a_fresh_one(world: World) -> None:
    machine, _ = _machine(world)
    done = _send(machine, "again-1")
    assert done["initiator"] == "t1-a" and _moved(world, "again-1") == 1
    assert _send(machine, "again-1")["id"] == done["id"]  # a repeat still returns the first result


def test_a_key_revoked_after_it_was_recalled_gets_401_and_commits_nothing(world: World) -> None:
    machine, secret = _machine(world)
    key_id = secret.split("_")[1]
    auth.revoke_api_key(world.core.sessions, key_id, now=world.clock.now, actor="t")
    assert _refused(machine, "after-revoke") == 401
    assert _refused(machine, "foreign", source="BY-T2") == 401  # not the 404 of the stale principal's decision
    assert _moved(world, "after-revoke") == 0 and _moved(world, "foreign") == 0


def test_a_revoked_key_gets_401_not_the_parameters_422_and_counts_as_anonymous(world: World) -> None:
    machine, secret = _machine(world)
    auth.revoke_api_key(world.core.sessions, secret.split("_")[1], now=world.clock.now, actor="t")
    body = {"type": "transfer", "unit_type": UNIT, "quantity": 1, "source_account": "BY-T1"}
    headers = {"Authorization": f"Bearer {secret}", "X-Request-ID": "revoked-422"}
    answer = machine.http.post("/api/v1/transactions", json=body, headers=headers)  # no Idempotency-Key
    assert answer.status_code == 401 and answer.headers["content-type"] == "application/problem+json"
    assert _refused(machine, "after-revoke") == 401
    with world.core.engine.connect() as connection:
        actors = connection.execute(
            text("SELECT actor FROM audit_events WHERE action = 'api.request' AND CAST(detail AS TEXT) LIKE :r"),
            {"r": "%revoked-422%"},
        ).all()
    assert [a for (a,) in actors] == ["anonymous"]


def test_an_issuance_by_a_revoked_admin_key_writes_nothing(world: World) -> None:
    secret = auth.create_api_key(
        world.core.sessions,
        "admin",
        "issuer",
        [Grant(Role.REGISTRY_ADMIN, "BY")],
        now=world.clock.now,
        moves_units=True,
        actor="t",
    ).secret
    machine = Client(http=world.anonymous().http, token=secret)

    def issue(key: str) -> Any:
        return machine.propose("issuance", key=key, code=None, unit_type=UNIT, quantity=5, destination_account="BY-NHA")

    issue("issue-warm")  # no proposal read: the guard is checked before the commit (SqlLedger.checked)
    assert auth._sha256(secret) in auth._RECALLED
    auth.revoke_api_key(world.core.sessions, secret.split("_")[1], now=world.clock.now, actor="t")
    with pytest.raises(ApiError) as refused:
        issue("issue-after-revoke")
    assert refused.value.status == 401
    assert _moved(world, "issue-after-revoke") == 0


def test_a_recalled_key_of_a_disabled_user_gets_401_and_commits_nothing(world: World) -> None:
    machine, _ = _machine(world)
    auth.set_user_state(world.core.sessions, "trader", now=world.clock.now, actor="t", disable=True)
    assert _refused(machine, "after-disable") == 401
    assert _moved(world, "after-disable") == 0


def test_a_grant_withdrawn_after_the_key_was_recalled_refuses_the_transfer(world: World) -> None:
    machine, _ = _machine(world)
    auth.set_grants(world.core.sessions, "trader", [], now=world.clock.now, actor="t")
    assert _refused(machine, "after-withdrawal") in (403, 404)  # as a fresh lookup decides it
    assert _moved(world, "after-withdrawal") == 0


def test_a_changed_representative_initiates_the_next_transfer(world: World) -> None:
    machine, secret = _machine(world)
    with world.core.engine.begin() as connection:  # no use case changes it; the guard covers it anyway
        connection.execute(text("UPDATE auth_users SET representative_id = 't1-b' WHERE id = 'trader'"))
    assert _send(machine, "after-rep")["initiator"] == "t1-b"
    assert _send(machine, "after-rep-2")["initiator"] == "t1-b"  # recalled anew, not re-decided every time
    assert auth._RECALLED[auth._sha256(secret)][1].params["guard_rep"] == "t1-b"


def test_a_failing_guard_rolls_the_command_back_even_when_no_proposal_read_ran(world: World) -> None:
    ledgers = SqlLedgers(
        world.core.sessions, Guard("SELECT count(*) FROM auth_users WHERE id = :guard_u", {"guard_u": "nobody"})
    )
    with pytest.raises(GuardFailed):
        ledgers.run(lambda ledger: ledger.existing("no-such-key"), command="test", now=dt.datetime.now(dt.UTC))
    holds = SqlLedgers(
        world.core.sessions, Guard("SELECT count(*) FROM auth_users WHERE id = :guard_u", {"guard_u": "trader"})
    )
    assert holds.run(lambda ledger: ledger.existing("no-such-key"), command="test", now=dt.datetime.now(dt.UTC)) is None


def test_a_revoked_key_over_its_rate_limit_gets_401_not_429(db_url: str) -> None:
    from carbonbridge.entrypoints.bootstrap import build_app
    from carbonbridge.entrypoints.http.settings import Settings

    core = build_app(db_url, upgrade=True)
    try:
        world = make_world(
            core, Settings(db_url=core.url, rate_limit_signin="1000/minute", rate_limit_principal="2/minute")
        )
        machine, secret = _machine(world)
        _send(machine, "second")  # its two requests a minute are spent (fund's users stay within theirs)
        assert _refused(machine, "over-limit") == 429  # as it stands
        auth.revoke_api_key(world.core.sessions, secret.split("_")[1], now=world.clock.now, actor="t")
        assert _refused(machine, "over-limit-revoked") == 401
    finally:
        core.engine.dispose()
