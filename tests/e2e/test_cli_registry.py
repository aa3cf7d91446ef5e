"""`carbonbridge registry` end to end on a SQLite file: set-up, four eyes, delay and cancel,
idempotent repeats, holdings, serial history, conservation check, and verify-log on tampering."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from carbonbridge.entrypoints.bootstrap import bootstrap
from carbonbridge.entrypoints.cli.main import app

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> str:
    bootstrap.cache_clear()
    path = str(tmp_path / "registry.db")
    assert runner.invoke(app, ["--db", path, "db", "upgrade"]).exit_code == 0
    return path


def cli(db: str, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, ["--db", db, "registry", *args])
    assert result.exit_code == code, result.output
    return result.output


def set_up(db: str) -> None:
    cli(db, "unit-type", "BY", "--vintage", "2026", "--cap", "1000")
    cli(db, "open-account", "BY-NHA", "-j", "BY", "--type", "national_holding", "--holder", "Ministry")
    cli(db, "open-account", "BY-T1", "-j", "BY", "--type", "trading", "--holder", "Trader One")
    cli(db, "representative", "admin-a", "--name", "Admin A", "--account", "BY-NHA")
    cli(db, "representative", "admin-b", "--name", "Admin B", "--account", "BY-NHA")
    cli(db, "issue", "BY-AL-2026", "500", "--to", "BY-NHA", "--by", "admin-a", "--key", "issue-1")


def test_a_transfer_needs_a_second_representative_waits_and_can_be_cancelled(db: str) -> None:
    set_up(db)
    proposed = json.loads(
        cli(db, "transfer", "BY-AL-2026", "300", "--from", "BY-NHA", "--to", "BY-T1", "--by", "admin-a", "--key", "t-1")
    )
    assert proposed["state"] == "proposed"
    assert "R08_SELF_APPROVAL" in cli(db, "approve", proposed["id"], "--by", "admin-a", code=5)
    delayed = json.loads(cli(db, "approve", proposed["id"], "--by", "admin-b"))
    assert delayed["state"] == "delayed" and delayed["delay_until"].endswith(":00:00+00:00")
    assert "BY-AL-2026: 500 (300 reserved, 0 held by the market, 200 available)" in cli(db, "holdings", "BY-NHA")
    cancelled = json.loads(cli(db, "cancel", proposed["id"], "--by", "admin-b"))
    assert (cancelled["state"], cancelled["response_code"]) == ("terminated", "T01_CANCELLED")
    assert "BY-AL-2026: 500 (0 reserved, 0 held by the market, 500 available)" in cli(db, "holdings", "BY-NHA")
    assert "0 transactions settled" in cli(db, "settle")


def test_repeating_a_key_returns_the_first_result_and_another_body_is_a_conflict(db: str) -> None:
    set_up(db)
    args = ["transfer", "BY-AL-2026", "10", "--from", "BY-NHA", "--to", "BY-T1", "--by", "admin-a", "--key", "k"]
    assert cli(db, *args) == cli(db, *args)
    changed = [*args]
    changed[2] = "11"
    assert "differing fields: quantity" in cli(db, *changed, code=4)
    assert "R09_CAP_EXCEEDED" in cli(
        db, "issue", "BY-AL-2026", "501", "--to", "BY-NHA", "--by", "admin-a", "--key", "issue-2", code=5
    )


def test_history_check_and_verify_log_report_on_the_ledger(db: str) -> None:
    set_up(db)
    assert "issuance - -> BY-NHA (block 1-500" in cli(db, "history", "BY-AL-2026", "42")
    assert "BY-AL-2026: issued 500, deleted 0, held 500" in cli(db, "check")
    assert "OK" in cli(db, "verify-log")
    assert "unknown account" in cli(db, "holdings", "BY-NOPE", code=3)


def test_verify_log_fails_on_a_database_edited_behind_its_back(db: str) -> None:
    set_up(db)
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE registry_transactions SET quantity = 900 WHERE type = 'issuance'")
    result = runner.invoke(app, ["--db", db, "registry", "verify-log"])
    assert result.exit_code == 1
    assert "differs from its log entry in quantity" in result.output


def test_a_transfer_of_zero_units_is_refused_with_r11_and_exit_5_and_recorded(db: str) -> None:
    set_up(db)
    out = cli(
        db, "transfer", "BY-AL-2026", "0", "--from", "BY-NHA", "--to", "BY-T1", "--by", "admin-a", "--key", "z", code=5
    )
    assert "R11_INVALID_QUANTITY" in out and "Traceback" not in out
    with sqlite3.connect(db) as connection:
        row = connection.execute(
            "SELECT state, response_code, quantity FROM registry_transactions WHERE client_key = 'z'"
        ).fetchone()
    assert row == ("terminated", "R11_INVALID_QUANTITY", 0)
    assert "OK" in cli(db, "verify-log")
    cli(db, "check")


def test_swapping_initiator_and_approver_of_an_approved_transfer_is_caught_by_verify_log(db: str) -> None:
    set_up(db)
    cli(db, "open-account", "BY-T2", "-j", "BY", "--type", "trading", "--holder", "Trader Two")
    proposed = json.loads(
        cli(
            db,
            "transfer",
            "BY-AL-2026",
            "30",
            "--from",
            "BY-NHA",
            "--to",
            "BY-T2",
            "--by",
            "admin-a",
            "--key",
            "four-eyes",
        )
    )
    assert json.loads(cli(db, "approve", proposed["id"], "--by", "admin-b"))["approver"] == "admin-b"
    assert "OK" in cli(db, "verify-log")
    with sqlite3.connect(db) as connection:
        connection.execute(
            "UPDATE registry_transactions SET initiator = approver, approver = initiator WHERE id = ?",
            (proposed["id"],),
        )
    out = cli(db, "verify-log", code=1)
    assert f"transaction {proposed['id']}: differs from its log entry in initiator, approver" in out
