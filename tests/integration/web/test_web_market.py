"""The trader's web pages and the market API share one sequencer: an order placed on the page is
signed with a fresh one-time code, rests in the database book the API reads and trades against an
order placed through the API; a cancel on the page goes through the API's order entry too."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api_world import PASSWORD, UNIT, World, fund, make_world
from carbonbridge.entrypoints.web.security import CSRF_COOKIE
from web_world import BUYER_PARTICIPANT, TRADER_PARTICIPANT, admit_trader

DEPTH = f"/market/instruments/{UNIT}/depth"


@pytest.fixture
def world(tmp_path: Path) -> World:
    from carbonbridge.entrypoints.bootstrap import build_app
    from carbonbridge.entrypoints.http.settings import Settings

    url = f"sqlite:///{tmp_path / 'carbonbridge.db'}"
    found = make_world(build_app(url, upgrade=True), Settings(db_url=url, rate_limit_signin="1000/minute"))
    fund(found)
    admit_trader(found.core.sessions, found.clock.now)
    found.clock.now = dt.datetime(2026, 4, 1, 8, 0, 7, tzinfo=dt.UTC)  # a Wednesday, 11:00 in Minsk: trading
    return found


def sign_in(world: World, user: str) -> TestClient:
    client = TestClient(world.app, base_url="https://testserver", raise_server_exceptions=False)
    client.get("/web/sign-in")
    form = {"csrf": client.cookies[CSRF_COOKIE], "user_id": user, "password": PASSWORD, "code": world.code(user)}
    assert client.post("/web/sign-in", data=form, follow_redirects=False).status_code == 303
    return client


def _order_form(client: TestClient, **fields: str) -> dict[str, str]:
    page = client.get("/web/market").text
    nonce = re.search(r'name="nonce" value="([0-9a-f]+)"', page)
    assert nonce, page[:2000]
    form = {"instrument": UNIT, "side": "sell", "type": "limit", "quantity": "20", "price": "45.50"}
    return {"csrf": client.cookies[CSRF_COOKIE], "nonce": nonce.group(1), **form, **fields}


def test_an_order_from_the_page_needs_a_fresh_code_and_rests_in_the_book_the_api_reads(world: World) -> None:
    client = sign_in(world, "trader")
    unsigned = client.post("/web/market/orders", data=_order_form(client, code="000000"), follow_redirects=False)
    assert unsigned.status_code == 422 and 'id="code"' in unsigned.text and 'aria-invalid="true"' in unsigned.text
    assert world.as_user("trader").get(DEPTH)["asks"] == []
    form = _order_form(client, code=world.code("trader"))
    placed = client.post("/web/market/orders", data=form, follow_redirects=False)
    assert placed.status_code == 303, re.findall(r'class="error"[^>]*>(.*?)<', placed.text)
    asks = world.as_user("trader").get(DEPTH)["asks"]
    assert [(a["price_minor"], a["quantity"]) for a in asks] == [(4550, 20)]
    mine = world.as_user("trader").get("/market/orders", participant=TRADER_PARTICIPANT)["items"]
    assert [(o["side"], o["state"], o["remaining"]) for o in mine] == [("sell", "open", 20)]
    assert f'data-order="{mine[0]["id"]}" data-state="open"' in client.get("/web/market").text
    held = {h["unit_type"]: h for h in world.as_user("trader").holdings("BY-T1")}[UNIT]
    assert held["market_held"] == 20 and held["available"] == held["quantity"] - held["reserved"] - 20
    shown = re.search(r"<td class=\"num\" data-available>([^<]*)</td>", client.get("/web/accounts/BY-T1").text)
    assert shown and re.sub(r"\D", "", shown.group(1)) == str(held["available"])  # units on offer are not available


def test_an_order_from_the_page_trades_with_one_from_the_api_and_a_cancel_releases_the_rest(world: World) -> None:
    seller = sign_in(world, "trader")
    form = _order_form(seller, code=world.code("trader"))
    assert seller.post("/web/market/orders", data=form, follow_redirects=False).status_code == 303
    order_id = world.as_user("trader").get("/market/orders", participant=TRADER_PARTICIPANT)["items"][0]["id"]
    api = world.as_user("other")
    headers = {"Idempotency-Key": "buy-1", "X-One-Time-Code": world.code("other")}
    body = {"instrument": UNIT, "participant": BUYER_PARTICIPANT, "side": "buy", "type": "limit"}
    bought = api.post("/market/orders", {**body, "quantity": 15, "price_minor": 4550}, **headers)
    assert (bought["state"], bought["filled"]) == ("done", 15)
    stranger = sign_in(world, "other")
    refused = stranger.post(
        f"/web/market/orders/{order_id}/cancel", data={"csrf": stranger.cookies[CSRF_COOKIE]}, follow_redirects=False
    )
    assert refused.status_code == 404
    cancel = {"csrf": seller.cookies[CSRF_COOKIE]}
    assert seller.post(f"/web/market/orders/{order_id}/cancel", data=cancel, follow_redirects=False).status_code == 303
    order = world.as_user("trader").get(f"/market/orders/{order_id}")
    assert (order["state"], order["filled"], order["remaining"]) == ("cancelled", 15, 0)
    assert world.as_user("trader").get(DEPTH)["asks"] == []
    page = seller.get("/web/market").text
    assert f'data-order="{order_id}" data-state="cancelled"' in page and "45.50" in page
