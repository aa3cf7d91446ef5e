"""The demo's web users: one per role, written with their seeds, and each can sign in with the
password and the code the helper computes from the file the demo wrote."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rich.console import Console

from carbonbridge.demo.web_users import DEMO_PASSWORD, FILE_NAME, create, current_code
from carbonbridge.domain.auth.principal import Role
from carbonbridge.services import auth


def test_each_demo_user_signs_in_with_the_code_from_the_users_file(app: object, tmp_path: Path) -> None:
    sessions = app.sessions  # type: ignore[attr-defined]
    now = dt.datetime(2026, 3, 31, 12, 0, 7, tzinfo=dt.UTC)
    made = create(sessions, {"BY": ["BY-0001"], "CN": ["CN-0001"]}, tmp_path, now, Console(file=None, quiet=True))
    assert {Role(u.role) for u in made} == set(Role)
    assert [u.scope for u in made if u.role == "operator_representative"] == ["BY-0001-OHA", "BY-0001-OHA"]
    for user in made:
        code = current_code(tmp_path / FILE_NAME, user.user_id, now)
        issued = auth.sign_in(sessions, user.user_id, DEMO_PASSWORD, code, now=now, ttl=dt.timedelta(minutes=15))
        assert auth.authenticate(sessions, issued.token, now=now).user_id == user.user_id
