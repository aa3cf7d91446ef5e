"""The access policy, in one place: which role may do which action on which object. Deny by default.

Every HTTP operation names one `Action`; `decide(principal, action, target)` allows it only if a
grant of the principal matches a rule of the action in the target's jurisdiction and, for scoped
roles, the target's account or installation. `visible` answers the same question for lists.
Rationale: Commission Delegated Regulation (EU) 2019/1122 (representatives per account, Art. 20;
the national administrator approves accounts and enters verified emissions; verifiers see only the
installations they verify).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from carbonbridge.domain.auth.principal import SCOPE_OF, Principal, Role, ScopeKind


class Action(StrEnum):
    USER_MANAGE = "user.manage"
    UNIT_TYPE_READ = "unit_type.read"
    UNIT_TYPE_CREATE = "unit_type.create"
    ACCOUNT_READ = "account.read"
    ACCOUNT_OPEN = "account.open"
    ACCOUNT_STATE = "account.state"
    REPRESENTATIVE_MANAGE = "representative.manage"
    TRUSTED_CHANGE = "trusted.change"
    ISSUE = "transaction.issue"
    ALLOCATE = "transaction.allocate"
    TRANSFER = "transaction.transfer"
    SURRENDER = "transaction.surrender"
    DELETE = "transaction.delete"
    REVERSE = "transaction.reverse"
    APPROVE = "transaction.approve"
    CANCEL = "transaction.cancel"
    SETTLE = "transaction.settle"
    TRANSACTION_READ = "transaction.read"
    SERIAL_HISTORY = "serial.history"
    LEDGER_AUDIT = "ledger.audit"  # conservation check and log verification
    COMPLIANCE_READ = "compliance.read"
    COMPLIANCE_ENTER = "compliance.enter"
    ASSESSMENT_READ = "assessment.read"
    REPORT_READ = "report.read"  # MRV emissions reports of an installation
    REPORT_VERIFY = "report.verify"
    ASSESS = "assessment.run"  # assess a jurisdiction-year after the surrender deadline; block missing
    PLAN_READ = "monitoring_plan.read"
    PLAN_REGISTER = "monitoring_plan.register"  # a new installation, or a new version of its plan
    ACTIVITY_UPLOAD = "activity.upload"  # a year of activity data of the installations in the file
    MEASUREMENT_UPLOAD = "measurement.upload"  # a year of CEMS hours of one measurement-based source
    REPORT_SUBMIT = "report.submit"  # compile the annual report; a correction is a new version
    INVENTORY_READ = "inventory.read"  # submissions, exports, KCA, uncertainty, diff, reconciliation, CRT files
    INVENTORY_COMPILE = "inventory.compile"  # a new submission version from national activity data and MRV
    ALLOCATION_READ = "allocation.read"  # the cap, allocation plans and the allocations posted
    ALLOCATION_POST = "allocation.post"  # issue and allocate (ex ante) or true up from a plan's table
    LINK_SEND = "link.send"  # send units to the partner registry
    LINK_READ = "link.read"  # link transfers, their status (also as the partner knows it), flows, health
    LINK_RECONCILE = "link.reconcile"
    LINK_RESOLVE = "link.resolve"  # decide a transfer the partner never answered
    LINK_MESSAGE = "link.message"  # a message of the partner registry: no user, its signature decides
    MARKET_ORDER_PLACE = "market.order.place"  # place or amend an order of the principal's participant
    MARKET_ORDER_CANCEL = "market.order.cancel"
    MARKET_ORDER_READ = "market.order.read"  # orders and trades of a participant
    MARKET_BID = "market.bid.place"  # a sealed auction bid of an admitted bidder
    MARKET_CASH_READ = "market.cash.read"  # cash balances of a participant, or all of a jurisdiction
    MARKET_CLOSE = "market.session.close"  # end an instrument's session: its open orders expire
    MARKET_SETTLE = "market.settle"  # delivery versus payment of an instrument's unsettled trades
    JOINT_AUCTION_MANAGE = "joint_auction.manage"  # schedule (moves the volume) and run a joint auction
    JOINT_AUCTION_BID = "joint_auction.bid"  # a sealed bid from the holder's own admitted account
    CROSS_BORDER_READ = "cross_border.read"  # this registry's leg of a cross-border trade and its settlement


MOVES_UNITS = frozenset(
    {
        Action.ISSUE,
        Action.ALLOCATE,
        Action.TRANSFER,
        Action.SURRENDER,
        Action.DELETE,
        Action.REVERSE,
        Action.APPROVE,
        Action.ALLOCATION_POST,
        Action.LINK_SEND,
        Action.LINK_RESOLVE,
        Action.MARKET_ORDER_PLACE,  # reserves units (a sell) or cash (a buy) and may trade at once
        Action.MARKET_BID,  # reserves cash for the bid
        Action.MARKET_SETTLE,  # moves units and cash between participants
        Action.JOINT_AUCTION_MANAGE,
    }
)
"""Commands that move units, or reserve units or cash for a trade: a user signs each with a fresh
one-time code (UK ETS: OTP-signed proposals); an API key does them only if made to move units."""

R = Role
_READERS = (R.REGISTRY_ADMIN, R.NATIONAL_ADMIN, R.AUDITOR)
_HOLDERS = (R.OPERATOR_REPRESENTATIVE, R.TRADER)

RULES: dict[Action, frozenset[Role]] = {
    Action.USER_MANAGE: frozenset({R.REGISTRY_ADMIN}),
    Action.UNIT_TYPE_READ: frozenset(Role),
    Action.UNIT_TYPE_CREATE: frozenset({R.REGISTRY_ADMIN}),
    Action.ACCOUNT_READ: frozenset({*_READERS, *_HOLDERS}),
    Action.ACCOUNT_OPEN: frozenset({R.REGISTRY_ADMIN}),
    Action.ACCOUNT_STATE: frozenset({R.REGISTRY_ADMIN, R.NATIONAL_ADMIN}),
    Action.REPRESENTATIVE_MANAGE: frozenset({R.REGISTRY_ADMIN}),
    Action.TRUSTED_CHANGE: frozenset(_HOLDERS),
    Action.ISSUE: frozenset({R.REGISTRY_ADMIN}),
    Action.ALLOCATE: frozenset({R.REGISTRY_ADMIN}),
    Action.TRANSFER: frozenset(_HOLDERS),
    Action.SURRENDER: frozenset({R.OPERATOR_REPRESENTATIVE}),
    Action.DELETE: frozenset(_HOLDERS),
    Action.REVERSE: frozenset({R.REGISTRY_ADMIN}),
    Action.APPROVE: frozenset(_HOLDERS),
    Action.CANCEL: frozenset(_HOLDERS),
    Action.SETTLE: frozenset({R.REGISTRY_ADMIN}),
    Action.TRANSACTION_READ: frozenset({*_READERS, *_HOLDERS}),
    Action.SERIAL_HISTORY: frozenset(_READERS),
    Action.LEDGER_AUDIT: frozenset({R.REGISTRY_ADMIN, R.AUDITOR}),
    Action.COMPLIANCE_READ: frozenset({*_READERS, R.VERIFIER, R.OPERATOR_REPRESENTATIVE}),
    Action.COMPLIANCE_ENTER: frozenset({R.NATIONAL_ADMIN}),
    Action.ASSESSMENT_READ: frozenset(_READERS),
    Action.ASSESS: frozenset({R.NATIONAL_ADMIN}),
    Action.REPORT_READ: frozenset({*_READERS, R.VERIFIER, R.OPERATOR_REPRESENTATIVE}),
    Action.REPORT_VERIFY: frozenset({R.VERIFIER}),
    # MRV: the operator monitors and reports its own installation; the national administrator
    # registers installations (EU MRR Art. 11-12: the competent authority approves the plan)
    Action.PLAN_READ: frozenset({*_READERS, R.VERIFIER, R.OPERATOR_REPRESENTATIVE}),
    Action.PLAN_REGISTER: frozenset({R.NATIONAL_ADMIN, R.OPERATOR_REPRESENTATIVE}),
    Action.ACTIVITY_UPLOAD: frozenset({R.NATIONAL_ADMIN, R.OPERATOR_REPRESENTATIVE}),
    Action.MEASUREMENT_UPLOAD: frozenset({R.NATIONAL_ADMIN, R.OPERATOR_REPRESENTATIVE}),  # EU MRR Art. 40-46
    Action.REPORT_SUBMIT: frozenset({R.NATIONAL_ADMIN, R.OPERATOR_REPRESENTATIVE}),
    # the national inventory is the state's (UNFCCC reporting): its administrators and auditors
    Action.INVENTORY_READ: frozenset(_READERS),
    # compiling is the national inventory agency's work: the national administrator, not the registry's
    Action.INVENTORY_COMPILE: frozenset({R.NATIONAL_ADMIN}),
    # cap and free allocation: the administrators of that jurisdiction (Directive 2003/87/EC Art. 10a-11)
    Action.ALLOCATION_READ: frozenset(_READERS),
    Action.ALLOCATION_POST: frozenset({R.REGISTRY_ADMIN, R.NATIONAL_ADMIN}),
    Action.LINK_SEND: frozenset(_HOLDERS),
    Action.LINK_READ: frozenset(_READERS),
    Action.LINK_RECONCILE: frozenset({R.REGISTRY_ADMIN}),
    Action.LINK_RESOLVE: frozenset({R.REGISTRY_ADMIN}),
    # the market: a trader acts for the participant trading through its account; an operator
    # representative's installation bids at auctions; administrators and auditors read everything
    Action.MARKET_ORDER_PLACE: frozenset({R.TRADER}),
    Action.MARKET_ORDER_CANCEL: frozenset({R.TRADER}),
    Action.MARKET_ORDER_READ: frozenset({*_READERS, R.TRADER}),
    Action.MARKET_BID: frozenset(_HOLDERS),
    Action.MARKET_CASH_READ: frozenset({*_READERS, *_HOLDERS}),
    Action.MARKET_CLOSE: frozenset({R.REGISTRY_ADMIN}),  # the exchange's operator is the registry administrator
    Action.MARKET_SETTLE: frozenset({R.REGISTRY_ADMIN}),
    # money across the link (docs/market.md): the official rates and joint auction results are
    # public (routes_link_money.py, no session, like the public reports); the registry
    # administrator runs the auction as the WCI jurisdictions' auction administrator does
    Action.JOINT_AUCTION_MANAGE: frozenset({R.REGISTRY_ADMIN}),
    Action.JOINT_AUCTION_BID: frozenset(_HOLDERS),
    Action.CROSS_BORDER_READ: frozenset({*_READERS, *_HOLDERS}),
}
"""Action -> the roles that may do it. Jurisdiction-wide roles act on every object of their
jurisdiction; account-scoped roles only on their account(s); the verifier on its installation."""

BY_SIGNATURE = frozenset({Action.LINK_MESSAGE})
"""Actions of the partner registry, not of a user: no session, no role. The message's Ed25519
signature by a party of the linking agreement, addressed to this registry, fresh and not seen
before, is the authentication (domain/link/protocol.check_envelope); refused messages are
journaled with their verdict."""


def by_signature(action: Action) -> bool:
    """Whether `action` is authorized by the message signature instead of a principal's grants."""
    return action in BY_SIGNATURE


@dataclass(frozen=True, slots=True)
class Target:
    """The object an action touches. `accounts`: any of them in scope lets an account-scoped role
    act (a transaction is visible to both sides); `installation`: the installation concerned."""

    jurisdiction: str
    accounts: tuple[str, ...] = ()
    installation: str | None = None


class Decision(StrEnum):
    ALLOW = "allow"
    DENY_ROLE = "deny_role"  # no role of the principal may ever do this: 403
    DENY_OBJECT = "deny_object"  # the role may, but not on this object: answer as if it did not exist (404)


def _matches(scope_kind: ScopeKind, scope: str, target: Target) -> bool:
    if scope_kind is ScopeKind.JURISDICTION:
        return True
    if scope_kind is ScopeKind.ACCOUNT:
        return scope in target.accounts
    return scope == target.installation


def decide(principal: Principal, action: Action, target: Target | None) -> Decision:
    """Allow only what a rule grants; `target` None asks whether the principal may do `action` at all."""
    roles = RULES.get(action, frozenset())
    grants = [g for g in principal.grants if g.role in roles]
    if not grants:
        return Decision.DENY_ROLE
    if action in MOVES_UNITS and not principal.may_move_units:
        return Decision.DENY_ROLE
    if target is None:
        return Decision.ALLOW
    for grant in grants:
        if grant.jurisdiction == target.jurisdiction and _matches(SCOPE_OF[grant.role], grant.scope, target):
            return Decision.ALLOW
    return Decision.DENY_OBJECT


@dataclass(frozen=True, slots=True)
class Visibility:
    """What a list may show: every object of `jurisdictions`, plus `accounts` / `installations` elsewhere."""

    jurisdictions: frozenset[str]
    accounts: frozenset[str]
    installations: frozenset[str]

    @property
    def nothing(self) -> bool:
        return not (self.jurisdictions or self.accounts or self.installations)


def visible(principal: Principal, action: Action) -> Visibility:
    """The scope of a list query for `action`: lists are filtered to it, never checked row by row."""
    roles = RULES.get(action, frozenset())
    whole, accounts, installations = set(), set(), set()
    for grant in principal.grants:
        if grant.role not in roles:
            continue
        kind = SCOPE_OF[grant.role]
        if kind is ScopeKind.JURISDICTION:
            whole.add(grant.jurisdiction)
        elif kind is ScopeKind.ACCOUNT:
            accounts.add(grant.scope)
        else:
            installations.add(grant.scope)
    return Visibility(frozenset(whole), frozenset(accounts), frozenset(installations))
