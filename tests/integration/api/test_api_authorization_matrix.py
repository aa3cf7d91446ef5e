"""The authorization matrix: every operation of the API x every role x an object of the role's own
scope and one outside it, against a table written out here (not derived from the policy module).
Allowed: the request passes authorization (any answer but 401, 403 forbidden, or 404) and the server
does not fail (no 5xx: an allowed call that crashes is a defect, not a permission). Denied: 403
when the role may never do it, 404 when it may but not on that object (an id of another holder
reveals nothing). The test fails if the app has a route the table does not name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from api_world import (
    ACTIVITY_HEADER,
    PASSWORD,
    UNIT,
    USERS,
    World,
    activity_row,
    add_inventory,
    add_plan,
    add_report,
    fund,
    make_world,
)
from carbonbridge.domain.market.book import Side
from carbonbridge.domain.registry.model import UnitKind
from carbonbridge.services.registry import accounts
from market_world import rest_order, seed_market_api

ROLES = ("admin", "national", "operator", "trader", "verifier", "auditor", "public")
SIGNED_IN = frozenset(ROLES) - {"public"}
EVERYONE = frozenset(ROLES)
READERS = frozenset({"admin", "national", "auditor"})
HOLDERS = frozenset({"operator", "trader"})

OWN_ACCOUNT = {"operator": "BY-OP1", "verifier": "BY-OP1"}  # default BY-T1
FOREIGN_ACCOUNT = {"admin": "CN-NHA", "national": "CN-NHA", "auditor": "CN-NHA"}  # default BY-T2


def account(role: str, own: bool) -> str:
    return OWN_ACCOUNT.get(role, "BY-T1") if own else FOREIGN_ACCOUNT.get(role, "BY-T2")


def installation(role: str, own: bool) -> str:
    if own:
        return "INST-1"
    return "INST-2" if role in ("operator", "verifier", "trader", "public") else "CN-INST-1"


def jurisdiction(role: str, own: bool) -> str:
    return "BY" if own else "CN"


@dataclass(frozen=True)
class Op:
    name: str
    method: str
    route: str
    allowed: frozenset[str]
    path: Callable[[World, str, bool], str]
    body: Callable[[World, str, bool], Any] = lambda w, r, o: None
    headers: Callable[[World, str, bool], dict[str, str]] = lambda w, r, o: {}
    scoped: bool = True  # False: no object of its own (lists, me): the foreign case is not asked
    allowed_status: frozenset[int] | None = None  # for an allowed call, the statuses that may answer
    files: Callable[[World, str, bool], dict[str, Any]] | None = None  # multipart: `body` gives the form fields
    signed: bool = False  # moves units: a signed-in user sends a fresh one-time code, so that the call runs


def fixed(path: str) -> Callable[[World, str, bool], str]:
    return lambda w, r, o: path


def propose(kind: str, allowed: frozenset[str], **fields: Callable[[str, bool], Any]) -> Op:
    def body(w: World, role: str, own: bool) -> dict[str, Any]:
        return {
            "type": kind,
            "unit_type": UNIT if own or role in HOLDERS else "CN-AL-2026",
            "quantity": 1,
            **{k: f(role, own) for k, f in fields.items()},
        }

    return Op(
        f"propose {kind}",
        "POST",
        "/api/v1/transactions",
        allowed,
        fixed("/api/v1/transactions"),
        body,
        lambda w, r, o: {"Idempotency-Key": f"matrix-{kind}-{r}-{o}"},
    )


def pending(w: World, role: str, own: bool) -> str:
    if own:
        return w.objects["pending_op1" if role == "operator" else "pending_t1"]
    return w.objects["cn_issue" if role in READERS else "by_issue"]


def user_of(role: str, own: bool) -> str:
    return "spare" if own else "cnadmin"


def key_of(w: World, role: str, own: bool) -> str:
    return w.objects["keys"][role if own and role != "public" else ("trader" if role != "trader" else "auditor")]


def grants(role: str, own: bool) -> list[dict[str, str]]:
    return [{"role": "trader", "jurisdiction": jurisdiction(role, own), "scope": "BY-T2" if own else "CN-NHA"}]


def trade_of(role: str, own: bool) -> str:
    """A cross-border trade leg of the role's own account, or of one outside its scope."""
    if own:
        return "XB-OP1" if role == "operator" else "XB-T1"
    return "XB-CN" if role in READERS else "XB-T2"


def _money_objects(w: World) -> None:
    """After market_objects (both markets open, BY-T1, BY-T2 and BY-OP1 admitted): CN-NHA admitted; a
    BY share JA-M of a joint auction and a cross-border trade leg per admitted account (rows as the
    services write them: the matrix asks who may act on them, not how they came about)."""
    from sqlalchemy import text

    from carbonbridge.services.market.participants import admit
    from market_world import PARTICIPANTS

    s, at = w.core.sessions, w.clock.now
    admitted = {"BY-T1": "BY", "BY-T2": "BY", "BY-OP1": "BY", "CN-NHA": "CN"}
    assert {f"P-{a}" for a in admitted if a != "CN-NHA"} <= set(PARTICIPANTS)
    admit(s, "P-CN-NHA", "CN", "holder of CN-NHA", "CN-NHA", now=at)
    with s.begin() as session:
        session.execute(
            text(
                "INSERT INTO market_auctions (id, jurisdiction, unit_type, currency, auction_date, seq, volume, "
                "tie_seed, state) VALUES ('JA-M-BY', 'BY', :u, 'BYN', '2026-06-10', 0, 1000, 'seed', 'scheduled')"
            ),
            {"u": UNIT},
        )
        session.execute(
            text(
                "INSERT INTO market_joint_auctions (id, auction_id, partner, clearing_currency, lot_size, "
                "fixing_date, state, result, created_at, settled_at) "
                "VALUES ('JA-M', 'JA-M-BY', 'CN', 'CNY', 1000, '2026-06-09', 'scheduled', NULL, :t, NULL)"
            ),
            {"t": at},
        )
        for key, account_id in (("XB-T1", "BY-T1"), ("XB-T2", "BY-T2"), ("XB-OP1", "BY-OP1"), ("XB-CN", "CN-NHA")):
            code = admitted[account_id]
            session.execute(
                text(
                    "INSERT INTO market_cross_border (client_key, role, participant, counterpart, unit_type, "
                    "quantity, currency, amount, rate_on, rate, link_transaction, state, created_at, settled_at) "
                    "VALUES (:k, 'buyer', :p, 'X/P-X', 'X-AL-2026', 10, :c, 100, NULL, NULL, NULL, 'held', :t, NULL)"
                ),
                {"k": key, "p": f"P-{account_id}", "c": "BYN" if code == "BY" else "CNY", "t": at},
            )


def _path(template: str, kind: Callable[[str, bool], str]) -> Callable[[World, str, bool], str]:
    return lambda w, r, o: template.format(kind(r, o))


V1 = "/api/v1"
OPS: list[Op] = [
    Op(
        "sign in",
        "POST",
        f"{V1}/auth/sign-in",
        EVERYONE,
        fixed(f"{V1}/auth/sign-in"),
        lambda w, r, o: {"user_id": "nobody", "password": "wrong password!", "code": "000000"},
        scoped=False,
        allowed_status=frozenset({401}),
    ),
    Op("sign out", "POST", f"{V1}/auth/sign-out", SIGNED_IN, fixed(f"{V1}/auth/sign-out"), scoped=False),
    Op("me", "GET", f"{V1}/auth/me", SIGNED_IN, fixed(f"{V1}/auth/me"), scoped=False),
    Op(
        "create user",
        "POST",
        f"{V1}/users",
        frozenset({"admin"}),
        fixed(f"{V1}/users"),
        lambda w, r, o: {"user_id": f"new-{r}-{o}", "password": PASSWORD, "grants": grants(r, o)},
    ),
    Op("list users", "GET", f"{V1}/users", frozenset({"admin"}), fixed(f"{V1}/users"), scoped=False),
    Op(
        "set grants",
        "PUT",
        f"{V1}/users/{{user_id}}/grants",
        frozenset({"admin"}),
        _path(f"{V1}/users/{{}}/grants", user_of),
        lambda w, r, o: {"grants": grants(r, o)},
    ),
    Op(
        "user state",
        "POST",
        f"{V1}/users/{{user_id}}/state",
        frozenset({"admin"}),
        _path(f"{V1}/users/{{}}/state", user_of),
        lambda w, r, o: {"unlock": True},
    ),
    Op(
        "revoke sessions",
        "POST",
        f"{V1}/users/{{user_id}}/revoke-sessions",
        frozenset({"admin"}),
        _path(f"{V1}/users/{{}}/revoke-sessions", user_of),
    ),
    Op(
        "create API key",
        "POST",
        f"{V1}/api-keys",
        SIGNED_IN,
        fixed(f"{V1}/api-keys"),
        lambda w, r, o: {"name": "k", "grants": w.objects["grants"].get(r, grants(r, o))},
        scoped=False,
    ),
    Op("list API keys", "GET", f"{V1}/api-keys", SIGNED_IN, fixed(f"{V1}/api-keys"), scoped=False),
    Op(
        "revoke API key",
        "DELETE",
        f"{V1}/api-keys/{{key_id}}",
        SIGNED_IN,
        lambda w, r, o: f"{V1}/api-keys/{key_of(w, r, o)}",
    ),
    Op("list unit types", "GET", f"{V1}/unit-types", SIGNED_IN, fixed(f"{V1}/unit-types"), scoped=False),
    Op(
        "create unit type",
        "POST",
        f"{V1}/unit-types",
        frozenset({"admin"}),
        fixed(f"{V1}/unit-types"),
        lambda w, r, o: {"jurisdiction": jurisdiction(r, o), "vintage": 2030, "cap": 10},
    ),
    Op("list accounts", "GET", f"{V1}/accounts", SIGNED_IN, fixed(f"{V1}/accounts"), scoped=False),
    Op(
        "open account",
        "POST",
        f"{V1}/accounts",
        frozenset({"admin"}),
        fixed(f"{V1}/accounts"),
        lambda w, r, o: {
            "account_id": f"{jurisdiction(r, o)}-NEW",
            "jurisdiction": jurisdiction(r, o),
            "type": "trading",
            "holder": "h",
        },
    ),
    Op(
        "read account", "GET", f"{V1}/accounts/{{account_id}}", READERS | HOLDERS, _path(f"{V1}/accounts/{{}}", account)
    ),
    Op(
        "account state",
        "POST",
        f"{V1}/accounts/{{account_id}}/state",
        frozenset({"admin", "national"}),
        _path(f"{V1}/accounts/{{}}/state", account),
        lambda w, r, o: {"state": "open", "reason": "matrix"},
    ),
    Op(
        "holdings",
        "GET",
        f"{V1}/accounts/{{account_id}}/holdings",
        READERS | HOLDERS,
        _path(f"{V1}/accounts/{{}}/holdings", account),
    ),
    Op(
        "serial blocks",
        "GET",
        f"{V1}/accounts/{{account_id}}/holdings/{{unit_type}}/blocks",
        READERS | HOLDERS,
        _path(f"{V1}/accounts/{{}}/holdings/BY-AL-2026/blocks", account),
    ),
    Op(
        "trusted list",
        "GET",
        f"{V1}/accounts/{{account_id}}/trusted",
        READERS | HOLDERS,
        _path(f"{V1}/accounts/{{}}/trusted", account),
    ),
    Op(
        "change trusted",
        "POST",
        f"{V1}/accounts/{{account_id}}/trusted",
        HOLDERS,
        _path(f"{V1}/accounts/{{}}/trusted", account),
        lambda w, r, o: {"trusted_account_id": "BY-T2"},
    ),
    Op(
        "add representative",
        "POST",
        f"{V1}/representatives",
        frozenset({"admin"}),
        fixed(f"{V1}/representatives"),
        lambda w, r, o: {"representative_id": "rep-new", "name": "n", "accounts": ["BY-T2" if o else "CN-NHA"]},
    ),
    Op(
        "reinstate",
        "POST",
        f"{V1}/representatives/{{representative_id}}/reinstate",
        frozenset({"admin"}),
        lambda w, r, o: f"{V1}/representatives/{'t2-b' if o else 'cn-admin'}/reinstate",
        lambda w, r, o: {"reason": "matrix"},
    ),
    propose("transfer", HOLDERS, source_account=account, destination_account=lambda r, o: "BY-T2"),
    propose(
        "surrender",
        frozenset({"operator"}),
        source_account=account,
        installation_id=lambda r, o: "INST-1",
        compliance_year=lambda r, o: 2026,
    ),
    propose("deletion", HOLDERS, source_account=account),
    propose("issuance", frozenset({"admin"}), destination_account=lambda r, o: "BY-NHA" if o else "CN-NHA"),
    propose(
        "allocation",
        frozenset({"admin"}),
        source_account=lambda r, o: "BY-NHA" if o else "CN-NHA",
        destination_account=lambda r, o: "BY-OP1",
    ),
    Op("list transactions", "GET", f"{V1}/transactions", SIGNED_IN, fixed(f"{V1}/transactions"), scoped=False),
    Op(
        "read transaction",
        "GET",
        f"{V1}/transactions/{{transaction_id}}",
        READERS | HOLDERS,
        lambda w, r, o: f"{V1}/transactions/{pending(w, r, o)}",
    ),
    Op(
        "approve",
        "POST",
        f"{V1}/transactions/{{transaction_id}}/approve",
        HOLDERS,
        lambda w, r, o: f"{V1}/transactions/{pending(w, r, o)}/approve",
    ),
    Op(
        "cancel",
        "POST",
        f"{V1}/transactions/{{transaction_id}}/cancel",
        HOLDERS,
        lambda w, r, o: f"{V1}/transactions/{pending(w, r, o)}/cancel",
    ),
    Op("settle", "POST", f"{V1}/registry/settle", frozenset({"admin"}), fixed(f"{V1}/registry/settle"), scoped=False),
    Op(
        "serial history",
        "GET",
        f"{V1}/unit-types/{{unit_type}}/serials/{{serial}}/history",
        READERS,
        lambda w, r, o: f"{V1}/unit-types/{'BY' if o else 'CN'}-AL-2026/serials/1/history",
    ),
    Op(
        "conservation check",
        "GET",
        f"{V1}/registry/check",
        frozenset({"admin", "auditor"}),
        fixed(f"{V1}/registry/check"),
        scoped=False,
    ),
    Op(
        "verify log",
        "GET",
        f"{V1}/registry/log/verify",
        frozenset({"admin", "auditor"}),
        fixed(f"{V1}/registry/log/verify"),
        scoped=False,
    ),
    Op(
        "compliance status",
        "GET",
        f"{V1}/compliance/{{installation_id}}/{{year}}",
        READERS | {"operator", "verifier"},
        _path(f"{V1}/compliance/{{}}/2025", installation),
    ),
    Op(
        "enter verified emissions",
        "POST",
        f"{V1}/compliance/{{installation_id}}/{{year}}/verified-emissions",
        frozenset({"national"}),
        _path(f"{V1}/compliance/{{}}/2025/verified-emissions", installation),
    ),
    Op(
        "assessments",
        "GET",
        f"{V1}/compliance/assessments",
        READERS,
        lambda w, r, o: f"{V1}/compliance/assessments?jurisdiction={jurisdiction(r, o)}&year=2025",
    ),
    Op(
        "enter all verified emissions",
        "POST",
        f"{V1}/compliance/jurisdictions/{{jurisdiction}}/{{year}}/verified-emissions",
        frozenset({"national"}),
        _path(f"{V1}/compliance/jurisdictions/{{}}/2025/verified-emissions", jurisdiction),
    ),
    Op(
        "block missing",
        "POST",
        f"{V1}/compliance/jurisdictions/{{jurisdiction}}/{{year}}/block-missing",
        frozenset({"national"}),
        _path(f"{V1}/compliance/jurisdictions/{{}}/2025/block-missing", jurisdiction),
    ),
    Op(
        "assess",
        "POST",
        f"{V1}/compliance/jurisdictions/{{jurisdiction}}/{{year}}/assessments",
        frozenset({"national"}),
        _path(f"{V1}/compliance/jurisdictions/{{}}/2025/assessments", jurisdiction),
    ),
    Op(
        "list reports",
        "GET",
        f"{V1}/mrv/installations/{{installation_id}}/reports",
        READERS | {"operator", "verifier"},
        _path(f"{V1}/mrv/installations/{{}}/reports", installation),
    ),
    Op(
        "verify report",
        "POST",
        f"{V1}/mrv/installations/{{installation_id}}/reports/{{year}}/verification",
        frozenset({"verifier"}),
        _path(f"{V1}/mrv/installations/{{}}/reports/2025/verification", installation),
        lambda w, r, o: {"opinion": "satisfactory"},
    ),
    # the link (routes_link.py): the partner's messages are authenticated by signature, not a session
    Op(
        "link partner message",
        "POST",
        f"{V1}/link/{{jurisdiction}}/messages",
        EVERYONE,
        fixed(f"{V1}/link/BY/messages"),
        lambda w, r, o: {"message_id": f"matrix-{r}"},
        scoped=False,
        allowed_status=frozenset({409}),
    ),
    Op(
        "link send",
        "POST",
        f"{V1}/link/{{jurisdiction}}/transfers",
        HOLDERS,
        fixed(f"{V1}/link/BY/transfers"),
        lambda w, r, o: {
            "source_account": account(r, o),
            "partner_account": "CN-T1",
            "unit_type": UNIT,
            "quantity": 1,
        },
        lambda w, r, o: {"Idempotency-Key": f"matrix-link-{r}-{o}"},
    ),
    Op(
        "link transfers",
        "GET",
        f"{V1}/link/{{jurisdiction}}/transfers",
        READERS,
        _path(f"{V1}/link/{{}}/transfers", jurisdiction),
    ),
    Op(
        "link status",
        "GET",
        f"{V1}/link/{{jurisdiction}}/transfers/{{transaction_id}}",
        READERS,
        lambda w, r, o: f"{V1}/link/{jurisdiction(r, o)}/transfers/{pending(w, r, o)}",
    ),
    Op(
        "link resolve",
        "POST",
        f"{V1}/link/{{jurisdiction}}/transfers/{{transaction_id}}/resolve",
        frozenset({"admin"}),
        lambda w, r, o: f"{V1}/link/{jurisdiction(r, o)}/transfers/{pending(w, r, o)}/resolve",
        lambda w, r, o: {"decision": "release"},
    ),
    Op(
        "link reconcile",
        "POST",
        f"{V1}/link/{{jurisdiction}}/reconciliations",
        frozenset({"admin"}),
        _path(f"{V1}/link/{{}}/reconciliations", jurisdiction),
    ),
    Op(
        "link health",
        "GET",
        f"{V1}/link/{{jurisdiction}}/health",
        READERS,
        _path(f"{V1}/link/{{}}/health", jurisdiction),
    ),
    Op(
        "link flows",
        "GET",
        f"{V1}/link/{{jurisdiction}}/flows/{{year}}",
        READERS,
        _path(f"{V1}/link/{{}}/flows/2026", jurisdiction),
    ),
    # money across the link (routes_link_money.py): rates and joint auction results are public
    Op("link rates", "GET", f"{V1}/link/{{jurisdiction}}/rates", EVERYONE, fixed(f"{V1}/link/BY/rates"), scoped=False),
    Op(
        "joint auction schedule",
        "POST",
        f"{V1}/link/{{jurisdiction}}/joint-auctions",
        frozenset({"admin"}),
        _path(f"{V1}/link/{{}}/joint-auctions", jurisdiction),
        lambda w, r, o: {
            "joint_id": f"JA-{r}-{o}",
            "auction_date": "2026-06-10",
            "by_volume": 1000,
            "cn_volume": 1000,
            "by_unit_type": UNIT,
            "cn_unit_type": "CN-AL-2026",
            "by_national_account": "BY-NHA",
            "cn_national_account": "CN-NHA",
            "clearing_currency": "CNY",
        },
    ),
    Op(
        "joint auction run",
        "POST",
        f"{V1}/link/{{jurisdiction}}/joint-auctions/{{joint_id}}/run",
        frozenset({"admin"}),
        _path(f"{V1}/link/{{}}/joint-auctions/JA-M/run", jurisdiction),
    ),
    Op(
        "joint auction bid",
        "POST",
        f"{V1}/link/{{jurisdiction}}/joint-auctions/{{joint_id}}/bids",
        HOLDERS,
        fixed(f"{V1}/link/BY/joint-auctions/JA-M/bids"),
        lambda w, r, o: {"account": account(r, o), "price": 4000, "units": 1000},
        lambda w, r, o: {"Idempotency-Key": f"matrix-joint-{r}-{o}"},
    ),
    Op(
        "joint auction result",
        "GET",
        f"{V1}/link/{{jurisdiction}}/joint-auctions/{{joint_id}}",
        EVERYONE,
        fixed(f"{V1}/link/BY/joint-auctions/JA-M"),
        scoped=False,
    ),
    Op(
        "cross-border trade",
        "GET",
        f"{V1}/link/{{jurisdiction}}/cross-border/{{key}}",
        READERS | HOLDERS,
        lambda w, r, o: f"{V1}/link/{jurisdiction(r, o) if r in READERS else 'BY'}/cross-border/{trade_of(r, o)}",
    ),
    Op(
        "public jurisdictions",
        "GET",
        f"{V1}/public/jurisdictions",
        EVERYONE,
        fixed(f"{V1}/public/jurisdictions"),
        scoped=False,
    ),
    Op(
        "public installations",
        "GET",
        f"{V1}/public/installations",
        EVERYONE,
        fixed(f"{V1}/public/installations"),
        scoped=False,
    ),
    Op(
        "public installation-year",
        "GET",
        f"{V1}/public/installations/{{installation_id}}/years/{{year}}",
        EVERYONE,
        fixed(f"{V1}/public/installations/INST-1/years/2025"),
        scoped=False,
    ),
    Op(
        "public jurisdiction-year",
        "GET",
        f"{V1}/public/jurisdictions/{{code}}/years/{{year}}",
        EVERYONE,
        fixed(f"{V1}/public/jurisdictions/BY/years/2025"),
        scoped=False,
    ),
    Op(
        "public jurisdiction installations",
        "GET",
        f"{V1}/public/jurisdictions/{{code}}/years/{{year}}/installations",
        EVERYONE,
        fixed(f"{V1}/public/jurisdictions/BY/years/2025/installations"),
        scoped=False,
    ),
]

# --- MRV, inventory, cap and allocation (one block: other resources add theirs elsewhere) ---------


def _csv(name: str, text: str) -> Callable[[World, str, bool], dict[str, Any]]:
    return lambda w, r, o: {name: (f"{name}.csv", text.encode(), "text/csv")}


def _plan_body(w: World, role: str, own: bool) -> dict[str, Any]:
    inst = installation(role, own)
    return {
        "installation_id": inst,
        "jurisdiction": "CN" if inst.startswith("CN") else "BY",
        "name": f"Plant {inst}",
        "operator": "Operator LLC",
        "source_streams": [{"name": "gas", "activity": "natural_gas", "tier_ncv": "2b"}],
    }


def _crt(*names: str) -> Callable[[World, str, bool], dict[str, Any]]:
    return lambda w, r, o: {n: (f"{n}.json", b"{}", "application/json") for n in names}


INV = f"{V1}/inventory/{{}}/submissions/1"
MRV_WRITERS = frozenset({"national", "operator"})
PLAN_READERS = READERS | {"operator", "verifier"}
OPS_REPORTING: list[Op] = [
    Op(
        "register monitoring plan",
        "POST",
        f"{V1}/mrv/monitoring-plans",
        MRV_WRITERS,
        fixed(f"{V1}/mrv/monitoring-plans"),
        _plan_body,
    ),
    Op(
        "list monitoring plans",
        "GET",
        f"{V1}/mrv/installations/{{installation_id}}/monitoring-plans",
        PLAN_READERS,
        _path(f"{V1}/mrv/installations/{{}}/monitoring-plans", installation),
    ),
    Op(
        "read monitoring plan",
        "GET",
        f"{V1}/mrv/installations/{{installation_id}}/monitoring-plans/{{version}}",
        PLAN_READERS,
        _path(f"{V1}/mrv/installations/{{}}/monitoring-plans/1", installation),
    ),
    Op(
        "upload activity data",
        "POST",
        f"{V1}/mrv/activity-data",
        MRV_WRITERS,
        fixed(f"{V1}/mrv/activity-data"),
        lambda w, r, o: {},
        files=lambda w, r, o: {
            "file": ("activity.csv", (ACTIVITY_HEADER + activity_row(installation(r, o), quantity=-1)).encode())
        },
    ),
    Op(
        "submit report",
        "POST",
        f"{V1}/mrv/installations/{{installation_id}}/reports/{{year}}",
        MRV_WRITERS,
        _path(f"{V1}/mrv/installations/{{}}/reports/2025", installation),
        lambda w, r, o: {},
    ),
    Op(
        "upload CEMS hours",
        "POST",
        f"{V1}/mrv/installations/{{installation_id}}/measurements",
        MRV_WRITERS,
        _path(f"{V1}/mrv/installations/{{}}/measurements", installation),
        lambda w, r, o: {"year": "2025", "emission_source": "gas"},  # not measurement-based: 422, nothing stored
        files=_csv("file", "hour,concentration,flow\n0,150,200000\n1,151,200000\n"),
    ),
    Op(
        "compile inventory",
        "POST",
        f"{V1}/inventory/{{jurisdiction}}/submissions",
        frozenset({"national"}),
        _path(f"{V1}/inventory/{{}}/submissions", jurisdiction),
        lambda w, r, o: {"label": "matrix"},
        files=lambda w, r, o: {"activity_data": ("energy_balance.csv", b"year,category,fuel,amount,unit\n")},
    ),
    Op(
        "inventory changes",
        "GET",
        f"{V1}/inventory/{{jurisdiction}}/submissions/{{version}}/changes",
        READERS,
        _path(INV + "/changes?since=1", jurisdiction),
    ),
    Op(
        "inventory reconciliation",
        "GET",
        f"{V1}/inventory/{{jurisdiction}}/submissions/{{version}}/reconciliation",
        READERS,
        _path(INV + "/reconciliation", jurisdiction),
    ),
    Op(
        "CRT read",
        "POST",
        f"{V1}/inventory/{{jurisdiction}}/crt/read",
        READERS,
        _path(f"{V1}/inventory/{{}}/crt/read", jurisdiction),
        lambda w, r, o: {},
        files=_crt("file", "metadata"),
    ),
    Op(
        "CRT tables",
        "POST",
        f"{V1}/inventory/{{jurisdiction}}/submissions/{{version}}/crt/tables",
        READERS,
        _path(INV + "/crt/tables", jurisdiction),
        lambda w, r, o: {},
        files=lambda w, r, o: {"years": (None, "2020")},  # a form field as a part: multipart without a file
    ),
    Op(
        "list inventory submissions",
        "GET",
        f"{V1}/inventory/{{jurisdiction}}/submissions",
        READERS,
        _path(f"{V1}/inventory/{{}}/submissions", jurisdiction),
    ),
    Op(
        "read inventory submission",
        "GET",
        f"{V1}/inventory/{{jurisdiction}}/submissions/{{version}}",
        READERS,
        _path(INV, jurisdiction),
    ),
    Op(
        "export inventory",
        "GET",
        f"{V1}/inventory/{{jurisdiction}}/submissions/{{version}}/export",
        READERS,
        _path(INV + "/export?format=summary1-csv", jurisdiction),
    ),
    Op(
        "inventory KCA",
        "GET",
        f"{V1}/inventory/{{jurisdiction}}/submissions/{{version}}/kca",
        READERS,
        _path(INV + "/kca", jurisdiction),
    ),
    Op(
        "inventory uncertainty",
        "POST",
        f"{V1}/inventory/{{jurisdiction}}/submissions/{{version}}/uncertainty",
        READERS,
        _path(INV + "/uncertainty", jurisdiction),
        lambda w, r, o: {"iterations": "100"},
        files=_csv("uncertainty_table", "category,gas,ad_pct,ef_pct\n"),
    ),
    Op(
        "CRT export",
        "POST",
        f"{V1}/inventory/{{jurisdiction}}/submissions/{{version}}/crt/export",
        READERS,
        _path(INV + "/crt/export", jurisdiction),
        lambda w, r, o: {},
        files=_crt("metadata"),
    ),
    Op(
        "CRT coverage",
        "POST",
        f"{V1}/inventory/{{jurisdiction}}/submissions/{{version}}/crt/coverage",
        READERS,
        _path(INV + "/crt/coverage", jurisdiction),
        lambda w, r, o: {},
        files=_crt("metadata"),
    ),
    Op(
        "CRT validate",
        "POST",
        f"{V1}/inventory/{{jurisdiction}}/crt/validate",
        READERS,
        _path(f"{V1}/inventory/{{}}/crt/validate", jurisdiction),
        lambda w, r, o: {},
        files=_crt("file", "metadata"),
    ),
    Op(
        "read cap",
        "GET",
        f"{V1}/allocation/{{jurisdiction}}/cap",
        READERS,
        _path(f"{V1}/allocation/{{}}/cap", jurisdiction),
    ),
    Op(
        "allocation plan",
        "POST",
        f"{V1}/allocation/{{jurisdiction}}/plan",
        READERS,
        _path(f"{V1}/allocation/{{}}/plan", jurisdiction),
        lambda w, r, o: {},
        files=_csv("input", "installation_id,product,historical_activity_level,carbon_leakage_exposed\n"),
    ),
    Op(
        "allocation entries",
        "GET",
        f"{V1}/allocation/{{jurisdiction}}/{{year}}/entries",
        READERS,
        _path(f"{V1}/allocation/{{}}/2026/entries", jurisdiction),
    ),
    Op(
        "post allocation",
        "POST",
        f"{V1}/allocation/{{jurisdiction}}/{{year}}/{{phase}}",
        frozenset({"admin", "national"}),
        _path(f"{V1}/allocation/{{}}/2026/ex_ante", jurisdiction),
        lambda w, r, o: {},
        files=_csv("input", "installation_id,product,historical_activity_level,carbon_leakage_exposed\n"),
        signed=True,
    ),
]
OPS += OPS_REPORTING


# -- the market (issue 12): public market data, order entry, bids, own orders, trades and cash ---------
def participant(role: str, own: bool) -> str:
    """The participant a role acts for (own), or one outside its scope (foreign)."""
    if own:
        return "P-BY-OP1" if role == "operator" else "P-BY-T1"
    return "P-CN-T1" if role in READERS else "P-BY-T2"


def market_order(w: World, role: str, own: bool, purpose: str = "read") -> str:
    if own:
        return str(w.objects[f"order_{purpose}"])
    return str(w.objects["cn_order" if role in READERS else "foreign_order"])


def signed(key: str) -> Callable[[World, str, bool], dict[str, str]]:
    """Idempotency-Key, and a fresh one-time code where the call will get past authorization."""

    def headers(w: World, role: str, own: bool) -> dict[str, str]:
        found = {"Idempotency-Key": f"matrix-{key}-{role}-{own}"}
        if own and role in HOLDERS:
            found["X-One-Time-Code"] = w.code(role)
        return found

    return headers


def market_objects(w: World) -> dict[str, Any]:
    found = seed_market_api(w)
    found["order_read"] = rest_order(w, "P-BY-T1", Side.BUY, 5, 1000, "matrix-read")
    found["order_amend"] = rest_order(w, "P-BY-T1", Side.BUY, 5, 1000, "matrix-amend")
    found["order_cancel"] = rest_order(w, "P-BY-T1", Side.BUY, 5, 1000, "matrix-cancel")
    found["foreign_order"] = rest_order(w, "P-BY-T2", Side.BUY, 5, 1000, "matrix-foreign")
    # an instrument of its own for the operator's commands (closing BY-AL-2026 would end the orders above)
    accounts.create_unit_type(w.core.sessions, "BY", UnitKind.ALLOWANCE, 2027, 1000, now=w.clock.now)
    return found


def operated(role: str, own: bool) -> str:
    return "BY-AL-2027" if own else "CN-AL-2026"


M = f"{V1}/market"
ORDER_READERS = READERS | {"trader"}
OPS += [
    Op("market instruments", "GET", f"{M}/instruments", EVERYONE, fixed(f"{M}/instruments"), scoped=False),
    Op(
        "market instrument",
        "GET",
        f"{M}/instruments/{{instrument}}",
        EVERYONE,
        fixed(f"{M}/instruments/{UNIT}"),
        scoped=False,
    ),
    Op(
        "market trades",
        "GET",
        f"{M}/instruments/{{instrument}}/trades",
        EVERYONE,
        fixed(f"{M}/instruments/{UNIT}/trades"),
        scoped=False,
    ),
    Op(
        "market depth",
        "GET",
        f"{M}/instruments/{{instrument}}/depth",
        EVERYONE,
        fixed(f"{M}/instruments/{UNIT}/depth"),
        scoped=False,
    ),
    Op(
        "market ohlcv",
        "GET",
        f"{M}/instruments/{{instrument}}/ohlcv",
        EVERYONE,
        fixed(f"{M}/instruments/{UNIT}/ohlcv"),
        scoped=False,
    ),
    Op(
        "market events",
        "GET",
        f"{M}/instruments/{{instrument}}/events",
        EVERYONE,
        fixed(f"{M}/instruments/{UNIT}/events?max_events=1"),
        scoped=False,
    ),
    Op("market auctions", "GET", f"{M}/auctions", EVERYONE, fixed(f"{M}/auctions"), scoped=False),
    Op(
        "market auction",
        "GET",
        f"{M}/auctions/{{auction_id}}",
        EVERYONE,
        lambda w, r, o: f"{M}/auctions/{w.objects['auction']}",
        scoped=False,
    ),
    Op("market msr", "GET", f"{M}/msr/{{jurisdiction}}/{{year}}", EVERYONE, fixed(f"{M}/msr/BY/2026"), scoped=False),
    Op(
        "place order",
        "POST",
        f"{M}/orders",
        frozenset({"trader"}),
        fixed(f"{M}/orders"),
        lambda w, r, o: {
            "instrument": UNIT,
            "participant": participant(r, o),
            "side": "buy",
            "quantity": 1,
            "price_minor": 900,
        },
        signed("order"),
    ),
    Op("list orders", "GET", f"{M}/orders", ORDER_READERS, fixed(f"{M}/orders"), scoped=False),
    Op(
        "read order",
        "GET",
        f"{M}/orders/{{order_id}}",
        ORDER_READERS,
        lambda w, r, o: f"{M}/orders/{market_order(w, r, o)}",
    ),
    Op(
        "amend order",
        "POST",
        f"{M}/orders/{{order_id}}/amend",
        frozenset({"trader"}),
        lambda w, r, o: f"{M}/orders/{market_order(w, r, o, 'amend')}/amend",
        lambda w, r, o: {"quantity": 4},
        signed("amend"),
    ),
    Op(
        "cancel order",
        "POST",
        f"{M}/orders/{{order_id}}/cancel",
        frozenset({"trader"}),
        lambda w, r, o: f"{M}/orders/{market_order(w, r, o, 'cancel')}/cancel",
    ),
    Op(
        "participant trades",
        "GET",
        f"{M}/participants/{{participant_id}}/trades",
        ORDER_READERS,
        _path(f"{M}/participants/{{}}/trades", participant),
    ),
    Op("list cash", "GET", f"{M}/cash", READERS | HOLDERS, fixed(f"{M}/cash"), scoped=False),
    Op(
        "participant cash",
        "GET",
        f"{M}/participants/{{participant_id}}/cash",
        READERS | HOLDERS,
        _path(f"{M}/participants/{{}}/cash", participant),
    ),
    Op(
        "close session",
        "POST",
        f"{M}/instruments/{{instrument}}/close",
        frozenset({"admin"}),
        _path(f"{M}/instruments/{{}}/close", operated),
    ),
    Op(
        "settle trades",
        "POST",
        f"{M}/instruments/{{instrument}}/settlements",
        frozenset({"admin"}),
        _path(f"{M}/instruments/{{}}/settlements", operated),
        headers=lambda w, r, o: {
            "Idempotency-Key": f"matrix-settle-{r}-{o}",
            **({"X-One-Time-Code": w.code(r)} if r == "admin" and o else {}),
        },
    ),
    Op(
        "place bid",
        "POST",
        f"{M}/auctions/{{auction_id}}/bids",
        HOLDERS,
        lambda w, r, o: f"{M}/auctions/{w.objects['auction']}/bids",
        lambda w, r, o: {"participant": participant(r, o), "price_minor": 1000, "lots": 1},
        signed("bid"),
    ),
]
# -- end of the market block -------------------------------------------------------------------------
USER_OF_ROLE = {r: r for r in ROLES}


def test_the_table_names_every_route_of_the_app(sqlite_url: str) -> None:
    from carbonbridge.entrypoints.bootstrap import build_app
    from carbonbridge.entrypoints.http.app import create_app
    from carbonbridge.entrypoints.http.settings import Settings

    build_app(sqlite_url, upgrade=True)
    app = create_app(Settings(db_url=sqlite_url))
    paths = app.openapi()["paths"]
    routes = {(method.upper(), path) for path, item in paths.items() for method in item}
    assert routes == {(op.method, op.route) for op in OPS}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    from carbonbridge.entrypoints.bootstrap import build_app

    url = f"sqlite:///{tmp_path_factory.mktemp('matrix') / 'matrix.db'}"
    w = make_world(build_app(url, upgrade=True))
    for installation in ("INST-1", "INST-2", "CN-INST-1"):
        add_report(w.core.sessions, installation, 120.0, 2025, w.clock.now)
        add_plan(w.core, installation, "CN" if installation.startswith("CN") else "BY", w.clock.now)
    folder = tmp_path_factory.mktemp("matrix-data")
    add_inventory(w.core.sessions, folder / "inventory", w.clock.now)
    from carbonbridge.services.mrv.imports import import_activity

    (folder / "activity.csv").write_text(ACTIVITY_HEADER + activity_row("INST-1"), encoding="utf-8")
    import_activity(w.core.sessions, folder / "activity.csv", year=None, config=w.core.config, now=w.clock.now)
    done = fund(w)
    t1 = w.as_user("trader").propose(
        "transfer",
        key="p-t1",
        code=w.code("trader"),
        unit_type=UNIT,
        quantity=5,
        source_account="BY-T1",
        destination_account="BY-T2",
    )
    op1 = w.as_user("operator").propose(
        "transfer",
        key="p-op1",
        code=w.code("operator"),
        unit_type=UNIT,
        quantity=5,
        source_account="BY-OP1",
        destination_account="BY-T1",
    )
    cn = w.as_user("cnadmin").propose(
        "issuance",
        key="cn-1",
        code=w.code("cnadmin"),
        unit_type="CN-AL-2026",
        quantity=10,
        destination_account="CN-NHA",
    )
    held = {
        u: [{"role": g.role.value, "jurisdiction": g.jurisdiction, "scope": g.scope} for g in gs]
        for u, (gs, _) in USERS.items()
    }
    keys = {user: _key(w, user, held[user]) for user in SIGNED_IN}
    w.objects = {
        "pending_t1": t1["id"],
        "pending_op1": op1["id"],
        "by_issue": done["issued"]["id"],
        "cn_issue": cn["id"],
        "keys": keys,
        "grants": held,
    }
    w.objects.update(market_objects(w))
    _money_objects(w)
    return w


def _key(w: World, user: str, grants: list[dict[str, str]]) -> str:
    from carbonbridge.domain.auth.principal import Grant, Role
    from carbonbridge.services import auth

    wanted = [Grant(Role(g["role"]), g["jurisdiction"], g["scope"]) for g in grants]
    return auth.create_api_key(w.core.sessions, user, "matrix", wanted, now=w.clock.now, actor="test").id


def _client(w: World, role: str, op: Op) -> Any:
    if role == "public":
        return w.anonymous()
    if op.name == "sign out":  # a session of its own, so that the role's main session stays usable
        client = w.anonymous()
        client.sign_in(role, PASSWORD, w.code(role))
        return client
    return w.as_user(role)


def _verdict(response: Any) -> str:
    status, kind = response.status_code, ""
    if status >= 500:
        return "server-error"  # never what the table expects, whoever asks
    if response.headers.get("content-type", "").startswith("application/problem+json"):
        kind = response.json()["type"].rsplit(":", 1)[-1]
    if status == 401 and kind == "unauthenticated":
        return "unauthenticated"
    if status == 403 and kind == "forbidden":
        return "forbidden"
    if status == 404:
        return "not-found"
    return "allowed"


CASES = [(op, role, own) for op in OPS for role in ROLES for own in ((True, False) if op.scoped else (True,))]


@pytest.mark.parametrize(
    ("op", "role", "own"), CASES, ids=[f"{op.name}-{role}-{'own' if own else 'foreign'}" for op, role, own in CASES]
)
def test_each_operation_is_allowed_or_denied_as_the_table_says(world: World, op: Op, role: str, own: bool) -> None:
    client = _client(world, role, op)
    headers = {**op.headers(world, role, own)}
    if op.signed and role != "public":
        headers["X-One-Time-Code"] = world.code(role)
    if client.token:
        headers["Authorization"] = f"Bearer {client.token}"
    if op.files is not None:
        sent: dict[str, Any] = {"files": op.files(world, role, own), "data": op.body(world, role, own)}
    else:
        sent = {"json": op.body(world, role, own)}
    response = client.http.request(op.method, op.path(world, role, own), headers=headers, **sent)
    verdict = _verdict(response)
    assert verdict != "server-error", f"{op.name} as {role}: {response.status_code} {response.text}"
    if op.allowed_status is not None:
        assert response.status_code in op.allowed_status, response.text
    elif role == "public":
        assert verdict == ("allowed" if op.allowed == EVERYONE else "unauthenticated"), response.text
    elif role not in op.allowed:
        assert verdict == "forbidden", response.text
    else:
        assert verdict == ("allowed" if own else "not-found"), response.text
