"""Tampered, replayed, unsigned and misaddressed messages are refused and journaled in the inbox;
a replayed transfer moves nothing twice."""

from __future__ import annotations

from pathlib import Path

from carbonbridge.adapters.db.registry import sql
from carbonbridge.domain.link.messages import Envelope, MessageKind, sign
from carbonbridge.domain.link.protocol import LinkCode
from carbonbridge.services import link_delivery, link_inbox, link_transfers
from link_world import START, build_templates, copy_templates, policy_for


def test_refuses_and_journals_bad_messages_and_processes_a_replay_once(tmp_path: Path) -> None:
    templates = tmp_path / "t"
    templates.mkdir()
    markets = build_templates(templates, traders=1, units_each=50)
    apps = copy_templates(templates, tmp_path)
    sent: list[dict[str, object]] = []
    link_transfers.send(
        apps["CN"].sessions,
        "CN",
        client_key="k1",
        source_account=markets["CN"].traders[0],
        partner_account=markets["BY"].traders[0],
        unit_type="CN-AL-2026",
        quantity=5,
        initiator=markets["CN"].representatives(markets["CN"].traders[0])[0],
        now=START,
        policy_for=policy_for,
    )
    cn = apps["CN"]
    link_delivery.deliver_due(cn.sessions, "CN", lambda _p, d: sent.append(d) or 0, key=cn.signing_key("CN"), now=START)
    document = dict(sent[0])
    by = apps["BY"].sessions
    tampered = {**document, "payload": {**document["payload"], "quantity": 50}}  # type: ignore[dict-item]
    assert link_inbox.receive(by, "BY", tampered, now=START) is LinkCode.BAD_SIGNATURE
    assert link_inbox.receive(by, "BY", {**document, "signature": ""}, now=START) is LinkCode.BAD_SIGNATURE
    assert link_inbox.receive(by, "BY", {"hello": "world"}, now=START) is LinkCode.MALFORMED
    wrong = sign(Envelope("m2", "t2", MessageKind.TRANSFER, "CN", "CN", START, 1, {}), cn.signing_key("CN"))
    assert link_inbox.receive(by, "BY", wrong.as_dict(), now=START) is LinkCode.MISADDRESSED
    assert link_inbox.receive(by, "BY", document, now=START) is LinkCode.ACCEPTED
    assert link_inbox.receive(by, "BY", document, now=START) is LinkCode.DUPLICATE
    with by() as session:
        journal = [r[0] for r in sql.rows(session, "SELECT verdict FROM link_inbox ORDER BY id", {})]
        held = sql.one(
            session,
            "SELECT quantity FROM registry_holdings WHERE account_id = :a AND unit_type = 'CN-AL-2026'",
            {"a": markets["BY"].traders[0]},
        )
    assert journal == [
        "L01_BAD_SIGNATURE",
        "L01_BAD_SIGNATURE",
        "L08_MALFORMED",
        "L03_MISADDRESSED",
        "L00_ACCEPTED",
        "L05_DUPLICATE",
    ]
    assert int(held[0]) == 5  # the replay moved nothing
