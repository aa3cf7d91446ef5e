"""The demo's web users: one per role, written with their seeds, and each can sign in with the
password and the code the helper computes from the file the demo wrote."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rich.console import Console

from carbonbridge.domain.auth.principal import Role
from carbonbridge.services import auth
from carbonbridge_demo.web_users import DEMO_PASSWORD, FILE_NAME, create, current_code


def test_each_demo_user_signs_in_with_the_code_from_the_users_file(app: object, tmp_path: Path) -> None:
    sessions = app.sessions  # type: ignore[attr-defined]
    now = dt.datetime(2026, 3, 31, 12, 0, 7, tzinfo=dt.UTC)
    made = create(sessions, {"BY": ["BY-0001"], "CN": ["CN-0001"]}, tmp_path, now, Console(quiet=True))
    assert {Role(u.role) for u in made} == set(Role)
    assert [u.scope for u in made if u.role == "operator_representative"] == ["BY-0001-OHA", "BY-0001-OHA"]
    for user in made:
        code = current_code(tmp_path / FILE_NAME, user.user_id, now)
        issued = auth.sign_in(sessions, user.user_id, DEMO_PASSWORD, code, now=now, ttl=dt.timedelta(minutes=15))
        assert auth.authenticate(sessions, issued.token, now=now).user_id == user.user_id


def test_the_demo_users_file_is_the_same_for_the_same_systems(app: object, tmp_path: Path) -> None:
    """The demo's outputs repeat with its seed (tests/e2e/test_demo.py compares every CSV)."""
    from carbonbridge.entrypoints.bootstrap import build_app

    systems = {"BY": ["BY-0001"], "CN": ["CN-0001"]}
    files = []
    for name in ("first", "second"):
        folder = tmp_path / name
        folder.mkdir()
        other = build_app(f"sqlite:///{folder / 'carbonbridge.db'}", upgrade=True)
        create(other.sessions, systems, folder, dt.datetime(2026, 3, 31, tzinfo=dt.UTC), Console(quiet=True))
        other.engine.dispose()
        files.append((folder / FILE_NAME).read_text())
    assert files[0] == files[1]
    assert "by-operator-a" in files[0]
