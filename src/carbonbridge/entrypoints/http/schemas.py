"""Request and response bodies: one schema per direction, `extra="forbid"`, bounded lengths
(STYLE.md #5). Domain values are converted here; ORM rows never cross the boundary."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Annotated, Any, Generic, Literal, TypeVar

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field

from carbonbridge.domain.auth.principal import Grant, Role
from carbonbridge.domain.registry.commands import TransactionView
from carbonbridge.domain.registry.model import AccountState, AccountType, TransactionState, TransactionType

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]*$")]
Jurisdiction = Literal["BY", "CN"]
Text = Annotated[str, Field(min_length=1, max_length=200)]
T = TypeVar("T")
Responses = dict[int | str, dict[str, Any]]


class In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)


class Page(Out, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")


def encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode(errors="replace")
    except (binascii.Error, ValueError):
        return cursor  # not one we made: read as a bound on the key, which shows nothing outside the scope


def page(items: list[T], keys: list[str], limit: int) -> dict[str, object]:
    return {"items": items, "next_cursor": encode_cursor(keys[-1]) if len(items) == limit and keys else None}


Cursor = Annotated[
    str | None, Query(max_length=200, pattern=r"^[A-Za-z0-9_-]*$", description="Opaque cursor of the next page")
]
Limit = Annotated[int, Query(ge=1, le=200, description="Page size")]


_LOCATED = {
    "type": "object",
    "properties": {
        "message": {"type": "string"},
        "file": {"type": "string"},
        "line": {"type": ["integer", "null"]},
        "column": {"type": ["integer", "null"]},
        "field": {"type": ["string", "null"]},
        "expected": {
            "type": ["string", "null"],
            "description": "What the field should hold, where the validator knows it: number, number >= 0, "
            "number in [0, 1], integer in [A, B], one of: a, b, unit of mass: t, kt, kg..., text",
        },
    },
    "required": ["message", "file"],
}
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem document",
    "type": "object",
    "properties": {
        "type": {"type": "string", "description": "urn:carbonbridge:problem:<kind>"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": ["string", "null"]},
        "problems": {"type": "array", "items": _LOCATED, "description": "Located problems of the input"},
        "truncated": {"type": "integer"},
        "response_code": {"type": "string", "description": "Registry response code of a refusal"},
        "differing_fields": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["type", "title", "status", "detail"],
}
PROBLEM_STATUSES = {
    400: "Rejected command",
    401: "Sign-in required (missing, expired or revoked token)",
    403: "Not allowed, a fresh one-time code missing, or locked out",
    404: "Unknown, or outside the principal's scope",
    409: "Conflicts with the current state, or an Idempotency-Key reused with another body",
    415: "The body is not application/json",
    422: "Invalid input (located problems) or refused by a registry rule (response_code)",
    429: "Rate limit exceeded (Retry-After)",
}
PROBLEMS: Responses = {
    code: {"description": text, "content": {"application/problem+json": {"schema": PROBLEM_SCHEMA}}}
    for code, text in PROBLEM_STATUSES.items()
}
"""Every operation may answer these, as problem documents."""


# --- sign-in, users, API keys ---------------------------------------------------------------


class SignIn(In):
    user_id: Id
    password: Annotated[str, Field(min_length=1, max_length=256)]
    code: Annotated[str, Field(min_length=6, max_length=6, pattern=r"^[0-9]{6}$", description="TOTP code")]


class TokenPublic(Out):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: dt.datetime
    session_id: str


class GrantBody(In):
    role: Role
    jurisdiction: Jurisdiction
    scope: Annotated[str, Field(max_length=64)] = ""

    def grant(self) -> Grant:
        return Grant(self.role, self.jurisdiction, self.scope)

    @classmethod
    def of(cls, grant: Grant) -> GrantBody:
        return cls(role=grant.role, jurisdiction=grant.jurisdiction, scope=grant.scope)  # type: ignore[arg-type]


class GrantPublic(Out):
    role: Role
    jurisdiction: str
    scope: str


class PrincipalPublic(Out):
    id: str
    kind: str
    user_id: str
    representative_id: str | None
    grants: list[GrantPublic]


class UserCreate(In):
    user_id: Id
    password: Annotated[str, Field(min_length=12, max_length=256)]
    grants: Annotated[list[GrantBody], Field(max_length=50)]
    representative_id: Id | None = None


class UserCreated(Out):
    user_id: str
    provisioning_uri: str = Field(description="otpauth:// URI of the TOTP seed: shown once, enrol it in an app")
    qr_svg: str = Field(description="The same URI as a QR code (SVG)")


class UserPublic(Out):
    id: str
    grants: list[GrantPublic]
    representative_id: str | None
    locked: bool
    disabled: bool


class GrantsUpdate(In):
    grants: Annotated[list[GrantBody], Field(max_length=50)]


class UserStateUpdate(In):
    unlock: bool = False
    disabled: bool | None = None


class ApiKeyCreate(In):
    name: Text
    grants: Annotated[list[GrantBody], Field(min_length=1, max_length=50)]
    moves_units: bool = Field(False, description="May the key propose and approve unit movements (machine signing)")


class ApiKeyCreated(Out):
    id: str
    secret: str = Field(description="Shown once; send as 'Authorization: Bearer <secret>'")


# --- registry ----------------------------------------------------------------------------------


class UnitTypeCreate(In):
    jurisdiction: Jurisdiction
    kind: Literal["allowance", "offset"] = "allowance"
    vintage: Annotated[int, Field(ge=2000, le=2100)]
    cap: Annotated[int, Field(gt=0, le=10**12)]
    origin: Annotated[str, Field(max_length=32, pattern=r"^[A-Z0-9]*$")] = ""


class UnitTypePublic(Out):
    code: str
    jurisdiction: str
    kind: str
    vintage: int
    origin: str
    cap: int
    issued: int


class AccountCreate(In):
    account_id: Id
    jurisdiction: Jurisdiction
    type: AccountType
    holder: Text
    installation_id: Id | None = None


class AccountPublic(Out):
    id: str
    jurisdiction: str
    type: AccountType
    state: AccountState
    holder: str
    installation_id: str | None


class AccountStateUpdate(In):
    state: AccountState
    reason: Text


class RepresentativeCreate(In):
    representative_id: Id
    name: Text
    accounts: Annotated[list[Id], Field(min_length=1, max_length=50)]


class RepresentativePublic(Out):
    representative_id: str
    accounts: list[str]


class Reason(In):
    reason: Text


class TrustedChangeBody(In):
    trusted_account_id: Id
    action: Literal["add", "remove"] = "add"


class TrustedChangePublic(Out):
    account_id: str
    trusted_account_id: str
    action: str
    effective_at: dt.datetime


class TrustedPublic(Out):
    trusted_account_id: str
    effective_at: dt.datetime
    active: bool


class HoldingPublic(Out):
    unit_type: str
    quantity: int = Field(description="Units owned, reserved ones included")
    reserved: int = Field(description="Earmarked for a pending transaction")
    market_held: int = Field(description="Held by the market for open sell orders, bids and unsettled trades")
    available: int = Field(description="quantity - reserved - market_held: what a new transaction may move")


class BlockPublic(Out):
    """A run of consecutive serial numbers of one unit type in one account."""

    start_serial: int
    end_serial: int
    quantity: int = Field(description="end_serial - start_serial + 1")
    reserved: bool = Field(description="Earmarked for a pending transaction")


ProposalType = Literal["issuance", "allocation", "transfer", "surrender", "deletion", "reversal"]


class TransactionCreate(In):
    """The body of a proposal; the `Idempotency-Key` header is its client key."""

    type: ProposalType
    unit_type: Annotated[str, Field(min_length=1, max_length=64)] = ""
    quantity: Annotated[int, Field(gt=0, le=10**12)] = 1
    source_account: Id | None = None
    destination_account: Id | None = None
    installation_id: Id | None = None
    compliance_year: Annotated[int | None, Field(ge=2000, le=2100)] = None
    reverses: Annotated[str | None, Field(min_length=1, max_length=32)] = None


class TransactionPublic(Out):
    id: str
    type: TransactionType
    state: TransactionState
    response_code: str
    source_account: str | None
    destination_account: str
    unit_type: str
    quantity: int
    initiator: str
    approver: str | None
    proposed_at: dt.datetime
    delay_until: dt.datetime | None
    resolved_at: dt.datetime | None

    @classmethod
    def of(cls, view: TransactionView) -> TransactionPublic:
        data = {name: getattr(view, name) for name in cls.model_fields}
        data["response_code"] = view.response_code.value
        return cls(**data)


class SerialEventPublic(Out):
    transaction_id: str
    type: str
    at: dt.datetime
    from_account: str | None
    to_account: str
    block: tuple[int, int]


class ConservationPublic(Out):
    ok: bool
    issued: dict[str, int]
    deleted: dict[str, int]
    held: dict[str, int]
    problems: list[str]


class LogReportPublic(Out):
    ok: bool
    entries: int
    transactions: int
    anchor: str
    problems: list[str]


class SettledPublic(Out):
    settled: list[TransactionPublic]


# --- compliance and public reports ---------------------------------------------------------------


class CompliancePublic(Out):
    installation_id: str
    year: int
    verified_emissions_t: int | None
    surrendered: int
    status: str


class AssessmentPublic(Out):
    installation_id: str
    year: int
    status: str
    verified_emissions_t: int | None
    obligation_t: int | None
    allocated_t: int
    required_t: int
    shortfall_t: int
    penalty: str
    currency: str
    account_blocked: bool


class InstallationPublic(Out):
    id: str
    jurisdiction: str
    name: str
    sector: str


class JurisdictionPublic(Out):
    code: str
    name: str
    currency: str
    gwp_set: str
    method_pack: str
    timezone: str


class PublicInstallationYearOut(Out):
    installation_id: str
    jurisdiction: str
    name: str
    year: int
    allocation_t: int
    verified_emissions_t: int | None
    surrendered_t: int
    status: Literal["A", "B", "C"]


class PublicJurisdictionYearOut(Out):
    jurisdiction: str
    year: int
    installations: int
    allocation_t: int
    verified_emissions_t: int
    surrendered_t: int
    status_counts: dict[str, int]


class ApiKeyPublic(Out):
    id: str
    name: str
    grants: list[GrantPublic]
    moves_units: bool
    created_at: dt.datetime
    revoked: bool


class EnteredPublic(Out):
    entered: list[str]
    without_verified_report: list[str]


class BlockedPublic(Out):
    blocked: list[str]


class ReportPublic(Out):
    installation_id: str
    year: int
    version: int
    co2_t: float
    ch4_t: float
    n2o_t: float
    co2e_t: float
    gwp_set: str
    category: str
    verified: bool
    verified_emissions_t: int | None
    by_source_stream: dict[str, Any]


class VerificationCreate(In):
    opinion: Literal["satisfactory", "satisfactory_with_comments", "not_satisfactory"]
    misstatement_t: Annotated[float, Field(ge=0, le=1e9, allow_inf_nan=False)] = 0.0
    comments: Annotated[str, Field(max_length=2000)] = ""
