"""Queries between the registries, answered at once in the HTTP response: the status of a
transaction (what the partner knows of it) and the partner's reconciliation snapshot. A query is an
envelope like any message (signed, checked, journaled in the inbox); its answer is an envelope of
kind `answer`, signed by the partner, whose transaction id is the query's message id, so an answer
cannot be replayed for another query."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from carbonbridge.adapters.db.registry.ledger import Sessions
from carbonbridge.domain.errors import Conflict
from carbonbridge.domain.link.messages import QUERIES, Envelope, MalformedMessage, MessageKind, parse_envelope, sign
from carbonbridge.domain.link.protocol import LinkCode, check_envelope
from carbonbridge.domain.link.reconcile import Result
from carbonbridge.services import link_inbox, link_reconcile
from carbonbridge.services.link_config import load_agreement

Query = Callable[[str, dict[str, Any]], dict[str, Any]]  # partner, envelope -> the partner's JSON answer


class PartnerUnavailable(Conflict):
    """The partner registry did not answer a query, or answered with something this registry
    cannot trust (unsigned, for another query, stale)."""


def answer(
    sessions: Sessions,
    own: str,
    document: Mapping[str, Any],
    *,
    key: Callable[[], Ed25519PrivateKey],
    now: dt.datetime,
) -> dict[str, Any]:
    """Check and journal a query; answer it with a signed envelope. Any other message kind goes to
    the inbox (`link_inbox.receive`). Returns {"verdict": code} and, for an answered query, "answer".
    `key` gives this registry's signing key; it is asked only to sign an answer, so that a registry
    without one still receives transfers."""
    try:
        envelope = parse_envelope(document)
    except MalformedMessage:
        envelope = None
    if envelope is None or envelope.kind not in QUERIES:
        return {"verdict": link_inbox.receive(sessions, own, document, now=now).value}
    agreement = load_agreement()
    with sessions.begin() as session:
        seen = lambda message_id: link_inbox._seen(session, envelope.sender, message_id)  # noqa: E731
        verdict = check_envelope(envelope, own=own, agreement=agreement, now=now, seen=seen)
        link_inbox.journal(session, document, verdict, now)
    if verdict is not LinkCode.ACCEPTED:
        return {"verdict": verdict.value}
    if envelope.kind is MessageKind.STATUS:
        payload = link_inbox.state_of(sessions, envelope.sender, str(envelope.payload.get("transaction_id", "")))
    else:
        payload = link_reconcile.snapshot_document(link_reconcile.snapshot(sessions, own))
    reply = Envelope(
        uuid.uuid4().hex,
        envelope.message_id,
        MessageKind.ANSWER,
        own,
        envelope.sender,
        now,
        agreement.schema_version,
        payload,
    )
    return {"verdict": verdict.value, "answer": sign(reply, key()).as_dict()}


def ask(
    own: str,
    kind: MessageKind,
    payload: dict[str, Any],
    query: Query,
    *,
    key: Ed25519PrivateKey,
    now: dt.datetime,
) -> dict[str, Any]:
    """Send a query signed with this registry's `key` to the partner and return the payload of its
    verified answer."""
    agreement = load_agreement()
    partner = agreement.partner_of(own)
    asked = sign(
        Envelope(uuid.uuid4().hex, uuid.uuid4().hex, kind, own, partner, now, agreement.schema_version, payload),
        key,
    )
    try:
        response = query(partner, asked.as_dict())
    except Exception as exc:  # the network is an answer too: the caller decides what to do without one
        raise PartnerUnavailable(f"{partner} did not answer the {kind.value} query: {type(exc).__name__}") from exc
    document = response.get("answer") if isinstance(response, Mapping) else None
    if not isinstance(document, Mapping):
        raise PartnerUnavailable(f"{partner} refused the {kind.value} query: {response!r:.200}")
    try:
        received = parse_envelope(document)
    except MalformedMessage as exc:
        raise PartnerUnavailable(f"{partner} answered with a malformed envelope: {exc}") from None
    verdict = check_envelope(received, own=own, agreement=agreement, now=now, seen=lambda _m: False)
    if verdict is not LinkCode.ACCEPTED or received.kind is not MessageKind.ANSWER:
        raise PartnerUnavailable(f"the answer of {partner} fails its checks: {verdict.value}")
    if received.transaction_id != asked.message_id:
        raise PartnerUnavailable(f"the answer of {partner} is for another query")
    return dict(received.payload)


def partner_status(
    own: str, transaction_id: str, query: Query, *, key: Ed25519PrivateKey, now: dt.datetime
) -> dict[str, Any]:
    """What the partner knows of a transaction (ours or theirs)."""
    return ask(own, MessageKind.STATUS, {"transaction_id": transaction_id}, query, key=key, now=now)


def reconcile_with_partner(
    sessions: Sessions, own: str, query: Query, *, key: Ed25519PrivateKey, now: dt.datetime
) -> Result:
    """A reconciliation run: close the gate (pending), fetch the partner's signed snapshot, compare
    and record. Without an answer the gate goes back to its former status and PartnerUnavailable
    is raised."""
    before = link_reconcile.start(sessions, own, now=now)
    try:
        document = ask(own, MessageKind.SNAPSHOT, {}, query, key=key, now=now)
        partner = link_reconcile.snapshot_from(document)
    except (PartnerUnavailable, KeyError, TypeError, ValueError) as exc:
        link_reconcile.abort(sessions, own, before, str(exc), now=now)
        if isinstance(exc, PartnerUnavailable):
            raise
        raise PartnerUnavailable(f"the partner's snapshot is malformed: {exc}") from None
    return link_reconcile.run(sessions, own, partner, now=now)
