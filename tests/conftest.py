"""Shared fixtures: databases (SQLite always; PostgreSQL when a server answers) and a clock.

PostgreSQL: CARBONBRIDGE_TEST_PG (default postgresql://postgres@127.0.0.1:5432/test). Where
no server answers, PostgreSQL tests are skipped with a visible notice - unless
CARBONBRIDGE_REQUIRE_PG=1 (set by .ci/run), which turns the skip into a failure.
Each PostgreSQL test gets its own freshly created database, dropped afterwards.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

PG_ADMIN_URL = os.environ.get("CARBONBRIDGE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("CARBONBRIDGE_REQUIRE_PG") == "1"
REQUIRE_PRIMAP2 = os.environ.get("CARBONBRIDGE_REQUIRE_PRIMAP2") == "1"
_pg_state: dict[str, object] = {}


def _pg_available() -> tuple[bool, str]:
    if "ok" not in _pg_state:
        try:
            import psycopg

            with psycopg.connect(PG_ADMIN_URL, connect_timeout=3) as conn:
                conn.execute("select 1")
            _pg_state.update(ok=True, why="")
        except Exception as exc:  # any failure to connect means: no server for us
            _pg_state.update(ok=False, why=f"{type(exc).__name__}: {str(exc).strip().splitlines()[0]}")
    return bool(_pg_state["ok"]), str(_pg_state["why"])


def pytest_report_header(config: pytest.Config) -> str:
    ok, why = _pg_available()
    if ok:
        return f"PostgreSQL: {PG_ADMIN_URL} answers; PostgreSQL tests run"
    mode = "FAIL (CARBONBRIDGE_REQUIRE_PG=1)" if REQUIRE_PG else "be SKIPPED"
    return f"PostgreSQL: NOT AVAILABLE at {PG_ADMIN_URL} ({why}); PostgreSQL tests will {mode}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    ok, why = _pg_available()
    if not ok:
        terminalreporter.write_sep(
            "!", f"PostgreSQL tests were skipped: no server at {PG_ADMIN_URL} ({why})", yellow=True
        )


@pytest.fixture
def now() -> dt.datetime:
    return dt.datetime(2026, 3, 31, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="session")
def pg_server() -> str:
    ok, why = _pg_available()
    if not ok:
        if REQUIRE_PG:
            pytest.fail(f"CARBONBRIDGE_REQUIRE_PG=1 but PostgreSQL does not answer at {PG_ADMIN_URL}: {why}")
        pytest.skip(f"PostgreSQL not available at {PG_ADMIN_URL}: {why}")
    return PG_ADMIN_URL


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    import psycopg

    name = f"cb_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = pg_server.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'carbonbridge.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every integration test that takes `db_url` runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'carbonbridge.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def app(db_url: str) -> Iterator[object]:
    """A migrated application (engine + sessions) on SQLite and on PostgreSQL."""
    from carbonbridge.entrypoints.bootstrap import build_app

    application = build_app(db_url, upgrade=True)
    yield application
    application.engine.dispose()


@pytest.fixture(scope="session")
def primap2() -> object:
    """primap2 (an optional extra that pins numpy<2): skipped with a reason where it is not
    installed, a failure under CARBONBRIDGE_REQUIRE_PRIMAP2=1 (set by .ci/run)."""
    try:
        import primap2 as module
    except ImportError as exc:
        message = f"primap2 is not installed (pip install -e '.[primap]'): {exc}"
        if REQUIRE_PRIMAP2:
            pytest.fail(f"CARBONBRIDGE_REQUIRE_PRIMAP2=1 but {message}")
        pytest.skip(message)
    return module


@pytest.fixture
def add_verified_report() -> Callable[..., None]:
    """Store a satisfactorily verified MRV report of `tonnes` CO2e (year 2025 unless given), as the
    MRV chain would leave it: for tests of what the registry and compliance take from MRV."""

    from carbonbridge.adapters.db.models import EmissionReportRow, VerificationRow
    from carbonbridge.adapters.db.uow import unit_of_work

    def add(
        sessions: Any, inst: str, tonnes: int, at: dt.datetime, *, pack: str = "ipcc2006", year: int = 2025
    ) -> None:
        with unit_of_work(sessions) as session:
            report = EmissionReportRow(
                installation_id=inst,
                year=year,
                version=1,
                dataset_id=None,
                gwp_set="AR5GWP100",
                method_pack=pack,
                co2_t=float(tonnes),
                ch4_t=0.0,
                n2o_t=0.0,
                co2e_t=float(tonnes),
                category="C",
                by_source_stream={},
                reason="",
                submitted_at=at,
            )
            session.add(report)
            session.flush()
            session.add(
                VerificationRow(
                    report_id=report.id,
                    verifier="V",
                    opinion="satisfactory",
                    misstatement_t=0.0,
                    materiality_pct=2.0,
                    material=False,
                    verified=True,
                    verified_emissions_t=tonnes,
                    comments="",
                    verified_at=at,
                )
            )

    return add


DEMO_SEED = "7"


@pytest.fixture(scope="session")
def run_demo(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """The demo's output, shared: `carbonbridge demo` takes half a minute, and several tests read what
    one run writes (its determinism, its reports in a browser). Each seed runs once per session (per
    xdist worker: the tests that read it are grouped on one worker with `xdist_group("demo")`).

    run_demo(seed, fresh=False) -> the output folder of `carbonbridge demo --seed SEED`; a seed's
    first run is kept for the session, `fresh=True` always runs it again (to compare two runs)."""
    kept: dict[str, Path] = {}

    def run(seed: str = DEMO_SEED, *, fresh: bool = False) -> Path:
        import traceback

        from typer.testing import CliRunner

        from carbonbridge.entrypoints.cli.main import app

        if seed in kept and not fresh:
            return kept[seed]
        output = tmp_path_factory.mktemp(f"demo-{seed}")
        result = CliRunner().invoke(app, ["demo", "--output", str(output), "--seed", seed])
        if result.exit_code != 0:
            trace = "".join(traceback.format_exception(result.exception)) if result.exception else ""
            pytest.fail(f"carbonbridge demo --seed {seed} exited {result.exit_code}:\n{result.output}\n{trace}")
        assert "Installations' share of the inventory" in result.output, result.output
        kept.setdefault(seed, output)
        return output

    return run


# --- problem documents never reveal server paths ------------------------------------------------


@pytest.fixture(autouse=True)
def _problem_documents_name_no_server_path(request: pytest.FixtureRequest) -> Iterator[None]:
    """In the API tests (test_api_*), every problem document the app produces is scanned for
    server paths after the test; the test fails naming the document and the path."""
    if not request.module.__name__.rsplit(".", 1)[-1].startswith("test_api_"):
        yield
        return
    from carbonbridge.entrypoints.http import problems
    from server_paths import server_paths_in

    produced: list[str] = []
    original = problems.problem_response

    def recording(*args: Any, **kwargs: Any) -> Any:
        response = original(*args, **kwargs)
        produced.append(bytes(response.body).decode("utf-8"))
        return response

    problems.problem_response = recording  # type: ignore[assignment]
    try:
        yield
    finally:
        problems.problem_response = original  # type: ignore[assignment]
    leaks = [(body, found) for body in produced if (found := server_paths_in(body))]
    assert not leaks, f"a problem document reveals server paths {leaks[0][1]}: {leaks[0][0]}"
