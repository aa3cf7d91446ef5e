"""The registry over HTTP, on SQLite and PostgreSQL: sign-in, proposals signed with one-time codes,
four eyes, idempotency, holdings, the problem format, and conservation afterwards."""

from __future__ import annotations

from typing import Any

import pytest

from api_world import UNIT, World, fund, make_world
from carbonbridge.client import ApiError


@pytest.fixture
def world(app: Any) -> World:
    return make_world(app)


def test_a_compliance_chain_runs_over_http_and_the_ledger_still_balances(world: World) -> None:
    done = fund(world)
    assert done["issued"]["state"] == "completed" and done["allocated"]["state"] == "completed"
    assert done["moved"]["state"] == "completed" and done["moved"]["approver"] == "op1-b"
    holdings = {h["unit_type"]: h for h in world.as_user("trader").holdings("BY-T1")}
    assert holdings[UNIT]["quantity"] == 200 and holdings[UNIT]["available"] == 200
    auditor = world.as_user("auditor")
    assert auditor.check()["ok"] is True
    assert auditor.verify_log()["ok"] is True


def test_a_transfer_waits_for_a_second_representative_and_reserves_units(world: World) -> None:
    fund(world)
    trader = world.as_user("trader")
    pending = trader.propose(
        "transfer",
        key="t-1",
        code=world.code("trader"),
        unit_type=UNIT,
        quantity=50,
        source_account="BY-T1",
        destination_account="BY-T2",
    )
    assert pending["state"] == "proposed"
    held = trader.holdings("BY-T1")[0]
    assert (held["quantity"], held["reserved"], held["available"]) == (200, 50, 150)
    with pytest.raises(ApiError) as refused:
        trader.approve(pending["id"], world.code("trader"))
    assert refused.value.status == 422 and refused.value.response_code == "R08_SELF_APPROVAL"
    done = world.as_user("trader1b").approve(pending["id"], world.code("trader1b"))
    assert done["state"] == "completed" and done["approver"] == "t1-b"


def test_a_repeated_idempotency_key_returns_the_first_result_and_another_body_is_a_conflict(world: World) -> None:
    fund(world)
    trader = world.as_user("trader")
    body = {"unit_type": UNIT, "quantity": 5, "source_account": "BY-T1", "destination_account": "BY-T2"}
    first = trader.propose("transfer", key="same", code=world.code("trader"), **body)
    again = trader.propose("transfer", key="same", code=world.code("trader"), **body)
    assert again["id"] == first["id"]
    with pytest.raises(ApiError) as conflict:
        trader.propose("transfer", key="same", code=world.code("trader"), **{**body, "quantity": 6})
    assert conflict.value.status == 409
    assert conflict.value.problem["differing_fields"] == ["quantity"]
    assert conflict.value.problem["type"].endswith("idempotency-conflict")


def test_a_cancelled_transfer_frees_the_reserved_units(world: World) -> None:
    fund(world)
    trader = world.as_user("trader")
    pending = trader.propose(
        "transfer",
        key="c-1",
        code=world.code("trader"),
        unit_type=UNIT,
        quantity=20,
        source_account="BY-T1",
        destination_account="BY-T2",
    )
    cancelled = world.as_user("trader1b").cancel(pending["id"])
    assert cancelled["state"] == "terminated" and cancelled["response_code"] == "T01_CANCELLED"
    assert trader.holdings("BY-T1")[0]["reserved"] == 0


def test_refusals_are_problem_documents_with_the_registry_response_code(world: World) -> None:
    fund(world)
    trader = world.as_user("trader")
    with pytest.raises(ApiError) as refused:
        trader.propose(
            "transfer",
            key="big",
            code=world.code("trader"),
            unit_type=UNIT,
            quantity=10_000,
            source_account="BY-T1",
            destination_account="BY-T2",
        )
    problem = refused.value.problem
    assert refused.value.status == 422 and problem["response_code"] == "R01_INSUFFICIENT_UNITS"
    assert problem["type"].endswith("rule-violation") and problem["request_id"]
    assert problem["instance"] == "/api/v1/transactions"


def test_invalid_input_lists_each_located_problem(world: World) -> None:
    response = world.as_user("trader").http.post(
        "/api/v1/transactions",
        json={"type": "transfer", "quantity": -1, "colour": "red"},
        headers={"Authorization": f"Bearer {world.as_user('trader').token}", "Idempotency-Key": "x"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    fields = {p["field"] for p in response.json()["problems"]}
    assert {"quantity", "colour"} <= fields


def test_lists_are_paginated_with_a_cursor_and_filtered(world: World) -> None:
    fund(world)
    admin = world.as_user("admin")
    first = admin.get("/accounts", limit=2)
    assert len(first["items"]) == 2 and first["next_cursor"]
    every = list(admin.paginate("/accounts", limit=2))
    assert [a["id"] for a in every] == sorted(a["id"] for a in every)
    assert {a["id"] for a in every} >= {"BY-NHA", "BY-OP1", "BY-T1", "BY-T2"}
    assert all(a["jurisdiction"] == "BY" for a in every)  # a BY administrator sees no CN account
    trading = admin.get("/accounts", type="trading")["items"]
    assert {a["id"] for a in trading} == {"BY-T1", "BY-T2"}
    completed = admin.transactions(state="completed", type="allocation")
    assert [t["type"] for t in completed] == ["allocation"]


def test_a_holder_sees_only_their_accounts_and_transactions(world: World) -> None:
    fund(world)
    other = world.as_user("other")
    assert [a["id"] for a in other.get("/accounts")["items"]] == ["BY-T2"]
    assert other.transactions() == []
    trader = world.as_user("trader")
    assert all("BY-T1" in (t["source_account"], t["destination_account"]) for t in trader.transactions())
