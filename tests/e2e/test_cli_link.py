"""`carbonbridge link` on a SQLite file: send (approved by a second representative, then queued
for the partner), list, status, health, a
delivery round to a partner that does not answer (retried later), resolve refused for a transfer
that is not awaiting an administrator, reconcile without an answer (the gate stays as it was)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from carbonbridge.entrypoints.bootstrap import bootstrap
from carbonbridge.entrypoints.cli.main import app
from carbonbridge.entrypoints.http.settings import Settings
from link_world import registry_urls, seed_registries

runner = CliRunner()
DEAD = "http://127.0.0.1:9"  # discard port: nothing answers


def cli(db: str, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, ["--db", db, "link", *args])
    assert result.exit_code == code, result.output
    return result.output


def test_link_commands(tmp_path: Path) -> None:
    bootstrap.cache_clear()
    with registry_urls("sqlite", tmp_path) as urls:
        apps, markets = seed_registries(urls)
        for core in apps.values():
            core.engine.dispose()
        db = urls["CN"].removeprefix("sqlite:///")
        trader = markets["CN"].traders[0]
        sent = json.loads(
            cli(
                db,
                "send",
                "-j",
                "CN",
                "--from",
                trader,
                "--to",
                markets["BY"].traders[0],
                "--unit-type",
                "CN-AL-2026",
                "--quantity",
                "7",
                "--by",
                f"{trader}-rep-a",
                "--key",
                "cli-1",
            )
        )
        assert sent["state"] == "proposed"  # the shipped policy: a second representative approves
        approved = runner.invoke(app, ["--db", db, "registry", "approve", sent["id"], "--by", f"{trader}-rep-b"])
        assert json.loads(approved.output)["state"] == "checked", approved.output
        assert "out" in cli(db, "list")
        status = json.loads(cli(db, "status", "-j", "CN", sent["id"]))
        assert (status["state"], status["quantity"], status["registry_state"]) == ("sent", 7, "checked")
        round_ = json.loads(cli(db, "deliver", "-j", "CN", "--partner-url", DEAD, "--once"))
        assert (round_["delivered"], round_["failed"]) == (0, 1)
        health = json.loads(cli(db, "health", "-j", "CN"))
        assert health["outbox_pending"] == 1 and health["outbox_max_attempts"] == 1
        assert health["transfers"] == {"out": {"sent": 1}} and health["sending_open"]
        assert "not awaiting an administrator" in cli(
            db, "resolve", "-j", "CN", sent["id"], "--release", "--by", "x", code=4
        )
        cli(db, "reconcile", "-j", "CN", "--partner-url", DEAD, code=4)  # conflict: the partner did not answer
        assert json.loads(cli(db, "health", "-j", "CN"))["sending_open"]  # an aborted run leaves the gate open
    assert Settings().link_partner_url is None
