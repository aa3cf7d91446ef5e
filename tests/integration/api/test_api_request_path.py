"""The per-request path of the API on SQLite and PostgreSQL: the bearer-token lookup (one autocommit
read on PostgreSQL, a memoised principal) honours a revocation, a disabled user and a withdrawn grant
on the very next request, on every worker; remembered account targets follow the database; every
state-changing request of a burst leaves exactly one access record with its request id."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from api_world import UNIT, World, fund, make_world
from carbonbridge.client import ApiError, Client
from carbonbridge.domain.auth.principal import Grant, Role
from carbonbridge.entrypoints.http.app import create_app
from carbonbridge.entrypoints.http.schemas import encode_cursor
from carbonbridge.entrypoints.http.settings import Settings
from carbonbridge.services import auth
from carbonbridge.services.registry import queries as registry_queries


@pytest.fixture
def world(app: Any) -> World:
    return make_world(app)


def _second_worker(world: World) -> Any:
    """Another application on the same database, as a second Uvicorn worker would build it."""
    return create_app(Settings(db_url=world.core.url, rate_limit_signin="1000/minute"), clock=world.clock)


def _client(application: Any, token: str) -> Client:
    return Client(http=TestClient(application, raise_server_exceptions=False), token=token)


def test_a_revoked_api_key_is_refused_on_the_next_request_by_every_worker(world: World) -> None:
    fund(world)
    grants = [{"role": "trader", "jurisdiction": "BY", "scope": "BY-T1"}]
    made = world.as_user("trader").create_api_key("desk", grants, moves_units=True)
    first, second = _client(world.app, made["secret"]), _client(_second_worker(world), made["secret"])
    assert first.holdings("BY-T1")[0]["quantity"] == 200
    assert second.holdings("BY-T1")[0]["quantity"] == 200  # both workers have seen (and memoised) it
    world.as_user("trader").request("DELETE", f"/api-keys/{made['id']}")
    for client in (first, second):
        with pytest.raises(ApiError) as refused:
            client.holdings("BY-T1")
        assert refused.value.status == 401


def test_a_revoked_session_and_a_disabled_user_are_refused_on_the_next_request(world: World) -> None:
    fund(world)
    trader = world.as_user("trader")
    assert trader.holdings("BY-T1")
    other = world.as_user("other")
    assert other.me()["id"] == "other"
    token = trader.token
    trader.sign_out()
    trader.token = token  # the revoked token again
    with pytest.raises(ApiError) as signed_out:
        trader.holdings("BY-T1")
    assert signed_out.value.status == 401
    auth.set_user_state(world.core.sessions, "other", now=world.clock.now, actor="test", disable=True)
    with pytest.raises(ApiError) as disabled:
        other.me()
    assert disabled.value.status == 401


def test_a_withdrawn_grant_counts_from_the_next_request_and_a_new_one_too(world: World) -> None:
    fund(world)
    trader = world.as_user("trader")
    assert trader.holdings("BY-T1")[0]["quantity"] == 200
    auth.set_grants(world.core.sessions, "trader", [Grant(Role.TRADER, "BY", "BY-T2")], now=world.clock.now, actor="t")
    with pytest.raises(ApiError) as withdrawn:
        trader.holdings("BY-T1")
    assert withdrawn.value.status == 404  # another holder's account: as if unknown
    assert trader.holdings("BY-T2") == []
    auth.set_grants(world.core.sessions, "trader", [Grant(Role.TRADER, "BY", "BY-T1")], now=world.clock.now, actor="t")
    assert trader.holdings("BY-T1")[0]["quantity"] == 200


def test_an_account_opened_after_it_was_asked_for_is_found(world: World) -> None:
    admin = world.as_user("admin")
    with pytest.raises(ApiError) as unknown:
        admin.account("BY-LATE")
    assert unknown.value.status == 404  # an unknown account is not remembered
    admin.open_account("BY-LATE", "BY", "trading", "Late LLC")
    assert admin.account("BY-LATE")["id"] == "BY-LATE"
    assert admin.holdings("BY-LATE") == []


def _transfers(world: World, key: str, quantities: tuple[int, ...]) -> Client:
    """The trader's transfers BY-T1 -> BY-T2, each signed with a fresh code; the trader's client."""
    trader = world.as_user("trader")
    for n, quantity in enumerate(quantities):
        trader.propose(
            "transfer",
            key=f"{key}-{n}",
            code=world.code("trader"),
            unit_type=UNIT,
            quantity=quantity,
            source_account="BY-T1",
            destination_account="BY-T2",
        )
    return trader


def test_holdings_show_reserved_units_and_every_block_in_serial_order(world: World) -> None:
    fund(world)
    trader = _transfers(world, "split", (10, 20, 30))
    held = world.as_user("other").holdings("BY-T2")
    arrived = held[0]["quantity"] if held else 0
    mine = trader.holdings("BY-T1")[0]
    assert mine["quantity"] + arrived == 200 and mine["available"] == mine["quantity"] - mine["reserved"]
    assert mine["reserved"] == 60 - arrived  # transfers awaiting a second representative hold their units
    blocks = trader.serial_blocks("BY-T1", UNIT)
    starts = [b["start_serial"] for b in blocks]
    assert starts == sorted(starts) and sum(b["quantity"] for b in blocks) == mine["quantity"]
    assert sum(b["quantity"] for b in blocks if b["reserved"]) == mine["reserved"]
    assert all(b["quantity"] == b["end_serial"] - b["start_serial"] + 1 for b in blocks)


def test_serial_blocks_page_by_serial_and_a_foreign_cursor_is_refused(world: World) -> None:
    fund(world)
    trader = _transfers(world, "page", (3, 5, 7, 11))
    whole = trader.serial_blocks("BY-T1", UNIT)
    paged, cursor = [], None
    for _ in range(len(whole) + 1):
        page = trader.get(f"/accounts/BY-T1/holdings/{UNIT}/blocks", limit=1, cursor=cursor)
        assert len(page["items"]) <= 1
        paged += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert paged == whole and len(whole) >= 3  # reserved pieces split off for the pending transfers
    full = {h.unit_type: h for h in registry_queries.holdings(world.core.sessions, "BY-T1")}[UNIT]
    assert list(full.blocks) == [(b["start_serial"], b["end_serial"]) for b in whole]
    for shown in (1, 2, len(whole) + 1):  # what a web page shows: the first blocks only, same totals
        preview = {h.unit_type: h for h in registry_queries.holdings_preview(world.core.sessions, "BY-T1", shown)}
        assert preview[UNIT].blocks == full.blocks[:shown]
        assert (preview[UNIT].quantity, preview[UNIT].reserved, preview[UNIT].available) == (
            full.quantity,
            full.reserved,
            full.available,
        )
    assert trader.get("/accounts/BY-T1/holdings/NO-SUCH-TYPE/blocks")["items"] == []
    for forged in ("not-ours", encode_cursor("9" * 40), encode_cursor("\u00b2"), encode_cursor("-1")):
        with pytest.raises(ApiError) as foreign:  # not digits, beyond a bigint, a digit Python's int() refuses
            trader.get(f"/accounts/BY-T1/holdings/{UNIT}/blocks", cursor=forged)
        assert foreign.value.status == 422 and foreign.value.problem["problems"][0]["field"] == "cursor"
    with pytest.raises(ApiError) as unknown:
        world.as_user("admin").get(f"/accounts/BY-NOPE/holdings/{UNIT}/blocks")
    assert unknown.value.status == 404


def test_every_request_of_a_concurrent_burst_leaves_one_access_record_with_its_request_id(world: World) -> None:
    fund(world)
    token = f"Bearer {world.as_user('trader').token}"

    async def burst() -> list[int]:
        transport = httpx.ASGITransport(app=world.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            answers = await asyncio.gather(
                *(
                    client.post(
                        "/api/v1/transactions/none/cancel",
                        headers={"Authorization": token, "X-Request-ID": f"burst-{n}"},
                    )
                    for n in range(40)
                )
            )
        return [a.status_code for a in answers]

    assert set(asyncio.run(burst())) == {404}
    with world.core.engine.connect() as connection:
        found = connection.execute(
            text("SELECT actor, detail FROM audit_events WHERE action = 'api.request' AND subject LIKE '%/none/cancel'")
        ).all()
    details = [row.detail if isinstance(row.detail, dict) else json.loads(row.detail) for row in found]
    assert sorted(d["request_id"] for d in details) == sorted(f"burst-{n}" for n in range(40))
    assert {row.actor for row in found} == {"trader"} and {d["status"] for d in details} == {404}
    assert {d["method"] for d in details} == {"POST"}


def test_the_authorization_header_is_read_as_http_bearer_reads_it(world: World) -> None:
    """Who acts is read from the header by the API's own security scheme (access._Bearer): a missing
    header, another scheme, an empty or unknown token get a 401 problem document asking for a bearer
    token, on the holdings read and on a transfer alike; the scheme's name is case-insensitive."""
    fund(world)
    before = registry_queries.holding_totals(world.core.sessions, "BY-T2")
    token = world.as_user("trader").token
    http = world.anonymous().http
    transfer = {
        "type": "transfer",
        "unit_type": UNIT,
        "quantity": 1,
        "source_account": "BY-T1",
        "destination_account": "BY-T2",
    }
    refused = [None, f"Basic {token}", "Bearer", "Bearer ", f"Token {token}", "Bearer cbk_not-a-key", f"{token}"]
    for value in refused:
        headers = {} if value is None else {"Authorization": value}
        for answer in (
            http.get("/api/v1/accounts/BY-T1/holdings", headers=headers),
            http.post("/api/v1/transactions", json=transfer, headers={**headers, "Idempotency-Key": "hdr-1"}),
        ):
            assert answer.status_code == 401, (value, answer.text)
            assert answer.headers["content-type"].startswith("application/problem+json")
            assert answer.headers["www-authenticate"] == "Bearer"
    assert http.get("/api/v1/accounts/BY-T1/holdings", headers={"Authorization": f"bearer {token}"}).status_code == 200
    assert registry_queries.holding_totals(world.core.sessions, "BY-T2") == before  # no refused transfer moved a unit
