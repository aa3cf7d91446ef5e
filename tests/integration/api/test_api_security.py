"""Security properties of the HTTP service: one-time codes count once, commands that move units
need a fresh code, four eyes hold over HTTP, lockout, token expiry and revocation, API-key scopes,
response headers, CORS off, rate limits, and no secret in any log or audit record."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pyotp
import pytest
from sqlalchemy import text

from api_world import PASSWORD, UNIT, World, fund, make_world
from carbonbridge.client import ApiError, Client
from carbonbridge.domain.auth.principal import Grant, Role
from carbonbridge.entrypoints.http.settings import Settings
from carbonbridge.services import auth


@pytest.fixture
def world(sqlite_url: str) -> World:
    from carbonbridge.entrypoints.bootstrap import build_app

    return make_world(build_app(sqlite_url, upgrade=True))


def _transfer(client: Client, key: str, code: str | None, quantity: int = 1) -> Any:
    return client.propose(
        "transfer",
        key=key,
        code=code,
        unit_type=UNIT,
        quantity=quantity,
        source_account="BY-T1",
        destination_account="BY-T2",
    )


def test_a_replayed_one_time_code_is_refused_for_sign_in_and_for_signing(world: World) -> None:
    code = world.code("trader")
    first = world.anonymous()
    first.sign_in("trader", PASSWORD, code)
    with pytest.raises(ApiError) as replay:
        world.anonymous().sign_in("trader", PASSWORD, code)
    assert replay.value.status == 401
    fund(world)
    with pytest.raises(ApiError) as reused:
        _transfer(first, "t-replay", code)  # the sign-in code, still inside its 30 s window
    assert reused.value.status == 403 and reused.value.problem["type"].endswith("second-factor-required")
    signed = world.code("trader")
    _transfer(first, "t-ok", signed)
    with pytest.raises(ApiError) as again:
        _transfer(first, "t-again", signed)
    assert again.value.problem["type"].endswith("second-factor-required")


def test_an_older_code_is_refused_once_a_later_one_was_accepted(world: World) -> None:
    secret = world.secrets["trader"]
    later = world.code("trader")
    older = pyotp.TOTP(secret).at(world.clock.now - dt.timedelta(seconds=30))  # still inside the drift window
    world.anonymous().sign_in("trader", PASSWORD, later)
    with pytest.raises(ApiError):
        world.anonymous().sign_in("trader", PASSWORD, older)


def test_a_transfer_without_a_fresh_code_is_refused_and_moves_nothing(world: World) -> None:
    fund(world)
    trader = world.as_user("trader")
    with pytest.raises(ApiError) as refused:
        _transfer(trader, "no-code", None)
    assert refused.value.status == 403 and refused.value.problem["type"].endswith("second-factor-required")
    assert trader.transactions(type="transfer", account_id="BY-T2") == []
    assert trader.holdings("BY-T1")[0]["reserved"] == 0


def test_approving_needs_a_fresh_code_and_a_second_representative(world: World) -> None:
    fund(world)
    pending = _transfer(world.as_user("trader"), "four-eyes", world.code("trader"))
    with pytest.raises(ApiError) as self_approval:
        world.as_user("trader").approve(pending["id"], world.code("trader"))
    assert self_approval.value.response_code == "R08_SELF_APPROVAL"
    with pytest.raises(ApiError) as unsigned:
        world.as_user("trader1b").approve(pending["id"])
    assert unsigned.value.problem["type"].endswith("second-factor-required")
    assert world.as_user("trader1b").approve(pending["id"], world.code("trader1b"))["state"] == "completed"


def test_a_locked_out_user_stays_out_even_with_the_right_password_until_unlocked(world: World) -> None:
    for _ in range(5):
        with pytest.raises(ApiError):
            world.anonymous().sign_in("trader", "not the password", world.code("trader"))
    with pytest.raises(ApiError) as locked:
        world.anonymous().sign_in("trader", PASSWORD, world.code("trader"))
    assert locked.value.status == 403 and locked.value.problem["type"].endswith("locked-out")
    world.clock.tick(10 * 60)
    with pytest.raises(ApiError):
        world.anonymous().sign_in("trader", PASSWORD, world.code("trader"))
    auth.set_user_state(world.core.sessions, "trader", now=world.clock.now, actor="admin", unlock=True)
    world.anonymous().sign_in("trader", PASSWORD, world.code("trader"))


def test_the_lock_ends_after_its_time(world: World) -> None:
    for _ in range(5):
        with pytest.raises(ApiError):
            world.anonymous().sign_in("auditor", "not the password", world.code("auditor"))
    world.clock.tick(16 * 60)
    world.anonymous().sign_in("auditor", PASSWORD, world.code("auditor"))


def test_access_tokens_expire_and_sessions_can_be_revoked_everywhere(world: World) -> None:
    trader = world.as_user("trader")
    assert trader.me()["id"] == "trader"
    world.clock.tick(901)
    with pytest.raises(ApiError) as expired:
        trader.me()
    assert expired.value.status == 401
    again = world.anonymous()
    again.sign_in("trader", PASSWORD, world.code("trader"))
    world.as_user("admin").post("/users/trader/revoke-sessions")
    with pytest.raises(ApiError) as revoked:
        again.me()
    assert revoked.value.status == 401
    third = world.anonymous()
    third.sign_in("trader", PASSWORD, world.code("trader"))
    token = third.token
    third.sign_out()
    third.token = token
    with pytest.raises(ApiError):
        third.me()


def test_api_keys_are_shown_once_scoped_and_revocable(world: World) -> None:
    fund(world)
    trader = world.as_user("trader")
    created = trader.create_api_key("reader", [{"role": "trader", "jurisdiction": "BY", "scope": "BY-T1"}])
    machine = Client(http=world.anonymous().http, token=created["secret"])
    assert machine.holdings("BY-T1")[0]["quantity"] == 200
    with pytest.raises(ApiError) as foreign:
        machine.holdings("BY-T2")
    assert foreign.value.status == 404
    with pytest.raises(ApiError) as no_moves:
        _transfer(machine, "key-transfer", None)
    assert no_moves.value.status == 403
    with pytest.raises(ApiError) as not_held:
        trader.create_api_key("wider", [{"role": "trader", "jurisdiction": "BY", "scope": "BY-T2"}])
    assert not_held.value.status == 422
    with pytest.raises(ApiError) as keys_make_no_keys:
        machine.create_api_key("child", [{"role": "trader", "jurisdiction": "BY", "scope": "BY-T1"}])
    assert keys_make_no_keys.value.status == 403
    listed = trader.get("/api-keys")["items"]
    assert [k["id"] for k in listed] == [created["id"]] and "secret" not in listed[0]
    trader.request("DELETE", f"/api-keys/{created['id']}")
    with pytest.raises(ApiError) as revoked:
        machine.holdings("BY-T1")
    assert revoked.value.status == 401


def test_an_api_key_made_for_moving_units_signs_by_possession(world: World) -> None:
    fund(world)
    created = world.as_user("trader").create_api_key(
        "bot", [{"role": "trader", "jurisdiction": "BY", "scope": "BY-T1"}], moves_units=True
    )
    machine = Client(http=world.anonymous().http, token=created["secret"])
    assert _transfer(machine, "bot-1", None)["initiator"] == "t1-a"


def test_a_key_loses_what_its_user_loses(world: World) -> None:
    secret = auth.create_api_key(
        world.core.sessions, "trader", "k", [Grant(Role.TRADER, "BY", "BY-T1")], now=world.clock.now, actor="t"
    ).secret
    auth.set_grants(world.core.sessions, "trader", [], now=world.clock.now, actor="t")
    machine = Client(http=world.anonymous().http, token=secret)
    with pytest.raises(ApiError) as gone:
        machine.account("BY-T1")
    assert gone.value.status == 403


def test_responses_carry_security_headers_and_no_server_version(world: World) -> None:
    response = world.anonymous().http.get("/api/v1/public/jurisdictions", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-request-id"] == "abc-123"
    assert "server" not in response.headers
    assert response.headers["cache-control"] == "no-store"
    odd = world.anonymous().http.get("/api/v1/public/jurisdictions", headers={"X-Request-ID": "<script>"})
    assert odd.headers["x-request-id"] != "<script>"


def test_a_body_that_is_not_json_gets_415(world: World) -> None:
    response = world.anonymous().http.post(
        "/api/v1/auth/sign-in", content=b"user_id=a", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 415
    assert response.headers["content-type"] == "application/problem+json"


def test_cors_is_off_by_default(world: World) -> None:
    response = world.anonymous().http.options(
        "/api/v1/auth/me", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    )
    assert "access-control-allow-origin" not in response.headers
    plain = world.anonymous().http.get("/api/v1/public/jurisdictions", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in plain.headers


def test_rate_limits_per_principal_and_per_address_answer_429_with_retry_after(sqlite_url: str) -> None:
    from carbonbridge.entrypoints.bootstrap import build_app

    core = build_app(sqlite_url, upgrade=True)
    w = make_world(core, Settings(db_url=sqlite_url, rate_limit_principal="3/minute", rate_limit_signin="50/minute"))
    trader = w.as_user("trader")
    for _ in range(3):
        trader.me()
    with pytest.raises(ApiError) as limited:
        trader.me()
    assert limited.value.status == 429
    w.as_user("auditor").me()  # another principal has its own budget
    busy = make_world(
        build_app(sqlite_url.replace(".db", "-2.db"), upgrade=True),
        Settings(db_url=sqlite_url.replace(".db", "-2.db"), rate_limit_address="2/minute"),
    )
    client = busy.anonymous()
    client.get("/public/jurisdictions")
    client.get("/public/jurisdictions")
    response = client.http.get("/api/v1/public/jurisdictions")
    assert response.status_code == 429 and int(response.headers["retry-after"]) >= 1


def test_sign_in_is_throttled_per_address(sqlite_url: str) -> None:
    from carbonbridge.entrypoints.bootstrap import build_app

    w = make_world(build_app(sqlite_url, upgrade=True), Settings(db_url=sqlite_url, rate_limit_signin="2/minute"))
    for _ in range(2):
        with pytest.raises(ApiError):
            w.anonymous().sign_in("nobody", "x" * 12, "000000")
    with pytest.raises(ApiError) as throttled:
        w.anonymous().sign_in("nobody", "x" * 12, "000000")
    assert throttled.value.status == 429


def test_redis_can_hold_the_rate_limit_counters(sqlite_url: str) -> None:
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379", socket_connect_timeout=1).ping()
    except Exception as exc:
        pytest.skip(f"no Redis at 127.0.0.1:6379: {exc}")
    from carbonbridge.entrypoints.http.ratelimit import Limiter

    first = Limiter("redis://127.0.0.1:6379", "2/minute", "100/minute", "10/minute")
    second = Limiter("redis://127.0.0.1:6379", "2/minute", "100/minute", "10/minute")  # another worker
    who = f"test-{dt.datetime.now().timestamp()}"
    first.hit("principal", who)
    second.hit("principal", who)
    from carbonbridge.domain.auth.errors import RateLimited

    with pytest.raises(RateLimited):
        first.hit("principal", who)


def test_every_state_changing_request_is_audited_with_its_principal_and_request_id(world: World) -> None:
    fund(world)
    trader = world.as_user("trader")
    trader.http.post(
        "/api/v1/transactions/none/cancel",
        headers={"Authorization": f"Bearer {trader.token}", "X-Request-ID": "req-42"},
    )
    with world.core.engine.connect() as connection:
        row = connection.execute(
            text("SELECT actor, detail FROM audit_events WHERE action = 'api.request' AND detail LIKE '%req-42%'")
        ).one()
    assert row.actor == "trader"


def test_no_password_code_or_token_appears_in_logs_or_audit_records(world: World, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    fund(world)
    code = world.code("trader")
    client = world.anonymous()
    client.sign_in("trader", PASSWORD, code)
    with pytest.raises(ApiError):
        world.anonymous().sign_in("trader", "wrong but secret-ish", world.code("trader"))
    signed = world.code("trader")
    _transfer(client, "logged", signed)
    token = client.token or ""
    with world.core.engine.connect() as connection:
        audit = " ".join(str(tuple(r)) for r in connection.execute(text("SELECT * FROM audit_events")))
        users = " ".join(str(tuple(r)) for r in connection.execute(text("SELECT * FROM auth_sessions")))
    for secret in (PASSWORD, "wrong but secret-ish", code, signed, token):
        assert secret not in caplog.text
        assert secret not in audit
    assert token not in users  # stored as a hash only


def test_a_grant_whose_scope_holds_a_control_character_is_refused_and_creates_no_user(world: World) -> None:
    admin = world.as_user("admin")
    with pytest.raises(ApiError) as refused:
        admin.create_user(
            "sneaky",
            "a long enough password",
            [{"role": "trader", "jurisdiction": "BY", "scope": "BY-T1\x1eoperator\x1fBY\x1f"}],
        )
    assert refused.value.status == 422
    assert all(u["id"] != "sneaky" for u in admin.paginate("/users"))
