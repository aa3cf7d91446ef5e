"""Schemathesis against the live OpenAPI document of the in-process app, signed in as several
roles (and anonymous, and an API key that may move units): no 5xx, every response matches its
documented status, content type and schema, and invalid input gets a 4xx problem document.
Bounded: a few examples per operation and role, so the suite stays fast."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api_world import UNIT, World, fund, make_world
from carbonbridge.entrypoints.http.settings import Settings

EXAMPLES = 4
ROLES = ("anonymous", "admin", "trader", "machine")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    from carbonbridge.entrypoints.bootstrap import build_app

    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}"
    limits = Settings(
        db_url=url,
        rate_limit_principal="100000/minute",
        rate_limit_address="100000/minute",
        rate_limit_signin="100000/minute",
        stream_seconds=0.3,  # the market's event streams end quickly under fuzzing
    )
    w = make_world(build_app(url, upgrade=True), limits)
    fund(w)
    w.as_user("trader").propose(
        "transfer",
        key="pending",
        code=w.code("trader"),
        unit_type=UNIT,
        quantity=3,
        source_account="BY-T1",
        destination_account="BY-T2",
    )
    grant = [{"role": "trader", "jurisdiction": "BY", "scope": "BY-T1"}]
    w.objects["machine"] = w.as_user("trader").create_api_key("fuzz", grant, moves_units=True)["secret"]
    return w


def _token(world: World, role: str) -> str | None:
    if role == "anonymous":
        return None
    if role == "machine":
        return str(world.objects["machine"])
    return world.as_user(role).token


def _operations(world: World) -> list[Any]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", world.app)
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_answers_as_documented(world: World, role: str) -> None:
    token = _token(world, role)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    failures: list[str] = []
    statuses: list[int] = []
    for operation in _operations(world):
        if operation.path.endswith("/auth/sign-out"):  # would end the session the other operations use
            continue

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            response = case.call_and_validate(headers={**headers, **(case.headers or {})})
            statuses.append(response.status_code)
            assert response.status_code < 500

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then fail once
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)
    assert len(statuses) >= 2 * len(_operations(world))  # it did send requests ...
    assert any(200 <= code < 300 for code in statuses)  # ... and some got past validation and authorization


def test_garbage_bodies_get_problem_documents(world: World) -> None:
    client = world.as_user("admin").http
    auth = {"Authorization": f"Bearer {world.as_user('admin').token}"}

    @given(body=st.dictionaries(st.text(max_size=8), st.one_of(st.integers(), st.text(max_size=8)), max_size=4))
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    def post(body: dict[str, Any]) -> None:
        response = client.post("/api/v1/accounts", json=body, headers=auth)
        assert 400 <= response.status_code < 500
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == response.status_code

    post()
