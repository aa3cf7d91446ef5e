"""Delivery of the outbox, at least once: each due message is signed and stamped afresh and
handed to a transport; a 2xx answer marks it delivered, anything else (or no answer) schedules a
retry with exponential backoff. The receiver's inbox makes repeats harmless."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from carbonbridge.adapters.db.registry import sql
from carbonbridge.adapters.db.registry.ledger import Sessions
from carbonbridge.domain.link.messages import Envelope, MessageKind, sign
from carbonbridge.services.link_config import load_agreement

Transport = Callable[[str, dict[str, Any]], int]  # partner, envelope document -> HTTP status (0: no answer)
DELIVERY_BATCH = 100


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    delivered: int
    failed: int


def deliver_due(
    sessions: Sessions,
    own: str,
    transport: Transport,
    *,
    key: Ed25519PrivateKey,
    now: dt.datetime,
    limit: int = DELIVERY_BATCH,
) -> DeliveryReport:
    """Sign (with this registry's `key`) and send the due outbox messages; count what went."""
    agreement = load_agreement()
    with sessions() as session:
        due = sql.rows(
            session,
            "SELECT message_id, partner, transaction_id, kind, payload, attempts FROM link_outbox "
            "WHERE delivered_at IS NULL AND next_attempt_at <= :n ORDER BY created_at, message_id LIMIT :l",
            {"n": sql.when(session, now), "l": limit},
        )
    delivered = failed = 0
    for message_id, partner, transaction_id, kind, payload, attempts in due:
        envelope = sign(
            Envelope(
                message_id,
                transaction_id,
                MessageKind(kind),
                own,
                partner,
                now,
                agreement.schema_version,
                json.loads(payload),
            ),
            key,
        )
        try:
            status = transport(partner, envelope.as_dict())
            error = f"HTTP {status}"
        except Exception as exc:  # a network failure is an answer too: retry later (bounded by the batch)
            status, error = 0, f"{type(exc).__name__}: {exc}"[:200]
        with sessions.begin() as session:
            if 200 <= status < 300:
                sql.run(
                    session,
                    "UPDATE link_outbox SET delivered_at = :n, attempts = attempts + 1, last_error = NULL "
                    "WHERE message_id = :m",
                    {"n": sql.when(session, now), "m": message_id},
                )
                delivered += 1
            else:
                retry_at = now + dt.timedelta(seconds=agreement.retry_delay_seconds(int(attempts)))
                sql.run(
                    session,
                    "UPDATE link_outbox SET next_attempt_at = :r, attempts = attempts + 1, last_error = :e "
                    "WHERE message_id = :m",
                    {"r": sql.when(session, retry_at), "e": error, "m": message_id},
                )
                failed += 1
    return DeliveryReport(delivered, failed)


def pending_messages(sessions: Sessions) -> int:
    with sessions() as session:
        found = sql.one(session, "SELECT count(*) FROM link_outbox WHERE delivered_at IS NULL", {})
    return int(found[0])
