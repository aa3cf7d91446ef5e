"""The web application without a browser (Starlette's test client over HTTPS): the strict CSP and no
inline script, Secure/HttpOnly/SameSite cookies, CSRF refusal on every form, the session timeout,
the one-time code before units move, which role may open which page, the vendored htmx's hash and
complete catalogs."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api_world import PASSWORD, UNIT, World, fund, make_world
from carbonbridge.entrypoints.web.security import CSRF_COOKIE, LANGUAGE_COOKIE, SESSION_COOKIE
from web_world import admit_trader, post_allocations, reconcile_with_own_other_side

WEB = Path(__file__).resolve().parents[3] / "src" / "carbonbridge" / "entrypoints" / "web"
LOCALE = Path(__file__).resolve().parents[3] / "src" / "carbonbridge" / "locale"
HTMX_SHA256 = "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"  # htmx.org 2.0.11 dist/htmx.min.js
ROLES = ("admin", "national", "operator", "trader", "verifier", "auditor", "public")

# page -> the roles that may open it (200); others are sent to sign in (public), refused (403) or
# told it does not exist (404: the object is outside their scope), as the API answers
PAGES: dict[str, dict[str, int]] = {
    "/web/": {r: 200 for r in ROLES},
    "/web/public": {r: 200 for r in ROLES},
    "/web/public/BY/2025": {r: 200 for r in ROLES},
    "/web/accounts": {"admin": 200, "national": 200, "operator": 200, "trader": 200, "verifier": 403, "auditor": 200},
    "/web/accounts/BY-OP1": {
        "admin": 200,
        "national": 200,
        "operator": 200,
        "trader": 404,
        "verifier": 403,
        "auditor": 200,
    },
    "/web/accounts/BY-T1": {
        "admin": 200,
        "national": 200,
        "operator": 404,
        "trader": 200,
        "verifier": 403,
        "auditor": 200,
    },
    "/web/accounts/BY-OP1/transfer": {
        "admin": 403,
        "national": 403,
        "operator": 200,
        "trader": 404,
        "verifier": 403,
        "auditor": 403,
    },
    "/web/accounts/BY-OP1/transfer?kind=surrender": {
        "operator": 200,
        "trader": 403,
        "admin": 403,
        "auditor": 403,
        "verifier": 403,
        "national": 403,
    },
    "/web/tasks": {"admin": 403, "national": 403, "operator": 200, "trader": 200, "verifier": 403, "auditor": 403},
    "/web/installations": {
        "admin": 200,
        "national": 200,
        "operator": 200,
        "trader": 403,
        "verifier": 200,
        "auditor": 200,
    },
    "/web/installations/INST-1": {
        "admin": 200,
        "national": 200,
        "operator": 200,
        "trader": 403,
        "verifier": 200,
        "auditor": 200,
    },
    "/web/installations/INST-2": {
        "admin": 200,
        "national": 200,
        "operator": 404,
        "trader": 403,
        "verifier": 404,
        "auditor": 200,
    },
    "/web/installations/INST-1/activity": {  # activity.upload: the operator, and the national administrator
        "admin": 403,
        "national": 200,
        "operator": 200,
        "trader": 403,
        "verifier": 403,
        "auditor": 403,
    },
    "/web/compliance/BY/2025": {
        "admin": 200,
        "national": 200,
        "operator": 403,
        "trader": 403,
        "verifier": 403,
        "auditor": 200,
    },
    "/web/compliance/CN/2025": {
        "admin": 404,
        "national": 404,
        "operator": 403,
        "trader": 403,
        "verifier": 403,
        "auditor": 404,
    },
    "/web/market": {"admin": 403, "national": 403, "operator": 403, "trader": 200, "verifier": 403, "auditor": 403},
    "/web/market/depth?instrument=BY-AL-2026": {
        "admin": 403,
        "national": 403,
        "operator": 403,
        "trader": 200,
        "verifier": 403,
        "auditor": 403,
    },
    "/web/market/depth?instrument=CN-AL-2026": {
        "trader": 404,
        "admin": 403,
        "national": 403,
        "operator": 403,
        "verifier": 403,
        "auditor": 403,
    },
    "/web/inventory/BY": {
        "admin": 200,
        "national": 200,
        "auditor": 200,
        "operator": 403,
        "trader": 403,
        "verifier": 403,
    },
    "/web/inventory/CN": {
        "admin": 404,
        "national": 404,
        "auditor": 404,
        "operator": 403,
        "trader": 403,
        "verifier": 403,
    },
    "/web/audit": {"admin": 200, "national": 403, "operator": 403, "trader": 403, "verifier": 403, "auditor": 200},
    "/web/link/BY": {"admin": 200, "national": 200, "operator": 403, "trader": 403, "verifier": 403, "auditor": 200},
    "/web/link/CN": {"admin": 404, "national": 404, "operator": 403, "trader": 403, "verifier": 403, "auditor": 404},
    "/web/allocation/BY/2025": {
        "admin": 200,
        "national": 200,
        "operator": 403,
        "trader": 403,
        "verifier": 403,
        "auditor": 200,
    },
    "/web/allocation/CN/2025": {
        "admin": 404,
        "national": 404,
        "operator": 403,
        "trader": 403,
        "verifier": 403,
        "auditor": 404,
    },
}


def browser(world: World) -> TestClient:
    return TestClient(world.app, base_url="https://testserver", raise_server_exceptions=False)


def sign_in(world: World, user: str) -> TestClient:
    client = browser(world)
    client.get("/web/sign-in")
    form = {"csrf": client.cookies[CSRF_COOKIE], "user_id": user, "password": PASSWORD, "code": world.code(user)}
    answer = client.post("/web/sign-in", data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return client


def new_world(folder: Path, ttl_seconds: int) -> World:
    from carbonbridge.entrypoints.bootstrap import build_app
    from carbonbridge.entrypoints.http.settings import Settings

    url = f"sqlite:///{folder / 'carbonbridge.db'}"
    core = build_app(url, upgrade=True)
    return make_world(core, Settings(db_url=url, rate_limit_signin="1000/minute", token_ttl_seconds=ttl_seconds))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    found = new_world(tmp_path_factory.mktemp("web"), 24 * 3600)  # the module's clock moves 30 s per code
    fund(found)
    admit_trader(found.core.sessions, found.clock.now)
    return found


@pytest.fixture(scope="module")
def clients(world: World) -> dict[str, TestClient]:
    return {r: (browser(world) if r == "public" else sign_in(world, r)) for r in ROLES}


@pytest.mark.parametrize("path", sorted(PAGES))
@pytest.mark.parametrize("role", ROLES)
def test_each_page_answers_each_role_as_the_policy_says(clients: dict[str, TestClient], role: str, path: str) -> None:
    expected = PAGES[path].get(role, 303)  # public: a page that needs a session sends to sign-in
    answer = clients[role].get(path, follow_redirects=False)
    assert answer.status_code == expected, (role, path, answer.text[:300])
    if expected == 303:
        assert answer.headers["location"].startswith("/web/sign-in?next=")


def test_every_page_has_the_strict_csp_and_no_inline_script(clients: dict[str, TestClient]) -> None:
    for path in PAGES:
        answer = clients["admin"].get(path)
        policy = answer.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert "frame-ancestors 'none'" in policy
        for tag in re.findall(r"<script\b[^>]*>", answer.text):
            assert 'src="/web/static/' in tag, (path, tag)
        assert not re.search(r"\son[a-z]+=", answer.text), f"inline event handler on {path}"
        assert "//cdn" not in answer.text and "https://" not in answer.text, path


def test_cookies_are_secure_httponly_and_samesite_and_the_session_times_out(tmp_path: Path) -> None:
    world = new_world(tmp_path, 900)
    client = browser(world)
    first = client.get("/web/sign-in")
    form = {
        "csrf": client.cookies[CSRF_COOKIE],
        "user_id": "auditor",
        "password": PASSWORD,
        "code": world.code("auditor"),
    }
    signed = client.post("/web/sign-in", data=form, follow_redirects=False)
    for answer, name in ((first, CSRF_COOKIE), (signed, SESSION_COOKIE)):
        cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith(name + "="))
        assert all(flag in cookie for flag in ("Secure", "HttpOnly", "SameSite=Strict")), cookie
    assert "Max-Age=900" in next(c for c in signed.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))
    assert client.get("/web/audit", follow_redirects=False).status_code == 200
    world.clock.tick(901)
    expired = client.get("/web/audit", follow_redirects=False)
    assert expired.status_code == 303 and "expired=1" in expired.headers["location"]


def _web_posts() -> list[str]:
    from carbonbridge.entrypoints.web import PREFIX, ROUTERS

    return sorted(
        PREFIX + route.path
        for module in ROUTERS
        for route in module.router.routes
        if "POST" in getattr(route, "methods", set())
    )


def test_every_form_is_refused_without_its_csrf_token_or_with_another(
    world: World, clients: dict[str, TestClient]
) -> None:
    posts = _web_posts()
    assert len(posts) >= 12, posts
    client = clients["operator"]
    for path in posts:
        concrete = re.sub(r"\{[^}]+\}", "X", path.replace("{code}", "BY").replace("{year}", "2025"))
        for form in ({}, {"csrf": "not-the-cookie-value-0123456789"}):
            answer = client.post(concrete, data=form, follow_redirects=False)
            assert answer.status_code == 403, (path, form, answer.status_code)
    with_cookie = {"csrf": client.cookies[CSRF_COOKIE], "language": "ru", "next": "/web/"}
    assert client.post("/web/language", data=with_cookie, follow_redirects=False).status_code == 303
    crossed = client.post("/web/language", data=with_cookie, headers={"origin": "https://evil.example"})
    assert crossed.status_code == 403


def test_a_transfer_needs_a_fresh_one_time_code_and_nothing_moves_without_it(
    world: World, clients: dict[str, TestClient]
) -> None:
    client = clients["trader"]
    form: dict[str, Any] = {
        "csrf": client.cookies[CSRF_COOKIE],
        "kind": "transfer",
        "unit_type": UNIT,
        "quantity": "5",
        "destination_account": "BY-T2",
        "nonce": "nonce-without-code",
        "code": "000000",
    }
    refused = client.post("/web/accounts/BY-T1/transfer/sign", data=form, follow_redirects=False)
    assert refused.status_code == 422 and 'id="code"' in refused.text and 'aria-invalid="true"' in refused.text
    holdings = client.get("/web/accounts/BY-T1").text
    assert "nonce-without-code" not in holdings
    form["code"] = world.code("trader")
    signed = client.post("/web/accounts/BY-T1/transfer/sign", data=form, follow_redirects=False)
    assert signed.status_code == 303 and signed.headers["location"].startswith("/web/transactions/")


def test_wrong_code_at_sign_in_is_refused_with_the_error_linked_to_its_field(world: World) -> None:
    client = browser(world)
    client.get("/web/sign-in")
    form = {"csrf": client.cookies[CSRF_COOKIE], "user_id": "operator", "password": PASSWORD, "code": "12345"}
    answer = client.post("/web/sign-in", data=form)
    assert answer.status_code == 422
    assert '<a href="#code">' in answer.text and SESSION_COOKIE not in answer.headers.get("set-cookie", "")


def test_the_vendored_htmx_is_the_published_2_0_file() -> None:
    assert hashlib.sha256((WEB / "static" / "htmx.min.js").read_bytes()).hexdigest() == HTMX_SHA256


def test_plotly_is_served_from_this_host(clients: dict[str, TestClient]) -> None:
    answer = clients["public"].get("/web/static/plotly.min.js")
    assert answer.status_code == 200 and b"plotly.js" in answer.content[:2000]


@pytest.mark.parametrize("language", ["ru", "zh_Hans"])
def test_every_message_of_the_catalog_is_translated(language: str) -> None:
    from babel.messages.pofile import read_po

    with (LOCALE / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=language)
    untranslated = [
        m.id for m in catalog if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))
    ]
    assert not untranslated, untranslated
    assert not [m.id for m in catalog if m.fuzzy and m.id]


def test_a_trader_bids_in_a_scheduled_auction_signed_with_a_code_and_its_cash_is_held(
    world: World, clients: dict[str, TestClient]
) -> None:
    import datetime as dt

    from carbonbridge.services.market import auctions, cash

    auction_date = world.clock.now.date() + dt.timedelta(days=10)
    found = auctions.schedule(world.core.sessions, "BY", UNIT, "BY-NHA", [auction_date], 500, now=world.clock.now)
    client = clients["trader"]
    page = client.get("/web/market").text
    nonce = re.search(r'name="nonce" value="([0-9a-f]+)"', page)
    assert nonce and f"/web/market/auctions/{found[0].id}/bids" in page
    form = {"csrf": client.cookies[CSRF_COOKIE], "nonce": nonce.group(1), "bid_price": "10.00", "bid_lots": "1"}
    url = f"/web/market/auctions/{found[0].id}/bids"
    assert client.post(url, data={**form, "bid_lots": "0"}, follow_redirects=False).status_code == 422
    unsigned = client.post(url, data={**form, "bid_code": "000000"}, follow_redirects=False)
    assert unsigned.status_code == 422 and 'id="bid_code"' in unsigned.text and 'aria-invalid="true"' in unsigned.text
    assert {a.currency: a.held for a in cash.accounts(world.core.sessions, owner="P-BY-T1")}["BYN"] == 0
    placed = client.post(url, data={**form, "bid_code": world.code("trader")}, follow_redirects=False)
    assert placed.status_code == 303, re.findall(r'class="error"[^>]*>(.*?)<', placed.text)
    again = client.post(url, data={**form, "bid_code": world.code("trader")}, follow_redirects=False)
    assert again.status_code == 303  # the same nonce: one bid
    held = {a.currency: a.held for a in cash.accounts(world.core.sessions, owner="P-BY-T1")}
    assert held["BYN"] == 1000 * 500  # price (minor units) x one lot of 500 units


def test_signing_out_revokes_the_session_on_the_server(world: World) -> None:
    client = sign_in(world, "auditor")
    token = client.cookies[SESSION_COOKIE]
    answer = client.post("/web/sign-out", data={"csrf": client.cookies[CSRF_COOKIE]}, follow_redirects=False)
    assert answer.status_code == 303
    assert any(c.startswith(f"{SESSION_COOKIE}=;") for c in answer.headers.get_list("set-cookie"))
    replayed = browser(world)
    replayed.cookies.set(SESSION_COOKIE, token)  # a copy of the old cookie no longer signs in
    assert replayed.get("/web/audit", follow_redirects=False).status_code == 303


def test_the_auditor_sees_the_latest_reconciliation_runs_and_the_link_health_in_russian(
    world: World, clients: dict[str, TestClient]
) -> None:
    from carbonbridge.services import link_reconcile

    assert reconcile_with_own_other_side(world.core.sessions, world.clock.now) == "inconsistent"
    client = clients["auditor"]
    client.cookies.set(LANGUAGE_COOKIE, "ru")
    try:
        page = client.get("/web/link/BY").text
    finally:
        client.cookies.delete(LANGUAGE_COOKIE)
    latest = link_reconcile.history(world.core.sessions, limit=1)[0]
    assert f'data-run="{latest["id"]}" data-status="inconsistent"' in page
    assert "несогласованно: реестры расходятся" in page  # the status, translated
    assert 'data-sending-open="false"' in page  # an inconsistent reconciliation holds new transfers


def test_the_national_administrator_reads_the_allocation_table_of_the_year(
    world: World, clients: dict[str, TestClient]
) -> None:
    import datetime as dt

    posted_at = dt.datetime(2024, 2, 28, tzinfo=dt.UTC)
    post_allocations(world.core.sessions, 2024, {"INST-1": 1200, "INST-2": 800}, posted_at)
    page = clients["national"].get("/web/allocation/BY/2024").text
    assert 'data-entry="INST-1/ex_ante"' in page and 'data-entry="INST-2/ex_ante"' in page
    assert re.search(r"data-total>2[\s\u00a0,]?000<", page), page[-3000:]
    assert "INST-1" not in clients["national"].get("/web/allocation/BY/2023").text
