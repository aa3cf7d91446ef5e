"""Per-jurisdiction registry security policy: the `[registry]` table of the jurisdiction's TOML,
parsed by `RegistryTable` (unknown keys refused). `load_policy` and `timezone_of` read the
process's configuration (`adapters/config.load_jurisdiction`) for the registry commands that take
a policy function rather than a `Jurisdiction` (their default `policy_for`); cached per code, as
the registry asks on every command."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Annotated, Literal

from pydantic import Field

from carbonbridge.adapters.config_schema import FileModel, parse_file
from carbonbridge.domain.registry.policy import ApprovalRule, SecurityPolicy

NonNegative = Annotated[int, Field(ge=0)]


class RegistryTable(FileModel):
    """Delegated Regulation (EU) 2019/1122 controls (domain/registry/policy.py); defaults: four
    eyes always, 4 working days to trust, release at noon of the next working day."""

    approval: Literal["always", "untrusted", "never"] = "always"
    trusted_activation_working_days: NonNegative = 4
    delay_working_days: NonNegative = 1
    delay_release_hour: Annotated[int, Field(ge=0, le=23)] = 12
    transfer_limit_units: Annotated[int, Field(gt=0)] | None = None
    max_consecutive_failures: NonNegative = 3
    holidays: list[dt.date] = Field(default_factory=list)

    def policy(self, linked_origins: frozenset[str] = frozenset()) -> SecurityPolicy:
        return SecurityPolicy(
            approval=ApprovalRule(self.approval),
            trusted_activation_working_days=self.trusted_activation_working_days,
            delay_working_days=self.delay_working_days,
            delay_release_hour=self.delay_release_hour,
            transfer_limit_units=self.transfer_limit_units,
            max_consecutive_failures=self.max_consecutive_failures,
            holidays=frozenset(self.holidays),
            linked_origins=linked_origins,
        )


def parse_policy(table: dict[str, object], *, file: str = "<config>") -> SecurityPolicy:
    """A `[registry]` table as a policy; every problem is reported at once, fields named from
    the file's root (`registry.approval`)."""
    return parse_file(RegistryTable, table, file, prefix="registry.").policy()


@cache
def load_policy(code: str) -> SecurityPolicy:
    """The jurisdiction's policy; defaults (four eyes, 4 working days, noon next working day) if
    unset, or for a jurisdiction that is not configured."""
    from carbonbridge.adapters import config  # config builds on RegistryTable: imported when called

    if code.upper() not in config.JURISDICTION_CODES:
        return SecurityPolicy()
    return config.load_jurisdiction(code).registry


@cache
def timezone_of(code: str) -> dt.tzinfo:
    from carbonbridge.adapters import config

    return config.load_jurisdiction(code).zone
