"""The access policy: deny by default, scopes per role, lists scoped to the principal."""

from __future__ import annotations

import pytest

from carbonbridge.domain.auth.policy import BY_SIGNATURE, MOVES_UNITS, RULES, Action, Decision, Target, decide, visible
from carbonbridge.domain.auth.principal import ANONYMOUS, Grant, Principal, Role
from carbonbridge.domain.errors import ValidationFailed


def who(*grants: Grant, moves: bool = True) -> Principal:
    return Principal("u", "user", frozenset(grants), "rep", "u", moves)


TRADER = who(Grant(Role.TRADER, "BY", "BY-T1"))
ADMIN = who(Grant(Role.REGISTRY_ADMIN, "BY"))


def test_every_action_has_a_rule_and_nothing_is_allowed_without_a_grant() -> None:
    # every action is a user's (a rule of roles) or the partner registry's (its signature), never both
    assert set(RULES) | BY_SIGNATURE == set(Action) and not set(RULES) & BY_SIGNATURE
    for action in Action:
        assert decide(ANONYMOUS, action, Target("BY", ("BY-T1",), "I")) is Decision.DENY_ROLE


def test_an_account_scoped_role_acts_only_on_its_account() -> None:
    assert decide(TRADER, Action.TRANSFER, Target("BY", ("BY-T1",))) is Decision.ALLOW
    assert decide(TRADER, Action.TRANSFER, Target("BY", ("BY-T2",))) is Decision.DENY_OBJECT
    assert decide(TRADER, Action.TRANSACTION_READ, Target("BY", ("BY-T2", "BY-T1"))) is Decision.ALLOW


def test_a_jurisdiction_wide_role_stops_at_its_jurisdiction() -> None:
    assert decide(ADMIN, Action.ISSUE, Target("BY", ("BY-NHA",))) is Decision.ALLOW
    assert decide(ADMIN, Action.ISSUE, Target("CN", ("CN-NHA",))) is Decision.DENY_OBJECT


def test_a_role_without_the_action_is_refused_whatever_the_object() -> None:
    assert decide(TRADER, Action.ISSUE, Target("BY", ("BY-T1",))) is Decision.DENY_ROLE
    auditor = who(Grant(Role.AUDITOR, "BY"))
    assert all(decide(auditor, a, Target("BY", ("BY-T1",))) is Decision.DENY_ROLE for a in MOVES_UNITS)
    assert decide(auditor, Action.LEDGER_AUDIT, Target("BY")) is Decision.ALLOW


def test_a_verifier_sees_the_compliance_of_its_installation_only() -> None:
    verifier = who(Grant(Role.VERIFIER, "BY", "INST-1"))
    assert decide(verifier, Action.COMPLIANCE_READ, Target("BY", (), "INST-1")) is Decision.ALLOW
    assert decide(verifier, Action.COMPLIANCE_READ, Target("BY", (), "INST-2")) is Decision.DENY_OBJECT
    assert decide(verifier, Action.ACCOUNT_READ, Target("BY", ("BY-OP1",), "INST-1")) is Decision.DENY_ROLE


def test_an_api_key_moves_units_only_when_made_for_it() -> None:
    key = who(Grant(Role.TRADER, "BY", "BY-T1"), moves=False)
    assert decide(key, Action.TRANSFER, Target("BY", ("BY-T1",))) is Decision.DENY_ROLE
    assert decide(key, Action.ACCOUNT_READ, Target("BY", ("BY-T1",))) is Decision.ALLOW


def test_lists_are_scoped_to_the_principal() -> None:
    both = who(Grant(Role.TRADER, "BY", "BY-T1"), Grant(Role.AUDITOR, "CN"))
    scope = visible(both, Action.ACCOUNT_READ)
    assert scope.jurisdictions == {"CN"} and scope.accounts == {"BY-T1"}
    assert visible(ANONYMOUS, Action.ACCOUNT_READ).nothing


@pytest.mark.parametrize(
    "grant",
    [
        Grant(Role.TRADER, "BY"),
        Grant(Role.REGISTRY_ADMIN, "BY", "BY-T1"),
        Grant(Role.AUDITOR, "XX"),
        Grant(Role.TRADER, "BY", "BY-T1\x1fBY-T2"),  # a control character would split the token lookup's text
    ],
)
def test_a_grant_names_a_scope_exactly_when_its_role_is_scoped(grant: Grant) -> None:
    with pytest.raises(ValidationFailed):
        grant.validate()


def test_a_trader_enters_orders_for_its_own_participant_only_and_signs_them() -> None:
    own, other = Target("BY", ("BY-T1",)), Target("BY", ("BY-T2",))
    assert decide(TRADER, Action.MARKET_ORDER_PLACE, own) is Decision.ALLOW
    assert decide(TRADER, Action.MARKET_ORDER_PLACE, other) is Decision.DENY_OBJECT
    assert decide(ADMIN, Action.MARKET_ORDER_PLACE, own) is Decision.DENY_ROLE  # administrators do not trade
    assert decide(ADMIN, Action.MARKET_CASH_READ, other) is Decision.ALLOW
    assert {Action.MARKET_ORDER_PLACE, Action.MARKET_BID} <= MOVES_UNITS  # they reserve cash or units
    unsigned_key = who(Grant(Role.TRADER, "BY", "BY-T1"), moves=False)
    assert decide(unsigned_key, Action.MARKET_ORDER_PLACE, own) is Decision.DENY_ROLE
    assert decide(unsigned_key, Action.MARKET_ORDER_CANCEL, own) is Decision.ALLOW
