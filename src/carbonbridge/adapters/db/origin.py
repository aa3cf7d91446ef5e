"""The request a database change answers: while an HTTP request is served, the audit records its
commands write carry its request id and principal, so that one record says who asked, in which
request, and what changed.

A record counts for the request only once its transaction has committed: the writer notes it in
the transaction's `info` (`stamp`), and the commit moves the count onto the request (`committed`);
a rollback drops it. The API's middleware (entrypoints/http/middleware.py) writes a separate
access record only for a request that committed no such record, or that did not succeed.
Outside a request (the CLI, the demo, tests of the services) nothing is stamped."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

_PENDING = "carbonbridge.origin.pending"


@dataclass(slots=True)
class Origin:
    request_id: str
    principal: str = "anonymous"
    committed: int = 0  # audit records naming this request, in transactions that committed


_CURRENT: ContextVar[Origin | None] = ContextVar("carbonbridge_origin", default=None)


@contextmanager
def serving(request_id: str) -> Iterator[Origin]:
    """Serve one request: records written meanwhile (in this task, and in threads it hands work
    to with the context copied, as Starlette's thread pool does) name it."""
    origin = Origin(request_id)
    token = _CURRENT.set(origin)
    try:
        yield origin
    finally:
        _CURRENT.reset(token)


def current() -> Origin | None:
    return _CURRENT.get()


def stamp(info: MutableMapping[str, Any], detail: dict[str, object]) -> dict[str, object]:
    """`detail` with the served request's id and principal (unchanged outside a request), noted
    as pending in `info`, the writing transaction's, until that transaction commits."""
    origin = _CURRENT.get()
    if origin is None:
        return detail
    info[_PENDING] = info.get(_PENDING, 0) + 1
    return {**detail, "request_id": origin.request_id, "principal": origin.principal}


def committed(info: MutableMapping[str, Any]) -> None:
    """The transaction whose `info` this is has committed: its stamped records count."""
    pending = info.pop(_PENDING, 0)
    origin = _CURRENT.get()
    if pending and origin is not None:
        origin.committed += pending


def rolled_back(info: MutableMapping[str, Any]) -> None:
    """The transaction rolled back: its stamped records are gone."""
    info.pop(_PENDING, None)
