"""The audit record of a command names the HTTP request that made it (request id and principal,
adapters/db/origin.py), and a request gets a separate `api.request` access record only when no
committed record names it or when it did not succeed; on SQLite (the ORM unit of work) and on
PostgreSQL (the registry's direct transaction)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import text

from api_world import UNIT, World, fund, make_world
from carbonbridge.adapters.db import origin
from carbonbridge.adapters.db.uow import audit, unit_of_work


@pytest.fixture
def world(db_url: str) -> World:
    from carbonbridge.entrypoints.bootstrap import build_app

    return make_world(build_app(db_url, upgrade=True))


def _records(world: World, request_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(action, actor, detail) of every audit record that mentions the request id."""
    with world.core.engine.connect() as connection:
        found = connection.execute(
            text("SELECT action, actor, detail FROM audit_events WHERE CAST(detail AS TEXT) LIKE :r ORDER BY id"),
            {"r": f"%{request_id}%"},
        ).all()
    return [(a, actor, d if isinstance(d, dict) else json.loads(d)) for a, actor, d in found]


def _transfer(world: World, request_id: str, key: str, quantity: int = 5) -> Any:
    trader = world.as_user("trader")
    return trader.http.post(
        "/api/v1/transactions",
        json={
            "type": "transfer",
            "unit_type": UNIT,
            "quantity": quantity,
            "source_account": "BY-T1",
            "destination_account": "BY-T2",
        },
        headers={
            "Authorization": f"Bearer {trader.token}",
            "Idempotency-Key": key,
            "X-One-Time-Code": world.code("trader"),
            "X-Request-ID": request_id,
        },
    )


def test_a_transfer_over_http_is_one_audit_record_naming_its_request_and_principal(world: World) -> None:
    fund(world)
    answer = _transfer(world, "req-origin-1", "origin-1")
    assert answer.status_code == 200, answer.text
    records = _records(world, "req-origin-1")
    assert len(records) == 1, records  # no separate api.request record
    action, actor, detail = records[0]
    assert action.startswith("registry.transfer.")
    assert actor == "t1-a"  # the acting representative, as before
    assert detail["request_id"] == "req-origin-1"
    assert detail["principal"] == "trader"
    assert detail["quantity"] == 5
    assert answer.headers["x-request-id"] == "req-origin-1"


def test_a_repeat_that_writes_nothing_gets_an_access_record(world: World) -> None:
    fund(world)
    assert _transfer(world, "req-first", "origin-repeat").status_code == 200
    repeat = _transfer(world, "req-repeat", "origin-repeat")
    assert repeat.status_code == 200  # the first result, no second effect
    records = _records(world, "req-repeat")
    assert [(a, actor) for a, actor, _ in records] == [("api.request", "trader")]
    assert records[0][2]["status"] == 200


def test_a_refused_request_gets_an_access_record_and_its_rolled_back_writes_count_for_nothing(world: World) -> None:
    fund(world)
    assert _transfer(world, "req-ok", "origin-conflict", quantity=5).status_code == 200
    conflict = _transfer(world, "req-conflict", "origin-conflict", quantity=6)  # same key, another body
    assert conflict.status_code == 409
    records = _records(world, "req-conflict")
    assert [(a, d["status"]) for a, _, d in records] == [("api.request", 409)]


def test_records_written_outside_a_request_are_unchanged(world: World) -> None:
    with unit_of_work(world.core.sessions) as session:
        audit(session, at=world.clock.now, actor="cli", action="test.plain", subject="s", detail={"a": 1})
    with world.core.engine.connect() as connection:
        detail = connection.execute(text("SELECT detail FROM audit_events WHERE action = 'test.plain'")).scalar_one()
    assert (detail if isinstance(detail, dict) else json.loads(detail)) == {"a": 1}


def test_only_committed_records_count_for_the_request(world: World) -> None:
    with origin.serving("req-unit") as served:
        with pytest.raises(RuntimeError), unit_of_work(world.core.sessions) as session:
            audit(session, at=world.clock.now, actor="x", action="test.rolled-back", subject="s", detail={})
            raise RuntimeError("the command fails after writing its record")
        assert served.committed == 0
        with unit_of_work(world.core.sessions) as session:
            audit(session, at=world.clock.now, actor="x", action="test.kept", subject="s", detail={})
            audit(session, at=world.clock.now, actor="x", action="test.kept", subject="t", detail={})
        assert served.committed == 2
    assert origin.current() is None
    assert [a for a, _, _ in _records(world, "req-unit")] == ["test.kept", "test.kept"]
