"""Unit of work: one transaction per command, committed only if the command succeeds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.adapters.db import origin
from carbonbridge.adapters.db.models import AuditEventRow


@contextmanager
def unit_of_work(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """Yield a session inside a transaction; commit on success, roll back on any error."""
    with sessions() as session, session.begin():
        yield session


def audit(
    session: Session,
    *,
    at: dt.datetime,
    actor: str,
    action: str,
    subject: str,
    detail: dict[str, object],
    key: str | None = None,
) -> None:
    """Append an audit record in the same transaction as the change it describes (naming the HTTP
    request being served, if one: adapters/db/origin.py)."""
    detail = origin.stamp(session.info, detail)
    session.add(AuditEventRow(at=at, actor=actor, action=action, subject=subject, detail=detail, idempotency_key=key))


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    origin.committed(session.info)


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    origin.rolled_back(session.info)
