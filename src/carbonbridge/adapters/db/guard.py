"""A condition a command's own database transaction checks before it commits.

The HTTP API may decide a registry proposal on an API key's principal as it read it on an earlier
request (services/auth.py, `recall_key`), to spare the request a round trip of its own to the
database. It never commits on it: the command's first read (the registry's one proposal query,
adapters/db/registry/rows.py) also evaluates the guard, a scalar subquery that is 1 while the key
is unrevoked, its user enabled and holding the same grants and representative, and the command
rolls back with `GuardFailed` otherwise. A revocation committed before the command's transaction
read its snapshot is therefore seen by it, as by a lookup of its own; the caller then reads the
credential afresh and decides again (entrypoints/http/routes_registry.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


class GuardFailed(Exception):
    """What the command was decided on no longer holds: nothing was written."""


@dataclass(frozen=True, slots=True)
class Guard:
    """`sql`: a SELECT returning one count, 1 when the condition holds; its text fixed (a prepared
    statement's shape), its values in `params`, whose names start with `guard_`."""

    sql: str
    params: Mapping[str, object]

    def verify(self, found: object) -> None:
        if found != 1:
            raise GuardFailed("the credential changed since it was read")
