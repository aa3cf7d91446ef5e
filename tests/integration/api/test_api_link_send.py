"""The link send route's success path over HTTP: a trader signs with a fresh one-time code, the
Idempotency-Key repeat returns the same transaction, the second representative approves, and
after its delay the TRANSFER message is queued for the partner (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest

from api_world import UNIT, World, fund, make_world
from carbonbridge.adapters.db.registry.ledger import SqlLedgers
from carbonbridge.client import ApiError
from carbonbridge.services import link_delivery, link_transfers
from carbonbridge.services.registry import workflow
from carbonbridge.testing.market import SETUP_LEAD


@pytest.fixture
def world(app: Any) -> World:
    found = make_world(app)
    link_transfers.open_link(app.sessions, "BY", now=found.clock.now - SETUP_LEAD)
    return found


def _send(world: World, key: str, code: str | None, quantity: int = 25) -> Any:
    headers = {"Idempotency-Key": key, **({"X-One-Time-Code": code} if code else {})}
    body = {"source_account": "BY-T1", "partner_account": "CN-T1", "unit_type": UNIT, "quantity": quantity}
    return world.as_user("trader").request("POST", "/link/BY/transfers", json=body, headers=headers)


def test_a_signed_send_is_proposed_once_and_queued_after_approval_and_delay(world: World) -> None:
    fund(world)
    with pytest.raises(ApiError) as unsigned:
        _send(world, "s0", None)
    assert unsigned.value.status in (401, 403)
    sent = _send(world, "s1", world.code("trader"))
    assert (sent["type"], sent["state"], sent["quantity"]) == ("link_transfer", "proposed", 25)
    again = _send(world, "s1", world.code("trader"))
    assert again["id"] == sent["id"]  # the Idempotency-Key repeat: the same transaction
    with pytest.raises(ApiError) as reused:
        _send(world, "s1", world.code("trader"), quantity=26)
    assert reused.value.status == 409
    approved = world.as_user("trader1b").approve(sent["id"], world.code("trader1b"))
    assert approved["state"] == "delayed"  # the link account is not on BY-T1's trusted list
    assert link_delivery.pending_messages(world.core.sessions) == 0
    due = world.clock.now + SETUP_LEAD
    settled = workflow.settle_due(SqlLedgers(world.core.sessions), now=due)
    assert [(v.id, v.state.value) for v in settled] == [(sent["id"], "checked")]
    assert link_delivery.pending_messages(world.core.sessions) == 1
    status = world.as_user("admin").get(f"/link/BY/transfers/{sent['id']}")
    assert (status["direction"], status["state"], status["registry_state"]) == ("out", "sent", "checked")
