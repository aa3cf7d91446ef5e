"""What every request shares: settings, database sessions, the clock, the rate limiter and the
access facts of accounts that never change."""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import Request

from carbonbridge.adapters.db import origin
from carbonbridge.adapters.db.autocommit import is_postgres
from carbonbridge.adapters.db.registry.ledger import Sessions
from carbonbridge.domain.auth.policy import Target
from carbonbridge.entrypoints.bootstrap import App
from carbonbridge.entrypoints.http.ratelimit import Limiter
from carbonbridge.entrypoints.http.settings import Settings
from carbonbridge.services import api_queries

MAX_TARGETS = 50_000


class AccountTargets:
    """The access target of an account (its jurisdiction, id and installation), remembered per
    process: those columns are set when the account is opened and never updated (only its state
    changes, which the policy does not read; the registry's commands check it themselves), so a
    remembered target cannot go stale. An unknown account is never remembered. Bounded (LRU)."""

    def __init__(self, sessions: Sessions, limit: int = MAX_TARGETS) -> None:
        self._sessions, self._limit = sessions, limit
        self._found: OrderedDict[str, Target] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, account_id: str) -> Target:
        with self._lock:
            found = self._found.get(account_id)
            if found is not None:
                self._found.move_to_end(account_id)
                return found
        found = api_queries.account_target(self._sessions, account_id)  # NotFound if unknown
        with self._lock:
            self._found[account_id] = found
            if len(self._found) > self._limit:
                self._found.popitem(last=False)
        return found


@dataclass(frozen=True)
class Context:
    settings: Settings
    core: App
    clock: Callable[[], dt.datetime]
    limiter: Limiter
    account_target: AccountTargets = field(init=False)
    inline_reads: bool = field(init=False)  # lock-free one-statement reads on the event loop (settings.py)

    def __post_init__(self) -> None:
        object.__setattr__(self, "account_target", AccountTargets(self.core.sessions))
        object.__setattr__(self, "inline_reads", self.settings.inline_reads and is_postgres(self.core.engine))

    @property
    def sessions(self) -> Sessions:
        return self.core.sessions

    def now(self) -> dt.datetime:
        return self.clock()


async def context(request: Request) -> Context:  # async: no I/O, so no hop to the thread pool
    found: Context = request.app.state.context
    return found


def identify(request: Request, principal_id: str) -> None:
    """Name who makes the request: in its access record (middleware.py) and on the audit records
    its commands write (adapters/db/origin.py)."""
    request.state.principal = principal_id
    served = origin.current()
    if served is not None:
        served.principal = principal_id
