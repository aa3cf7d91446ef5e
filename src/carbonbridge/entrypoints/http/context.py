"""What every request shares: settings, database sessions, the clock and the rate limiter."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request

from carbonbridge.entrypoints.bootstrap import App
from carbonbridge.entrypoints.http.ratelimit import Limiter
from carbonbridge.entrypoints.http.settings import Settings
from carbonbridge.services.registry_transactions import Sessions


@dataclass(frozen=True)
class Context:
    settings: Settings
    core: App
    clock: Callable[[], dt.datetime]
    limiter: Limiter

    @property
    def sessions(self) -> Sessions:
        return self.core.sessions

    def now(self) -> dt.datetime:
        return self.clock()


async def context(request: Request) -> Context:  # async: no I/O, so no hop to the thread pool
    found: Context = request.app.state.context
    return found
