"""The linking agreement file, data/link/BY-CN.toml (overridden by CARBONBRIDGE_CONFIG/link-BY-CN.toml):
a Pydantic model that refuses unknown keys (adapters/config_schema.py), then the domain's frozen
`LinkAgreement` (domain/link/agreement.py keeps the record and the link's rules). Every problem of
the file comes at once, with the file, the field path from its root (`messages.window_seconds`,
`public_keys.CN`) and what was expected."""

from __future__ import annotations

import re
from collections.abc import Mapping
from fractions import Fraction
from typing import Annotated, Any

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from carbonbridge.adapters.config_schema import FileModel, parse_file, refuse
from carbonbridge.domain.errors import Problem, ValidationFailed
from carbonbridge.domain.link.agreement import LinkAgreement

Jurisdiction = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
UnitKind = Annotated[str, Field(pattern=r"^[A-Z]{2}-[A-Z]+$")]  # origin and kind: CN-AL
PublicKey = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]  # raw Ed25519 public key, hex


def _share(text: str) -> str:
    try:
        share = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise refuse("must be a fraction like 1/5", "fraction between 0 and 1, as text") from None
    if not 0 <= share <= 1:
        raise refuse("must be between 0 and 1", "fraction between 0 and 1, as text")
    return text


def _keeps_origin(value: bool) -> bool:
    if not value:
        raise refuse("units keep their origin and serials: keep_origin = true", "true")
    return value


def _party_code(key: str) -> str:
    """A key of `[public_keys]` other than `demo_keys` is a party's code, or an unknown key."""
    if not re.fullmatch(r"[A-Z]{2}", key):
        raise PydanticCustomError("extra_forbidden", "unknown key")
    return key


Share = Annotated[str, AfterValidator(_share)]
PartyCode = Annotated[str, AfterValidator(_party_code)]


class MessagesTable(FileModel):
    """`[messages]`: the message windows, the timeouts and the retries (seconds, windows)."""

    window_seconds: Annotated[int, Field(ge=0)]
    reply_timeout_windows: Annotated[int, Field(ge=1)]
    min_timeout_seconds: Annotated[int, Field(ge=0)]
    manual_after_windows: Annotated[int, Field(ge=1)]
    max_age_seconds: Annotated[int, Field(ge=1)]
    max_skew_seconds: Annotated[int, Field(ge=0)]
    retry_base_seconds: Annotated[float, Field(ge=0)]
    retry_max_seconds: Annotated[float, Field(ge=1)]


class PublicKeysTable(FileModel, extra="allow"):
    """`[public_keys]`: each party's key under its code (`BY = "bd62..."`), and `demo_keys`. The
    other keys are the parties' codes (two capital letters; any other key is unknown), each
    holding a public key."""

    __pydantic_extra__: dict[PartyCode, PublicKey] = Field(init=False)
    demo_keys: bool = False

    def by_party(self) -> dict[str, str]:
        return dict(self.model_extra or {})


class AgreementFile(FileModel):
    """data/link/BY-CN.toml."""

    parties: Annotated[list[Jurisdiction], Field(min_length=2, max_length=2)]
    schema_version: Annotated[int, Field(ge=1)]
    keep_origin: Annotated[bool, AfterValidator(_keeps_origin)]
    recognised: dict[Jurisdiction, list[UnitKind]] = Field(default_factory=dict)
    foreign_surrender_limit: dict[Jurisdiction, Share] = Field(default_factory=dict)
    messages: MessagesTable
    public_keys: PublicKeysTable

    def agreement(self) -> LinkAgreement:
        m = self.messages
        return LinkAgreement(
            parties=(self.parties[0], self.parties[1]),
            schema_version=self.schema_version,
            keep_origin=True,
            recognised={party: frozenset(kinds) for party, kinds in self.recognised.items()},
            foreign_surrender_limit={party: Fraction(text) for party, text in self.foreign_surrender_limit.items()},
            window_seconds=m.window_seconds,
            reply_timeout_windows=m.reply_timeout_windows,
            min_timeout_seconds=m.min_timeout_seconds,
            manual_after_windows=m.manual_after_windows,
            max_age_seconds=m.max_age_seconds,
            max_skew_seconds=m.max_skew_seconds,
            retry_base_seconds=m.retry_base_seconds,
            retry_max_seconds=m.retry_max_seconds,
            public_keys=self.public_keys.by_party(),
            demo_keys=self.public_keys.demo_keys,
        )


def _party_problems(parsed: AgreementFile, file: str) -> list[Problem]:
    """The tables keyed by jurisdiction name the parties, and each party has its key."""
    parties, keys = parsed.parties, parsed.public_keys.by_party()
    expected = "one of: " + ", ".join(parties)
    problems = []
    if parties[0] == parties[1]:
        problems.append(Problem("the two parties must differ", file, field="parties", expected="two jurisdictions"))
    tables: dict[str, Mapping[str, object]] = {
        "recognised": parsed.recognised,
        "foreign_surrender_limit": parsed.foreign_surrender_limit,
        "public_keys": keys,
    }
    for table, by_code in tables.items():
        for code in (code for code in by_code if code not in parties):
            field = f"{table}.{code}"
            problems.append(Problem(f"{code} is not a party to the link", file, field=field, expected=expected))
    for party in (party for party in parties if party not in keys):
        field = f"public_keys.{party}"
        problems.append(Problem(f"missing: the public key of {party}", file, field=field, expected="64 hex digits"))
    return problems


def parse_agreement(data: Mapping[str, Any], *, file: str = "<agreement>") -> LinkAgreement:
    """The agreement of a parsed TOML document; every problem at once."""
    parsed = parse_file(AgreementFile, data, file)
    problems = _party_problems(parsed, file)
    if problems:
        raise ValidationFailed(problems)
    return parsed.agreement()
