"""The signed-in principal (a user or an API key) and its grants: one role in one jurisdiction,
narrowed to one account or installation for the roles that act on their own objects only."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from carbonbridge.domain.errors import Problem, ValidationFailed

MAX_SCOPE_LENGTH = 64


class Role(StrEnum):
    REGISTRY_ADMIN = "registry_admin"  # sets up the registry: unit types, accounts, issuance, users
    NATIONAL_ADMIN = "national_admin"  # approves and blocks accounts, enters verified emissions
    OPERATOR_REPRESENTATIVE = "operator_representative"  # acts for one account
    VERIFIER = "verifier"  # verifies the reports of one assigned installation
    TRADER = "trader"  # acts for one trading account
    AUDITOR = "auditor"  # reads everything, verifies the log; changes nothing


class ScopeKind(StrEnum):
    JURISDICTION = "jurisdiction"
    ACCOUNT = "account"
    INSTALLATION = "installation"


SCOPE_OF: dict[Role, ScopeKind] = {
    Role.REGISTRY_ADMIN: ScopeKind.JURISDICTION,
    Role.NATIONAL_ADMIN: ScopeKind.JURISDICTION,
    Role.AUDITOR: ScopeKind.JURISDICTION,
    Role.OPERATOR_REPRESENTATIVE: ScopeKind.ACCOUNT,
    Role.TRADER: ScopeKind.ACCOUNT,
    Role.VERIFIER: ScopeKind.INSTALLATION,
}
"""What a grant of each role is narrowed to: the whole jurisdiction, one account or one installation."""


@dataclass(frozen=True, slots=True, order=True)
class Grant:
    role: Role
    jurisdiction: str
    scope: str = ""  # account id or installation id for scoped roles, empty for jurisdiction-wide ones

    def validate(self) -> None:
        kind = SCOPE_OF[self.role]
        problems = []
        if self.jurisdiction not in ("BY", "CN"):
            problems.append(Problem("jurisdiction must be BY or CN", field="jurisdiction"))
        if kind is ScopeKind.JURISDICTION and self.scope:
            problems.append(
                Problem(f"a {self.role.value} grant covers the whole jurisdiction: no scope", field="scope")
            )
        if kind is not ScopeKind.JURISDICTION and not (0 < len(self.scope) <= MAX_SCOPE_LENGTH):
            problems.append(Problem(f"a {self.role.value} grant names one {kind.value} as its scope", field="scope"))
        if not self.scope.isprintable():  # an id is text; the token lookup joins grants with control characters
            problems.append(Problem("a scope is printable text (no control characters)", field="scope"))
        if problems:
            raise ValidationFailed(problems)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who acts. `representative_id` is the registry identity the principal acts as (replaces `--by`)."""

    id: str
    kind: str  # "user" or "api_key"
    grants: frozenset[Grant] = field(default_factory=frozenset)
    representative_id: str | None = None
    user_id: str = ""
    may_move_units: bool = True  # an API key moves units only if created for it

    def jurisdictions(self) -> frozenset[str]:
        return frozenset(g.jurisdiction for g in self.grants)

    def scopes(self, role: Role, jurisdiction: str | None = None) -> frozenset[str]:
        return frozenset(
            g.scope for g in self.grants if g.role is role and (jurisdiction is None or g.jurisdiction == jurisdiction)
        )


ANONYMOUS = Principal(id="anonymous", kind="public")
