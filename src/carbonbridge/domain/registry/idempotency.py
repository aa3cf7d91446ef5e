"""Idempotent commands: a client key names one request; a repeat with another body is refused."""

from __future__ import annotations

from collections.abc import Mapping

from carbonbridge.domain.errors import IdempotencyConflict


def differing_fields(first: Mapping[str, object], repeat: Mapping[str, object]) -> list[str]:
    return sorted(k for k in first.keys() | repeat.keys() if first.get(k) != repeat.get(k))


def check_repeat(key: str, first: Mapping[str, object], repeat: Mapping[str, object]) -> None:
    """Nothing if the repeat is the same request, else IdempotencyConflict naming the fields."""
    fields = differing_fields(first, repeat)
    if fields:
        raise IdempotencyConflict(key, fields)
