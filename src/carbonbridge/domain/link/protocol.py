"""Link transfer states, response codes, and the receiver's checks of every message.

An outgoing link transfer is a registry transaction of type `link_transfer` from the holder's
account to the registry's link account for the partner. It is approved like any transfer; once
approved (and past its delay) it is `checked`, its serial blocks reserved, and its TRANSFER message
sits in the outbox. It completes only when the partner's REPLY accepts it. docs/link.md draws
the machine."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from enum import StrEnum

from carbonbridge.domain.errors import Conflict
from carbonbridge.domain.link.agreement import LinkAgreement
from carbonbridge.domain.link.messages import Envelope, MessageKind, signature_valid


class LinkState(StrEnum):
    """The link leg of an outgoing transfer (the registry transaction keeps its own state)."""

    AWAITING_APPROVAL = "awaiting_approval"  # registry transaction proposed or delayed
    SENT = "sent"  # checked, units reserved, TRANSFER in the outbox
    CANCELLING = "cancelling"  # no reply within the timeout: CANCEL in the outbox
    MANUAL = "manual"  # no answer at all: an administrator decides; units stay reserved
    COMPLETED = "completed"  # the partner accepted: units in the link account
    RELEASED = "released"  # refused, cancelled or never approved: units free again


L = LinkState
LINK_TRANSITIONS: dict[LinkState, frozenset[LinkState]] = {
    L.AWAITING_APPROVAL: frozenset({L.SENT, L.RELEASED}),
    L.SENT: frozenset({L.CANCELLING, L.COMPLETED, L.RELEASED}),
    L.CANCELLING: frozenset({L.MANUAL, L.COMPLETED, L.RELEASED}),
    L.MANUAL: frozenset({L.COMPLETED, L.RELEASED}),
    L.COMPLETED: frozenset(),
    L.RELEASED: frozenset(),
}
FINAL = frozenset({L.COMPLETED, L.RELEASED})
IN_FLIGHT = frozenset({L.SENT, L.CANCELLING, L.MANUAL})


def advance_link(current: LinkState, to: LinkState) -> LinkState:
    """The next link state, or Conflict: a final transfer is never resolved again."""
    if to not in LINK_TRANSITIONS[current]:
        raise Conflict(f"a {current.value} link transfer cannot become {to.value}")
    return to


class LinkCode(StrEnum):
    """Response codes of the link (message checks L01-L09, transfer outcomes L10-L19)."""

    ACCEPTED = "L00_ACCEPTED"
    BAD_SIGNATURE = "L01_BAD_SIGNATURE"
    UNKNOWN_SENDER = "L02_UNKNOWN_SENDER"
    MISADDRESSED = "L03_MISADDRESSED"
    STALE = "L04_STALE"
    DUPLICATE = "L05_DUPLICATE"
    FINAL_TRANSACTION = "L06_FINAL_TRANSACTION"
    UNSUPPORTED_SCHEMA = "L07_UNSUPPORTED_SCHEMA"
    MALFORMED = "L08_MALFORMED"
    UNKNOWN_TRANSACTION = "L09_UNKNOWN_TRANSACTION"
    UNIT_NOT_RECOGNISED = "L10_UNIT_NOT_RECOGNISED"
    DESTINATION_NOT_OPEN = "L11_DESTINATION_NOT_OPEN"
    SERIALS_NOT_HELD = "L12_SERIALS_NOT_HELD"
    CANCELLED_BY_SENDER = "L13_CANCELLED_BY_SENDER"
    TIMED_OUT = "L14_TIMED_OUT"
    RECONCILIATION_PENDING = "L15_RECONCILIATION_PENDING"
    PARTNER_NOT_LINKED = "L16_PARTNER_NOT_LINKED"
    RELEASED_BY_ADMINISTRATOR = "L17_RELEASED_BY_ADMINISTRATOR"


def check_envelope(
    envelope: Envelope,
    *,
    own: str,
    agreement: LinkAgreement,
    now: dt.datetime,
    seen: Callable[[str], bool],
) -> LinkCode:
    """The first failing check, or ACCEPTED (the message may then be processed). `seen` says
    whether a message id is already in the inbox. Order: who may speak (sender, receiver), then
    proof (signature), then freshness (schema, age, duplicate)."""
    if envelope.sender not in agreement.public_keys or envelope.sender == own:
        return LinkCode.UNKNOWN_SENDER
    if envelope.receiver != own:
        return LinkCode.MISADDRESSED
    if not envelope.signature or not signature_valid(envelope, agreement.public_keys[envelope.sender]):
        return LinkCode.BAD_SIGNATURE
    if envelope.schema_version != agreement.schema_version:
        return LinkCode.UNSUPPORTED_SCHEMA
    age = (now - envelope.sent_at).total_seconds()
    if age > agreement.max_age_seconds or -age > agreement.max_skew_seconds:
        return LinkCode.STALE
    if seen(envelope.message_id):
        return LinkCode.DUPLICATE
    return LinkCode.ACCEPTED


def check_transfer_payload(payload: dict[str, object]) -> list[tuple[int, int]] | None:
    """The serial blocks of a TRANSFER payload if they are well formed and add up to its
    quantity (disjoint, ascending, positive), else None."""
    try:
        blocks = [(int(s), int(e)) for s, e in payload["blocks"]]  # type: ignore[attr-defined]
        quantity = int(payload["quantity"])  # type: ignore[call-overload]
        ok = isinstance(payload["unit_type"], str) and isinstance(payload["destination_account"], str)
    except (KeyError, TypeError, ValueError):
        return None
    previous_end = 0
    for start, end in blocks:
        if start <= previous_end or end < start:
            return None
        previous_end = end
    if not ok or not blocks or sum(e - s + 1 for s, e in blocks) != quantity:
        return None
    return blocks


def reply_outcome(payload: dict[str, object]) -> LinkCode | None:
    """The outcome code a REPLY carries, or None if malformed."""
    try:
        return LinkCode(str(payload["code"]))
    except (KeyError, ValueError):
        return None


def is_reply(kind: MessageKind) -> bool:
    return kind is MessageKind.REPLY
