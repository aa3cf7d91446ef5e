"""The message envelope and its Ed25519 signature over canonical JSON (sorted keys, no spaces).

The signature covers every field but itself, so a changed payload, sender, receiver, time or id
fails verification. Keys are raw 32-byte Ed25519 keys (RFC 8032), exchanged as hex."""

from __future__ import annotations

import binascii
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from carbonbridge.domain.registry.log import canonical


class MessageKind(StrEnum):
    TRANSFER = "transfer"  # propose a link transfer: units with their serial blocks
    CANCEL = "cancel"  # the sender gave up waiting: cancel unless already processed
    REPLY = "reply"  # the receiver's outcome for a transaction: accepted or refused(code)
    STATUS = "status"  # query: what the receiver knows of a transaction (answered at once)
    SNAPSHOT = "snapshot"  # query: the receiver's reconciliation snapshot (answered at once)
    ANSWER = "answer"  # the signed answer to a query; its transaction id is the query's message id


QUERIES = frozenset({MessageKind.STATUS, MessageKind.SNAPSHOT})


ENVELOPE_FIELDS = ("message_id", "transaction_id", "kind", "sender", "receiver", "sent_at", "schema_version", "payload")


@dataclass(frozen=True, slots=True)
class Envelope:
    message_id: str
    transaction_id: str
    kind: MessageKind
    sender: str
    receiver: str
    sent_at: dt.datetime
    schema_version: int
    payload: Mapping[str, Any] = field(default_factory=dict)
    signature: str = ""  # hex; empty = unsigned

    def signed_part(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "transaction_id": self.transaction_id,
            "kind": self.kind.value,
            "sender": self.sender,
            "receiver": self.receiver,
            "sent_at": self.sent_at.astimezone(dt.UTC).isoformat(),
            "schema_version": self.schema_version,
            "payload": dict(self.payload),
        }

    def canonical_bytes(self) -> bytes:
        return canonical(self.signed_part()).encode()

    def as_dict(self) -> dict[str, Any]:
        return {**self.signed_part(), "signature": self.signature}


def private_key(seed: bytes) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key_hex(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes_raw().hex()


def sign(envelope: Envelope, key: Ed25519PrivateKey) -> Envelope:
    return replace(envelope, signature=key.sign(envelope.canonical_bytes()).hex())


def signature_valid(envelope: Envelope, public_hex: str) -> bool:
    try:
        public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex))
        public.verify(bytes.fromhex(envelope.signature), envelope.canonical_bytes())
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True


class MalformedMessage(ValueError):
    """The document is not an envelope (missing or mistyped fields)."""


def parse_envelope(data: Mapping[str, Any]) -> Envelope:
    """An envelope from its JSON form; MalformedMessage when a field is missing or mistyped."""
    try:
        missing = [f for f in (*ENVELOPE_FIELDS, "signature") if f not in data]
        if missing:
            raise MalformedMessage(f"missing fields: {', '.join(missing)}")
        texts = ("message_id", "transaction_id", "sender", "receiver", "signature")
        if not all(isinstance(data[f], str) and len(data[f]) <= 200 for f in texts):
            raise MalformedMessage("ids, parties and signature are strings of at most 200 characters")
        if not isinstance(data["payload"], Mapping) or isinstance(data["schema_version"], bool):
            raise MalformedMessage("payload must be an object")
        sent = dt.datetime.fromisoformat(str(data["sent_at"]))
        if sent.tzinfo is None:
            raise MalformedMessage("sent_at needs a time zone")
        return Envelope(
            message_id=data["message_id"],
            transaction_id=data["transaction_id"],
            kind=MessageKind(data["kind"]),
            sender=data["sender"],
            receiver=data["receiver"],
            sent_at=sent,
            schema_version=int(data["schema_version"]),
            payload=dict(data["payload"]),
            signature=data["signature"],
        )
    except (TypeError, ValueError) as exc:
        if isinstance(exc, MalformedMessage):
            raise
        raise MalformedMessage(str(exc)) from None
