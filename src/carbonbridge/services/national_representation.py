"""Who initiates a transaction of the national holding account for a principal over HTTP.

The national administrator of a jurisdiction acts for its national holding account: it operates
the national allocation accounts and carries out the allocation (Commission Delegated Regulation
(EU) 2019/1122: the national administrator's tasks; Directive 2003/87/EC Art. 11). The registry
checks that whoever initiates a transaction represents the source account, so a national
administrator acts there as a representative of its own, named after its user and added to the
national account the first time it posts (audited) - never as another person's representative."""

from __future__ import annotations

import datetime as dt
import hashlib

from carbonbridge.adapters.db.registry import rows
from carbonbridge.adapters.db.registry.ledger import Sessions
from carbonbridge.adapters.db.uow import unit_of_work
from carbonbridge.domain.auth.principal import Principal, Role
from carbonbridge.services.allocation import national_account
from carbonbridge.services.registry import accounts

PREFIX = "national-admin."
MAX_ID = 64  # registry_representatives.id


def representative_id(user_id: str) -> str:
    """The national administrator's representative id: `national-admin.<user>` (a long user id is
    shortened with a digest, so that the id stays unique and within the column)."""
    whole = PREFIX + user_id
    if len(whole) <= MAX_ID:
        return whole
    digest = hashlib.sha256(user_id.encode()).hexdigest()[:16]
    return f"{PREFIX}{user_id[: MAX_ID - len(PREFIX) - 17]}.{digest}"


def national_initiator(sessions: Sessions, who: Principal, jurisdiction: str, *, now: dt.datetime) -> str:
    """The representative `who` initiates national-account transactions of `jurisdiction` as: its own
    if it represents the national account; for a national administrator of the jurisdiction, its
    national-administrator representative (added to the account if new); else its own id or
    representative, which the registry then refuses (the initiator must represent the account)."""
    with unit_of_work(sessions) as session:
        national = national_account(session, jurisdiction)
        if who.representative_id is not None:
            _, authorised, _ = rows.representative(session, who.representative_id, [national])
            if authorised:
                return who.representative_id
    if not any(g.role is Role.NATIONAL_ADMIN and g.jurisdiction == jurisdiction for g in who.grants):
        return who.representative_id or who.id
    rep = representative_id(who.user_id or who.id)
    name = f"national administrator {who.user_id or who.id} ({jurisdiction})"
    accounts.add_representative(sessions, rep, name, [national], now=now, actor=who.id)
    return rep
