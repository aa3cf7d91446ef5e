"""Configuration of the HTTP service, read from the environment so that every Uvicorn worker
(`--workers N` starts them by import string) builds the same application."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from carbonbridge.domain.auth.factors import LockoutPolicy


@dataclass(frozen=True)
class Settings:
    db_url: str | None = None
    jurisdiction: str | None = None  # serve one jurisdiction only (DESIGN.md 6: one service per jurisdiction)
    token_ttl_seconds: int = 900  # access tokens are short-lived; sign in again after
    rate_limit_principal: str = "1200/minute"
    rate_limit_address: str = "2400/minute"
    rate_limit_signin: str = "10/minute"  # per address, on top of the per-user lockout
    rate_limit_storage: str = "memory://"  # redis://127.0.0.1:6379 to share counters between workers
    lockout: LockoutPolicy = field(default_factory=LockoutPolicy)
    cors_origins: tuple[str, ...] = ()  # CORS is off unless origins are listed
    link_partner_url: str | None = None  # the partner registry's API (status queries, reconciliation)
    stream_seconds: float = 300.0  # a market event stream ends after this; the client resumes (Last-Event-ID)
    stream_poll_seconds: float = 0.5  # how often a stream looks for new trades and a changed depth
    # the partner registry's market database, for the joint auction coordinator only (schedule and
    # run act on each registry's database in turn, as `market joint-auction` does): unset -> 409
    joint_auction_partner_db: str | None = None
    # connections each worker keeps open: as many as requests it serves at once, so that none opens
    # and closes a connection (a PostgreSQL backend each) per request; beyond it the pool overflows
    db_pool_size: int = 16
    # lock-free one-statement reads (the bearer-token lookup, GET holdings) run on the event loop
    # instead of a thread-pool hop that costs more CPU than the query: on for PostgreSQL unless
    # CARBONBRIDGE_INLINE_READS=0 (say, a database far away); never on SQLite, whose reads may wait
    # for the write lock
    inline_reads: bool = True

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        origins = tuple(o for o in env.get("CARBONBRIDGE_CORS_ORIGINS", "").split(",") if o)
        return cls(
            db_url=env.get("CARBONBRIDGE_DB"),
            jurisdiction=env.get("CARBONBRIDGE_JURISDICTION") or None,
            token_ttl_seconds=int(env.get("CARBONBRIDGE_TOKEN_TTL_SECONDS", cls.token_ttl_seconds)),
            rate_limit_principal=env.get("CARBONBRIDGE_RATE_LIMIT", cls.rate_limit_principal),
            rate_limit_address=env.get("CARBONBRIDGE_RATE_LIMIT_ADDRESS", cls.rate_limit_address),
            rate_limit_signin=env.get("CARBONBRIDGE_RATE_LIMIT_SIGNIN", cls.rate_limit_signin),
            rate_limit_storage=env.get("CARBONBRIDGE_RATE_LIMIT_STORAGE", cls.rate_limit_storage),
            cors_origins=origins,
            link_partner_url=env.get("CARBONBRIDGE_LINK_PARTNER_URL") or None,
            stream_seconds=float(env.get("CARBONBRIDGE_STREAM_SECONDS", cls.stream_seconds)),
            stream_poll_seconds=float(env.get("CARBONBRIDGE_STREAM_POLL_SECONDS", cls.stream_poll_seconds)),
            joint_auction_partner_db=env.get("CARBONBRIDGE_JOINT_AUCTION_PARTNER_DB") or None,
            db_pool_size=int(env.get("CARBONBRIDGE_DB_POOL_SIZE", cls.db_pool_size)),
            inline_reads=env.get("CARBONBRIDGE_INLINE_READS", "1") != "0",
        )
