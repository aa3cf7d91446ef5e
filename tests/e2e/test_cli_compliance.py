"""`carbonbridge allocate pre-allocate|true-up` and `carbonbridge compliance` on a SQLite file, for a
Belarus (benchmark, per-tonne penalty, make-good) year; numbers worked by hand from the shipped
data/allocation/BY.toml and data/compliance/BY.toml."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from carbonbridge.adapters.db.models import InstallationRow
from carbonbridge.adapters.db.registry.ledger import SqlLedgers
from carbonbridge.adapters.db.uow import unit_of_work
from carbonbridge.domain.registry.commands import TransactionRequest
from carbonbridge.domain.registry.model import AccountType, TransactionType
from carbonbridge.entrypoints import bootstrap as boot
from carbonbridge.entrypoints.cli.main import app
from carbonbridge.services.registry import accounts, queries
from carbonbridge.services.registry.transactions import propose

runner = CliRunner()
UTC = dt.UTC
HAL = (
    "installation_id,product,historical_activity_level,carbon_leakage_exposed\n"
    "BY-1,grey_cement_clinker,1000000,true\n"
    "BY-2,heat,10000,false\n"
)


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    boot.bootstrap.cache_clear()
    path = str(tmp_path / "year.db")
    assert runner.invoke(app, ["--db", path, "db", "upgrade"]).exit_code == 0
    sessions = boot.bootstrap(path).sessions
    at = dt.datetime(2025, 1, 6, tzinfo=UTC)
    with unit_of_work(sessions) as session:
        for inst in ("BY-1", "BY-2"):
            session.add(
                InstallationRow(id=inst, jurisdiction="BY", name=inst, operator="Op", sector="s", created_at=at)
            )
    accounts.open_account(sessions, "BY-NHA", "BY", AccountType.NATIONAL_HOLDING, "Ministry", now=at)
    accounts.add_representative(sessions, "admin", "Admin", ["BY-NHA"], now=at)
    for inst in ("BY-1", "BY-2"):
        accounts.open_account(
            sessions, f"{inst}-OHA", "BY", AccountType.OPERATOR_HOLDING, "Op", now=at, installation_id=inst
        )
        accounts.add_representative(sessions, f"{inst}-rep", "Rep", [f"{inst}-OHA"], now=at)
    return path, sessions, monkeypatch


def run(db: Any, at: dt.datetime, *args: str, code: int = 0) -> Any:
    path, _, monkeypatch = db
    monkeypatch.setattr(boot, "utcnow", lambda: at)
    result = runner.invoke(app, ["--db", path, *args])
    assert result.exit_code == code, result.output
    return result


def test_a_belarus_year_from_allocation_to_penalties(db: Any, tmp_path: Path, add_verified_report: Any) -> None:
    _, sessions, _ = db
    hal = tmp_path / "hal.csv"
    hal.write_text(HAL)
    feb = dt.datetime(2025, 2, 27, 9, tzinfo=UTC)
    out = run(
        db, feb, "allocate", "pre-allocate", "BY", "--year", "2025", "--input", str(hal), "--by", "admin", "--json"
    )
    posted = json.loads(out.stdout)
    # BY-1: 0.693 x 1,000,000 x CLEF 1 x CSCF 1 = 693,000; BY-2: 47.3 x 10,000 x CLEF 0.3 = 141,900.
    assert {p["installation_id"]: p["delivered_t"] for p in posted["postings"]} == {"BY-1": 693_000, "BY-2": 141_900}
    assert posted["cap_t"] == 32_000_000  # the absolute cap of 2025 bounds the unit type
    again = run(
        db, feb, "allocate", "pre-allocate", "BY", "--year", "2025", "--input", str(hal), "--by", "admin", "--json"
    )
    assert json.loads(again.stdout)["postings"] == posted["postings"]  # repeat: nothing posted twice

    add_verified_report(sessions, "BY-1", 700_000, feb)  # BY-2 never gets a verified report
    entered = run(db, dt.datetime(2026, 3, 20, tzinfo=UTC), "compliance", "enter", "BY", "2025").stdout
    assert "entered 1 installations; without a verified report: BY-2" in entered
    run(db, dt.datetime(2026, 3, 31, 12, tzinfo=UTC), "compliance", "block", "BY", "2025", code=5)  # not yet due
    blocked = run(db, dt.datetime(2026, 4, 1, 9, tzinfo=UTC), "compliance", "block", "BY", "2025").stdout
    assert "blocked 1 accounts: BY-2-OHA" in blocked

    surrender = TransactionRequest(
        "s1",
        TransactionType.SURRENDER,
        "BY-1-OHA",
        "BY-DELETION",
        "BY-AL-2025",
        693_000,
        "BY-1-rep",
        installation_id="BY-1",
        compliance_year=2025,
    )
    propose(SqlLedgers(sessions), surrender, now=dt.datetime(2026, 9, 1, tzinfo=UTC))
    run(db, dt.datetime(2026, 9, 30, 12, tzinfo=UTC), "compliance", "assess", "BY", "2025", code=5)  # before deadline
    run(
        db, dt.datetime(2026, 10, 1, tzinfo=UTC), "compliance", "assess", "BY", "2025", "--reference-price", "x", code=2
    )
    run(db, dt.datetime(2026, 10, 1, tzinfo=UTC), "compliance", "assess", "BY", "2025")
    status = {
        v["installation_id"]: v
        for v in json.loads(
            run(db, dt.datetime(2026, 10, 2, tzinfo=UTC), "compliance", "status", "BY", "2025", "--json").stdout
        )
    }
    # BY-1: 700,000 - 693,000 = 7,000 t short x BYN 350 = 2,450,000.00, and 7,000 t to make good in 2026.
    one = status["BY-1"]
    assert (one["status"], one["shortfall_t"], one["penalty"], one["currency"], one["carried_forward_t"]) == (
        "under_surrendered",
        7_000,
        "2450000.00",
        "BYN",
        7_000,
    )
    assert (status["BY-2"]["status"], status["BY-2"]["account_blocked"]) == ("missing_emissions", True)
    assert status["BY-2"]["banked_t"] == 141_900
    penalties = run(db, dt.datetime(2026, 10, 2, tzinfo=UTC), "compliance", "penalties", "BY", "2025").stdout
    assert "make good 7,000 t next year" in penalties and "penalties 2,450,000.00 BYN" in penalties
    assert queries.check(sessions).ok


def test_allocation_input_errors_are_located_and_nothing_is_posted(db: Any, tmp_path: Path) -> None:
    _, sessions, _ = db
    hal = tmp_path / "hal.csv"
    hal.write_text(HAL + "BY-9,lime,100,true\nBY-1,lime,-5x,true\n")
    result = run(
        db,
        dt.datetime(2025, 2, 27, tzinfo=UTC),
        "allocate",
        "pre-allocate",
        "BY",
        "--year",
        "2025",
        "--input",
        str(hal),
        "--by",
        "admin",
        code=2,
    )
    assert f"{hal}:5:3: expected a decimal number, got '-5x'" in result.stderr
    hal.write_text(HAL + "BY-9,lime,100,true\n")
    result = run(
        db,
        dt.datetime(2025, 2, 27, tzinfo=UTC),
        "allocate",
        "pre-allocate",
        "BY",
        "--year",
        "2025",
        "--input",
        str(hal),
        "--by",
        "admin",
        code=2,
    )
    assert "BY-9 is not an installation of BY" in result.stderr
    assert queries.holdings(sessions, "BY-1-OHA") == []
    assert queries.check(sessions).ok
