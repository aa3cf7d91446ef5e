"""Every registry table handle, once (SQLAlchemy Core `Table`s of the ORM rows in registry_models)."""

from __future__ import annotations

from sqlalchemy import Table

from carbonbridge.adapters.db.models import AuditEventRow
from carbonbridge.adapters.db.registry_models import (
    RegistryAccountRepresentativeRow,
    RegistryAccountRow,
    RegistryBlockMovementRow,
    RegistryComplianceEntryRow,
    RegistryHoldingRow,
    RegistryLogEntryRow,
    RegistryLogHeadRow,
    RegistryPostingRow,
    RegistryRepresentativeRow,
    RegistrySerialBlockRow,
    RegistryTransactionEventRow,
    RegistryTransactionRow,
    RegistryTrustedChangeRow,
    RegistryUnitTypeRow,
)

ACCOUNTS: Table = RegistryAccountRow.__table__  # type: ignore[assignment]
REPS: Table = RegistryRepresentativeRow.__table__  # type: ignore[assignment]
LINKS: Table = RegistryAccountRepresentativeRow.__table__  # type: ignore[assignment]
TRUSTED: Table = RegistryTrustedChangeRow.__table__  # type: ignore[assignment]
UNIT_TYPES: Table = RegistryUnitTypeRow.__table__  # type: ignore[assignment]
TRANSACTIONS: Table = RegistryTransactionRow.__table__  # type: ignore[assignment]
EVENTS: Table = RegistryTransactionEventRow.__table__  # type: ignore[assignment]
HOLDINGS: Table = RegistryHoldingRow.__table__  # type: ignore[assignment]
BLOCKS: Table = RegistrySerialBlockRow.__table__  # type: ignore[assignment]
POSTINGS: Table = RegistryPostingRow.__table__  # type: ignore[assignment]
MOVEMENTS: Table = RegistryBlockMovementRow.__table__  # type: ignore[assignment]
LOG_HEADS: Table = RegistryLogHeadRow.__table__  # type: ignore[assignment]
LOG_ENTRIES: Table = RegistryLogEntryRow.__table__  # type: ignore[assignment]
COMPLIANCE_ENTRIES: Table = RegistryComplianceEntryRow.__table__  # type: ignore[assignment]
AUDIT: Table = AuditEventRow.__table__  # type: ignore[assignment]
