"""Commands and results of the registry, as plain immutable values."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from carbonbridge.domain.errors import Problem, ValidationFailed
from carbonbridge.domain.registry.model import ResponseCode, TransactionState, TransactionType

MAX_KEY_LENGTH = 200
QUANTITY_LIMIT = 2**63  # the ledger stores quantities as 64-bit integers


@dataclass(frozen=True, slots=True)
class TransactionRequest:
    """Propose a transaction. `client_key` makes it idempotent; every other field is the body."""

    client_key: str
    type: TransactionType
    source_account: str | None
    destination_account: str
    unit_type: str
    quantity: int
    initiator: str
    installation_id: str | None = None
    compliance_year: int | None = None
    reverses: str | None = None
    counterpart: str | None = None  # a link transfer: "<partner>/<account at the partner>"

    def body(self) -> dict[str, object]:
        """Every field but the client key (built by hand: `asdict` deep-copies, and this runs on
        every registry command)."""
        body: dict[str, object] = {
            "type": self.type.value,
            "source_account": self.source_account,
            "destination_account": self.destination_account,
            "unit_type": self.unit_type,
            "quantity": self.quantity,
            "initiator": self.initiator,
            "installation_id": self.installation_id,
            "compliance_year": self.compliance_year,
            "reverses": self.reverses,
        }
        if self.counterpart is not None:  # only link transfers: earlier requests stay comparable
            body["counterpart"] = self.counterpart
        return body

    def validate(self) -> None:
        problems = []
        if not self.client_key.strip() or len(self.client_key) > MAX_KEY_LENGTH:
            problems.append(Problem(f"client key must be 1-{MAX_KEY_LENGTH} characters", field="client_key"))
        if (
            isinstance(self.quantity, bool)
            or not isinstance(self.quantity, int)
            or abs(self.quantity) >= QUANTITY_LIMIT
        ):
            problems.append(
                Problem(f"quantity must be a whole number of units below {QUANTITY_LIMIT}", field="quantity")
            )
        if not self.initiator.strip():
            problems.append(Problem("initiator is required", field="initiator"))
        if self.type is TransactionType.SURRENDER and (self.installation_id is None or self.compliance_year is None):
            problems.append(Problem("a surrender names the installation and compliance year", field="installation_id"))
        if problems:
            raise ValidationFailed(problems)


@dataclass(frozen=True, slots=True)
class TransactionView:
    id: str
    client_key: str
    type: TransactionType
    state: TransactionState
    response_code: ResponseCode
    source_account: str | None
    destination_account: str
    unit_type: str
    quantity: int
    initiator: str
    approver: str | None
    proposed_at: dt.datetime
    delay_until: dt.datetime | None
    resolved_at: dt.datetime | None

    @property
    def refused(self) -> bool:
        """Terminated by the checks when proposed (not cancelled, nor terminated later)."""
        return (
            self.state is TransactionState.TERMINATED
            and self.response_code is not ResponseCode.CANCELLED
            and self.approver is None
            and self.resolved_at == self.proposed_at
        )

    @property
    def resolved(self) -> bool:
        return self.state in (TransactionState.COMPLETED, TransactionState.TERMINATED)

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        for name in ("proposed_at", "delay_until", "resolved_at"):
            value = data[name]
            data[name] = value.isoformat() if value is not None else None
        return {k: (v.value if hasattr(v, "value") else v) for k, v in data.items()}
