"""The linking agreement as data: recognised unit kinds, the foreign-unit surrender limit, message
windows and timeouts, and the partners' public keys (data/link/BY-CN.toml cites its sources;
adapters/link_agreement.py parses it into a `LinkAgreement`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

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
