"""The linking agreement as data: recognised unit kinds, the foreign-unit surrender limit, message
windows and timeouts, and the partners' public keys (data/link/BY-CN.toml cites its sources)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from carbonbridge.domain.errors import Problem, ValidationFailed


@dataclass(frozen=True, slots=True)
class LinkAgreement:
    parties: tuple[str, str]
    schema_version: int
    keep_origin: bool
    recognised: Mapping[str, frozenset[str]]  # recognising registry -> {"CN-AL", ...}
    foreign_surrender_limit: Mapping[str, Fraction]  # share of the obligation
    window_seconds: int
    reply_timeout_windows: int
    min_timeout_seconds: int
    manual_after_windows: int
    max_age_seconds: int
    max_skew_seconds: int
    retry_base_seconds: float
    retry_max_seconds: float
    public_keys: Mapping[str, str]  # jurisdiction -> raw Ed25519 public key, hex
    demo_keys: bool

    def partner_of(self, own: str) -> str:
        if own not in self.parties:
            raise ValidationFailed([Problem(f"{own} is not a party to the link {'-'.join(self.parties)}")])
        return self.parties[1] if self.parties[0] == own else self.parties[0]

    def recognises(self, registry: str, unit_type: str) -> bool:
        """Whether `registry` accepts units of this type (own units always; foreign ones if listed).
        Unit type codes start with origin and kind: CN-AL-2026."""
        origin_kind = "-".join(unit_type.split("-")[:2])
        return unit_type.startswith(f"{registry}-") or origin_kind in self.recognised.get(registry, frozenset())

    def reply_timeout_seconds(self) -> int:
        return max(self.window_seconds * self.reply_timeout_windows, self.min_timeout_seconds)

    def manual_after_seconds(self) -> int:
        return max(self.window_seconds * self.manual_after_windows, 4 * self.reply_timeout_seconds())

    def retry_delay_seconds(self, attempts: int) -> float:
        """Exponential backoff: base, 2 base, 4 base ... capped at retry_max_seconds."""
        return float(min(self.retry_base_seconds * (2 ** min(attempts, 30)), self.retry_max_seconds))


def link_account_id(own: str, partner: str) -> str:
    """The link account a registry keeps for its partner: BY-LINK-CN in the Belarus registry."""
    return f"{own}-LINK-{partner}"


def origin_of(unit_type: str) -> str:
    return unit_type.split("-", 1)[0]


def foreign_surrender_allowed(obligation_t: int, foreign_surrendered: int, quantity: int, share: Fraction) -> bool:
    """A surrender of foreign units stays within share x obligation (whole units, rounded down):
    with share 1/5 and an obligation of 1 003 t, at most floor(200.6) = 200 foreign units count,
    over all the installation-year's surrenders of foreign units together. Without verified
    emissions entered (obligation 0) no foreign unit may be surrendered."""
    return foreign_surrendered + quantity <= math.floor(share * max(obligation_t, 0))


def _int(table: Mapping[str, Any], key: str, problems: list[Problem], file: str, minimum: int = 0) -> int:
    value = table.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        problems.append(Problem(f"{key} must be a whole number >= {minimum}", file, field=key))
        return minimum
    return value


def parse_agreement(data: Mapping[str, Any], *, file: str = "<agreement>") -> LinkAgreement:
    """Validate the agreement document; every problem is reported together."""
    problems: list[Problem] = []
    parties = data.get("parties")
    if not (isinstance(parties, list) and len(parties) == 2 and all(isinstance(p, str) for p in parties)):
        problems.append(Problem("parties must list the two jurisdictions", file, field="parties"))
        parties = ["?", "?"]
    if data.get("keep_origin") is not True:
        problems.append(Problem("units keep their origin and serials: keep_origin = true", file, field="keep_origin"))
    messages = data.get("messages", {})
    keys = dict(data.get("public_keys", {}))
    demo = bool(keys.pop("demo_keys", False))
    for party in parties:
        key = keys.get(party)
        if not (isinstance(key, str) and len(key) == 64 and all(c in "0123456789abcdef" for c in key)):
            problems.append(Problem(f"public key of {party} must be 64 hex digits", file, field="public_keys"))
    limits: dict[str, Fraction] = {}
    for party, text in dict(data.get("foreign_surrender_limit", {})).items():
        try:
            limits[party] = Fraction(str(text))
        except (ValueError, ZeroDivisionError):
            problems.append(
                Problem(f"limit of {party} must be a fraction like 1/5", file, field="foreign_surrender_limit")
            )
            continue
        if not 0 <= limits[party] <= 1:
            problems.append(Problem(f"limit of {party} must be between 0 and 1", file, field="foreign_surrender_limit"))
    recognised = {p: frozenset(str(k) for k in kinds) for p, kinds in dict(data.get("recognised", {})).items()}
    agreement = LinkAgreement(
        parties=(str(parties[0]), str(parties[1])),
        schema_version=_int(data, "schema_version", problems, file, 1),
        keep_origin=True,
        recognised=recognised,
        foreign_surrender_limit=limits,
        window_seconds=_int(messages, "window_seconds", problems, file),
        reply_timeout_windows=_int(messages, "reply_timeout_windows", problems, file, 1),
        min_timeout_seconds=_int(messages, "min_timeout_seconds", problems, file),
        manual_after_windows=_int(messages, "manual_after_windows", problems, file, 1),
        max_age_seconds=_int(messages, "max_age_seconds", problems, file, 1),
        max_skew_seconds=_int(messages, "max_skew_seconds", problems, file),
        retry_base_seconds=float(_int(messages, "retry_base_seconds", problems, file)),
        retry_max_seconds=float(_int(messages, "retry_max_seconds", problems, file, 1)),
        public_keys={str(k): str(v) for k, v in keys.items()},
        demo_keys=demo,
    )
    if problems:
        raise ValidationFailed(problems)
    return agreement
