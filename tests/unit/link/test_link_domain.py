"""The link's pure rules: signed envelopes and the receiver's checks, serial carving, reconciliation."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib

from carbonbridge.adapters.link_agreement import parse_agreement
from carbonbridge.domain.link.messages import Envelope, MessageKind, private_key, public_key_hex, sign
from carbonbridge.domain.link.protocol import LinkCode, check_envelope
from carbonbridge.domain.link.reconcile import ReconciliationStatus, Snapshot, reconcile
from carbonbridge.domain.link.serials import carve

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
KEYS = {j: private_key(hashlib.sha256(f"test {j}".encode()).digest()) for j in ("BY", "CN")}
AGREEMENT = parse_agreement(
    {
        "parties": ["BY", "CN"],
        "schema_version": 1,
        "keep_origin": True,
        "recognised": {"BY": ["CN-AL"], "CN": ["BY-AL"]},
        "foreign_surrender_limit": {"BY": "1/5"},
        "messages": {
            "window_seconds": 0,
            "reply_timeout_windows": 1,
            "min_timeout_seconds": 30,
            "manual_after_windows": 1,
            "max_age_seconds": 900,
            "max_skew_seconds": 60,
            "retry_base_seconds": 1,
            "retry_max_seconds": 60,
        },
        "public_keys": {j: public_key_hex(k) for j, k in KEYS.items()},
    }
)
MESSAGE = sign(
    Envelope("m1", "t1", MessageKind.TRANSFER, "CN", "BY", NOW, 1, {"quantity": 5, "blocks": [[1, 5]]}), KEYS["CN"]
)


def verdict(envelope: Envelope, seen: bool = False, now: dt.datetime = NOW) -> LinkCode:
    return check_envelope(envelope, own="BY", agreement=AGREEMENT, now=now, seen=lambda _: seen)


def test_accepts_a_fresh_message_signed_by_the_partner() -> None:
    assert verdict(MESSAGE) is LinkCode.ACCEPTED


def test_refuses_a_tampered_payload_an_unsigned_message_and_a_foreign_key() -> None:
    assert (
        verdict(dataclasses.replace(MESSAGE, payload={"quantity": 500, "blocks": [[1, 500]]})) is LinkCode.BAD_SIGNATURE
    )
    assert verdict(dataclasses.replace(MESSAGE, signature="")) is LinkCode.BAD_SIGNATURE
    assert verdict(sign(dataclasses.replace(MESSAGE, signature=""), KEYS["BY"])) is LinkCode.BAD_SIGNATURE


def test_refuses_misaddressed_unknown_sender_replayed_and_stale_messages() -> None:
    assert verdict(sign(dataclasses.replace(MESSAGE, receiver="CN"), KEYS["CN"])) is LinkCode.MISADDRESSED
    assert verdict(sign(dataclasses.replace(MESSAGE, sender="KZ"), KEYS["CN"])) is LinkCode.UNKNOWN_SENDER
    assert verdict(MESSAGE, seen=True) is LinkCode.DUPLICATE
    assert verdict(MESSAGE, now=NOW + dt.timedelta(seconds=901)) is LinkCode.STALE
    assert verdict(MESSAGE, now=NOW - dt.timedelta(seconds=61)) is LinkCode.STALE


def test_carving_moves_exactly_the_named_serials_and_keeps_the_rest() -> None:
    plan = carve([(1, 1, 10), (2, 11, 20)], [(3, 4), (9, 12)])
    assert plan is not None
    assert plan.removed == (1, 2)
    assert plan.moved == ((3, 4), (9, 10), (11, 12))
    assert plan.stay == ((1, 2), (5, 8), (13, 20))
    assert carve([(1, 1, 10)], [(9, 11)]) is None  # serial 11 is not held


def _side(j: str, link: dict[str, int], arrived: dict[str, int], in_flight: int = 0) -> Snapshot:
    return Snapshot(
        j,
        {("trading", u, 2026): n for u, n in arrived.items()},
        link,
        {u: ((1, n),) for u, n in arrived.items()},
        {u: ((1, n),) for u, n in link.items()},
        in_flight,
        0,
    )


def test_reconciliation_completes_when_what_left_arrived_and_finds_the_differing_blocks() -> None:
    by, cn = _side("BY", {"BY-AL-2026": 7}, {"CN-AL-2026": 3}), _side("CN", {"CN-AL-2026": 3}, {"BY-AL-2026": 7})
    assert reconcile(by, cn).status is ReconciliationStatus.COMPLETED
    short = _side("CN", {"CN-AL-2026": 3}, {"BY-AL-2026": 5})
    result = reconcile(by, short)
    assert result.status is ReconciliationStatus.INCONSISTENT and result.phase == 3
    assert result.differences[0].only_at_origin_link == ((6, 7),)
    assert (
        reconcile(by, _side("CN", {"CN-AL-2026": 3}, {"BY-AL-2026": 7}, in_flight=1)).status
        is ReconciliationStatus.PENDING
    )
