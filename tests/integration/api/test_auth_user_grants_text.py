"""A user's grants are read on every request from one text on the user's row (`auth_users.grants`,
migration 0013), written in the same transaction as the grant rows: the two must never disagree,
and a database made before the column must get it filled in from its rows."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from carbonbridge.adapters.db import migrate
from carbonbridge.adapters.db.engine import database_url, make_engine
from carbonbridge.domain.auth.principal import Grant, Role
from carbonbridge.entrypoints.bootstrap import build_app
from carbonbridge.services import auth

NOW = dt.datetime(2026, 3, 31, 12, 0, tzinfo=dt.UTC)
US, RS = "\x1f", "\x1e"


def _rows_and_text(app, user_id: str) -> tuple[list[str], str]:
    with app.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT role, jurisdiction, scope FROM auth_grants WHERE user_id = :u"), {"u": user_id}
        ).all()
        held = connection.execute(text("SELECT grants FROM auth_users WHERE id = :u"), {"u": user_id}).scalar_one()
    return sorted(US.join(r) for r in rows), held


def test_the_text_follows_the_rows_through_create_and_set_grants(db_url: str) -> None:
    app = build_app(db_url, upgrade=True)
    try:
        grants = [Grant(Role.TRADER, "BY", "BY-T2"), Grant(Role.TRADER, "BY", "BY-T1"), Grant(Role.AUDITOR, "CN")]
        auth.create_user(app.sessions, "desk", "a long password", grants, now=NOW)
        rows, held = _rows_and_text(app, "desk")
        assert held == RS.join(rows)
        assert held == RS.join([f"auditor{US}CN{US}", f"trader{US}BY{US}BY-T1", f"trader{US}BY{US}BY-T2"])

        auth.set_grants(app.sessions, "desk", [Grant(Role.TRADER, "BY", "BY-T1")], now=NOW, actor="t")
        rows, held = _rows_and_text(app, "desk")
        assert held == RS.join(rows) == f"trader{US}BY{US}BY-T1"

        auth.set_grants(app.sessions, "desk", [], now=NOW, actor="t")
        assert _rows_and_text(app, "desk") == ([], "")
    finally:
        app.engine.dispose()


def test_the_migration_fills_the_text_of_users_made_before_it(db_url: str) -> None:
    engine = make_engine(database_url(db_url))
    try:
        migrate.upgrade(engine, "0006_auth")  # the auth branch before this column
        with engine.begin() as connection:
            for user in ("desk", "nobody"):
                connection.execute(
                    text(
                        "INSERT INTO auth_users (id, password_hash, totp_secret, failed_signins, disabled, created_at)"
                        " VALUES (:u, 'x', 'x', 0, false, :t)"
                    ),
                    {"u": user, "t": NOW},
                )
            for role, jurisdiction, scope in (("trader", "BY", "BY-T9"), ("national_admin", "BY", "")):
                connection.execute(
                    text("INSERT INTO auth_grants (user_id, role, jurisdiction, scope) VALUES ('desk', :r, :j, :s)"),
                    {"r": role, "j": jurisdiction, "s": scope},
                )
        migrate.upgrade(engine)
        with engine.connect() as connection:
            found = dict(connection.execute(text("SELECT id, grants FROM auth_users")).all())
        assert found == {"desk": f"national_admin{US}BY{US}{RS}trader{US}BY{US}BY-T9", "nobody": ""}
    finally:
        engine.dispose()
